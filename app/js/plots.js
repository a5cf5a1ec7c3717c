// Plots: a histogram of any numeric field, and the map of a visualization run
// (brain.compute_visualization): coloured by any field with a legend, wheel to
// zoom, drag to pan, hover for a preview, click to open a sample, and a lasso or
// a box that narrows the grid to the samples inside (reset goes back).

import { api } from "./api.js";
import { esc } from "./grid.js";
import { EmbeddingMap } from "./map.js";
import { histSvg } from "./sidebar.js";
import { select } from "./stages.js";

// categorical colours (Tableau 10), then "other" and "None"
const CATEGORICAL = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"];
const OTHER = "#6b7280", MISSING = "#3b3f47", PLAIN = "rgba(255,109,4,.8)";
// a continuous scale (viridis' stops), sampled into SCALE_STEPS colours
const VIRIDIS = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
const SCALE_STEPS = 32;
const SCALE = Array.from({ length: SCALE_STEPS }, (_, j) => {
  const t = (j / (SCALE_STEPS - 1)) * (VIRIDIS.length - 1), a = Math.floor(t), f = t - a;
  const b = Math.min(a + 1, VIRIDIS.length - 1);
  return `rgb(${VIRIDIS[a].map((v, c) => Math.round(v + (VIRIDIS[b][c] - v) * f)).join(",")})`;
});
const fmt = (v) => (typeof v === "number" && !Number.isInteger(v) ? v.toPrecision(4) : String(v));
const label = (v) => (v === null || v === undefined ? "None" : typeof v === "boolean" ? (v ? "True" : "False") : String(v));

// a palette index per point and the legend for the values of a field
export function colorBy(n, values, kind, inView) {
  const colorOf = new Uint16Array(n);
  const inv = (i) => !inView || inView[i] === 1;
  if (!values) return { colorOf, palette: [PLAIN], legend: null };
  if (kind === "number") {
    let lo = Infinity, hi = -Infinity;
    for (let i = 0; i < n; i++) if (inv(i) && typeof values[i] === "number") { lo = Math.min(lo, values[i]); hi = Math.max(hi, values[i]); }
    for (let i = 0; i < n; i++) {
      const v = values[i];
      colorOf[i] = typeof v === "number" ? Math.round(((v - lo) / (hi - lo || 1)) * (SCALE_STEPS - 1)) : SCALE_STEPS;
    }
    return { colorOf, palette: [...SCALE, MISSING], legend: { kind, min: lo, max: hi } };
  }
  const counts = new Map();
  for (let i = 0; i < n; i++) if (inv(i)) { const k = label(values[i]); counts.set(k, (counts.get(k) || 0) + 1); }
  const ranked = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const shown = ranked.filter(([k]) => k !== "None").slice(0, CATEGORICAL.length);
  const slot = new Map(shown.map(([k], j) => [k, j]));
  const other = CATEGORICAL.length, none = other + 1;
  for (let i = 0; i < n; i++) { const k = label(values[i]); colorOf[i] = slot.has(k) ? slot.get(k) : k === "None" ? none : other; }
  const items = shown.map(([k, c], j) => ({ value: k, count: c, color: CATEGORICAL[j] }));
  const rest = ranked.filter(([k]) => k !== "None" && !slot.has(k));
  if (rest.length) items.push({ value: `${rest.length} other values`, count: rest.reduce((s, [, c]) => s + c, 0), color: OTHER, other: true });
  if (counts.has("None")) items.push({ value: "None", count: counts.get("None"), color: MISSING });
  return { colorOf, palette: [...CATEGORICAL, OTHER, MISSING], legend: { kind, items } };
}

export class PlotsPanel {
  constructor(el, ctx) {
    this.el = el;
    // {current(), sidebarData(), selected(), visualizations(), setView(stages), onOpen(id)}
    this.ctx = ctx;
    this.data = null;       // the loaded points: {ids, inView, values, kind, key, field, view}
    this.history = [];      // views before each lasso, for "reset"
    this.field = "";        // the colour-by field
    this.names = new Map(); // id -> file name, for the hover preview
  }

  render() {
    const numeric = (this.ctx.sidebarData()?.fields || []).filter((f) => f.kind === "number");
    const runs = this.ctx.visualizations();
    this.el.innerHTML = `<h3>Plots</h3>
      <div class="plot"><div class="controls"><label>Histogram of <select id="hist-field">${numeric.map((f) => `<option>${esc(f.path)}</option>`).join("")}</select></label></div>
      <div id="hist-out">${numeric.length ? "" : '<p class="more">no numeric fields</p>'}</div></div>
      <div class="plot map"><div class="controls"><label>Embeddings <select id="viz-key">${runs.map((k) => `<option>${esc(k)}</option>`).join("")}</select></label>
        <label>Colour by <select id="viz-color" aria-label="colour by"><option value="">(none)</option></select></label></div>
        <div class="controls"><label><input type="radio" name="viz-mode" value="pan" checked> pan</label>
        <label><input type="radio" name="viz-mode" value="lasso"> lasso</label>
        <label><input type="radio" name="viz-mode" value="box"> box</label>
        <button id="viz-fit" title="zoom to fit">fit</button>
        <button id="viz-reset" hidden title="back to the view before the lasso">reset</button></div>
        ${runs.length ? `<div class="map-wrap"><canvas id="viz" aria-label="embeddings map"></canvas>
          <div id="viz-hover" hidden><img alt=""><div class="name"></div><div class="value"></div></div></div>
          <div id="viz-legend" class="legend"></div><div id="viz-info" class="more"></div>` : '<p class="more">no visualization yet: run brain.compute_visualization(dataset)</p>'}</div>`;
    const hf = this.el.querySelector("#hist-field");
    hf.onchange = () => this.drawHist(hf.value);
    if (numeric.length) this.drawHist(hf.value);
    this.map = null;
    this.data = null;
    if (!runs.length) return;
    const $ = (s) => this.el.querySelector(s);
    this.map = new EmbeddingMap($("#viz"), {
      mode: () => this.el.querySelector("input[name=viz-mode]:checked").value,
      onOpen: (i) => this.ctx.onOpen(this.data.ids[i]),
      onLasso: (idx) => this.narrow(idx.map((i) => this.data.ids[i])),
      onHover: (i, x, y) => this.hover(i, x, y),
    });
    $("#viz-key").onchange = () => this.load();
    $("#viz-color").onchange = (ev) => { this.field = ev.target.value; this.load(); };
    $("#viz-fit").onclick = () => this.map.resetZoom();
    $("#viz-reset").onclick = () => this.reset();
    this.load();
  }

  drawHist(path) {
    const f = (this.ctx.sidebarData()?.fields || []).find((x) => x.path === path);
    const out = this.el.querySelector("#hist-out");
    if (!f || !f.histogram) { out.innerHTML = '<p class="more">no values</p>'; return; }
    const e = f.histogram.edges;
    out.innerHTML = histSvg(f.histogram, null, null, 400, 140) +
      `<div class="more">${e[0].toPrecision(4)} … ${e[e.length - 1].toPrecision(4)} · ${f.count} values</div>`;
  }

  // the points of the chosen run for the current view, coloured by the chosen field
  async load() {
    if (!this.map) return;
    const { dataset, view } = this.ctx.current();
    const key = this.el.querySelector("#viz-key").value, field = this.field || null;
    const want = JSON.stringify([dataset, view, key, field]);
    this.want = want;
    const res = await api.mapPoints(dataset, view, key, field);
    if (this.want !== want || !this.map) return;   // a newer load has started
    const inView = res.in_view ? Uint8Array.from(res.in_view) : null;
    this.data = { ids: res.ids, inView, values: res.values || null, kind: res.kind, want };
    this.index = new Map(res.ids.map((id, i) => [id, i]));
    this.renderFields(res.fields);
    this.map.setPoints(Float32Array.from(res.xy), inView);
    const { colorOf, palette, legend } = colorBy(res.ids.length, this.data.values, res.kind, inView);
    this.map.setColors(colorOf, palette);
    this.renderLegend(legend, field);
    this.update();
  }

  renderFields(fields) {
    const sel = this.el.querySelector("#viz-color");
    const paths = Object.keys(fields);
    if (sel.options.length === paths.length + 1) return;
    sel.innerHTML = `<option value="">(none)</option>` + paths.map((p) => `<option value="${esc(p)}" ${p === this.field ? "selected" : ""}>${esc(p)}</option>`).join("");
  }

  renderLegend(legend, field) {
    const el = this.el.querySelector("#viz-legend");
    el.dataset.field = field || "";
    if (!legend) { el.innerHTML = ""; return; }
    if (legend.kind === "number") {
      const ok = Number.isFinite(legend.min);
      el.innerHTML = `<div class="scale-row"><span class="min">${ok ? esc(fmt(legend.min)) : "–"}</span><span class="scale"></span><span class="max">${ok ? esc(fmt(legend.max)) : "–"}</span></div>`;
      el.dataset.min = ok ? legend.min : ""; el.dataset.max = ok ? legend.max : "";
      // the gradient through the CSSOM: the app's CSP allows no inline style attributes
      el.querySelector(".scale").style.background = `linear-gradient(to right, ${SCALE.join(",")})`;
      return;
    }
    el.innerHTML = legend.items.map((it) => `<div class="item" data-value="${esc(it.value)}" data-count="${it.count}"><span class="swatch"></span><span class="v">${esc(it.value)}</span><span class="n">${it.count.toLocaleString()}</span></div>`).join("");
    el.querySelectorAll(".swatch").forEach((s, j) => { s.style.background = legend.items[j].color; });
  }

  // after any state change: a new view reloads the points, a new selection redraws
  update() {
    if (!this.map) return;
    const { dataset, view } = this.ctx.current();
    const key = this.el.querySelector("#viz-key").value;
    if (!this.data || this.data.want !== JSON.stringify([dataset, view, key, this.field || null])) {
      if (this.want !== JSON.stringify([dataset, view, key, this.field || null])) this.load().catch((err) => this.info(err.message));
      return;
    }
    const sel = this.ctx.selected().map((id) => this.index.get(id)).filter((i) => i !== undefined);
    this.map.setSelected(sel);
    const shown = this.data.inView ? this.data.inView.reduce((s, v) => s + v, 0) : this.data.ids.length;
    this.info(`${this.data.ids.length.toLocaleString()} points · ${shown.toLocaleString()} in view · ${sel.length} selected`);
    this.el.querySelector("#viz-reset").hidden = !this.history.length;
  }

  info(text) { const el = this.el.querySelector("#viz-info"); if (el) el.textContent = text; }

  narrow(ids) {
    if (!ids.length) return;
    const { view } = this.ctx.current();
    this.history.push(view);
    this.ctx.setView([...view, select(ids)]);
  }

  reset() {
    if (this.history.length) this.ctx.setView(this.history.pop());
  }

  hover(i, x, y) {
    const box = this.el.querySelector("#viz-hover");
    if (!box) return;
    if (i == null) { box.hidden = true; return; }
    const id = this.data.ids[i], { dataset } = this.ctx.current();
    const img = box.querySelector("img");
    if (box.dataset.id !== id) {
      box.dataset.id = id;
      img.src = api.thumb(dataset, id);
      const name = box.querySelector(".name");
      name.textContent = this.names.get(id) || "";
      if (!this.names.has(id)) {
        api.sample(dataset, id).then((s) => {
          this.names.set(id, s.filepath.split(/[\\/]/).pop());
          if (box.dataset.id === id) name.textContent = this.names.get(id);
        }).catch(() => {});
      }
      const v = this.data.values ? this.data.values[i] : undefined;
      box.querySelector(".value").textContent = v === undefined ? "" : `${this.field}: ${label(typeof v === "number" ? fmt(v) : v)}`;
    }
    box.hidden = false;
    // beside the cursor, flipped left near the right edge
    const wrap = box.parentElement.clientWidth;
    box.style.left = `${x + 12 + 140 > wrap ? x - 12 - 140 : x + 12}px`;
    box.style.top = `${y + 12}px`;
  }
}
