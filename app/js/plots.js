// Plots: a histogram of any numeric field, and the scatter plot of a
// visualization run (brain.compute_visualization) where a lasso or a box
// drawn with the mouse selects the samples inside it.

import { api } from "./api.js";
import { esc } from "./grid.js";
import { histSvg } from "./sidebar.js";

const R = 2.5;           // point radius, px
const PAD = 8;           // px around the points

function inside(poly, x, y) {   // ray casting
  let hit = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i], [xj, yj] = poly[j];
    if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) hit = !hit;
  }
  return hit;
}

export class PlotsPanel {
  constructor(el, ctx) {
    this.el = el;
    this.ctx = ctx; // {current(), sidebarData(), selected(), onSelect(ids), visualizations()}
    this.points = null;
  }

  render() {
    const numeric = (this.ctx.sidebarData()?.fields || []).filter((f) => f.kind === "number");
    const runs = this.ctx.visualizations();
    this.el.innerHTML = `<h3>Plots</h3>
      <div class="plot"><div class="controls"><label>Histogram of <select id="hist-field">${numeric.map((f) => `<option>${esc(f.path)}</option>`).join("")}</select></label></div>
      <div id="hist-out">${numeric.length ? "" : '<p class="more">no numeric fields</p>'}</div></div>
      <div class="plot"><div class="controls"><label>Embeddings <select id="viz-key">${runs.map((k) => `<option>${esc(k)}</option>`).join("")}</select></label>
        <label><input type="radio" name="viz-mode" value="lasso" checked> lasso</label>
        <label><input type="radio" name="viz-mode" value="box"> box</label></div>
        ${runs.length ? '<canvas id="viz" width="400" height="400" aria-label="embeddings scatter plot"></canvas><div id="viz-info" class="more"></div>' : '<p class="more">no visualization yet: run brain.compute_visualization(dataset)</p>'}</div>`;
    const hf = this.el.querySelector("#hist-field");
    hf.onchange = () => this.drawHist(hf.value);
    if (numeric.length) this.drawHist(hf.value);
    if (runs.length) {
      const vk = this.el.querySelector("#viz-key");
      vk.onchange = () => this.loadPoints(vk.value);
      this.loadPoints(vk.value);
      this.bindCanvas(this.el.querySelector("#viz"));
    }
  }

  drawHist(path) {
    const f = (this.ctx.sidebarData()?.fields || []).find((x) => x.path === path);
    const out = this.el.querySelector("#hist-out");
    if (!f || !f.histogram) { out.innerHTML = '<p class="more">no values</p>'; return; }
    const e = f.histogram.edges;
    out.innerHTML = histSvg(f.histogram, null, null, 400, 140) +
      `<div class="more">${e[0].toPrecision(4)} … ${e[e.length - 1].toPrecision(4)} · ${f.count} values</div>`;
  }

  async loadPoints(key) {
    const { dataset } = this.ctx.current();
    const res = await api.points(dataset, key);
    const xs = res.points.map((p) => p[0]), ys = res.points.map((p) => p[1]);
    this.points = { ids: res.ids, xy: res.points, x0: Math.min(...xs), x1: Math.max(...xs), y0: Math.min(...ys), y1: Math.max(...ys) };
    this.draw();
  }

  toCanvas(x, y, c) {
    const P = this.points;
    const sx = (c.width - 2 * PAD) / (P.x1 - P.x0 || 1), sy = (c.height - 2 * PAD) / (P.y1 - P.y0 || 1);
    return [PAD + (x - P.x0) * sx, c.height - PAD - (y - P.y0) * sy];
  }

  draw(path) {
    const c = this.el.querySelector("#viz");
    if (!c || !this.points) return;
    const g = c.getContext("2d");
    g.clearRect(0, 0, c.width, c.height);
    const sel = new Set(this.ctx.selected());
    const P = this.points;
    for (let i = 0; i < P.ids.length; i++) {
      const [x, y] = this.toCanvas(P.xy[i][0], P.xy[i][1], c);
      g.fillStyle = sel.has(P.ids[i]) ? "#3aa0ff" : "rgba(255,109,4,.7)";
      g.beginPath(); g.arc(x, y, R, 0, 2 * Math.PI); g.fill();
    }
    if (path && path.length > 1) {
      g.strokeStyle = "#fff"; g.beginPath();
      g.moveTo(...path[0]); for (const p of path) g.lineTo(...p); g.closePath(); g.stroke();
    }
    this.el.querySelector("#viz-info").textContent = `${P.ids.length} points · ${sel.size} selected`;
  }

  bindCanvas(c) {
    let path = null;
    const pos = (ev) => {
      const r = c.getBoundingClientRect();
      return [(ev.clientX - r.left) * (c.width / r.width), (ev.clientY - r.top) * (c.height / r.height)];
    };
    const mode = () => this.el.querySelector("input[name=viz-mode]:checked").value;
    c.onmousedown = (ev) => { path = [pos(ev)]; };
    c.onmousemove = (ev) => {
      if (!path) return;
      const p = pos(ev);
      if (mode() === "box") { const [a] = path; path = [a, [p[0], a[1]], p, [a[0], p[1]]]; } else path.push(p);
      this.draw(path);
    };
    c.onmouseup = () => {
      if (!path || !this.points) { path = null; return; }
      const poly = path;
      path = null;
      const P = this.points;
      const ids = [];
      if (poly.length > 2) {
        for (let i = 0; i < P.ids.length; i++) {
          const [x, y] = this.toCanvas(P.xy[i][0], P.xy[i][1], c);
          if (inside(poly, x, y)) ids.push(P.ids[i]);
        }
      }
      this.ctx.onSelect(ids);
    };
  }
}
