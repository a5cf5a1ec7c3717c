// A virtualised grid of thumbnails: only the tiles in (or near) the viewport
// exist in the DOM, and samples are fetched a page at a time as they scroll
// into view, so 100,000+ samples scroll as smoothly as 100.
// With `groups` ([{value, count}] in view order), each group starts on a new
// row under a header: duplicate groups read group by group.

import { api } from "./api.js";

export const PAGE = 100;  // samples per request
const GAP = 6;          // px between tiles
const HEADER = 26;      // px of a group header
const OVERSCAN = 2;     // rows rendered beyond the viewport, each side

export class Grid {
  constructor(el, spacer, handlers) {
    this.el = el;
    this.spacer = spacer;
    this.h = handlers;        // {onOpen(index, sample), onToggle(id, index, shift)}
    this.size = 170;
    this.source = null;
    this.pages = new Map();   // page index -> array of samples (or a pending Promise)
    this.tiles = new Map();   // item index -> element
    this.headers = new Map(); // group index -> element
    this.selected = new Set();
    this.generation = 0;
    this.queued = false;
    el.addEventListener("scroll", () => this.schedule());
    new ResizeObserver(() => { this.layout(); this.schedule(); }).observe(el);
    el.addEventListener("click", (ev) => this.click(ev));
  }

  // show `source` ({dataset, view, count, groups}); `page0`: its first page, if fetched already
  setSource(source, page0) {
    this.source = source;
    this.generation += 1;
    this.pages.clear();
    if (page0) this.pages.set(0, page0);
    for (const t of this.tiles.values()) t.remove();
    for (const h of this.headers.values()) h.remove();
    this.tiles.clear();
    this.headers.clear();
    this.el.scrollTop = 0;
    this.layout();
    this.schedule();
  }

  reload(count, page0) {  // same view, new data (refresh, tags): keep the scroll position
    if (!this.source) return;
    this.source = { ...this.source, count };
    this.generation += 1;
    this.pages.clear();
    if (page0) this.pages.set(0, page0);
    this.layout();
    for (const t of this.tiles.values()) t.remove();
    this.tiles.clear();
    this.schedule();
  }

  setTileSize(px) { this.size = px; this.layout(); this.rerender(); }

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

  // -- geometry ---------------------------------------------------------------------

  layout() {
    const width = this.el.clientWidth - GAP;
    this.cols = Math.max(1, Math.floor(width / (this.size + GAP)));
    this.tile = Math.floor(width / this.cols) - GAP;
    this.row = this.tile + GAP;
    const count = this.source ? this.source.count : 0;
    const groups = this.source && this.source.groups;
    if (groups) {
      let top = GAP, start = 0;
      this.groupTops = groups.map((g) => {
        const entry = { top, start, count: g.count, value: g.value };
        top += HEADER + Math.ceil(g.count / this.cols) * this.row;
        start += g.count;
        return entry;
      });
      this.height = top;
    } else {
      this.groupTops = null;
      this.height = GAP + Math.ceil(count / this.cols) * this.row;
    }
    this.spacer.style.height = `${this.height}px`;
  }

  // [{index, x, y}] of the items whose rows meet [top, bottom]
  visible(top, bottom) {
    const out = [];
    const add = (first, last, rowTop, baseIndex, rowOffset) => {
      for (let r = first; r <= last; r++) {
        for (let c = 0; c < this.cols; c++) {
          const local = r * this.cols + c;
          if (local >= rowOffset) return;
          out.push({ index: baseIndex + local, x: GAP + c * this.row, y: rowTop + r * this.row });
        }
      }
    };
    const count = this.source ? this.source.count : 0;
    if (!this.groupTops) {
      const first = Math.max(0, Math.floor((top - GAP) / this.row) - OVERSCAN);
      const last = Math.floor((bottom - GAP) / this.row) + OVERSCAN;
      add(first, last, GAP, 0, count);
      return { items: out, groups: [] };
    }
    const groups = [];
    for (let g = 0; g < this.groupTops.length; g++) {
      const G = this.groupTops[g];
      const rows = Math.ceil(G.count / this.cols);
      const gBottom = G.top + HEADER + rows * this.row;
      if (gBottom < top - OVERSCAN * this.row) continue;
      if (G.top > bottom + OVERSCAN * this.row) break;
      groups.push(g);
      const body = G.top + HEADER;
      const first = Math.max(0, Math.floor((top - body) / this.row) - OVERSCAN);
      const last = Math.min(rows - 1, Math.floor((bottom - body) / this.row) + OVERSCAN);
      add(first, last, body, G.start, G.count);
    }
    return { items: out, groups };
  }

  // -- rendering ----------------------------------------------------------------------

  schedule() {
    if (this.queued) return;
    this.queued = true;
    requestAnimationFrame(() => { this.queued = false; this.render(); });
  }

  rerender() {
    for (const t of this.tiles.values()) t.remove();
    this.tiles.clear();
    for (const h of this.headers.values()) h.remove();
    this.headers.clear();
    this.schedule();
  }

  render() {
    if (!this.source) return;
    const top = this.el.scrollTop, bottom = top + this.el.clientHeight;
    const { items, groups } = this.visible(top, bottom);
    const keep = new Set();
    for (const { index, x, y } of items) {
      keep.add(index);
      let t = this.tiles.get(index);
      const sample = this.sampleAt(index);
      if (!sample) this.fetchPage(Math.floor(index / PAGE));
      if (!t) {
        t = document.createElement("div");
        t.className = "tile";
        t.dataset.index = index;
        this.spacer.appendChild(t);
        this.tiles.set(index, t);
      }
      t.style.cssText = `left:${x}px;top:${y}px;width:${this.tile}px;height:${this.tile}px`;
      if (sample && t.dataset.id !== sample.id) this.fill(t, sample);
    }
    for (const [index, t] of this.tiles) {
      if (!keep.has(index)) { t.remove(); this.tiles.delete(index); }
    }
    const keepG = new Set(groups);
    for (const g of groups) {
      if (this.headers.has(g)) continue;
      const G = this.groupTops[g];
      const h = document.createElement("div");
      h.className = "group-header";
      h.style.top = `${G.top}px`;
      h.textContent = `group ${g + 1} of ${this.groupTops.length} · ${G.count} samples · ${G.value}`;
      this.spacer.appendChild(h);
      this.headers.set(g, h);
    }
    for (const [g, h] of this.headers) {
      if (!keepG.has(g)) { h.remove(); this.headers.delete(g); }
    }
  }

  fill(t, sample) {
    t.dataset.id = sample.id;
    t.classList.toggle("selected", this.selected.has(sample.id));
    const badges = [];
    for (const tag of sample.tags || []) badges.push(`<span class="badge tag">${esc(tag)}</span>`);
    for (const [key, v] of Object.entries(sample)) {
      if (v && typeof v === "object" && v._cls === "Classification" && v.label != null) {
        badges.push(`<span class="badge" title="${esc(key)}">${esc(v.label)}</span>`);
      }
    }
    t.innerHTML = `<img loading="lazy" decoding="async" alt="" src="${api.thumb(this.source.dataset, sample.id)}">` +
      `<span class="check" role="checkbox" aria-checked="${this.selected.has(sample.id)}">✓</span>` +
      `<div class="badges">${badges.join("")}</div>`;
  }

  fetchPage(p) {
    if (this.pages.has(p) || !this.source || !this.source.count) return;
    const gen = this.generation;
    const { dataset, view } = this.source;
    const pending = api.page(dataset, view, p * PAGE, PAGE).then((res) => {
      if (gen !== this.generation) return;
      this.pages.set(p, res.samples);
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

export function esc(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}
