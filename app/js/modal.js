// The sample view: the image large with its labels drawn (zoom and pan), its
// fields by type, and its place in the view ("7 of 1,421").
//
// Navigation never drops a key press: each ← / → moves a target index at
// once; one loop resolves the target to an id (the grid's pages, else a page of
// ids) and loads it, skipping targets passed meanwhile, so 30 quick presses land
// exactly 30 samples on. Only the sample shown is written to the session state;
// the echoes of earlier steps coming back from the server are recognised and
// ignored, while a sample opened from elsewhere (Python, another tab) is shown.

import { api } from "./api.js";
import { badgesHtml, measureTags, overlaySvg, scaleTags } from "./modal_draw.js";
import { fieldsHtml } from "./modal_fields.js";
import { patchesField, select } from "./stages.js";
import { ZoomPan } from "./zoom.js";

const ID_PAGE = 500;       // ids per request when the grid has not loaded that far
const ZOOM_STEP = 1.25;    // per + / - key or button

export class Modal {
  constructor(el, handlers) {
    this.el = el;
    // {count(), idAt(i) -> id if the grid has it, view() -> {dataset, view, refresh},
    //  onNavigate(id, i), onClose(), onToggle(id), isSelected(id), onError(err)}
    this.h = handlers;
    this.sample = null;      // the sample shown
    this.index = null;       // its position in the view (null: not known / not in it)
    this.target = null;      // the position wanted: where the key presses have got to
    this.wanted = null;      // the id wanted (shown, or loading)
    this.sent = new Set();   // ids this view wrote to the state whose echo may still come
    this.lastSent = null;
    this.loads = 0;          // the latest sample request; older answers are dropped
    this.hiddenFields = new Set();  // label fields whose drawings are off (kept across samples)
    this.idPages = new Map();
    this.idKey = null;
    const $ = (sel) => el.querySelector(sel);
    this.fig = $("#modal-figure");
    this.zoom = new ZoomPan($(".modal-media"), this.fig, (k, px) => this.zoomed(k, px));
    $("#modal-close").onclick = () => this.h.onClose();
    $("#modal-prev").onclick = () => this.move(-1);
    $("#modal-next").onclick = () => this.move(1);
    $("#modal-check").onclick = () => this.sample && this.h.onToggle(this.sample.id);
    $("#modal-zoom-in").onclick = () => this.zoom.zoomCenter(ZOOM_STEP);
    $("#modal-zoom-out").onclick = () => this.zoom.zoomCenter(1 / ZOOM_STEP);
    $("#modal-zoom-reset").onclick = () => this.zoom.reset();
    $("#modal-fields").addEventListener("change", (ev) => {
      const field = ev.target.dataset.toggle;
      if (field === undefined) return;
      if (ev.target.checked) this.hiddenFields.delete(field); else this.hiddenFields.add(field);
      this.applyToggles();
    });
    el.addEventListener("click", (ev) => { if (ev.target === el) this.h.onClose(); });
    document.addEventListener("keydown", (ev) => {
      if (this.el.hidden || ev.ctrlKey || ev.metaKey || ev.altKey) return;
      const keys = {
        Escape: () => this.h.onClose(),
        ArrowLeft: () => this.move(-1),
        ArrowRight: () => this.move(1),
        x: () => this.sample && this.h.onToggle(this.sample.id),
        "+": () => this.zoom.zoomCenter(ZOOM_STEP),
        "=": () => this.zoom.zoomCenter(ZOOM_STEP),
        "-": () => this.zoom.zoomCenter(1 / ZOOM_STEP),
        0: () => this.zoom.reset(),
      };
      if (!keys[ev.key]) return;
      ev.preventDefault();
      keys[ev.key]();
    });
  }

  get open() { return !this.el.hidden; }

  // the state's open sample is `id` (null: none); `hint`: its index, if the grid opened it
  sync(dataset, id, hint) {
    if (!id) { if (this.open) this.hide(); return; }
    const viewKey = JSON.stringify(this.h.view());
    if (this.open && dataset === this.dataset && viewKey === this.posKey) {
      if (id === this.wanted) { if (id === this.lastSent) this.sent.clear(); return; }
      if (this.sent.has(id)) return;  // an earlier step of ours, echoed back
    }
    this.dataset = dataset;
    this.sent.clear();
    this.show(id, hint, viewKey);
  }

  async show(id, hint, viewKey) {
    this.el.hidden = false;
    this.posKey = viewKey;
    this.target = null;
    this.renderPos();
    const sameSample = this.wanted === id && this.sample && this.sample.id === id;
    this.wanted = id;
    try {
      const [index, sample] = await Promise.all([
        this.locate(id, hint),
        sameSample ? this.sample : this.fetchSample(id),
      ]);
      if (this.wanted !== id || !sample) return;
      this.target = index;
      if (sameSample) { this.index = index; this.renderPos(); } else this.render(sample, index);
    } catch (err) { this.h.onError(err); }
  }

  // the position of sample `id` in the view: `hint` if that is where it is, else asked
  async locate(id, hint) {
    if (hint != null && hint < this.h.count() && (await this.idAt(hint)) === id) return hint;
    const { dataset, view } = this.h.view();
    return (await api.position(dataset, view, id)).index;
  }

  async idAt(i) {
    const known = this.h.idAt(i);
    if (known) return known;
    const ref = this.h.view();
    const key = JSON.stringify(ref);
    if (key !== this.idKey) { this.idKey = key; this.idPages.clear(); }
    const p = Math.floor(i / ID_PAGE);
    let page = this.idPages.get(p);
    if (!page) {
      page = api.ids(ref.dataset, ref.view, p * ID_PAGE, ID_PAGE).then((r) => r.ids);
      this.idPages.set(p, page);
      page.catch(() => { if (this.idPages.get(p) === page) this.idPages.delete(p); });
    }
    return (await page)[i % ID_PAGE];
  }

  async fetchSample(id) {
    const token = ++this.loads;
    // a patch is no sample of the dataset: it is read through its view (the image and
    // its one object, drawn on it)
    const { view } = this.h.view();
    let sample;
    if (patchesField(view)) {
      sample = (await api.page(this.dataset, [...view, select([id])], 0, 1)).samples[0];
      if (!sample) throw new Error(`No patch ${id} in this view`);
    } else sample = await api.sample(this.dataset, id);
    return token === this.loads ? sample : null;
  }

  move(d) {
    if (this.target == null) return;
    const t = Math.min(this.h.count() - 1, Math.max(0, this.target + d));
    if (t === this.target) return;
    this.target = t;
    this.renderPos();
    this.pump();
  }

  // load the target until the sample shown is the one wanted; one loop at a time
  async pump() {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.open && this.target != null && this.target !== this.index) {
        const t = this.target;
        const id = await this.idAt(t);
        if (t !== this.target) continue;
        if (id == null) break;  // the view shrank under us
        this.wanted = id;
        const sample = await this.fetchSample(id);
        if (t !== this.target || !sample) continue;
        this.render(sample, t);
        this.sent.add(id);
        this.lastSent = id;
        this.h.onNavigate(id, t);
      }
    } catch (err) {
      this.h.onError(err);
    } finally {
      this.pumping = false;
    }
  }

  render(sample, index) {
    this.sample = sample;
    this.index = index;
    this.wanted = sample.id;
    this.el.dataset.id = sample.id;
    const fig = this.fig;
    const mediaId = patchesField(this.h.view().view) && sample.sample_id ? sample.sample_id : sample.id;
    fig.innerHTML = `<img alt="" draggable="false" src="${api.media(this.dataset, mediaId)}">`;
    const img = fig.firstElementChild;
    const m = sample.metadata;
    let drawn = null;
    const draw = (w, h) => {
      if (this.sample !== sample || (drawn && drawn[0] === w && drawn[1] === h)) return;
      drawn = [w, h];
      fig.querySelector("svg")?.remove();
      fig.insertAdjacentHTML("beforeend", overlaySvg(sample, w, h));
      measureTags(fig.querySelector("svg"));
      this.zoom.fit(w, h);
      this.applyToggles();
    };
    if (m && m.width > 0 && m.height > 0) draw(m.width, m.height);
    img.onload = () => draw(img.naturalWidth, img.naturalHeight);
    img.onerror = () => {
      if (this.sample !== sample) return;
      fig.classList.add("broken");
      fig.textContent = `The image could not be loaded: ${sample.filepath}`;
      this.zoom.fit(4, 1);
    };
    fig.classList.remove("broken");
    const badges = this.el.querySelector("#modal-badges");
    badges.innerHTML = badgesHtml(sample);
    this.el.querySelector("#modal-fields").innerHTML = fieldsHtml(sample, this.hiddenFields);
    // colours through the CSSOM: the app's CSP allows no inline style attributes
    for (const e of this.el.querySelectorAll("[data-c]")) e.style.setProperty("--c", e.dataset.c);
    this.applyToggles();
    this.renderPos();
    this.syncSelection();
  }

  applyToggles() {
    for (const e of this.el.querySelectorAll("#modal-figure g[data-field], #modal-badges [data-field]")) {
      e.classList.toggle("off", this.hiddenFields.has(e.dataset.field));
    }
  }

  zoomed(k, px) {
    const svg = this.fig.querySelector("svg");
    if (svg) scaleTags(svg, 1 / px);
    this.el.querySelector("#modal-zoom").textContent = `${Math.round(k * 100)}%`;
  }

  renderPos() {
    const n = this.h.count();
    const pos = this.el.querySelector("#modal-pos");
    const i = this.target ?? this.index;
    pos.textContent = i != null ? `${(i + 1).toLocaleString()} of ${n.toLocaleString()}` : this.sample ? `not in view (${n.toLocaleString()})` : "";
  }

  syncSelection() {
    if (!this.sample) return;
    const on = this.h.isSelected(this.sample.id);
    this.el.querySelector("#modal-check").textContent = on ? "Selected ✓" : "Select";
  }

  hide() {
    this.el.hidden = true;
    this.loads += 1;
    this.sample = this.index = this.target = this.wanted = this.lastSent = null;
    this.sent.clear();
    delete this.el.dataset.id;
  }
}
