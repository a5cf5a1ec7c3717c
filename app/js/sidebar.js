// The sidebar: every field of the current view with its counts. Ticking values
// of a label/tag/string/bool field, or narrowing a number's range, becomes a
// view stage (replacing that field's earlier filter), sent to the server.

import { esc } from "./grid.js";
import { filterValues, match, matchTags, withFilter } from "./stages.js";

const fmt = (n) => (n == null ? "–" : Number.isInteger(n) ? n.toLocaleString() : Number(n).toPrecision(4));

export class Sidebar {
  constructor(el, onStages) {
    this.el = el;
    this.onStages = onStages;   // (newStages, fieldBox) => void
    this.stages = [];
    el.addEventListener("change", (ev) => this.changed(ev));
  }

  render(data, stages) {
    this.stages = stages;
    this.fields = data.fields;
    const parts = data.fields.map((f) => `<div class="field" data-field="${esc(f.name)}" data-path="${esc(f.path)}" data-kind="${f.kind}">${this.fieldHtml(f)}</div>`);
    this.el.innerHTML = `<div class="field"><h4>samples<span class="n" id="sidebar-count">${fmt(data.count)}</span></h4></div>` + parts.join("");
    // widths through the CSSOM: the app's CSP allows no inline style attributes
    this.el.querySelectorAll(".bar[data-w]").forEach((b) => { b.style.width = `${b.dataset.w}px`; });
  }

  fieldHtml(f) {
    const head = `<h4>${esc(f.name)}<span class="n">${fmt(f.count)}</span></h4>`;
    const active = filterValues(this.stages, f.path);
    if (f.kind === "number") return head + this.rangeHtml(f, active);
    const values = (f.values || []).slice();
    const chosen = Array.isArray(active) ? active : [];
    for (const v of chosen) if (!values.some(([x]) => x === v)) values.push([v, 0]);
    const max = Math.max(1, ...values.map(([, n]) => n));
    const rows = values.map(([v, n]) => {
      const on = chosen.some((x) => x === v);
      return `<label class="value"><input type="checkbox" data-value='${esc(JSON.stringify(v))}' ${on ? "checked" : ""}>` +
        `<span class="name" title="${esc(v)}">${esc(v)}</span><span class="bar" data-w="${Math.round(40 * n / max)}"></span><span class="n">${fmt(n)}</span></label>`;
    });
    const more = f.distinct > (f.values || []).length ? `<div class="more">+${fmt(f.distinct - f.values.length)} more values</div>` : "";
    return head + `<div class="values">${rows.join("")}</div>` + more;
  }

  rangeHtml(f, active) {
    const [lo, hi] = f.range || [null, null];   // the dataset's range: filters can widen again
    if (lo == null) return `<div class="more">no values</div>`;
    const cur = active && !Array.isArray(active) ? active : {};
    const a = cur.$gte ?? lo, b = cur.$lte ?? hi;
    const step = hi > lo ? (hi - lo) / 200 : 1;
    return histSvg(f.histogram, a, b) +
      `<div class="range"><input type="range" class="lo" min="${lo}" max="${hi}" step="${step}" value="${a}" aria-label="${esc(f.name)} from">` +
      `<input type="range" class="hi" min="${lo}" max="${hi}" step="${step}" value="${b}" aria-label="${esc(f.name)} to"></div>` +
      `<div class="range"><input type="number" class="lo-n" step="any" value="${a}" aria-label="${esc(f.name)} min"> – ` +
      `<input type="number" class="hi-n" step="any" value="${b}" aria-label="${esc(f.name)} max"></div>`;
  }

  changed(ev) {
    const box = ev.target.closest(".field");
    if (!box || !box.dataset.path) return;
    const { path, kind } = box.dataset;
    let stage = null;
    if (kind === "number") {
      const f = this.fields.find((x) => x.path === path);
      const [rlo, rhi] = f.range;
      const pick = (cls, fallback) => {
        const v = parseFloat(box.querySelector(cls).value);
        return Number.isFinite(v) ? v : fallback;
      };
      let lo, hi;
      if (ev.target.matches(".lo-n, .hi-n")) { lo = pick(".lo-n", rlo); hi = pick(".hi-n", rhi); }
      else { lo = pick(".lo", rlo); hi = pick(".hi", rhi); }
      if (lo > hi) [lo, hi] = [hi, lo];
      stage = lo <= rlo && hi >= rhi ? null : match({ [path]: { $gte: lo, $lte: hi } });
    } else {
      const values = [...box.querySelectorAll("input[type=checkbox]:checked")].map((i) => JSON.parse(i.dataset.value));
      if (values.length) stage = kind === "tags" ? matchTags(values) : match({ [path]: { $in: values } });
    }
    this.onStages(withFilter(this.stages, path, stage), box);
  }
}

export function histSvg(hist, a, b, width = 270, height = 46) {
  if (!hist || !hist.counts.length) return "";
  const max = Math.max(1, ...hist.counts);
  const w = width / hist.counts.length;
  const bars = hist.counts.map((n, i) => {
    const h = Math.max(n ? 1 : 0, Math.round((height - 2) * n / max));
    const lo = hist.edges[i], hi = hist.edges[i + 1];
    const out = a != null && (hi < a || lo > b) ? "out" : "";
    return `<rect class="${out}" x="${(i * w).toFixed(1)}" y="${height - h}" width="${Math.max(1, w - 1).toFixed(1)}" height="${h}"><title>${fmt(lo)} – ${fmt(hi)}: ${n}</title></rect>`;
  });
  return `<svg class="hist" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${bars.join("")}</svg>`;
}
