// Zoom and pan of one element inside a viewport: the wheel zooms around the
// cursor, a drag pans, a double-click resets. One CSS transform moves the
// element, so whatever it holds (the image and its label overlay) stays aligned.

const MIN_ZOOM = 0.5;
const MAX_ZOOM = 40;
const WHEEL_RATE = 0.0015;  // zoom factor e^(rate * wheel delta px): ~1.16 per notch
const PAD = 20;             // px around the fitted image

export class ZoomPan {
  constructor(area, target, onChange) {
    this.area = area;       // the viewport (clips, receives the events)
    this.target = target;   // the element moved: sized to the fitted image
    this.onChange = onChange;  // (zoom, screen px per image px)
    this.k = 1; this.x = 0; this.y = 0;
    this.w = 0; this.h = 0; this.base = 1;
    area.addEventListener("wheel", (ev) => {
      if (!this.w) return;
      ev.preventDefault();
      const r = area.getBoundingClientRect();
      this.zoomAt(ev.clientX - r.left, ev.clientY - r.top, Math.exp(-ev.deltaY * WHEEL_RATE));
    }, { passive: false });
    area.addEventListener("pointerdown", (ev) => {
      if (ev.button !== 0 || ev.target.closest("button, input, label")) return;
      this.drag = { id: ev.pointerId, x: ev.clientX - this.x, y: ev.clientY - this.y };
      area.setPointerCapture(ev.pointerId);
      area.classList.add("panning");
    });
    area.addEventListener("pointermove", (ev) => {
      if (!this.drag || ev.pointerId !== this.drag.id) return;
      this.x = ev.clientX - this.drag.x;
      this.y = ev.clientY - this.drag.y;
      this.apply();
    });
    const end = (ev) => {
      if (!this.drag || ev.pointerId !== this.drag.id) return;
      this.drag = null;
      area.classList.remove("panning");
    };
    area.addEventListener("pointerup", end);
    area.addEventListener("pointercancel", end);
    area.addEventListener("dblclick", (ev) => { if (!ev.target.closest("button, input, label")) this.reset(); });
    new ResizeObserver(() => this.w && this.fit(this.w, this.h)).observe(area);
  }

  // size the target to an image of w × h px fitted into the viewport, and reset
  fit(w, h) {
    this.w = w; this.h = h;
    const aw = this.area.clientWidth, ah = this.area.clientHeight;
    this.base = Math.max(0.01, Math.min((aw - PAD) / w, (ah - PAD) / h));
    Object.assign(this.target.style, { width: `${w * this.base}px`, height: `${h * this.base}px` });
    this.reset();
  }

  reset() {
    this.k = 1;
    this.x = (this.area.clientWidth - this.w * this.base) / 2;
    this.y = (this.area.clientHeight - this.h * this.base) / 2;
    this.apply();
  }

  // zoom by `factor` keeping the point (cx, cy) of the viewport where it is
  zoomAt(cx, cy, factor) {
    const k = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, this.k * factor));
    const f = k / this.k;
    this.x = cx - (cx - this.x) * f;
    this.y = cy - (cy - this.y) * f;
    this.k = k;
    this.apply();
  }

  zoomCenter(factor) { this.zoomAt(this.area.clientWidth / 2, this.area.clientHeight / 2, factor); }

  apply() {
    this.target.style.transform = `translate(${this.x}px, ${this.y}px) scale(${this.k})`;
    this.onChange(this.k, this.base * this.k);
  }
}
