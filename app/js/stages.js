// Building and reading view stages (the same JSON as Python's stage.to_dict()).

export const match = (filter) => ({ _cls: "Match", kwargs: { filter } });
export const matchTags = (tags) => ({ _cls: "MatchTags", kwargs: { tags, bool: true, all: false } });
export const sortBy = (field, reverse) => ({ _cls: "SortBy", kwargs: { field_or_expr: field, reverse } });
export const select = (ids) => ({ _cls: "Select", kwargs: { sample_ids: ids, ordered: false } });

// The stage that filters `path` (a Match on that one key, or MatchTags for tags).
export function filterIndex(stages, path) {
  return stages.findIndex((s) => {
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
    const j = out.findIndex((s) => ["SortBy", "Limit", "Skip", "Take", "GroupBy"].includes(s._cls));
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
  const out = stages.filter((s) => s._cls !== "SortBy");
  if (field) out.push(sortBy(field, reverse));
  return out;
}

export function groupField(stages) {
  const g = stages.find((s) => s._cls === "GroupBy");
  return g ? g.kwargs.field : null;
}

function short(v) {
  const text = JSON.stringify(v);
  return text.length > 60 ? text.slice(0, 57) + "…" : text;
}

// What a stage chip says, e.g. Match(ground_truth.label in [cat, dog]).
export function describe(s) {
  const k = s.kwargs || {};
  switch (s._cls) {
    case "Match": return `Match(${short(k.filter)})`;
    case "MatchTags": return `MatchTags(${[].concat(k.tags).join(", ")}${k.bool === false ? ", bool=False" : ""})`;
    case "SortBy": return `SortBy(${typeof k.field_or_expr === "string" ? k.field_or_expr : short(k.field_or_expr)}${k.reverse ? ", reverse" : ""})`;
    case "Select": return `Select(${(k.sample_ids || []).length} ids)`;
    case "Exclude": return `Exclude(${(k.sample_ids || []).length} ids)`;
    case "GroupBy": return `GroupBy(${k.field})`;
    case "Limit": return `Limit(${k.limit})`;
    case "Skip": return `Skip(${k.skip})`;
    case "Take": return `Take(${k.size}${k.seed != null ? ", seed=" + k.seed : ""})`;
    default: return `${s._cls}(${short(k)})`;
  }
}
