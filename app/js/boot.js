// The first screen's data, asked for while the modules load (a classic async script,
// so it runs as soon as it arrives, before the ~20 modules and the websocket):
// the session's state, then the view's count and first page, then the thumbnails of
// the tiles that fill the first screen. main.js takes it for its first load when the
// state it gets over the websocket shows the same dataset and view; anything that
// fails here is simply asked for again by main.js, which reports it.
"use strict";
(() => {
  const token = new URLSearchParams(location.search).get("token");
  const headers = token ? { Authorization: `Bearer ${token}` } : {};
  const json = (res) => (res.ok ? res.json() : Promise.reject(new Error(res.statusText)));
  const post = (url, body) => fetch(url, {
    method: "POST", headers: { ...headers, "Content-Type": "application/json" }, body: JSON.stringify(body),
  }).then(json);
  const PAGE = 100;  // grid.js's PAGE
  const ROW = 120;   // grid.js's default row height: about one tile per ROW x ROW pixels
  const thumb = (dataset, id) => {
    const url = `/thumb/${encodeURIComponent(dataset)}/${encodeURIComponent(id)}`;
    return token ? `${url}?token=${encodeURIComponent(token)}` : url;
  };
  const first = fetch("/api/state", { headers }).then(json).then((s) => {
    if (!s.dataset || s.view.some((st) => st._cls === "GroupBy")) return null;  // groups: main.js
    const ask = { dataset: s.dataset, view: s.view };
    return Promise.all([post("/api/count", ask), post("/api/samples", { ...ask, offset: 0, limit: PAGE })])
      .then(([c, page]) => ({ dataset: s.dataset, view: JSON.stringify(s.view), count: c, page }));
  }).then((got) => {
    if (got) {
      const shown = Math.min(PAGE, Math.ceil((innerWidth * innerHeight) / (ROW * ROW)));
      window.__bootImages = got.page.samples.slice(0, shown).map((smp) => {
        const img = new Image();  // the grid's <img> of the same URL takes it from the cache
        img.src = thumb(got.dataset, smp.id);
        return img;
      });
    }
    return got;
  }).catch(() => null);
  window.__boot = first;
})();
