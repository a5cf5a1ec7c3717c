// The session state, mirrored from the server over a websocket.
// The server is the only writer: this side sends changes and renders whatever
// state (with a newer version) comes back, so it cannot drift from Python.
// Nothing is queued while the socket is down: a change made then is dropped and
// said so (onDropped), never replayed when the server comes back, since the
// user made it against a page the restarted server may no longer show.

import { offlineError, withToken } from "./api.js";

export class StateClient {
  constructor() {
    this.state = null;
    this.version = -1;
    this.listeners = [];
    this.errorListeners = [];
    this.connListeners = [];
    this.droppedListeners = [];
    this.pending = new Map();  // request id -> {resolve, reject, quiet}
    this.nextId = 1;
    this.fresh = true;         // the next state is taken whole (first, or after a reconnect)
    this.delay = 250;
    this.connect();
  }

  connect() {
    const proto = location.protocol === "https:" ? "wss" : "ws";
    const ws = new WebSocket(withToken(`${proto}://${location.host}/ws/state`));
    this.ws = ws;
    ws.onopen = () => {
      this.delay = 250;
      this.version = -1;  // a restarted server counts from 0 again: take its state whole
      this.fresh = true;  // and re-read everything: samples may have changed meanwhile
      this.connListeners.forEach((fn) => fn(true));
    };
    ws.onmessage = (ev) => {
      const msg = JSON.parse(ev.data);
      if (msg.type === "state") this.receive(msg.state);
      else if (msg.type === "ack") this.settle(msg.id, null);
      else if (msg.type === "error") this.settle(msg.id, new Error(msg.message));
    };
    ws.onclose = () => {
      // changes in flight may or may not have been applied; the next state says
      for (const p of this.pending.values()) p.reject(offlineError("Connection lost"));
      this.pending.clear();
      this.connListeners.forEach((fn) => fn(false));
      setTimeout(() => this.connect(), this.delay);
      this.delay = Math.min(this.delay * 2, 2000);
    };
  }

  receive(state) {
    if (state.version <= this.version) return;
    const previous = this.fresh ? null : this.state;
    this.fresh = false;
    this.state = state;
    this.version = state.version;
    this.listeners.forEach((fn) => fn(state, previous));
  }

  settle(id, err) {
    const p = this.pending.get(id);
    this.pending.delete(id);
    if (err && !(p && p.quiet)) this.errorListeners.forEach((fn) => fn(err.message));
    if (!p) return;
    if (err) p.reject(err); else p.resolve(this.state);
  }

  // send `msg`; resolves with the state once applied, rejects with the server's
  // reason (its error also goes to onError unless `quiet`: the caller shows it)
  send(msg, quiet = false) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) {
      this.droppedListeners.forEach((fn) => fn(msg));
      const p = Promise.reject(offlineError());
      p.catch(() => {});
      return p;
    }
    const id = this.nextId++;
    const p = new Promise((resolve, reject) => this.pending.set(id, { resolve, reject, quiet }));
    p.catch(() => {});  // callers that ignore the result still get onError
    this.ws.send(JSON.stringify({ ...msg, id }));
    return p;
  }

  // {quiet: true}: the caller shows a refusal next to its control (see errors.js)
  update(changes, { quiet = false } = {}) { return this.send({ type: "update", changes }, quiet); }
  select(add = [], remove = []) { return this.send({ type: "select", add, remove }); }
  refresh() { return this.send({ type: "refresh" }); }

  onChange(fn) { this.listeners.push(fn); }
  onError(fn) { this.errorListeners.push(fn); }
  onConnection(fn) { this.connListeners.push(fn); }
  onDropped(fn) { this.droppedListeners.push(fn); }
}
