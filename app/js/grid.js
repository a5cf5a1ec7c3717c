// A virtualised, justified grid of thumbnails: rows fitted to each image's aspect
// ratio (see layout.js), only the tiles in (or near) the viewport in the DOM, and
// samples fetched a page at a time as they scroll into view, so 1,000,000 samples
// scroll as smoothly as 100.
//
// The view is cut into blocks of at most PAGE samples, one page chunk each (and, with
// `groups`, never across a group: each group starts on a new row under a header). A
// row never spans two blocks, so a block is laid out as soon as its page arrives,
// without the aspect ratios of anything before it; blocks not loaded yet are drawn and
// measured with the average aspect so far. When a page replaces an estimate, the block
// at the top of the viewport keeps its place on screen (the scroll position is
// anchored to it). Past MAX_PX of height the scrollbar maps proportionally onto the
// whole view (browsers cap an element's height), while the wheel still scrolls by pixels.

import { api } from "./api.js";
import { Estimates, justify } from "./layout.js";
import { colorOf } from "./modal_draw.js";

export const PAGE = 100;  // samples per request, and per layout block
const GAP = 6;            // px between tiles
const HEADER = 26;        // px of a group header
const MAX_PX = 8_000_000; // most px the scroll area is made high (browsers cap ~17-33M)

export class Grid {
  constructor(el, spacer, handlers) {
    this.el = el;
    this.spacer = spacer;
    this.h = handlers;        // {onOpen(index, sample), onToggle(id, index, shift), onError(err)}
    this.size = 120;          // the target row height, px
    this.source = null;
    this.pages = new Map();   // page index -> array of samples (or a pending Promise)
    this.tiles = new Map();   // item index -> element
    this.headers = new Map(); // group index -> element
    this.selected = new Set();
    this.generation = 0;
    this.queued = false;
    this.blocks = [];         // [{start, count, group, header, last, exact}]
    this.tops = new Float64Array(1);
    this.total = 0;           // the whole layout's height, px (virtual)
    this.v = 0;               // the viewport's top in layout px
    this.scale = 1;           // layout px per scroll px (1 below MAX_PX)
    this.expected = null;     // a scrollTop this grid set itself
    this.width = 0;
    this.aspectSum = 0;
    this.aspectN = 0;
    this.estimates = new Estimates();
    this.dirty = true;        // heights to compute again before the next render
    this.viewH = 0;
    el.addEventListener("scroll", () => this.onScroll());
    el.addEventListener("wheel", (ev) => this.onWheel(ev), { passive: false });
    new ResizeObserver(() => this.schedule()).observe(el);
    el.addEventListener("click", (ev) => this.click(ev));
  }

  // show `source` ({dataset, view, count, groups}); `page0`: its first page, if fetched already
  setSource(source, page0) {
    this.source = source;
    this.generation += 1;
    this.pages.clear();
    this.aspectSum = this.aspectN = 0;
    this.clearDom();
    this.buildBlocks();
    if (page0) this.addPage(0, page0);
    this.v = 0;
    this.setScroll(0);
    this.relayout();
    this.schedule();
  }

  reload(count, page0) {  // same view, new data (refresh, tags): keep the scroll position
    if (!this.source) return;
    const anchor = this.anchor();
    this.source = { ...this.source, count };
    this.generation += 1;
    this.pages.clear();
    this.buildBlocks();
    if (page0) this.addPage(0, page0);
    this.relayout();
    this.restore(anchor);
    for (const t of this.tiles.values()) t.remove();
    this.tiles.clear();
    this.schedule();
  }

  // the view's count, known after its first page came (same view: its pages stay,
  // its tiles move to their places in the longer layout)
  setCount(count) {
    if (!this.source || this.source.count === count) return;
    this.source = { ...this.source, count };
    this.buildBlocks();
    this.dirty = true;
    this.schedule();
  }

  setTileSize(px) { this.size = px; this.dirty = true; this.schedule(); }

  setSelected(ids) {
    this.selected = new Set(ids);
    for (const t of this.tiles.values()) t.classList.toggle("selected", this.selected.has(t.dataset.id));
  }

  sampleAt(index) {
    const page = this.pages.get(Math.floor(index / PAGE));
    return Array.isArray(page) ? page[index % PAGE] : undefined;
  }

  // ids of items lo..hi (inclusive) if their pages are loaded, else null
  idsBetween(lo, hi) {
    const out = [];
    for (let i = lo; i <= hi; i++) {
      const s = this.sampleAt(i);
      if (!s) return null;
      out.push(s.id);
    }
    return out;
  }

  // -- blocks and their heights -------------------------------------------------------

  buildBlocks() {
    const blocks = [];
    const count = this.source ? this.source.count : 0;
    const groups = this.source && this.source.groups;
    const cut = (start, n, group, groupEnd) => {  // split at page boundaries
      let first = true;
      while (n > 0) {
        const take = Math.min(n, PAGE - (start % PAGE));
        blocks.push({ start, count: take, group, header: first && group >= 0, last: groupEnd && take === n, exact: null });
        start += take; n -= take; first = false;
      }
    };
    if (groups) {
      let start = 0;
      groups.forEach((g, i) => { cut(start, g.count, i, true); start += g.count; });
    } else cut(0, count, -1, true);
    this.blocks = blocks;
    this.blockOfPage = new Map();  // page -> first block index in it
    blocks.forEach((b, i) => {
      const p = Math.floor(b.start / PAGE);
      if (!this.blockOfPage.has(p)) this.blockOfPage.set(p, i);
    });
  }

  avgAspect() {  // rounded, so estimates change only when the mix of shapes does
    return this.aspectN ? Math.round((this.aspectSum / this.aspectN) * 50) / 50 : 1;
  }

  innerWidth() { return Math.max(50, this.el.clientWidth - 2 * GAP); }

  // the rows of block `b`: exact once its samples are loaded, else an estimate
  rowsOf(b) {
    const B = this.blocks[b];
    if (B.exact && B.exact.width === this.width && B.exact.size === this.size) return B.exact.layout;
    const page = this.pages.get(Math.floor(B.start / PAGE));
    if (Array.isArray(page)) {
      const aspects = [];
      for (let i = B.start; i < B.start + B.count; i++) aspects.push(aspectOf(page[i % PAGE]));
      const layout = justify(aspects, this.width, this.size, GAP, !B.last);
      B.exact = { width: this.width, size: this.size, layout };
      return layout;
    }
    B.exact = null;
    return this.estimates.get(B.count, this.avgAspect(), this.width, this.size, GAP, !B.last);
  }

  blockHeight(b) { return (this.blocks[b].header ? HEADER : 0) + this.rowsOf(b).height; }

  // every block's top from its height; the scroll area's height from the total
  relayout() {
    this.dirty = false;
    this.width = this.innerWidth();
    this.viewH = this.el.clientHeight;
    const n = this.blocks.length;
    const tops = new Float64Array(n + 1);
    tops[0] = GAP;
    const guesses = new Map();  // blocks not loaded: one estimate per (size, last)
    for (let b = 0; b < n; b++) {
      const B = this.blocks[b];
      let h;
      if (Array.isArray(this.pages.get(Math.floor(B.start / PAGE)))) h = this.blockHeight(b);
      else {
        const key = (B.last ? -B.count : B.count) * 2 + (B.header ? 1 : 0);
        h = guesses.get(key);
        if (h === undefined) { h = this.blockHeight(b); guesses.set(key, h); }
      }
      tops[b + 1] = tops[b] + h;
    }
    this.tops = tops;
    this.total = tops[n];
    const view = this.el.clientHeight;
    const shown = Math.min(this.total, MAX_PX);
    this.scale = this.total > MAX_PX ? (this.total - view) / Math.max(1, shown - view) : 1;
    this.spacer.style.height = `${shown}px`;
  }

  blockAt(y) {  // the block whose span holds layout px y (binary search)
    let lo = 0, hi = this.blocks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.tops[mid] <= y) lo = mid; else hi = mid - 1;
    }
    return lo;
  }

  // where the viewport's top is, as a block and a fraction of it (survives relayouts)
  anchor() {
    if (!this.blocks.length) return null;
    const b = this.blockAt(this.v);
    const h = this.tops[b + 1] - this.tops[b];
    return { b, f: h > 0 ? (this.v - this.tops[b]) / h : 0, atTop: this.v <= 0 };
  }

  restore(anchor) {
    if (!anchor || anchor.b >= this.blocks.length || anchor.atTop) { this.clampV(); this.setScroll(this.v / this.scale); return; }
    const { b, f } = anchor;
    this.v = this.tops[b] + f * (this.tops[b + 1] - this.tops[b]);
    this.clampV();
    this.setScroll(this.v / this.scale);
  }

  clampV() { this.v = Math.max(0, Math.min(this.v, this.total - this.el.clientHeight)); }

  // -- scrolling ---------------------------------------------------------------------

  setScroll(top) {
    const t = Math.round(top);
    if (this.el.scrollTop === t) return;
    this.expected = t;
    this.el.scrollTop = t;
  }

  onScroll() {
    const s = this.el.scrollTop;
    if (this.expected !== null && Math.abs(s - this.expected) < 1) { this.expected = null; return; }
    this.expected = null;
    this.v = s * this.scale;  // the user's own scroll (scrollbar, keys): proportional
    this.schedule();
  }

  onWheel(ev) {  // past MAX_PX the wheel moves by pixels, not by pixels times the scale
    if (this.scale === 1 || ev.ctrlKey) return;
    ev.preventDefault();
    const unit = ev.deltaMode === 1 ? 16 : ev.deltaMode === 2 ? this.el.clientHeight : 1;
    this.v += ev.deltaY * unit;
    this.clampV();
    this.setScroll(this.v / this.scale);
    this.schedule();
  }

  // -- rendering ----------------------------------------------------------------------

  schedule() {
    if (this.queued) return;
    this.queued = true;
    requestAnimationFrame(() => { this.queued = false; this.render(); });
  }

  clearDom() {
    for (const t of this.tiles.values()) t.remove();
    for (const h of this.headers.values()) h.remove();
    this.tiles.clear();
    this.headers.clear();
  }

  rerender() { this.clearDom(); this.schedule(); }

  render() {
    if (!this.source) { this.clearDom(); this.spacer.style.height = "0px"; return; }
    const view = this.el.clientHeight;
    if (this.dirty || this.innerWidth() !== this.width || view !== this.viewH) {
      // new pages, a new width or tile size change heights: lay out again, the block at
      // the viewport's top kept in place
      const anchor = this.anchor();
      this.relayout();
      this.restore(anchor);
    }
    const over = view / 4;  // px drawn beyond the viewport, each side
    const top = this.v - over, bottom = this.v + view + over;
    const offset = this.el.scrollTop - this.v;  // layout px -> spacer px
    const keep = new Set(), keepG = new Set();
    for (let b = this.blockAt(Math.max(0, top)); b < this.blocks.length && this.tops[b] < bottom; b++) {
      const B = this.blocks[b];
      const sampleAtStart = this.sampleAt(B.start);
      if (!sampleAtStart) this.fetchPage(Math.floor(B.start / PAGE));
      let y0 = this.tops[b];
      if (B.header) { keepG.add(B.group); this.placeHeader(B.group, y0 + offset); y0 += HEADER; }
      for (const row of this.rowsOf(b).rows) {
        const y = y0 + row.y;
        if (y + row.h < top) continue;
        if (y > bottom) break;
        for (let k = 0; k < row.xs.length; k++) {
          const index = B.start + row.start + k;
          keep.add(index);
          this.placeTile(index, GAP + row.xs[k], y + offset, row.ws[k], row.h);
        }
      }
    }
    for (const [index, t] of this.tiles) {
      if (!keep.has(index)) { t.remove(); this.tiles.delete(index); }
    }
    for (const [g, h] of this.headers) {
      if (!keepG.has(g)) { h.remove(); this.headers.delete(g); }
    }
  }

  placeTile(index, x, y, w, h) {
    let t = this.tiles.get(index);
    if (!t) {
      t = document.createElement("div");
      t.className = "tile";
      t.dataset.index = index;
      this.spacer.appendChild(t);
      this.tiles.set(index, t);
    }
    t.style.cssText = `left:${x}px;top:${Math.round(y)}px;width:${w}px;height:${h}px`;
    const sample = this.sampleAt(index);
    if (sample && t.dataset.id !== sample.id) this.fill(t, sample);
  }

  placeHeader(g, y) {
    let h = this.headers.get(g);
    if (!h) {
      const G = this.source.groups[g];
      h = document.createElement("div");
      h.className = "group-header";
      h.textContent = `group ${g + 1} of ${this.source.groups.length} · ${G.count} samples · ${G.value}`;
      h.title = h.textContent;
      this.spacer.appendChild(h);
      this.headers.set(g, h);
    }
    h.style.top = `${Math.round(y)}px`;
  }

  fill(t, sample) {
    t.dataset.id = sample.id;
    t.classList.toggle("selected", this.selected.has(sample.id));
    t.classList.toggle("fitted", sample.aspect != null);
    const badges = [];
    for (const tag of sample.tags || []) badges.push(`<span class="badge tag">${esc(tag)}</span>`);
    // a patch's object is the tile (its crop): its label is a badge, not a box
    const patch = this.source.patches ? sample[this.source.patches] : null;
    for (const [key, v] of Object.entries(sample)) {
      if (v && typeof v === "object" && (v._cls === "Classification" || v === patch) && v.label != null) {
        badges.push(`<span class="badge" title="${esc(key)}">${esc(v.label)}</span>`);
      }
    }
    const src = patch && sample.sample_id
      ? api.crop(this.source.dataset, sample.sample_id, sample.id)
      : api.thumb(this.source.dataset, sample.id);
    // no loading="lazy": tiles exist only near the viewport, and lazy loading only
    // put off each fetch until the next layout (tens of ms after a scrollbar jump)
    t.innerHTML = `<img decoding="async" alt="" src="${src}">` +
      `<span class="check" role="checkbox" aria-checked="${this.selected.has(sample.id)}">✓</span>` +
      `<div class="badges">${badges.join("")}</div>`;
    if (!patch) drawBoxes(t, sample);
  }

  addPage(p, samples) {
    this.pages.set(p, samples);
    this.dirty = true;
    for (const s of samples) {
      if (s.aspect != null) { this.aspectSum += s.aspect; this.aspectN += 1; }
    }
  }

  fetchPage(p) {
    if (this.pages.has(p) || !this.source || !this.source.count) return;
    const gen = this.generation;
    const { dataset, view } = this.source;
    const pending = api.page(dataset, view, p * PAGE, PAGE).then((res) => {
      if (gen !== this.generation) return;
      this.addPage(p, res.samples);
      for (const [index, t] of this.tiles) {
        if (Math.floor(index / PAGE) === p) delete t.dataset.id;
      }
      this.schedule();
    }).catch((err) => {
      if (gen === this.generation) this.pages.delete(p);
      this.h.onError && this.h.onError(err);
    });
    this.pages.set(p, pending);
  }

  click(ev) {
    const t = ev.target.closest(".tile");
    if (!t || !t.dataset.id) return;
    const index = Number(t.dataset.index);
    if (ev.target.closest(".check") || ev.shiftKey || ev.ctrlKey || ev.metaKey) {
      this.h.onToggle(t.dataset.id, index, ev.shiftKey);
    } else {
      this.h.onOpen(index, this.sampleAt(index));
    }
  }
}

// The boxes of a sample's Detections fields over its tile: one .boxes layer per field
// (data-field, so the toolbar's option and per-field rules can hide it), each box a
// div placed in percent of the image, its label written in it. Built through the DOM
// and CSSOM: the page's CSP refuses style attributes in markup.
function drawBoxes(t, sample) {
  const img = t.querySelector("img");
  for (const [key, v] of Object.entries(sample)) {
    if (!v || typeof v !== "object" || v._cls !== "Detections" || !Array.isArray(v.detections)) continue;
    const layer = document.createElement("div");
    layer.className = "boxes";
    layer.dataset.field = key;
    for (const d of v.detections) {
      const b = d && d.bounding_box;
      if (!Array.isArray(b) || b.length !== 4 || !b.every(Number.isFinite)) continue;
      const box = document.createElement("div");
      box.className = "box";
      const st = box.style;
      st.left = `${b[0] * 100}%`; st.top = `${b[1] * 100}%`;
      st.width = `${b[2] * 100}%`; st.height = `${b[3] * 100}%`;
      st.borderColor = colorOf(d.label ?? key);
      if (d.label != null) {
        const name = document.createElement("span");
        name.className = "box-label";
        name.textContent = String(d.label);
        name.style.backgroundColor = st.borderColor;
        box.appendChild(name);
      }
      layer.appendChild(box);
    }
    if (!layer.childElementCount) continue;
    t.insertBefore(layer, img.nextSibling);
    // a tile without the image's shape letterboxes it (object-fit: contain): the
    // layer then covers the image's own rectangle, known once the thumbnail is in
    if (!t.classList.contains("fitted")) {
      const fit = () => fitLayer(layer, img);
      if (img.complete && img.naturalWidth) fit(); else img.addEventListener("load", fit, { once: true });
    }
  }
}

function fitLayer(layer, img) {
  const a = img.naturalWidth / img.naturalHeight;
  const W = img.clientWidth, H = img.clientHeight;
  if (!(a > 0) || !W || !H) return;
  const w = Math.min(W, H * a), h = Math.min(H, W / a);
  const st = layer.style;
  st.left = `${((W - w) / 2 / W) * 100}%`; st.right = st.left;
  st.top = `${((H - h) / 2 / H) * 100}%`; st.bottom = st.top;
}

// a sample's width / height (from its metadata, sent by the server), 1 where unknown;
// kept within 1:4..4:1 so a panorama or a sliver still leaves a usable tile
function aspectOf(sample) {
  const a = sample && sample.aspect;
  return a > 0 ? Math.min(4, Math.max(0.25, a)) : 1;
}

export function esc(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}
