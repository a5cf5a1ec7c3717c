// What a user sees when something fails: each failed request's message next to
// what caused it (a sidebar field, the view bar, the grid), gone as soon as that
// thing works again, and a banner while the server cannot be reached, during
// which clicks do nothing (and say so) and nothing is queued for later.

import { get } from "./api.js";

// the index of the stage an error names ("stages[2] ..." from the server), or null
export function stageOf(err) {
  const m = /^stages\[(\d+)\]/.exec((err && err.message) || "");
  return m ? Number(m[1]) : null;
}

// show `err`'s message inside `anchor` (its last child), replacing any earlier one
export function showError(anchor, err) {
  if (!anchor || !err || err.offline) return;  // offline: the banner says it
  let el = anchor.querySelector(":scope > .req-error");
  if (!el) {
    el = document.createElement("div");
    el.className = "req-error";
    el.setAttribute("role", "alert");
    anchor.appendChild(el);
  }
  el.textContent = err.message || String(err);
}

export function clearError(anchor) {
  if (anchor) anchor.querySelectorAll(":scope > .req-error").forEach((el) => el.remove());
}

// settle `promise` against `anchor`: its error shown there, or any old one cleared
export function track(promise, anchor) {
  return promise.then((value) => { clearError(anchor); return value; },
    (err) => { showError(anchor, err); });
}

// The view failed to load (count, first page, groups): the grid empties instead of
// keeping the tiles of the last view, the error says why, and the stage it names is
// marked in the view bar. `null` clears all of it.
export function setViewError(err) {
  const box = document.querySelector("#grid-error");
  document.querySelectorAll("#viewbar .bad").forEach((c) => { c.classList.remove("bad"); c.removeAttribute("aria-invalid"); });
  if (!box) return;
  if (!err || err.offline) { box.hidden = true; box.textContent = ""; return; }
  box.hidden = false;
  box.textContent = `This view cannot be shown: ${err.message}`;
  const i = stageOf(err);
  const chip = i == null ? null : document.querySelector(`#viewbar [data-stage="${i}"]`);
  if (chip) { chip.classList.add("bad"); chip.setAttribute("aria-invalid", "true"); chip.title = err.message; }
}

// what goes inert while the server is gone: everything but the banner
const REGIONS = "#topbar, #viewbar, main, #modal";

// The banner shown while the server is gone. The page goes inert (a click cannot
// reach a server that is not there, and must not wait to be replayed later); a
// click anyway, or a change the state client could not send, is counted and the
// banner flashes to say it did nothing.
export class ConnectionBanner {
  constructor(el, dot) {
    this.el = el;
    this.dot = dot;
    this.up = null;        // null until the first connect
    this.ignored = 0;
    for (const type of ["mousedown", "click", "dblclick"]) {
      document.addEventListener(type, (ev) => this.swallow(ev), true);
    }
  }

  set(up) {
    if (up === this.up) return;
    const wasDown = this.up === false;
    this.up = up;
    if (this.dot) this.dot.classList.toggle("up", up);
    document.body.classList.toggle("offline", !up);
    // a half-typed filter commits (and is dropped, said) now, not on its blur later
    if (!up && document.activeElement && document.activeElement !== document.body) document.activeElement.blur();
    document.querySelectorAll(REGIONS).forEach((r) => { r.inert = !up; });
    if (up) {
      this.el.hidden = true;
      this.ignored = 0;
      this.el.querySelector(".ignored").textContent = "";
      if (wasDown) this.el.dataset.reconnected = String(Date.now());
      return;
    }
    this.render(null);
    this.el.hidden = false;
    this.checkToken();
  }

  // a change the state client could not send (made while the socket was down)
  dropped() { this.ignore(); }

  swallow(ev) {
    if (this.up !== false || this.el.contains(ev.target)) return;
    ev.preventDefault();
    ev.stopImmediatePropagation();
    if (ev.type === "click") this.ignore();
  }

  ignore() {
    if (this.up !== false) return;
    this.ignored += 1;
    this.el.querySelector(".ignored").textContent =
      `That did nothing: ${this.ignored} ignored while disconnected; none will be sent later.`;
    this.el.classList.remove("flash");
    void this.el.offsetWidth;  // restart the animation
    this.el.classList.add("flash");
  }

  render(refusal) {
    const what = this.el.querySelector(".what");
    what.textContent = refusal
      ? `The dashboard server is running again but refuses this page: ${refusal}`
      : "The dashboard server is not reachable. Start it again on the same port " +
        "(dsc app launch …, or dc.launch_app(…) / session.show() in Python) and this page " +
        "reconnects by itself.";
  }

  // a server that answers but keeps closing the socket was restarted with a new
  // token: say so, with its own words, since waiting will not help
  async checkToken() {
    while (this.up === false) {
      await new Promise((r) => setTimeout(r, 2000));
      if (this.up !== false) return;
      try {
        await get("/api/state");
      } catch (err) {
        if (err.status === 403 && this.up === false) this.render(err.message);
      }
    }
  }
}
