// HTTP calls to the server. Errors come back as {"error": message}: thrown as Error(message).

// The server's token from the page's URL (?token=...), for frames where its cookie is
// not sent (a notebook's inline dashboard); top-level pages also carry the cookie.
export const TOKEN = new URLSearchParams(location.search).get("token");
export const withToken = (url) => TOKEN ? `${url}${url.includes("?") ? "&" : "?"}token=${encodeURIComponent(TOKEN)}` : url;

async function request(method, url, body) {
  const init = { method, headers: TOKEN ? { Authorization: `Bearer ${TOKEN}` } : {} };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const res = await fetch(url, init);
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = { error: text }; }
  if (!res.ok) {
    let msg = (data && (data.error || data.detail)) || `${res.status} ${res.statusText}`;
    if (Array.isArray(msg)) msg = msg.map((d) => `${(d.loc || []).join(".")}: ${d.msg}`).join("; ");
    throw new Error(msg);
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
  sidebar: (dataset, view) => post("/api/sidebar", { dataset, view }),
  groups: (dataset, view, field) => post("/api/groups", { dataset, view, field }),
  tag: (dataset, view, tags, ids, remove) => post("/api/tag", { dataset, view, tags, ids, remove }),
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
  points: (dataset, key) => get(`/api/datasets/${enc(dataset)}/visualization/${enc(key)}`),
  mapPoints: (dataset, view, key, field) => post("/api/visualization", { dataset, view, key, field }),
  thumb: (dataset, id) => withToken(`/thumb/${enc(dataset)}/${enc(id)}`),
  media: (dataset, id) => withToken(`/media/${enc(dataset)}/${enc(id)}`),
};
