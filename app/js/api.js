// HTTP calls to the server. Errors come back as {"error": message}: thrown as Error(message).

// The server's token from the page's URL (?token=...), for frames where its cookie is
// not sent (a notebook's inline dashboard); top-level pages also carry the cookie.
export const TOKEN = new URLSearchParams(location.search).get("token");
export const withToken = (url) => TOKEN ? `${url}${url.includes("?") ? "&" : "?"}token=${encodeURIComponent(TOKEN)}` : url;

// an error for a request that never reached the server (`offline`: the banner says so)
export function offlineError(what = "Not sent") {
  const err = new Error(`${what}: the dashboard server is not reachable`);
  err.offline = true;
  return err;
}

async function request(method, url, body) {
  const init = { method, headers: TOKEN ? { Authorization: `Bearer ${TOKEN}` } : {} };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let res;
  try { res = await fetch(url, init); } catch { throw offlineError(`${method} ${url.split("?")[0]} failed`); }
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!res.ok) {
    // our server always answers {"error": one line}; anything else (a proxy, a crash
    // before our handlers) still gets a message that says where it came from
    let msg = data && (data.error || data.detail);
    if (Array.isArray(msg)) msg = msg.map((d) => `${(d.loc || []).join(".")}: ${d.msg}`).join("; ");
    if (!msg) msg = `${method} ${url.split("?")[0]} failed: ${res.status} ${res.statusText}${text ? ` (${text.slice(0, 120)})` : ""}; see the server's log`;
    const err = new Error(msg);
    err.status = res.status;
    throw err;
  }
  return data;
}

export const get = (url) => request("GET", url);
export const post = (url, body) => request("POST", url, body ?? {});
export const del = (url) => request("DELETE", url);

const enc = encodeURIComponent;

export const api = {
  datasets: () => get("/api/datasets"),
  dataset: (name) => get(`/api/datasets/${enc(name)}`),
  page: (dataset, view, offset, limit) => post("/api/samples", { dataset, view, offset, limit }),
  count: (dataset, view) => post("/api/count", { dataset, view }),
  ids: (dataset, view, offset = 0, limit = null) => post("/api/ids", { dataset, view, offset, limit }),
  sample: (dataset, id) => get(`/api/datasets/${enc(dataset)}/samples/${enc(id)}`),
  position: (dataset, view, id) => post("/api/position", { dataset, view, id }),
  sidebar: (dataset, view) => post("/api/sidebar", { dataset, view }),
  sidebarValues: (dataset, view, path, search) => post("/api/sidebar/values", { dataset, view, path, search }),
  groups: (dataset, view, field) => post("/api/groups", { dataset, view, field }),
  tag: (dataset, view, tags, ids, remove) => post("/api/tag", { dataset, view, tags, ids, remove }),
  tagCounts: (dataset, view, ids) => post("/api/tag_counts", { dataset, view, ids }),
  savedViews: (dataset) => get(`/api/datasets/${enc(dataset)}/saved_views`),
  saveView: (dataset, name, view, overwrite) =>
    post(`/api/datasets/${enc(dataset)}/saved_views`, { name, view, overwrite }),
  deleteView: (dataset, name) => del(`/api/datasets/${enc(dataset)}/saved_views/${enc(name)}`),
  operators: () => get("/api/operators"),
  preview: (name, dataset, view, params) =>
    post(`/api/operators/${enc(name)}/preview`, { dataset, view, params }),
  run: (name, dataset, view, params, preview_id) =>
    post(`/api/operators/${enc(name)}/run`, { dataset, view, params, preview_id }),
  job: (id) => get(`/api/jobs/${enc(id)}`),
  undo: (id) => post(`/api/jobs/${enc(id)}/undo`),
  review: (dataset, view, kind, keep) => post("/api/review", { dataset, view, kind, keep }),
  points: (dataset, key) => get(`/api/datasets/${enc(dataset)}/visualization/${enc(key)}`),
  mapPoints: (dataset, view, key, field) => post("/api/visualization", { dataset, view, key, field }),
  thumb: (dataset, id) => withToken(`/thumb/${enc(dataset)}/${enc(id)}`),
  media: (dataset, id) => withToken(`/media/${enc(dataset)}/${enc(id)}`),
  crop: (dataset, sampleId, labelId) => withToken(`/crop/${enc(dataset)}/${enc(sampleId)}/${enc(labelId)}`),
};
