// The labels of a sample drawn over its image in the sample view: boxes,
// polylines and keypoints as one SVG in the image's own pixels (so it moves and
// zooms with the image under one transform), each label's name written on it;
// whole-image labels (classifications, regressions) as badges in a corner.

import { esc } from "./grid.js";

const COLORS = ["#ff6d04", "#3aa0ff", "#3ecf6e", "#e84fd1", "#f4d03f", "#9b59b6", "#1abc9c"];
// the attribute holding the labels of each list type
const LIST_OF = { Detections: "detections", Polylines: "polylines", Keypoints: "keypoints",
  Classifications: "classifications", GeoLocations: "locations" };
const LABEL_CLASSES = new Set(["Regression", "Classification", "Classifications", "Detection",
  "Detections", "Polyline", "Polylines", "Keypoint", "Keypoints", "Segmentation", "Heatmap",
  "TemporalDetection", "GeoLocation", "GeoLocations"]);
// the height of a name tag in screen pixels (it keeps this size at any zoom)
const TAG_HEIGHT = 16;

export function colorOf(label) {
  let h = 0;
  for (const c of String(label)) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return COLORS[h % COLORS.length];
}

export const isLabel = (v) => !!v && typeof v === "object" && LABEL_CLASSES.has(v._cls);

// the single labels of a label field (a list type's items, or the label itself)
export function labelsOf(v) {
  const key = LIST_OF[v._cls];
  return key ? (Array.isArray(v[key]) ? v[key] : []) : [v];
}

const finite = (x) => typeof x === "number" && Number.isFinite(x);
export const confText = (c) => (finite(c) ? Number(c).toFixed(2) : "");

// "cat 0.92": what is written on a drawn label
export function nameOf(l) {
  const name = l.label != null ? String(l.label) : l._cls === "Regression" && finite(l.value) ? String(+l.value.toFixed(3)) : "";
  return [name, confText(l.confidence)].filter(Boolean).join(" ");
}

function tag(x, y, text, color) {
  if (!text) return "";
  return `<g class="tag" data-x="${x}" data-y="${y}"><rect class="tag-bg" fill="${color}" height="${TAG_HEIGHT}"></rect>` +
    `<text x="4" y="${TAG_HEIGHT - 4}">${esc(text)}</text></g>`;
}

const pt = (p, w, h) => (Array.isArray(p) && finite(p[0]) && finite(p[1]) ? [p[0] * w, p[1] * h] : null);

// the SVG marks of one label, in image pixels (w × h)
function marks(l, w, h) {
  const color = colorOf(l.label ?? l._cls);
  const text = nameOf(l);
  if (l._cls === "Detection" && Array.isArray(l.bounding_box) && l.bounding_box.every(finite)) {
    const [x, y, bw, bh] = l.bounding_box;
    return `<rect class="shape box" fill="none" x="${x * w}" y="${y * h}" width="${bw * w}" height="${bh * h}" stroke="${color}"></rect>` +
      tag(x * w, y * h, text, color);
  }
  if (l._cls === "Polyline" && Array.isArray(l.points)) {
    let d = "", first = null;
    for (const shape of l.points) {
      const ps = (Array.isArray(shape) ? shape : []).map((p) => pt(p, w, h)).filter(Boolean);
      if (!ps.length) continue;
      first = first || ps[0];
      d += `M${ps.map((p) => p.join(" ")).join(" L")}${l.closed || l.filled ? " Z" : ""} `;
    }
    if (!d) return "";
    const fill = l.filled ? `fill="${color}" fill-opacity="0.25"` : `fill="none"`;
    return `<path class="shape" d="${d.trim()}" stroke="${color}" ${fill}></path>` + tag(first[0], first[1], text, color);
  }
  if (l._cls === "Keypoint" && Array.isArray(l.points)) {
    const ps = l.points.map((p) => pt(p, w, h)).filter(Boolean);
    if (!ps.length) return "";
    // a round-capped zero-length segment is a dot of the stroke's width at any zoom
    const d = ps.map(([x, y]) => `M${x} ${y} h0.01`).join(" ");
    return `<path class="dots" d="${d}" stroke="${color}"></path>` + tag(ps[0][0], ps[0][1], text, color);
  }
  return "";
}

// the overlay of a sample: one <g data-field> per label field with something to draw
export function overlaySvg(sample, w, h) {
  const groups = [];
  for (const [field, v] of Object.entries(sample)) {
    if (!isLabel(v)) continue;
    const inner = labelsOf(v).filter((l) => l && typeof l === "object").map((l) => marks(l, w, h)).join("");
    if (inner) groups.push(`<g data-field="${esc(field)}">${inner}</g>`);
  }
  return `<svg class="overlay" viewBox="0 0 ${w} ${h}" preserveAspectRatio="none">${groups.join("")}</svg>`;
}

// whole-image labels as badges: "ground_truth  cat 0.92"
export function badgesHtml(sample) {
  const out = [];
  for (const [field, v] of Object.entries(sample)) {
    if (!isLabel(v) || !["Classification", "Classifications", "Regression", "TemporalDetection"].includes(v._cls)) continue;
    for (const l of labelsOf(v)) {
      const text = nameOf(l);
      if (!text) continue;
      out.push(`<span class="cls-badge" data-field="${esc(field)}" data-c="${colorOf(l.label ?? l._cls)}" title="${esc(field)}">` +
        `<span class="f">${esc(field)}</span> ${esc(text)}</span>`);
    }
  }
  return out.join("");
}

// size each name tag's background to its text (once, while the overlay is shown)
export function measureTags(svg) {
  for (const g of svg.querySelectorAll("g.tag")) {
    const text = g.querySelector("text");
    g.querySelector("rect").setAttribute("width", String(text.getComputedTextLength() + 8));
  }
}

// keep name tags TAG_HEIGHT screen pixels high: `unit` is image pixels per screen pixel
export function scaleTags(svg, unit) {
  for (const g of svg.querySelectorAll("g.tag")) {
    g.setAttribute("transform", `translate(${g.dataset.x} ${g.dataset.y}) scale(${unit})`);
  }
}
