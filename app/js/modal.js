// The sample view: the image large, its labels and boxes drawn, every field listed.

import { api } from "./api.js";
import { esc } from "./grid.js";

const COLORS = ["#ff6d04", "#3aa0ff", "#3ecf6e", "#e84fd1", "#f4d03f", "#9b59b6", "#1abc9c"];

function colorOf(label) {
  let h = 0;
  for (const c of String(label)) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return COLORS[h % COLORS.length];
}

function boxes(sample) {
  const out = [];
  for (const [field, v] of Object.entries(sample)) {
    if (!v || typeof v !== "object") continue;
    const dets = v._cls === "Detections" ? v.detections || [] : v._cls === "Detection" ? [v] : [];
    for (const d of dets) if (Array.isArray(d.bounding_box)) out.push({ field, ...d });
  }
  return out;
}

function valueHtml(v) {
  if (v && typeof v === "object") {
    if (v._cls === "Classification") return `<b>${esc(v.label)}</b>${v.confidence != null ? ` (${Number(v.confidence).toFixed(3)})` : ""}`;
    if (v._cls === "Detections") return `${(v.detections || []).length} boxes: ${esc((v.detections || []).map((d) => d.label).join(", "))}`;
    if (v._cls === "ndarray") return "<i>array</i>";
    return `<code>${esc(JSON.stringify(v))}</code>`;
  }
  return esc(v);
}

export class Modal {
  constructor(el, handlers) {
    this.el = el;
    this.h = handlers; // {sampleAt(i) -> Promise<sample>, count(), onClose(), onToggle(id), isSelected(id)}
    this.index = null;
    el.querySelector("#modal-close").onclick = () => this.h.onClose();
    el.querySelector("#modal-prev").onclick = () => this.step(-1);
    el.querySelector("#modal-next").onclick = () => this.step(1);
    el.querySelector("#modal-check").onclick = () => this.sample && this.h.onToggle(this.sample.id);
    el.addEventListener("click", (ev) => { if (ev.target === el) this.h.onClose(); });
    document.addEventListener("keydown", (ev) => {
      if (this.el.hidden) return;
      if (ev.key === "Escape") this.h.onClose();
      else if (ev.key === "ArrowLeft") this.step(-1);
      else if (ev.key === "ArrowRight") this.step(1);
      else if (ev.key === "x") this.sample && this.h.onToggle(this.sample.id);
    });
  }

  get open() { return !this.el.hidden; }

  async show(dataset, id, index) {
    this.dataset = dataset;
    this.index = index;
    const sample = await api.sample(dataset, id);
    this.sample = sample;
    this.el.hidden = false;
    const fig = this.el.querySelector("#modal-figure");
    const marks = boxes(sample).map((b) => {
      const [x, y, w, h] = b.bounding_box;
      const c = colorOf(b.label);
      const conf = b.confidence != null ? ` ${Number(b.confidence).toFixed(2)}` : "";
      return `<div class="box" data-box="${[x, y, w, h].map((v) => v * 100).join(",")}" data-c="${esc(c)}"><span>${esc(b.label)}${conf}</span></div>`;
    });
    fig.innerHTML = `<img alt="${esc(sample.filepath)}" src="${api.media(dataset, sample.id)}">${marks.join("")}`;
    // positions through the CSSOM: the app's CSP allows no inline style attributes
    fig.querySelectorAll(".box[data-box]").forEach((el) => {
      const [x, y, w, h] = el.dataset.box.split(",");
      Object.assign(el.style, { left: `${x}%`, top: `${y}%`, width: `${w}%`, height: `${h}%`, borderColor: el.dataset.c });
      el.firstElementChild.style.background = el.dataset.c;
    });
    const img = fig.querySelector("img");
    img.onload = () => this.fit(img);
    const rows = Object.entries(sample).map(([k, v]) => `<tr><td>${esc(k)}</td><td>${valueHtml(v)}</td></tr>`);
    this.el.querySelector("#modal-fields").innerHTML = rows.join("");
    this.syncSelection();
  }

  // scale the image (small ones up too) to fill the media area; boxes follow in %
  fit(img) {
    const area = this.el.querySelector(".modal-media");
    const pad = 20;
    const scale = Math.min((area.clientWidth - pad) / img.naturalWidth, (area.clientHeight - pad) / img.naturalHeight);
    img.style.width = `${Math.floor(img.naturalWidth * scale)}px`;
    img.style.height = `${Math.floor(img.naturalHeight * scale)}px`;
  }

  syncSelection() {
    if (!this.sample) return;
    const on = this.h.isSelected(this.sample.id);
    this.el.querySelector("#modal-check").textContent = on ? "Selected ✓" : "Select";
  }

  async step(d) {
    if (this.index == null) return;
    const i = this.index + d;
    if (i < 0 || i >= this.h.count()) return;
    const s = await this.h.sampleAt(i);
    if (s) this.h.onNavigate(s.id, i);
  }

  hide() {
    this.el.hidden = true;
    this.sample = null;
    this.index = null;
  }
}
