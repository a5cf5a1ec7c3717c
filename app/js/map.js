// The embeddings map on one canvas: points coloured by group, wheel to zoom,
// drag to pan (or to draw a lasso or a box), the point under the cursor found
// through a grid of cells, so 100k points stay smooth (no DOM node per point).

const PAD = 10;             // CSS px around the points at zoom 1
const HIT_PX = 6;           // how near the cursor a point must be to be hovered/clicked, CSS px
const CELL = 8;             // side of a hit-test cell, CSS px at zoom 1
const CLICK_PX = 4;         // a press that moves less than this is a click, not a drag
const ZOOM_MIN = 0.5, ZOOM_MAX = 500;
const ZOOM_PER_PIXEL = 0.0015;   // wheel delta -> zoom factor exp(-delta * this)
const MANY = 5000;          // above this many points, squares written as pixels instead of circles
const FEW = 500;            // below this many points, bigger dots
const OUT_COLOR = "rgba(120,125,135,.18)";   // points outside the current view

// a CSS colour as one pixel of ImageData (RGBA bytes in a little-endian uint32)
const RGBA = new Map();
function rgba32(css) {
  if (!RGBA.has(css)) {
    const g = document.createElement("canvas").getContext("2d", { willReadFrequently: true });
    g.fillStyle = css; g.fillRect(0, 0, 1, 1);
    const [r, gr, b, a] = g.getImageData(0, 0, 1, 1).data;
    RGBA.set(css, ((a << 24) | (b << 16) | (gr << 8) | r) >>> 0);
  }
  return RGBA.get(css);
}

function inside(poly, x, y) {   // ray casting
  let hit = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i], [xj, yj] = poly[j];
    if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) hit = !hit;
  }
  return hit;
}

export class EmbeddingMap {
  // hooks: {mode() -> "pan"|"lasso"|"box", onOpen(i), onLasso([i]), onHover(i|null, cssX, cssY)}
  constructor(canvas, hooks) {
    this.c = canvas;
    this.hooks = hooks;
    this.n = 0;
    this.k = 1; this.tx = 0; this.ty = 0;   // zoom and pan over the fitted map
    this.groups = [];                       // [{color, idx: Int32Array}] of in-view points
    this.outside = new Int32Array(0);       // points outside the view, drawn faint
    this.selected = new Int32Array(0);
    this.frame = 0;
    this.bind();
    new ResizeObserver(() => this.resize()).observe(canvas);
  }

  // points: Float32Array x0, y0, x1, y1...; inView: Uint8Array or null (all in view)
  setPoints(xy, inView) {
    const first = !this.xy;
    this.xy = xy;
    this.n = xy.length / 2;
    this.inView = inView;
    let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    for (let i = 0; i < this.n; i++) {
      const x = xy[2 * i], y = xy[2 * i + 1];
      if (x < x0) x0 = x; if (x > x1) x1 = x; if (y < y0) y0 = y; if (y > y1) y1 = y;
    }
    const extent = { x0, x1, y0, y1 };
    // the same map (a new view of it) keeps its zoom; another map is fitted anew
    if (first || JSON.stringify(extent) !== JSON.stringify(this.extent)) this.k = 1, this.tx = 0, this.ty = 0;
    this.extent = extent;
    this.layout();
  }

  inViewAt(i) { return !this.inView || this.inView[i] === 1; }

  // colorOf: Uint16Array, a palette index per point; palette: CSS colours
  setColors(colorOf, palette) {
    const buckets = palette.map(() => []);
    for (let i = 0; i < this.n; i++) if (this.inViewAt(i)) buckets[colorOf[i]].push(i);
    this.groups = palette.map((color, c) => ({ color, idx: Int32Array.from(buckets[c]) }));
    const out = [];
    if (this.inView) for (let i = 0; i < this.n; i++) if (!this.inView[i]) out.push(i);
    this.outside = Int32Array.from(out);
    this.schedule();
  }

  setSelected(indices) { this.selected = Int32Array.from(indices); this.schedule(); }

  resetZoom() { this.k = 1; this.tx = 0; this.ty = 0; this.schedule(); }

  resize() {
    const w = this.c.clientWidth, h = this.c.clientHeight, dpr = window.devicePixelRatio || 1;
    if (!w || !h) return;
    this.c.width = Math.round(w * dpr); this.c.height = Math.round(h * dpr);
    this.layout();
  }

  // base positions (CSS px at zoom 1, one scale on both axes) and the hit-test cells
  layout() {
    const w = this.c.clientWidth, h = this.c.clientHeight;
    if (!this.xy || !w || !h) return;
    this.w = w; this.h = h;
    const { x0, x1, y0, y1 } = this.extent;
    const s = Math.min((w - 2 * PAD) / (x1 - x0 || 1), (h - 2 * PAD) / (y1 - y0 || 1));
    const ox = (w - s * (x1 - x0)) / 2, oy = (h + s * (y1 - y0)) / 2;   // centred
    this.base = { s, ox, oy };
    const bx = new Float32Array(this.n), by = new Float32Array(this.n);
    for (let i = 0; i < this.n; i++) {
      bx[i] = ox + (this.xy[2 * i] - x0) * s;
      by[i] = oy - (this.xy[2 * i + 1] - y0) * s;
    }
    this.bx = bx; this.by = by;
    // counting sort of in-view points into cells
    const cols = Math.ceil(w / CELL) + 1, rows = Math.ceil(h / CELL) + 1;
    const cellOf = new Int32Array(this.n).fill(-1), start = new Int32Array(cols * rows + 1);
    for (let i = 0; i < this.n; i++) {
      if (!this.inViewAt(i)) continue;
      const cx = Math.min(cols - 1, Math.max(0, Math.floor(bx[i] / CELL)));
      const cy = Math.min(rows - 1, Math.max(0, Math.floor(by[i] / CELL)));
      cellOf[i] = cy * cols + cx;
      start[cellOf[i] + 1]++;
    }
    for (let j = 1; j < start.length; j++) start[j] += start[j - 1];
    const fill = start.slice(0, -1), order = new Int32Array(start[start.length - 1]);
    for (let i = 0; i < this.n; i++) if (cellOf[i] >= 0) order[fill[cellOf[i]]++] = i;
    this.cells = { cols, rows, start, order };
    this.schedule();
  }

  // CSS px of point i on the canvas now
  screen(i) { return [this.k * this.bx[i] + this.tx, this.k * this.by[i] + this.ty]; }

  // the in-view point nearest (cssX, cssY), within HIT_PX, or -1
  hit(cx, cy) {
    if (!this.cells) return -1;
    const { cols, rows, start, order } = this.cells;
    const bx = (cx - this.tx) / this.k, by = (cy - this.ty) / this.k, r = HIT_PX / this.k;
    const c0 = Math.max(0, Math.floor((bx - r) / CELL)), c1 = Math.min(cols - 1, Math.floor((bx + r) / CELL));
    const r0 = Math.max(0, Math.floor((by - r) / CELL)), r1 = Math.min(rows - 1, Math.floor((by + r) / CELL));
    let best = -1, bestD = HIT_PX * HIT_PX;
    for (let row = r0; row <= r1; row++) {
      for (let col = c0; col <= c1; col++) {
        const cell = row * cols + col;
        for (let j = start[cell]; j < start[cell + 1]; j++) {
          const i = order[j], [x, y] = this.screen(i);
          const d = (x - cx) ** 2 + (y - cy) ** 2;
          if (d <= bestD) { bestD = d; best = i; }
        }
      }
    }
    return best;
  }

  schedule() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => { this.frame = 0; this.draw(); });
  }

  draw() {
    if (!this.bx) return;
    const g = this.c.getContext("2d"), dpr = this.c.width / this.w;
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, this.w, this.h);
    const r = (this.n > MANY ? 1.5 : this.n > FEW ? 2.5 : 3.5) * Math.min(3, Math.sqrt(this.k));
    const { k, tx, ty, bx, by, w, h } = this;
    if (this.n > MANY) this.drawPixels(g, r);
    else {
      const dots = (idx) => {
        g.beginPath();
        for (const i of idx) {
          const x = k * bx[i] + tx, y = k * by[i] + ty;
          g.moveTo(x + r, y); g.arc(x, y, r, 0, 2 * Math.PI);
        }
        g.fill();
      };
      g.fillStyle = OUT_COLOR; dots(this.outside);
      for (const grp of this.groups) { g.fillStyle = grp.color; dots(grp.idx); }
    }
    if (this.selected.length) {
      g.strokeStyle = "#fff"; g.lineWidth = 1.5;
      g.beginPath();
      for (const i of this.selected) { const x = k * bx[i] + tx, y = k * by[i] + ty; g.moveTo(x + r + 1.5, y); g.arc(x, y, r + 1.5, 0, 2 * Math.PI); }
      g.stroke();
    }
    if (this.path && this.path.length > 1) {
      g.strokeStyle = "#fff"; g.lineWidth = 1; g.setLineDash([4, 3]);
      g.beginPath(); g.moveTo(...this.path[0]); for (const p of this.path) g.lineTo(...p); g.closePath(); g.stroke();
      g.setLineDash([]);
    }
    // data -> CSS px on the canvas: x' = a x + b, y' = c y + d (for scripts and tests)
    const { s, ox, oy } = this.base, { x0, y0 } = this.extent;
    this.c.dataset.transform = [k * s, k * (ox - x0 * s) + tx, -k * s, k * (oy + y0 * s) + ty].join(",");
    this.c.dataset.scale = String(k);
  }

  // many points: squares written straight into the canvas' pixels, one putImageData
  // (a fillRect each takes ~20 times longer at 100k points)
  drawPixels(g, r) {
    const W = this.c.width, H = this.c.height, dpr = W / this.w;
    if (!this.img || this.img.width !== W || this.img.height !== H) {
      this.img = g.createImageData(W, H);
      this.buf = new Uint32Array(this.img.data.buffer);
    }
    const buf = this.buf, { bx, by } = this;
    buf.fill(0);
    const side = Math.max(1, Math.round(2 * r * dpr)), half = side / 2;
    const kk = this.k * dpr, ox = this.tx * dpr - half, oy = this.ty * dpr - half;
    const put = (idx, color) => {
      for (const i of idx) {
        const x0 = Math.round(kk * bx[i] + ox), y0 = Math.round(kk * by[i] + oy);
        if (x0 < 0 || y0 < 0 || x0 + side > W || y0 + side > H) continue;
        for (let y = y0; y < y0 + side; y++) buf.fill(color, y * W + x0, y * W + x0 + side);
      }
    };
    put(this.outside, rgba32(OUT_COLOR));
    for (const grp of this.groups) put(grp.idx, rgba32(grp.color));
    g.putImageData(this.img, 0, 0);
  }

  zoomAt(cx, cy, factor) {
    const k = Math.min(ZOOM_MAX, Math.max(ZOOM_MIN, this.k * factor));
    this.tx = cx - ((cx - this.tx) * k) / this.k;
    this.ty = cy - ((cy - this.ty) * k) / this.k;
    this.k = k;
    this.schedule();
  }

  bind() {
    const c = this.c;
    const pos = (ev) => { const r = c.getBoundingClientRect(); return [ev.clientX - r.left, ev.clientY - r.top]; };
    let press = null;   // {start, mode, last}
    c.addEventListener("wheel", (ev) => {
      ev.preventDefault();
      const [x, y] = pos(ev);
      this.zoomAt(x, y, Math.exp(-ev.deltaY * ZOOM_PER_PIXEL));
    }, { passive: false });
    c.addEventListener("pointerdown", (ev) => {
      if (ev.button !== 0) return;
      c.setPointerCapture(ev.pointerId);   // a drag past the edge still pans or draws
      const p = pos(ev);
      press = { start: p, last: p, mode: this.hooks.mode(), moved: false };
      if (press.mode !== "pan") this.path = [p];
      this.hooks.onHover(null);
    });
    c.addEventListener("pointermove", (ev) => {
      const p = pos(ev);
      if (!press) {
        const i = this.hit(...p);
        this.hooks.onHover(i >= 0 ? i : null, ...p);
        c.classList.toggle("over-point", i >= 0);
        return;
      }
      if (Math.hypot(p[0] - press.start[0], p[1] - press.start[1]) >= CLICK_PX) press.moved = true;
      if (press.mode === "pan") {
        this.tx += p[0] - press.last[0]; this.ty += p[1] - press.last[1];
      } else if (press.mode === "box") {
        const [a] = this.path;
        this.path = [a, [p[0], a[1]], p, [a[0], p[1]]];
      } else this.path.push(p);
      press.last = p;
      this.schedule();
    });
    const end = (ev) => {
      if (!press) return;
      const { moved, mode, start } = press, poly = this.path;
      press = null; this.path = null;
      this.schedule();
      if (!moved) {
        const i = this.hit(...start);
        if (i >= 0 && ev.type === "pointerup") this.hooks.onOpen(i);
      } else if (mode !== "pan" && poly && poly.length > 2 && ev.type === "pointerup") {
        const ids = [];
        for (const grp of this.groups) for (const i of grp.idx) if (inside(poly, ...this.screen(i))) ids.push(i);
        this.hooks.onLasso(ids);
      }
    };
    c.addEventListener("pointerup", end);
    c.addEventListener("pointercancel", end);
    c.addEventListener("pointerleave", () => { if (!press) this.hooks.onHover(null); });
  }
}
