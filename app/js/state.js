// The session state, mirrored from the server over a websocket.
// The server is the only writer: this side sends changes and renders whatever
// state (with a newer version) comes back, so it cannot drift from Python.

import { withToken } from "./api.js";
export class StateClient {
  constructor() {
    this.state = null;
    this.version = -1;
    this.listeners = [];
    this.errorListeners = [];
    this.connListeners = [];
    this.queue = [];
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
      for (const msg of this.queue.splice(0)) ws.send(JSON.stringify(msg));
      this.connListeners.forEach((fn) => fn(true));
    };
    ws.onmessage = (ev) => {
      const msg = JSON.parse(ev.data);
      if (msg.type === "state") this.receive(msg.state);
      else if (msg.type === "error") this.errorListeners.forEach((fn) => fn(msg.message));
    };
    ws.onclose = () => {
      this.connListeners.forEach((fn) => fn(false));
      setTimeout(() => this.connect(), this.delay);
      this.delay = Math.min(this.delay * 2, 5000);
    };
  }

  receive(state) {
    if (state.version <= this.version) return;
    const previous = this.state;
    this.state = state;
    this.version = state.version;
    this.listeners.forEach((fn) => fn(state, previous));
  }

  send(msg) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(msg));
    else this.queue.push(msg);
  }

  update(changes) { this.send({ type: "update", changes }); }
  select(add = [], remove = []) { this.send({ type: "select", add, remove }); }
  refresh() { this.send({ type: "refresh" }); }

  onChange(fn) { this.listeners.push(fn); }
  onError(fn) { this.errorListeners.push(fn); }
  onConnection(fn) { this.connListeners.push(fn); }
}
