// The tag popover: every tag of the dataset with its count there and in the
// target (the selected samples, else the whole view, as #tag-target says).
// Ticking a tag adds it to the whole target, unticking takes it off; the text
// box adds (or removes) a tag by name, a new one too. Counts are read again
// after each change, and whenever the state changes while it is open.

import { api } from "./api.js";
import { esc } from "./grid.js";

export class TagPopover {
  constructor(button, el, ctx) {
    this.button = button;
    this.el = el;
    this.ctx = ctx;         // {current(), selected(), message(text, kind)}
    this.token = 0;         // the latest count request; older answers drop
    button.addEventListener("click", () => (el.hidden ? this.open() : this.close()));
    el.querySelector("#tag-list").addEventListener("change", (ev) => {
      const row = ev.target.closest("[data-tag]");
      if (row) this.apply(row.dataset.tag, !ev.target.checked);
    });
    el.querySelector("#tag-apply").onclick = () => this.applyTyped(false);
    el.querySelector("#untag-apply").onclick = () => this.applyTyped(true);
    el.querySelector("#tag-input").addEventListener("keydown", (ev) => {
      if (ev.key === "Enter") { ev.preventDefault(); this.applyTyped(false); }
    });
    document.addEventListener("keydown", (ev) => {
      if (ev.key === "Escape" && !el.hidden) { this.close(); button.focus(); }
    });
    document.addEventListener("mousedown", (ev) => {
      if (!el.hidden && !el.contains(ev.target) && !button.contains(ev.target)) this.close();
    });
  }

  open() {
    // fixed, below the button: no overflowing toolbar or menu can clip it
    const r = this.button.getBoundingClientRect();
    this.el.style.top = `${Math.round(r.bottom + 4)}px`;
    this.el.style.left = `${Math.round(Math.max(4, Math.min(r.left, innerWidth - 324)))}px`;
    this.el.hidden = false;
    this.button.setAttribute("aria-expanded", "true");
    this.refresh();
    this.el.querySelector("#tag-input").focus();
  }

  close() {
    this.el.hidden = true;
    this.button.setAttribute("aria-expanded", "false");
  }

  // the state changed (selection, view, a refresh after tagging from anywhere)
  stateChanged() { if (!this.el.hidden) this.refresh(); }

  target() {
    const { dataset, view } = this.ctx.current();
    const sel = this.ctx.selected();
    return { dataset, view, ids: sel.length ? sel : null };
  }

  async refresh() {
    const token = ++this.token;
    const { dataset, view, ids } = this.target();
    if (!dataset) return;
    try {
      const res = await api.tagCounts(dataset, view, ids);
      if (token === this.token) this.draw(res, ids ? "selected" : "in view");
    } catch (err) {
      if (token === this.token) this.el.querySelector("#tag-list").innerHTML = `<p class="more error">${esc(err.message)}</p>`;
    }
  }

  draw(res, where) {
    const names = Object.keys(res.dataset).sort();
    const list = this.el.querySelector("#tag-list");
    if (!names.length) { list.innerHTML = `<p class="more">No tags yet: type one below</p>`; return; }
    const rows = names.map((t) => {
      const k = res.target[t] || 0;
      return `<label class="tag-row" data-tag="${esc(t)}"><input type="checkbox" ${k && k === res.count ? "checked" : ""} data-some="${k > 0 && k < res.count}">` +
        `<span class="name" title="${esc(t)}">${esc(t)}</span><span class="n in-target">${k.toLocaleString()}</span>` +
        `<span class="n in-dataset">${res.dataset[t].toLocaleString()}</span></label>`;
    });
    list.innerHTML = `<div class="tag-row head"><span></span><span class="name">tag</span><span class="n">${where}</span><span class="n">dataset</span></div>` + rows.join("");
    // some but not all of the target carry it: a dash, and a tick adds it to the rest
    list.querySelectorAll("input[data-some=true]").forEach((i) => { i.indeterminate = true; });
  }

  async applyTyped(remove) {
    const input = this.el.querySelector("#tag-input");
    const name = input.value.trim();
    if (!name) { this.ctx.message("Type a tag name first", "error"); input.focus(); return; }
    if (await this.apply(name, remove)) input.value = "";
  }

  async apply(name, remove) {
    const { dataset, view, ids } = this.target();
    try {
      const res = await api.tag(dataset, view, [name], ids, remove);
      this.ctx.message(`${remove ? "Untagged" : "Tagged"} ${res.count} samples: ${name}`);
      return true;
    } catch (err) {
      this.ctx.message(err.message, "error");
      return false;
    } finally {
      await this.refresh();
    }
  }
}
