// Operators: brain and dedup actions, run from the dashboard without code.
// Every operator first shows its preview (a destructive one: its dry run's
// counts) and runs only after a click on Run / Confirm; progress is polled.

import { api } from "./api.js";
import { esc } from "./grid.js";

const POLL_MS = 300;

function inputHtml(p) {
  const id = `op-${p.name}`;
  if (p.kind === "ids") return "";  // set by the dashboard (the review's keepers), not typed
  if (p.kind === "bool") return `<input type="checkbox" name="${p.name}" id="${id}" ${p.default ? "checked" : ""}>`;
  if (p.kind === "choice") {
    return `<select name="${p.name}" id="${id}">${p.choices.map((c) => `<option ${c === p.default ? "selected" : ""}>${esc(c)}</option>`).join("")}</select>`;
  }
  const type = p.kind === "float" || p.kind === "int" ? "number" : "text";
  return `<input type="${type}" step="any" name="${p.name}" id="${id}" value="${p.default ?? ""}" placeholder="${esc(p.help || "")}">`;
}

// the duplicates kind an operator's box offers to review, if any
const reviewKind = (name) => (name.match(/^(?:find|deduplicate)_(exact|approximate)_duplicates$/) || [])[1];

export class OperatorsPanel {
  constructor(el, ctx) {
    this.el = el;
    this.ctx = ctx; // {current() -> {dataset, view}}
  }

  async render() {
    const ops = await api.operators();
    this.el.innerHTML = `<h3>Operators</h3><p class="more">They act on the current view.</p>` + ops.map((op) => `
      <div class="op ${op.destructive ? "destructive" : ""}" data-op="${op.name}">
        <h4>${esc(op.label)}</h4><p>${esc(op.description)}</p>
        <div class="form">${op.params.filter((p) => p.kind !== "ids").map((p) => `<label for="op-${p.name}">${esc(p.label)}</label>${inputHtml(p)}`).join("")}</div>
        <button class="preview">${op.destructive ? "Dry run…" : "Run…"}</button>${reviewKind(op.name) ? ` <button class="review" data-kind="${reviewKind(op.name)}">Review duplicates…</button>` : ""}
        <div class="result"></div>
      </div>`).join("");
    this.el.querySelectorAll(".op").forEach((box) => {
      box.querySelector(".preview").onclick = () => this.preview(box);
    });
    this.el.querySelectorAll("button.review").forEach((b) => { b.onclick = () => this.ctx.onReview(b.dataset.kind); });
  }

  params(box) {
    const out = {};
    box.querySelectorAll(".form [name]").forEach((i) => {
      out[i.name] = i.type === "checkbox" ? i.checked : i.value;
    });
    return out;
  }

  async preview(box) {
    const name = box.dataset.op;
    const { dataset, view } = this.ctx.current();
    const result = box.querySelector(".result");
    result.className = "result";
    try {
      const p = await api.preview(name, dataset, view, this.params(box));
      const label = p.destructive ? "Confirm" : "Run";
      result.innerHTML = `<div class="preview-message">${esc(p.message)}</div><button class="confirm">${label}</button> <button class="cancel">Cancel</button>`;
      result.querySelector(".confirm").onclick = () => this.run(box, p.preview_id);
      result.querySelector(".cancel").onclick = () => { result.innerHTML = ""; };
    } catch (err) {
      result.className = "result error";
      result.textContent = err.message;
    }
  }

  async run(box, previewId) {
    const name = box.dataset.op;
    const { dataset, view } = this.ctx.current();
    const result = box.querySelector(".result");
    result.className = "result";
    result.innerHTML = `<progress></progress><div class="progress-text">starting…</div>`;
    try {
      let job = await api.run(name, dataset, view, this.params(box), previewId);
      while (job.status === "running") {
        const p = job.progress || {};
        const bar = result.querySelector("progress");
        if (p.total) { bar.max = p.total; bar.value = p.done; } else bar.removeAttribute("value");
        result.querySelector(".progress-text").textContent = p.desc ? `${p.desc} ${p.done}${p.total ? "/" + p.total : ""}` : "running…";
        await new Promise((r) => setTimeout(r, POLL_MS));
        job = await api.job(job.id);
      }
      if (job.status === "failed") throw new Error(job.error);
      result.innerHTML = `<div class="done-message">✓ ${esc(job.message)}</div>${job.undo ? `<button class="undo">Undo</button>` : ""}`;
      const undo = result.querySelector(".undo");
      if (undo) undo.onclick = () => this.undo(result, job.id);
      this.ctx.onDone && this.ctx.onDone(job);
    } catch (err) {
      result.className = "result error";
      result.textContent = err.message;
    }
  }

  async undo(result, jobId) {
    result.className = "result";
    try {
      const res = await api.undo(jobId);
      result.innerHTML = `<div class="undone-message">↶ ${esc(res.message)}</div>`;
      this.ctx.onDone && this.ctx.onDone(res);
    } catch (err) {
      result.className = "result error";
      result.textContent = err.message;
    }
  }
}
