// The sidebar: every field of the current view in sections (tags, metadata,
// labels, primitives), each count read "n of N" (in the view, of the dataset).
// Ticking values of a label/tag/string/bool field, picking one from a search box
// (fields with too many values for checkboxes: hashes, ids), or narrowing a
// number's range becomes a view stage (replacing that field's earlier filter),
// sent to the server. A range whose minimum is above its maximum is refused and
// said so beside its inputs, never swapped.

import { api } from "./api.js";
import { esc } from "./grid.js";
import { filterValues, match, matchTags, withFilter } from "./stages.js";

const fmt = (n) => (n == null ? "–" : Number.isInteger(n) ? n.toLocaleString() : Number(n).toPrecision(4));
const of = (n, total) => `${fmt(n)} of ${fmt(total ?? n)}`;
const SECTIONS = [["tags", "Tags"], ["metadata", "Metadata"], ["labels", "Labels"], ["primitives", "Primitives"]];
// a search box shows this many of its field's top values before anything is typed
const SUGGESTIONS = 10;
// typing waits this long for the next key before asking the server
const SEARCH_DELAY_MS = 150;

export class Sidebar {
  constructor(el, onStages, currentStages = null) {
    this.el = el;
    this.onStages = onStages;   // (newStages) => void
    this.stages = [];           // the view this sidebar was drawn for
    // the view now: a newer one may be loading, whose stages a click must keep
    this.now = currentStages || (() => this.stages);
    this.dataset = null;
    this.collapsed = new Set();  // sections the user folded, kept across renders
    this.searches = new Map();   // path -> the latest search typed (older answers drop)
    el.addEventListener("change", (ev) => this.changed(ev));
    el.addEventListener("input", (ev) => this.typed(ev));
    el.addEventListener("click", (ev) => this.clicked(ev));
    el.addEventListener("keydown", (ev) => {
      if (ev.key !== "Enter" || !ev.target.matches(".value-search")) return;
      const first = ev.target.closest(".field").querySelector(".suggest");
      if (first) { ev.preventDefault(); this.pick(first); }
    });
  }

  render(data, stages, dataset = this.dataset) {
    this.stages = stages;
    this.dataset = dataset;
    this.fields = data.fields;
    this.searches.clear();
    const sections = SECTIONS.map(([group, title]) => {
      const fields = data.fields.filter((f) => (f.group || "primitives") === group);
      if (!fields.length) return "";
      const folded = this.collapsed.has(group);
      const body = group === "metadata" && fields.every((f) => !f.total)
        ? `<p class="more">no metadata yet: run <code>dataset.compute_metadata()</code></p>`
        : fields.map((f) => `<div class="field" data-field="${esc(f.name)}" data-path="${esc(f.path)}" data-kind="${f.kind}">${this.fieldHtml(f)}</div>`).join("");
      return `<section class="group" data-group="${group}"><h3 class="group-head">` +
        `<button type="button" class="fold" aria-expanded="${!folded}">${folded ? "▸" : "▾"} ${title}</button>` +
        `<span class="n">${fields.length}</span></h3><div class="group-body"${folded ? " hidden" : ""}>${body}</div></section>`;
    });
    this.el.innerHTML = `<div class="field samples"><h4>samples<span class="n" id="sidebar-count">${of(data.count, data.total)}</span></h4></div>` + sections.join("");
    this.drawBars();
  }

  // widths through the CSSOM: the app's CSP allows no inline style attributes
  drawBars(root = this.el) {
    root.querySelectorAll(".bar[data-w]").forEach((b) => { b.style.width = `${b.dataset.w}px`; });
  }

  fieldHtml(f) {
    const label = f.group === "metadata" ? f.name.replace(/^metadata\./, "") : f.name;
    const head = `<h4>${esc(label)}<span class="n">${of(f.count, f.total)}</span></h4>`;
    const active = filterValues(this.stages, f.path);
    if (f.kind === "number") return head + this.rangeHtml(f, label, active);
    const chosen = Array.isArray(active) ? active : [];
    if (f.search) return head + this.searchHtml(f, label, chosen);
    const values = (f.values || []).map(([v, n], i) => [v, n, (f.totals || [])[i]]);
    for (const v of chosen) if (!values.some(([x]) => x === v)) values.push([v, 0, null]);
    const more = f.distinct > (f.values || []).length ? `<div class="more">+${fmt(f.distinct - f.values.length)} more values</div>` : "";
    return head + `<div class="values">${this.valueRows(values, chosen)}</div>` + more;
  }

  valueRows(values, chosen) {
    const max = Math.max(1, ...values.map(([, n]) => n));
    return values.map(([v, n, total]) => {
      const on = chosen.some((x) => x === v);
      const count = total != null && total !== n ? of(n, total) : fmt(n);
      return `<label class="value"><input type="checkbox" data-value='${esc(JSON.stringify(v))}' ${on ? "checked" : ""}>` +
        `<span class="name" title="${esc(v)}">${esc(v)}</span><span class="bar" data-w="${Math.round(40 * n / max)}"></span><span class="n">${count}</span></label>`;
    }).join("");
  }

  // too many values for checkboxes: the ones filtered on stay ticked above a
  // search box, under which the top values (or those matching the text) are offered
  searchHtml(f, label, chosen) {
    const counts = new Map((f.values || []).map(([v, n]) => [JSON.stringify(v), n]));
    const ticked = chosen.map((v) => [v, counts.get(JSON.stringify(v)) ?? 0, null]);
    const top = (f.values || []).filter(([v]) => !chosen.includes(v)).slice(0, SUGGESTIONS);
    return (ticked.length ? `<div class="values chosen">${this.valueRows(ticked, chosen)}</div>` : "") +
      `<input type="search" class="value-search" placeholder="search ${fmt(f.distinct)} values" aria-label="search ${esc(label)} values" autocomplete="off">` +
      `<div class="suggestions">${suggestionRows(top, f.distinct)}</div>`;
  }

  rangeHtml(f, label, active) {
    const [lo, hi] = f.range || [null, null];   // the dataset's range: filters can widen again
    if (lo == null) return `<div class="more">no values</div>`;
    const cur = active && !Array.isArray(active) ? active : {};
    const a = cur.$gte ?? lo, b = cur.$lte ?? hi;
    // "any": a step that does not divide the range exactly leaves its end unreachable
    const step = f.integer ? 1 : "any";
    return histSvg(f.histogram, a, b) +
      `<div class="range slider"><input type="range" class="lo" min="${lo}" max="${hi}" step="${step}" value="${a}" aria-label="${esc(label)} from">` +
      `<input type="range" class="hi" min="${lo}" max="${hi}" step="${step}" value="${b}" aria-label="${esc(label)} to"></div>` +
      `<div class="range"><input type="number" class="lo-n" step="any" value="${a}" aria-label="${esc(label)} min"> – ` +
      `<input type="number" class="hi-n" step="any" value="${b}" aria-label="${esc(label)} max"></div>` +
      `<div class="range-error" role="alert" hidden></div>`;
  }

  changed(ev) {
    const box = ev.target.closest(".field");
    if (!box || !box.dataset.path || ev.target.matches(".value-search")) return;
    const { path, kind } = box.dataset;
    if (kind === "number") { this.rangeChanged(box, ev.target); return; }
    const values = [...box.querySelectorAll("input[type=checkbox]:checked")].map((i) => JSON.parse(i.dataset.value));
    this.apply(path, kind, values, box);
  }

  apply(path, kind, values, box = null) {
    const stage = !values.length ? null : kind === "tags" ? matchTags(values) : match({ [path]: { $in: values } });
    this.onStages(withFilter(this.now(), path, stage), box);
  }

  rangeChanged(box, target) {
    const f = this.fields.find((x) => x.path === box.dataset.path);
    const [rlo, rhi] = f.range;
    const typed = target.matches(".lo-n, .hi-n");
    const read = (cls, fallback) => {
      const input = box.querySelector(cls);
      if (input.validity.badInput) return NaN;
      const raw = input.value.trim();
      return raw === "" ? fallback : Number(raw);
    };
    const lo = typed ? read(".lo-n", rlo) : Number(box.querySelector(".lo").value);
    const hi = typed ? read(".hi-n", rhi) : Number(box.querySelector(".hi").value);
    let error = "";
    if (!Number.isFinite(lo) || !Number.isFinite(hi)) error = "Type a number";
    else if (lo > hi) error = `Minimum ${fmt(lo)} is above maximum ${fmt(hi)}: not applied`;
    this.rangeError(box, error, typed ? [target] : [...box.querySelectorAll(".lo-n, .hi-n")]);
    if (error) return;
    const stage = lo <= rlo && hi >= rhi ? null : match({ [f.path]: { $gte: lo, $lte: hi } });
    this.onStages(withFilter(this.now(), f.path, stage), box);
  }

  rangeError(box, text, inputs) {
    const el = box.querySelector(".range-error");
    el.textContent = text;
    el.hidden = !text;
    box.querySelectorAll(".lo-n, .hi-n").forEach((i) => i.removeAttribute("aria-invalid"));
    if (text) inputs.forEach((i) => i.setAttribute("aria-invalid", "true"));
  }

  typed(ev) {
    const t = ev.target;
    const box = t.closest(".field");
    if (!box) return;
    if (t.matches(".lo, .hi")) {  // a handle stops at the other one; the boxes follow
      const lo = box.querySelector(".lo"), hi = box.querySelector(".hi");
      t.value = snap(Number(t.value), Number(t.min), Number(t.max));
      if (Number(lo.value) > Number(hi.value)) (t === lo ? lo : hi).value = (t === lo ? hi : lo).value;
      lo.classList.toggle("top", Number(lo.value) >= Number(lo.max));  // still reachable at the end
      box.querySelector(".lo-n").value = lo.value;
      box.querySelector(".hi-n").value = hi.value;
      this.rangeError(box, "", []);
    } else if (t.matches(".value-search")) {
      const path = box.dataset.path, text = t.value;
      this.searches.set(path, text);
      clearTimeout(this.searchTimer);
      this.searchTimer = setTimeout(() => this.search(box, path, text), SEARCH_DELAY_MS);
    }
  }

  async search(box, path, text) {
    const stages = this.now();
    const chosen = filterValues(stages, path);
    const out = box.querySelector(".suggestions");
    try {
      const res = await api.sidebarValues(this.dataset, stages, path, text);
      if (this.searches.get(path) !== text || !out.isConnected) return;  // typed on, or re-rendered
      const values = res.values.filter(([v]) => !(Array.isArray(chosen) && chosen.includes(v)));
      out.innerHTML = suggestionRows(values, res.distinct, text);
    } catch (err) {
      if (out.isConnected) out.innerHTML = `<div class="more error">${esc(err.message)}</div>`;
    }
  }

  clicked(ev) {
    const suggest = ev.target.closest(".suggest");
    if (suggest) { this.pick(suggest); return; }
    const fold = ev.target.closest(".fold");
    if (fold) {
      const section = fold.closest(".group"), group = section.dataset.group;
      const body = section.querySelector(".group-body");
      body.hidden = !body.hidden;
      if (body.hidden) this.collapsed.add(group); else this.collapsed.delete(group);
      fold.setAttribute("aria-expanded", String(!body.hidden));
      fold.textContent = `${body.hidden ? "▸" : "▾"} ${fold.textContent.slice(2)}`;
    }
  }

  // a suggestion picked: its value joins the field's filter
  pick(button) {
    const box = button.closest(".field");
    const { path, kind } = box.dataset;
    const active = filterValues(this.now(), path);
    const values = Array.isArray(active) ? active.slice() : [];
    const v = JSON.parse(button.dataset.value);
    if (!values.includes(v)) values.push(v);
    this.apply(path, kind, values, box);
  }
}

// a dragged handle's value, in steps of 1/SLIDER_STEPS of the range (not 17 digits)
const SLIDER_STEPS = 200;
function snap(v, min, max) {
  if (!(max > min) || v >= max) return Math.min(v, max);
  const q = (max - min) / SLIDER_STEPS;
  return Math.min(max, Number((min + Math.round((v - min) / q) * q).toPrecision(6)));
}

function suggestionRows(values, distinct, text = "") {
  if (!values.length) return `<div class="more">${text ? `no value contains “${esc(text)}”` : "no values"}</div>`;
  const rows = values.map(([v, n]) => `<button type="button" class="suggest" data-value='${esc(JSON.stringify(v))}' title="filter on ${esc(v)}">` +
    `<span class="name">${esc(v)}</span><span class="n">${fmt(n)}</span></button>`);
  const note = distinct > values.length ? `<div class="more">top ${values.length} of ${fmt(distinct)}${text ? " matching" : ""}: type to search</div>` : "";
  return rows.join("") + note;
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
  return `<svg class="hist" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" preserveAspectRatio="none">${bars.join("")}</svg>`;
}
