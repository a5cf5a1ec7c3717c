// Justified rows (as photo sites and FiftyOne lay out images): every tile keeps its
// image's aspect ratio, the tiles of a row share one height, and each row fills the
// width exactly. `justify` splits a run of aspect ratios into rows whose heights stay
// as close as possible to the target (a small dynamic programme: the best split of
// the whole run, not a greedy one, so no row is left much taller or shorter).

//: a row may shrink to this fraction of the target height to fit one more tile
const MIN_ROW = 0.5;
//: a row may not grow past this multiple of the target to fill the width; the last
//: row of a run that cannot be filled keeps the target height instead
const MAX_ROW = 2.5;

// Rows for `aspects` (width / height of each tile) in `width` px at about `target` px
// high, `gap` px apart. `fillLast`: the last row is justified too (the run continues
// in the next chunk, so no ragged edge shows); otherwise it keeps the target height.
// Returns {height, rows: [{y, h, start, xs: [x...], ws: [w...]}]}, y from the run's top.
export function justify(aspects, width, target, gap, fillLast) {
  const n = aspects.length;
  const cost = new Float64Array(n + 1).fill(Infinity);
  const next = new Int32Array(n + 1);
  cost[n] = 0;
  for (let i = n - 1; i >= 0; i--) {
    let sum = 0;
    for (let j = i; j < n; j++) {
      sum += aspects[j];
      const k = j - i + 1;
      const h = (width - gap * (k - 1)) / sum;
      if (h < target * MIN_ROW && k > 1) break;
      const last = j === n - 1;
      let c;
      if (last && h > target && (!fillLast || h > target * MAX_ROW)) c = 0;  // a short last row
      else if (h > target * MAX_ROW) c = 1e6 + h;  // far too tall: only if nothing else fits
      else c = ((h - target) / target) ** 2;
      if (c + cost[j + 1] < cost[i]) { cost[i] = c + cost[j + 1]; next[i] = j + 1; }
    }
  }
  const rows = [];
  let y = 0;
  for (let i = 0; i < n; i = next[i]) {
    const j = next[i];
    let sum = 0;
    for (let m = i; m < j; m++) sum += aspects[m];
    let h = (width - gap * (j - i - 1)) / sum;
    const short = j === n && h > target && (!fillLast || h > target * MAX_ROW);
    if (short) h = target;
    const hr = Math.round(h);
    const xs = [], ws = [];
    let x = 0;
    for (let m = i; m < j; m++) {
      const left = Math.round(x), right = Math.round(x + aspects[m] * h);
      xs.push(left);
      ws.push(right - left);
      x += aspects[m] * h + gap;
    }
    if (!short) ws[ws.length - 1] = width - xs[xs.length - 1];  // the exact edge
    rows.push({ y, h: hr, start: i, xs, ws });
    y += hr + gap;
  }
  return { height: y, rows };
}

// the same rows for `n` tiles of one aspect ratio: a chunk not loaded yet, drawn and
// measured with the average aspect so far; cached, since most chunks are the same size
export class Estimates {
  constructor() { this.cache = new Map(); this.key = ""; }

  get(n, aspect, width, target, gap, fillLast) {
    const key = `${aspect}|${width}|${target}|${gap}`;
    if (key !== this.key) { this.cache.clear(); this.key = key; }
    const k = fillLast ? n : -n;
    let out = this.cache.get(k);
    if (!out) {
      out = justify(new Array(n).fill(aspect), width, target, gap, fillLast);
      this.cache.set(k, out);
    }
    return out;
  }
}
