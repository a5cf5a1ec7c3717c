// Building and reading view stages (the same JSON as Python's stage.to_dict()).

export const match = (filter) => ({ _cls: "Match", kwargs: { filter } });
export const matchTags = (tags) => ({ _cls: "MatchTags", kwargs: { tags, bool: true, all: false } });
export const sortBy = (field, reverse) => ({ _cls: "SortBy", kwargs: { field_or_expr: field, reverse } });
export const select = (ids) => ({ _cls: "Select", kwargs: { sample_ids: ids, ordered: false } });

export const toPatches = (field) => ({ _cls: "ToPatches", kwargs: { field } });

// Where the stages of what the grid shows start: after a ToPatches (the stages before
// it made the images the patches come from), else 0.
export function ownStart(stages) {
  const i = stages.findIndex((s) => s._cls === "ToPatches");
  return i + 1;
}

// The label field whose patches the view shows, or null.
export function patchesField(stages) {
  const s = stages.find((x) => x._cls === "ToPatches");
  return s ? s.kwargs.field : null;
}

// The view with the patches of `field` (null: the images the patches were made of).
export function withPatches(stages, field) {
  const before = stages.slice(0, Math.max(0, ownStart(stages) - 1));
  return field ? [...before, toPatches(field)] : before;
}

// The stage that filters `path` (a Match on that one key, or MatchTags for tags),
// among the stages of what the grid shows.
export function filterIndex(stages, path) {
  const start = ownStart(stages);
  return stages.findIndex((s, i) => {
    if (i < start) return false;
    if (path === "tags" && s._cls === "MatchTags") return s.kwargs.bool !== false && !s.kwargs.all;
    if (s._cls !== "Match") return false;
    const f = s.kwargs.filter;
    return f && typeof f === "object" && Object.keys(f).length === 1 && Object.keys(f)[0] === path;
  });
}

// A new stage list with `stage` in place of the filter on `path` (null: without it).
export function withFilter(stages, path, stage) {
  const out = stages.slice();
  const i = filterIndex(out, path);
  if (i >= 0) {
    if (stage) out[i] = stage; else out.splice(i, 1);
  } else if (stage) {
    // filters go before any sort/limit so they narrow the whole view
    const start = ownStart(out);
    const j = out.findIndex((s, k) => k >= start && ["SortBy", "Limit", "Skip", "Take", "GroupBy"].includes(s._cls));
    out.splice(j < 0 ? out.length : j, 0, stage);
  }
  return out;
}

// The values a filter on `path` currently keeps, or null.
export function filterValues(stages, path) {
  const i = filterIndex(stages, path);
  if (i < 0) return null;
  const s = stages[i];
  if (s._cls === "MatchTags") return [].concat(s.kwargs.tags);
  const cond = s.kwargs.filter[path];
  if (cond && typeof cond === "object" && "$in" in cond) return cond.$in;
  if (cond && typeof cond === "object" && ("$gte" in cond || "$lte" in cond)) return cond;
  return [cond];
}

export function withSort(stages, field, reverse) {
  const start = ownStart(stages);
  const out = stages.filter((s, i) => i < start || s._cls !== "SortBy");
  if (field) out.push(sortBy(field, reverse));
  return out;
}

export function groupField(stages) {
  const g = stages.find((s) => s._cls === "GroupBy");
  return g ? g.kwargs.field : null;
}

export const limit = (n) => ({ _cls: "Limit", kwargs: { limit: n } });
export const skip = (n) => ({ _cls: "Skip", kwargs: { skip: n } });
export const exists = (field, bool = true) => ({ _cls: "Exists", kwargs: { field, bool } });

const MAX_CHIP = 80;   // characters of a chip before it is cut (the full stage is its title)
const MAX_LIST = 4;    // values of a list shown before "… n values"

function short(v) {
  const text = JSON.stringify(v);
  return text.length > 60 ? text.slice(0, 57) + "…" : text;
}

const cut = (text) => (text.length > MAX_CHIP ? text.slice(0, MAX_CHIP - 1) + "…" : text);

// A JSON value as Python writes it: "cat", 0.5, True, None, [1, 2].
export function pyValue(v) {
  if (v === null || v === undefined) return "None";
  if (v === true) return "True";
  if (v === false) return "False";
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "number") return String(v);
  if (Array.isArray(v)) {
    const shown = v.slice(0, MAX_LIST).map(pyValue);
    if (v.length > MAX_LIST) shown.push(`… ${v.length} values`);
    return `[${shown.join(", ")}]`;
  }
  if ("$oid" in v) return `ObjectId(${JSON.stringify(v.$oid)})`;
  if ("$date" in v) return `datetime(${JSON.stringify(v.$date)})`;
  return short(v);
}

const COMPARE = { $eq: "==", $ne: "!=", $gt: ">", $gte: ">=", $lt: "<", $lte: "<=" };
const ARITH = { $add: "+", $subtract: "-", $multiply: "*", $divide: "/", $mod: "%" };

// One field's query condition ({$gt: 0.5}, "cat", {$in: [...]}) as Python-like text.
function condText(path, cond) {
  if (!cond || typeof cond !== "object" || Array.isArray(cond) || "$oid" in cond || "$date" in cond) {
    return `${path} == ${pyValue(cond)}`;
  }
  const c = { ...cond };
  const parts = [];
  if ("$gte" in c && "$lte" in c) {
    parts.push(`${pyValue(c.$gte)} <= ${path} <= ${pyValue(c.$lte)}`);
    delete c.$gte; delete c.$lte;
  }
  for (const [op, v] of Object.entries(c)) {
    if (op in COMPARE) parts.push(`${path} ${COMPARE[op]} ${pyValue(v)}`);
    else if (op === "$in") parts.push(`${path} in ${pyValue(v)}`);
    else if (op === "$nin") parts.push(`${path} not in ${pyValue(v)}`);
    else if (op === "$exists") parts.push(v ? `exists(${path})` : `not exists(${path})`);
    else parts.push(`${path} ${op} ${pyValue(v)}`);
  }
  return parts.join(" and ");
}

// An aggregation expression (what F(...) compiles to) as the F code that made it,
// with field names bare: {$gt: ["$uniqueness", 0.5]} -> uniqueness > 0.5.
export function exprText(e, nested = false) {
  if (typeof e === "string") return e.startsWith("$") && !e.startsWith("$$") ? e.slice(1) : pyValue(e);
  if (!e || typeof e !== "object" || Array.isArray(e)) return pyValue(e);
  const keys = Object.keys(e);
  if (keys.length !== 1) return short(e);
  const [op] = keys;
  const args = [].concat(e[op]);
  const wrap = (t) => (nested ? `(${t})` : t);
  if (op in COMPARE && args.length === 2) return wrap(`${exprText(args[0], true)} ${COMPARE[op]} ${exprText(args[1], true)}`);
  if (op in ARITH) return wrap(args.map((a) => exprText(a, true)).join(` ${ARITH[op]} `));
  if (op === "$and" || op === "$or") return wrap(args.map((a) => exprText(a, true)).join(op === "$and" ? " & " : " | "));
  if (op === "$not") return `~${exprText(args[0], true)}`;
  if (op === "$in" && args.length === 2) return wrap(`${exprText(args[0], true)} in ${exprText(args[1], true)}`);
  if (op === "$size") return `len(${exprText(args[0])})`;
  if (op === "$literal") return pyValue(e[op]);
  return `${op.slice(1)}(${args.map((a) => exprText(a)).join(", ")})`;
}

function filterText(f) {
  if (!f || typeof f !== "object") return pyValue(f);
  const keys = Object.keys(f);
  if (keys.length === 1 && keys[0] === "$expr") return exprText(f.$expr);
  return keys.map((k) => (k.startsWith("$") ? `${k}: ${short(f[k])}` : condText(k, f[k]))).join(" and ");
}

const snake = (name) => name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase();
const ids = (k) => `${(k.sample_ids || []).length} ids`;

// What a stage chip says, the way Python would write it: match(uniqueness > 0.49),
// sort_by("uniqueness", reverse=True), limit(100), match_tags("dup"), select(42 ids).
export function describe(s) {
  const k = s.kwargs || {};
  let text;
  switch (s._cls) {
    case "Match": text = `match(${filterText(k.filter)})`; break;
    case "MatchTags": {
      const tags = [].concat(k.tags);
      text = `match_tags(${tags.length === 1 ? pyValue(tags[0]) : pyValue(tags)}${k.bool === false ? ", bool=False" : ""}${k.all ? ", all=True" : ""})`;
      break;
    }
    case "SortBy": {
      const f = k.field_or_expr;
      text = `sort_by(${typeof f === "string" ? pyValue(f) : exprText(f)}${k.reverse ? ", reverse=True" : ""})`;
      break;
    }
    case "Select": text = `select(${ids(k)})`; break;
    case "Exclude": text = `exclude(${ids(k)})`; break;
    case "GroupBy": text = `group_by(${pyValue(k.field)})`; break;
    case "Limit": text = `limit(${k.limit})`; break;
    case "Skip": text = `skip(${k.skip})`; break;
    case "Take": text = `take(${k.size}${k.seed != null ? ", seed=" + k.seed : ""})`; break;
    case "Shuffle": text = `shuffle(${k.seed != null ? "seed=" + k.seed : ""})`; break;
    case "ToPatches": text = `to_patches(${pyValue(k.field)})`; break;
    case "Exists": text = `exists(${pyValue(k.field)}${k.bool === false ? ", False" : ""})`; break;
    default: {
      const args = Object.entries(k).filter(([, v]) => v != null).map(([n, v]) => `${n}=${typeof v === "object" ? short(v) : pyValue(v)}`);
      text = `${snake(s._cls)}(${args.join(", ")})`;
    }
  }
  return cut(text);
}
