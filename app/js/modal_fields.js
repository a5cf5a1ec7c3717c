// The side panel of the sample view: a sample's fields laid out by type.
// Labels in their own section (each field with a show/hide toggle), tags as
// chips, metadata as a readable table, other fields as name/value rows; dates,
// sizes, numbers and lists formatted, never a raw JSON dump.

import { esc } from "./grid.js";
import { colorOf, isLabel, labelsOf, nameOf } from "./modal_draw.js";

const DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;
const LIST_PREVIEW = 20;  // items of a list shown before "… and N more"
const NESTED_DEPTH = 2;   // levels of a plain sub-document laid out as rows
// fields with a place of their own
const OWN_PLACE = new Set(["id", "filepath", "tags", "metadata", "created_at", "last_modified_at"]);
const UNITS = ["B", "KB", "MB", "GB", "TB"];

const finite = (x) => typeof x === "number" && Number.isFinite(x);
const none = `<span class="none">none</span>`;

export function formatBytes(n) {
  if (!finite(n)) return none;
  let i = 0;
  while (n >= 1024 && i < UNITS.length - 1) { n /= 1024; i += 1; }
  return `${i ? n.toFixed(n < 10 ? 1 : 0) : n} ${UNITS[i]}`;
}

// stored dates are UTC without a zone (Python's isoformat of a naive datetime)
export function formatDate(s) {
  const d = new Date(/(Z|[+-]\d\d:?\d\d)$/i.test(s) || !s.includes("T") ? s : `${s}Z`);
  if (Number.isNaN(d.getTime())) return esc(s);
  const opts = s.includes("T") ? { dateStyle: "medium", timeStyle: "medium" } : { dateStyle: "medium" };
  return `<time datetime="${esc(s)}">${esc(d.toLocaleString(undefined, opts))}</time>`;
}

export function formatNumber(v) {
  if (Number.isInteger(v)) return v.toLocaleString();
  if (Math.abs(v) >= 1000) return v.toLocaleString(undefined, { maximumFractionDigits: 2 });
  return String(Number(v.toPrecision(4)));
}

function labelSummary(v) {
  const items = labelsOf(v);
  if (["Segmentation", "Heatmap"].includes(v._cls)) return `${v._cls.toLowerCase()} mask`;
  if (items.length === 1 && items[0] === v) return esc(nameOf(v)) || esc(v._cls);
  return `${items.length} ${items.length === 1 ? "label" : "labels"}`;
}

function valueHtml(v, depth = 0) {
  if (v == null) return none;
  if (typeof v === "boolean") return v ? "true" : "false";
  if (typeof v === "number") return formatNumber(v);
  if (typeof v === "string") return DATE.test(v) ? formatDate(v) : esc(v);
  if (Array.isArray(v)) {
    if (!v.length) return `<span class="none">empty list</span>`;
    const simple = v.every((x) => x == null || typeof x !== "object");
    if (!simple) return `${v.length} items`;
    const shown = v.slice(0, LIST_PREVIEW).map((x) => valueHtml(x, depth + 1)).join(", ");
    return v.length > LIST_PREVIEW ? `${shown}, … and ${v.length - LIST_PREVIEW} more` : shown;
  }
  if (v._cls === "ndarray") return `<span class="none">array</span>`;
  if (v._cls === "bytes") return `<span class="none">binary data</span>`;
  if (isLabel(v)) return `${labelSummary(v)} <span class="none">(${esc(v._cls)})</span>`;
  const entries = Object.entries(v).filter(([k]) => k !== "_cls");
  if (!entries.length) return `<span class="none">empty</span>`;
  if (depth >= NESTED_DEPTH) return `${entries.length} fields`;
  return `<table class="nested">${entries.map(([k, x]) => row(k, valueHtml(x, depth + 1))).join("")}</table>`;
}

const row = (name, html) => `<tr><th>${esc(name)}</th><td>${html}</td></tr>`;
const section = (title, body, kind) => `<section class="fsec" data-section="${kind}"><h4>${title}</h4>${body}</section>`;

function labelsSection(fields, hidden) {
  const out = fields.map(([field, v]) => {
    const items = labelsOf(v).filter((l) => l && typeof l === "object");
    const list = items.length > 1 || items[0] !== v
      ? `<ul>${items.map((l) => `<li><span class="sw" data-c="${colorOf(l.label ?? l._cls)}"></span>${esc(nameOf(l) || l._cls)}</li>`).join("")}</ul>`
      : "";
    const n = items[0] === v ? esc(nameOf(v) || labelSummary(v)) : `${items.length}`;
    return `<div class="lfield" data-field="${esc(field)}"><label>` +
      `<input type="checkbox" data-toggle="${esc(field)}" ${hidden.has(field) ? "" : "checked"}>` +
      `<b>${esc(field)}</b> <span class="none">${esc(v._cls)}</span><span class="n">${n}</span></label>${list}</div>`;
  });
  return section("Labels", out.join(""), "labels");
}

function metadataSection(m) {
  if (!m || typeof m !== "object") {
    return section("Metadata", `<p class="none">not computed (dataset.compute_metadata())</p>`, "metadata");
  }
  const rows = [];
  if (finite(m.width) && finite(m.height)) rows.push(row("dimensions", `${m.width.toLocaleString()} × ${m.height.toLocaleString()} px`));
  if ("size_bytes" in m) rows.push(row("file size", formatBytes(m.size_bytes)));
  if ("mime_type" in m) rows.push(row("type", valueHtml(m.mime_type)));
  if ("num_channels" in m) rows.push(row("channels", valueHtml(m.num_channels)));
  const own = new Set(["_cls", "width", "height", "size_bytes", "mime_type", "num_channels"]);
  for (const [k, v] of Object.entries(m)) if (!own.has(k)) rows.push(row(k, valueHtml(v, 1)));
  return section("Metadata", `<table>${rows.join("")}</table>`, "metadata");
}

// the side panel's HTML; `hidden`: the label fields whose drawings are off
export function fieldsHtml(sample, hidden) {
  const path = String(sample.filepath ?? "");
  const name = path.split(/[\\/]/).pop();
  const parts = [`<div class="ftitle" title="${esc(path)}">${esc(name)}</div><div class="fpath">${esc(path)}</div>`];
  const labels = Object.entries(sample).filter(([, v]) => isLabel(v));
  if (labels.length) parts.push(labelsSection(labels, hidden));
  const tags = Array.isArray(sample.tags) ? sample.tags : [];
  parts.push(section("Tags", tags.length ? tags.map((t) => `<span class="badge tag">${esc(t)}</span>`).join(" ") : `<span class="none">no tags</span>`, "tags"));
  parts.push(metadataSection(sample.metadata));
  const rest = Object.entries(sample).filter(([k, v]) => !OWN_PLACE.has(k) && !isLabel(v));
  if (rest.length) parts.push(section("Fields", `<table>${rest.map(([k, v]) => row(k, valueHtml(v))).join("")}</table>`, "fields"));
  const info = [row("id", `<code>${esc(sample.id)}</code>`)];
  if (sample.created_at) info.push(row("created", valueHtml(sample.created_at)));
  if (sample.last_modified_at) info.push(row("modified", valueHtml(sample.last_modified_at)));
  parts.push(section("Sample", `<table>${info.join("")}</table>`, "sample"));
  return parts.join("");
}
