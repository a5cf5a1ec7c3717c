// The dashboard: wires the state (shared with Python), the grid, the sidebar,
// the sample view, saved views, tagging, operators and plots together.

import { api } from "./api.js";
import { clearError, ConnectionBanner, setViewError, showError, track } from "./errors.js";
import { esc, Grid, PAGE } from "./grid.js";
import { Modal } from "./modal.js";
import { OperatorsPanel } from "./operators.js";
import { PlotsPanel } from "./plots.js";
import { Review } from "./review.js";
import { Sidebar } from "./sidebar.js";
import { groupField, ownStart, patchesField, select, withPatches, withSort } from "./stages.js";
import { StateClient } from "./state.js";
import { TagPopover } from "./tags.js";
import { Viewbar } from "./viewbar.js";

const $ = (sel) => document.querySelector(sel);
const client = new StateClient();
let info = null;          // the dataset's description (schema, saved views, runs)
let count = 0;            // samples in the current view
let counted = true;       // false while a filter's count is on its way (with its sidebar)
let sidebarData = null;
let sidebarMode;          // "dataset/patches field" of the fields the sidebar lists
let lastClicked = null;   // index of the last tile ticked, for shift-click ranges
let viewToken = 0;        // the latest view load; older ones drop their results
let messageTimer = null;

const state = () => client.state || { dataset: null, view: [], selected: [] };
const current = () => ({ dataset: state().dataset, view: state().view });

function message(text, kind = "info") {
  const el = $("#message");
  el.textContent = text;
  el.className = text ? kind : "";
  clearTimeout(messageTimer);
  if (kind === "info" && text) messageTimer = setTimeout(() => message(""), 6000);
}

const grid = new Grid($("#grid"), $("#grid-spacer"), {
  onOpen: (index, sample) => { if (sample) { modalIndex = index; client.update({ sample: sample.id }); } },
  onToggle: (id, index, shift) => toggle(id, index, shift),
  onError: (err) => { if (!err.offline) setViewError(err); },
});

let modalIndex = null;
const modal = new Modal($("#modal"), {
  count: () => count,
  idAt: (i) => grid.sampleAt(i)?.id,
  view: () => ({ ...current(), refresh: state().refresh }),
  onNavigate: (id, i) => { modalIndex = i; client.update({ sample: id }); },
  onClose: () => client.update({ sample: null }),
  onToggle: (id) => toggle(id, null, false),
  isSelected: (id) => state().selected.includes(id),
  onError: (err) => message(err.message, "error"),
});

// a filter MongoDB refuses is said in its own field's box (the view stays as it was)
const sidebar = new Sidebar($("#sidebar"), (stages, box) =>
  track(client.update({ view: stages }, { quiet: true }), box || $("#sidebar")), () => state().view);
const tagPopover = new TagPopover($("#tag-button"), $("#tag-popover"), { current, selected: () => state().selected, message });
const countsChanged = () => { refreshInfo(); refreshDatasets().catch(() => {}); };
const review = new Review($("#center"), { current, onDone: countsChanged });
const operators = new OperatorsPanel($("#panel"), {
  current, onDone: countsChanged,
  onReview: (kind) => { $("#panel").hidden = true; review.show(kind); },
});
const plots = new PlotsPanel($("#panel"), {
  current, sidebarData: () => sidebarData, selected: () => state().selected,
  setView: (stages) => client.update({ view: stages }),
  onOpen: (id) => { modalIndex = null; client.update({ sample: id }); },
  visualizations: () => (info ? info.brain_runs.filter((r) => r.method === "visualization").map((r) => r.key) : []),
});

async function toggle(id, index, shift) {
  const s = state();
  if (shift && lastClicked != null && index != null) {
    const lo = Math.min(lastClicked, index), hi = Math.max(lastClicked, index);
    const ids = grid.idsBetween(lo, hi) || (await api.ids(s.dataset, s.view, lo, hi - lo + 1)).ids;
    client.select(ids, []);
  } else if (s.selected.includes(id)) client.select([], [id]);
  else client.select([id], []);
  if (index != null) lastClicked = index;
}

// -- rendering from the state ----------------------------------------------------------

// 1234567 -> "1,234,567" (toLocaleString's first call loads the locale's data: ~30 ms
// of the first screen)
const thousands = (n) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");

function renderCount() {
  const n = state().selected.length;
  const el = $("#count");
  el.dataset.count = counted ? count : "";
  el.dataset.selected = n;
  const total = counted ? thousands(count) : "counting…";
  const what = patchesField(state().view) ? "patches" : "samples";
  el.textContent = `${total} ${what}${n ? ` · ${thousands(n)} selected` : ""}`;
  const t = $("#tag-target");
  t.textContent = n ? `(${n} selected)` : `(all ${total} in view)`;
}

// the fields a stage form or the map's colour-by can name: the sidebar's, and metadata's numbers
const METADATA_FIELDS = ["metadata.width", "metadata.height", "metadata.size_bytes"].map((path) => ({ path, kind: "number" }));
// before the sidebar's numbers arrive, the schema's fields (their kinds from their types)
function schemaFields() {
  const kindOf = (path) => {
    const f = info.schema[path];
    if (path.endsWith(".confidence") || (f && ["int", "float"].includes(f.ftype))) return "number";
    return f && f.ftype === "bool" ? "bool" : "string";
  };
  return fieldPaths(info.schema).filter((p) => !p.startsWith("metadata.")).map((path) => ({ path, kind: kindOf(path) }));
}
const viewFields = () => [
  ...(sidebarData ? sidebarData.fields.map(({ path, kind }) => ({ path, kind })) : info ? schemaFields() : []),
  ...(info && info.schema.metadata ? METADATA_FIELDS : []),
];
const viewbar = new Viewbar($("#viewbar"), {
  state, fields: viewFields, setView: (stages) => track(client.update({ view: stages }, { quiet: true }), $("#viewbar")),
  tags: () => ((sidebarData?.fields || []).find((f) => f.kind === "tags")?.values || []).map(([v]) => v),
});

function fieldPaths(schema) {
  const out = [];
  for (const [name, f] of Object.entries(schema)) {
    if (["tags", "created_at", "last_modified_at"].includes(name) || f.ftype === "array") continue;
    if (name === "metadata") out.push("metadata.width", "metadata.height", "metadata.size_bytes");
    else if (f.ftype === "embedded") { if (f.document_type === "Classification") out.push(`${name}.label`, `${name}.confidence`); }
    else if (!["list", "dict"].includes(f.ftype)) out.push(name);
  }
  return out;
}

async function refreshInfo() {
  const s = state();
  if (!s.dataset) return;
  info = await api.dataset(s.dataset);
  renderPickers();
}

// the saved-view and sort pickers, from the dataset's description and the view
function renderPickers() {
  const s = state();
  if (!info) return;
  const sv = $("#saved-view-select");
  sv.innerHTML = `<option value="">(none)</option>` + info.saved_views.map((n) => `<option ${n === s.view_name ? "selected" : ""}>${esc(n)}</option>`).join("");
  const sort = state().view.slice(ownStart(state().view)).find((x) => x._cls === "SortBy");
  const sortField = sort && typeof sort.kwargs.field_or_expr === "string" ? sort.kwargs.field_or_expr : "";
  const patches = patchesField(state().view);
  // in patches mode the sort picker offers the object's own fields
  const paths = patches ? ["filepath", `${patches}.label`, `${patches}.confidence`] : fieldPaths(info.schema);
  $("#sort-field").innerHTML = `<option value="">(view order)</option>` + paths.map((p) => `<option ${p === sortField ? "selected" : ""}>${esc(p)}</option>`).join("");
  $("#sort-reverse").checked = !!(sort && sort.kwargs.reverse);
  const lists = Object.entries(info.schema).filter(([, f]) => f.ftype === "embedded" && PATCH_TYPES.includes(f.document_type)).map(([k]) => k);
  $("#patches-field").hidden = !lists.length && !patches;
  $("#boxes-toggle").hidden = !Object.values(info.schema).some((f) => f.document_type === "Detections");
  $("#patches-field").innerHTML = `<option value="">Images</option>` + lists.map((k) => `<option value="${esc(k)}" ${k === patches ? "selected" : ""}>Patches: ${esc(k)}</option>`).join("");
}
// the label list types a patches view can be made of (ToPatches)
const PATCH_TYPES = ["Detections", "Polylines", "Keypoints"];

async function refreshDatasets() {
  const list = await api.datasets();
  const s = state();
  $("#dataset-select").innerHTML = `<option value="">(choose)</option>` + list.map((d) => `<option value="${esc(d.name)}" ${d.name === s.dataset ? "selected" : ""}>${esc(d.name)} (${d.count})</option>`).join("");
}

function setCount(n) {  // the view's count, known after its first page
  counted = true;
  count = n;
  renderCount();
  grid.setCount(n);
}

async function loadView(keepScroll) {
  const token = ++viewToken;
  const { dataset, view } = current();
  if (!dataset) { count = 0; counted = true; renderCount(); grid.setSource(null); setViewError(null); $("#sidebar").innerHTML = '<p class="more">Choose a dataset above.</p>'; return; }
  let part = "grid";  // which request failed: the grid's or the sidebar's
  // into or out of patches mode the sidebar's fields are others (a patch's gt.label,
  // not the image's gt.detections.label): the old ones take no clicks meanwhile
  const modeChanged = sidebarMode !== undefined && sidebarMode !== `${dataset}/${patchesField(view)}`;
  $("#sidebar").classList.toggle("stale", modeChanged);
  try {
    const gf = groupField(view);
    // on the first load the sidebar (the heaviest query) waits for the grid's
    // count and first page, so the first tiles do not queue behind it; later it
    // runs beside them, so a filter's counts come back as soon as they can
    const later = sidebarData !== null;
    const side = later ? api.sidebar(dataset, view) : null;
    if (side) side.catch(() => {});  // awaited below, unless the grid fails first
    // a filter's count comes with its sidebar: one scan of the view, not two on
    // the same cores; the first page's tiles show meanwhile, the rest once counted
    // (not the bare patches of a field: the server counts them from their images at
    // once, while the sidebar waits for the patches to be made)
    const barePatches = view.length > 0 && view[view.length - 1]._cls === "ToPatches";
    const withSidebar = side && view.length > 0 && !gf && !keepScroll && !barePatches;
    const [c, groups, page0] = await Promise.all([
      withSidebar ? Promise.resolve(null) : api.count(dataset, view),
      gf ? api.groups(dataset, view, gf) : Promise.resolve(null),
      api.page(dataset, view, 0, PAGE),
    ]);
    if (token !== viewToken) return;
    setViewError(null);
    if ($("#message").className === "error") message("");  // what failed before works now
    const short = page0.samples.length < PAGE;  // a short first page is the whole view
    counted = !!c || short;
    count = c ? c.count : page0.samples.length;
    renderCount();
    const source = { dataset, view, count, groups: groups && groups.groups, patches: patchesField(view) };
    if (keepScroll && !groups) grid.reload(count, page0.samples);
    else grid.setSource(source, page0.samples);
    part = "sidebar";
    const data = await (side || api.sidebar(dataset, view));
    if (token !== viewToken) return;
    if (!counted) setCount(data.count);
    sidebarData = data;
    sidebarMode = `${dataset}/${patchesField(view)}`;
    $("#sidebar").classList.remove("stale");
    sidebar.render(data, view, dataset);
  } catch (err) {
    if (token !== viewToken || err.offline) return;  // offline: the banner says it
    $("#sidebar").classList.remove("stale");
    if (part === "sidebar") {
      showError($("#sidebar"), err);
      if (!counted) api.count(dataset, view).then((c) => token === viewToken && setCount(c.count)).catch(() => {});
      return;
    }
    // no tiles or counts of the last view under an error about this one
    count = 0; counted = true; renderCount(); grid.setSource(null); setViewError(err);
    $("#sidebar").innerHTML = '<p class="more">No counts: this view cannot be shown (see the grid).</p>';
  }
}

client.onChange(async (s, prev) => {
  const datasetChanged = !prev || prev.dataset !== s.dataset;
  const viewChanged = datasetChanged || JSON.stringify(prev.view) !== JSON.stringify(s.view);
  const refreshed = prev && prev.refresh !== s.refresh;
  viewbar.render();
  const fail = (err) => message(err.message, "error");
  // the pickers' data loads beside the grid's, never before it
  if (datasetChanged) {
    datasetsListed.then(() => {  // listed once at start; again only for a dataset new since
      const pick = $("#dataset-select");
      const known = [...pick.options].some((o) => o.value === s.dataset);
      if (known || !s.dataset) pick.value = s.dataset || ""; else refreshDatasets().catch(fail);
    });
  }
  if (refreshed) refreshDatasets().catch(fail);  // samples were added or deleted
  if (datasetChanged) refreshInfo().catch(fail);
  else if (refreshed || prev.view_name !== s.view_name) refreshInfo().catch(fail);  // saved views may be new
  else if (viewChanged) renderPickers();
  if (viewChanged) clearError($("#saved-view-select").parentElement);  // a refusal there is moot
  if (viewChanged) { lastClicked = null; await loadView(false); }
  else if (refreshed) await loadView(true);
  // a newer state arrived while this one loaded: its own call applies it (this one
  // would close a sample view that the newer state just opened)
  if (client.state !== s) return;
  grid.setSelected(s.selected);
  renderCount();
  modal.syncSelection();
  modal.sync(s.dataset, s.sample, modalIndex);
  if (!$("#panel").hidden && $("#panel").dataset.kind === "plots") plots.update();
  tagPopover.stateChanged();
});
client.onError((msg) => message(msg, "error"));
const banner = new ConnectionBanner($("#offline"), $("#conn"));
client.onConnection((up) => {
  const back = up && banner.up === false;
  banner.set(up);
  if (back) refreshDatasets().catch(() => {});  // a restarted server: counts may differ
});
client.onDropped(() => banner.dropped());

// -- controls ---------------------------------------------------------------------------

$("#dataset-select").onchange = (ev) => ev.target.value && client.update({ dataset: ev.target.value });

$("#saved-view-select").onchange = async (ev) => {
  const name = ev.target.value;
  if (!name) { client.update({ view: [] }); return; }
  const views = await api.savedViews(state().dataset);
  const v = views.find((x) => x.name === name);
  if (!v || !v.stages) { message(v ? v.error : `no saved view ${name}`, "error"); return; }
  const ok = await track(client.update({ view: v.stages, view_name: name }, { quiet: true }),
    ev.target.parentElement);
  if (!ok) renderPickers();  // refused: the picker names the view still shown
};

$("#save-view").onclick = async () => {
  const name = prompt("Save the current view as:", state().view_name || "");
  if (!name) return;
  const { dataset, view } = current();
  try {
    await api.saveView(dataset, name, view, false);
  } catch (err) {
    if (!/exists/i.test(err.message) || !confirm(`${err.message}\nOverwrite it?`)) { message(err.message, "error"); return; }
    await api.saveView(dataset, name, view, true);
  }
  message(`Saved view ${name}`);
  refreshInfo();
};

$("#delete-view").onclick = async () => {
  const name = $("#saved-view-select").value;
  if (!name || !confirm(`Delete saved view ${name}? (samples are untouched)`)) return;
  await api.deleteView(state().dataset, name);
  message(`Deleted saved view ${name}`);
  if (state().view_name === name) client.update({ view: state().view });
  refreshInfo();
};

$("#select-all").onclick = async () => {
  const { dataset, view } = current();
  const { ids } = await api.ids(dataset, view);
  client.select(ids, []);
};
$("#clear-selection").onclick = () => client.update({ selected: [] });
$("#show-selected").onclick = () => {
  const ids = state().selected;
  if (!ids.length) { message("Nothing selected: tick some tiles first"); return; }
  client.update({ view: [...state().view, select(ids)] });
};

function sortChanged() {
  client.update({ view: withSort(state().view, $("#sort-field").value, $("#sort-reverse").checked) });
}
$("#sort-field").onchange = sortChanged;
$("#patches-field").onchange = (ev) => {
  client.update({ view: withPatches(state().view, ev.target.value || null) }, { quiet: true })
    .catch((err) => { message(err.message, "error"); renderPickers(); });
};
$("#show-boxes").onchange = (ev) => $("#grid").classList.toggle("no-boxes", !ev.target.checked);
$("#sort-reverse").onchange = sortChanged;
$("#tile-size").oninput = (ev) => grid.setTileSize(Number(ev.target.value));

// the toolbar's menus (<details class="menu">): a click elsewhere or Esc closes them, and
// so does a command picked from one (except in menus marked data-stay, such as tagging)
document.addEventListener("click", (ev) => {
  for (const m of document.querySelectorAll("details.menu[open]")) {
    if (!m.contains(ev.target) || (ev.target.closest(".menu-items button") && !("stay" in m.dataset))) m.open = false;
  }
});
document.addEventListener("keydown", (ev) => {
  if (ev.key === "Escape") for (const m of document.querySelectorAll("details.menu[open]")) m.open = false;
});

function openPanel(kind) {
  const panel = $("#panel");
  if (!panel.hidden && panel.dataset.kind === kind) { panel.hidden = true; return; }
  panel.hidden = false;
  panel.dataset.kind = kind;
  if (kind === "operators") operators.render().catch((err) => message(err.message, "error"));
  else plots.render();
}
$("#open-operators").onclick = () => openPanel("operators");
$("#open-plots").onclick = () => openPanel("plots");

const datasetsListed = refreshDatasets().catch((err) => message(err.message, "error"));
