// The view bar: the view's stages as chips that read like Python, each one
// editable (click) and removable (×), and "+ add stage" for a new one. The forms
// build stages as data (the `_cls`/`kwargs` dicts of stage.to_dict()); the server
// checks them like any view from the browser.

import { esc } from "./grid.js";
import { describe, exists, limit, matchTags, skip, sortBy } from "./stages.js";

// the kinds of stage the form builds, in its menu's order
const KINDS = ["match", "sort_by", "limit", "skip", "match_tags", "exists"];
// the form's operators -> a one-field Match filter (what the server accepts from HTTP)
const OPS = { "==": null, "!=": "$ne", ">": "$gt", ">=": "$gte", "<": "$lt", "<=": "$lte", in: "$in", "not in": "$nin" };
const OP_OF = Object.fromEntries(Object.entries(OPS).filter(([, m]) => m).map(([o, m]) => [m, o]));

// the form's fields for a stage it can edit, or null (the sidebar's ranges, F expressions...)
export function formOf(s) {
  const k = s.kwargs || {};
  switch (s._cls) {
    case "Match": {
      const f = k.filter;
      const keys = f && typeof f === "object" ? Object.keys(f) : [];
      if (keys.length !== 1 || keys[0].startsWith("$")) return null;
      const field = keys[0], cond = f[field];
      if (cond === null || typeof cond !== "object") return { kind: "match", field, op: "==", value: cond };
      const ops = Object.keys(cond);
      if (ops.length !== 1 || !(ops[0] in OP_OF || ops[0] === "$eq")) return null;
      return { kind: "match", field, op: ops[0] === "$eq" ? "==" : OP_OF[ops[0]], value: cond[ops[0]] };
    }
    case "SortBy": return typeof k.field_or_expr === "string" ? { kind: "sort_by", field: k.field_or_expr, reverse: !!k.reverse } : null;
    case "Limit": return { kind: "limit", n: k.limit };
    case "Skip": return { kind: "skip", n: k.skip };
    case "MatchTags": return k.bool === false || k.all ? null : { kind: "match_tags", tags: [].concat(k.tags) };
    case "Exists": return { kind: "exists", field: k.field, bool: k.bool !== false };
    default: return null;
  }
}

// One value typed in the form, as the field's type: 0.5, true, "cat".
function parseValue(text, kind) {
  const t = text.trim();
  if (kind === "number") {
    const n = Number(t);
    if (t === "" || !Number.isFinite(n)) throw new Error(`"${t}" is not a number`);
    return n;
  }
  if (kind === "bool") {
    if (!/^(true|false)$/i.test(t)) throw new Error(`"${t}" is not True or False`);
    return /^true$/i.test(t);
  }
  return t;
}

// The stage the form's values make, or an Error saying what to fix.
export function stageOf(v, kindOf) {
  switch (v.kind) {
    case "match": {
      if (!v.field) throw new Error("choose a field");
      const kind = kindOf(v.field);
      const value = v.op === "in" || v.op === "not in"
        ? v.value.split(",").filter((x) => x.trim()).map((x) => parseValue(x, kind))
        : parseValue(v.value, kind);
      const op = OPS[v.op];
      return { _cls: "Match", kwargs: { filter: { [v.field]: op ? { [op]: value } : value } } };
    }
    case "sort_by":
      if (!v.field) throw new Error("choose a field");
      return sortBy(v.field, v.reverse);
    case "limit":
    case "skip": {
      const n = Number(v.n);
      if (String(v.n).trim() === "" || !Number.isInteger(n) || n < 0) throw new Error(`${v.kind} takes a whole number ≥ 0`);
      return v.kind === "limit" ? limit(n) : skip(n);
    }
    case "match_tags": {
      const tags = v.tags.split(",").map((x) => x.trim()).filter(Boolean);
      if (!tags.length) throw new Error("type one or more tags (comma-separated)");
      return matchTags(tags);
    }
    case "exists":
      if (!v.field) throw new Error("choose a field");
      return exists(v.field, v.bool);
    default: throw new Error(`unknown stage ${v.kind}`);
  }
}

const shown = (v) => (Array.isArray(v) ? v.join(", ") : v == null ? "" : String(v));

export class Viewbar {
  // ctx: {state(), setView(stages), fields() -> [{path, kind}], tags() -> [tag]}
  constructor(el, ctx) {
    this.el = el;
    this.ctx = ctx;
    this.form = document.createElement("form");
    this.form.id = "stage-form";
    this.form.hidden = true;
    this.form.setAttribute("aria-label", "stage");
    el.after(this.form);
    this.editing = null;   // index of the stage being edited, or null: a new one
    el.addEventListener("click", (ev) => this.clicked(ev));
    this.form.addEventListener("submit", (ev) => { ev.preventDefault(); this.submit(); });
    this.form.addEventListener("change", (ev) => { if (ev.target.name === "kind") this.showForm({ ...this.values(), kind: ev.target.value }); });
    this.form.addEventListener("click", (ev) => { if (ev.target.classList.contains("cancel")) this.closeForm(); });
    document.addEventListener("keydown", (ev) => { if (ev.key === "Escape" && !this.form.hidden) this.closeForm(); });
  }

  render() {
    const s = this.ctx.state();
    const chips = s.view.map((st, i) => {
      const editable = formOf(st) ? " editable" : "";
      return `<span class="chip${editable}" data-stage="${i}" title="${esc(JSON.stringify(st))}">` +
        `<span class="chip-text" data-edit="${i}">${esc(describe(st))}</span><button title="remove this stage" data-remove="${i}">×</button></span>`;
    });
    const name = s.view_name ? `<span class="hint">saved view <b>${esc(s.view_name)}</b></span>` : "";
    const clear = s.view.length ? `<button id="clear-view">clear</button>` : `<span class="hint">no stages: the whole dataset</span>`;
    this.el.innerHTML = name + chips.join("") + `<button id="add-stage" title="add a stage to the view">+ add stage</button>` + clear;
  }

  clicked(ev) {
    const t = ev.target.closest("[data-remove], [data-edit], #add-stage, #clear-view");
    if (!t) return;
    const view = this.ctx.state().view;
    if (t.dataset.remove !== undefined) {
      const i = Number(t.dataset.remove);
      if (this.editing === i) this.closeForm();
      this.ctx.setView(view.filter((_, j) => j !== i));
    } else if (t.dataset.edit !== undefined) {
      const i = Number(t.dataset.edit);
      const v = formOf(view[i]);
      if (!v) return;   // not one the form can write: remove it and add a new one
      this.editing = i;
      this.showForm(v);
    } else if (t.id === "add-stage") {
      this.editing = null;
      this.showForm({ kind: "match" });
    } else if (t.id === "clear-view") {
      this.closeForm();
      this.ctx.setView([]);
    }
  }

  fieldOptions(chosen, filter = () => true) {
    const fields = this.ctx.fields().filter(filter);
    if (chosen && !fields.some((f) => f.path === chosen)) fields.unshift({ path: chosen });
    return fields.map((f) => `<option ${f.path === chosen ? "selected" : ""}>${esc(f.path)}</option>`).join("");
  }

  argsHtml(v) {
    const field = (filter) => `<select name="field" aria-label="field">${this.fieldOptions(v.field, filter)}</select>`;
    switch (v.kind) {
      case "match":
        return field((f) => f.kind !== "tags") +
          `<select name="op" aria-label="operator">${Object.keys(OPS).map((o) => `<option ${o === (v.op || "==") ? "selected" : ""}>${esc(o)}</option>`).join("")}</select>` +
          `<input name="value" aria-label="value" placeholder="value (in: a, b)" value="${esc(shown(v.value))}">`;
      case "sort_by":
        return field((f) => f.kind !== "tags") + `<label><input type="checkbox" name="reverse" ${v.reverse ? "checked" : ""}> reverse</label>`;
      case "limit":
      case "skip":
        return `<input name="n" type="number" min="0" step="1" aria-label="${v.kind}" value="${esc(shown(v.n ?? ""))}">`;
      case "match_tags":
        return `<input name="tags" list="stage-tags" aria-label="tags" placeholder="tag, tag" value="${esc(shown(v.tags))}">` +
          `<datalist id="stage-tags">${this.ctx.tags().map((t) => `<option value="${esc(t)}">`).join("")}</datalist>`;
      case "exists":
        return field() + `<select name="bool" aria-label="exists or missing"><option value="true">exists</option><option value="false" ${v.bool === false ? "selected" : ""}>is missing</option></select>`;
      default: return "";
    }
  }

  showForm(v) {
    const kinds = KINDS.map((k) => `<option ${k === v.kind ? "selected" : ""}>${k}</option>`).join("");
    const verb = this.editing == null ? "Add" : "Apply";
    this.form.innerHTML = `<span class="title">${this.editing == null ? "add stage" : `edit stage ${this.editing + 1}`}</span>` +
      `<select name="kind" aria-label="stage kind">${kinds}</select>${this.argsHtml(v)}` +
      `<button type="submit" class="apply">${verb}</button><button type="button" class="cancel">Cancel</button><span class="form-error" role="alert"></span>`;
    this.form.hidden = false;
    const first = this.form.querySelector("[name=value], [name=n], [name=tags]");
    if (first) first.focus();
  }

  values() {
    const q = (n) => this.form.querySelector(`[name="${n}"]`);
    return {
      kind: q("kind")?.value, field: q("field")?.value, op: q("op")?.value, value: q("value")?.value ?? "",
      reverse: !!q("reverse")?.checked, n: q("n")?.value ?? "", tags: q("tags")?.value ?? "",
      bool: q("bool") ? q("bool").value === "true" : true,
    };
  }

  submit() {
    const kindOf = (path) => (this.ctx.fields().find((f) => f.path === path) || {}).kind;
    let stage;
    try {
      stage = stageOf(this.values(), kindOf);
    } catch (err) {
      this.form.querySelector(".form-error").textContent = err.message;
      return;
    }
    const view = this.ctx.state().view.slice();
    if (this.editing == null) view.push(stage); else view[this.editing] = stage;
    this.closeForm();
    this.ctx.setView(view);
  }

  closeForm() {
    this.form.hidden = true;
    this.form.innerHTML = "";
    this.editing = null;
  }
}
