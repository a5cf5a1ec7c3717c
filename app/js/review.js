// The duplicates review: each group of a dedup dry run as a row of its samples,
// the one to keep marked by the chosen rule. A click (or `c`) picks another
// keeper; j/k or ↓/↑ move group by group. One Confirm runs the same brain dedup
// (the deduplicate_<kind>_duplicates operator, with the picked keepers) through
// the usual preview-then-run path; files go to the trash by default, and Undo
// restores them (and the samples) from there.

import { api } from "./api.js";
import { esc } from "./grid.js";

const POLL_MS = 300;
const CHUNK = 60;  // groups added to the page at a time, as the list scrolls
const RULES = { first: "first", largest: "largest", sharpest: "sharpest", most_unique: "most unique", most_central: "most central" };

const kb = (n) => (n == null ? "" : n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : `${Math.round(n / 1e3)} kB`);

export class Review {
  constructor(host, ctx) {
    this.ctx = ctx;  // {current() -> {dataset, view}, onDone()}
    this.el = document.createElement("section");
    this.el.id = "review";
    this.el.hidden = true;
    this.el.setAttribute("aria-label", "duplicates review");
    this.el.innerHTML = `
      <div class="review-bar">
        <b>Review duplicates</b>
        <label>Duplicates <select class="kind" aria-label="duplicates kind">
          <option value="approximate">near-duplicates</option><option value="exact">exact</option></select></label>
        <label>Keep <select class="keep" aria-label="keep rule">${Object.entries(RULES).map(([v, t]) => `<option value="${v}">${t}</option>`).join("")}</select></label>
        <label title="unticked: the files stay where they are and there is no undo"><input type="checkbox" class="trash" checked> move removed files to the trash</label>
        <span class="summary" aria-live="polite"></span>
        <span class="spacer"></span>
        <button class="confirm" disabled>Confirm</button>
        <button class="close" title="close (Esc)">Close</button>
      </div>
      <div class="review-status"></div>
      <div class="review-help">click a sample: keep it · <kbd>j</kbd>/<kbd>k</kbd> or <kbd>↓</kbd>/<kbd>↑</kbd>: next/previous group · <kbd>c</kbd>: next keeper in the group · <kbd>Esc</kbd>: close</div>
      <div class="review-rows" tabindex="0"></div>`;
    host.appendChild(this.el);
    this.rows = this.el.querySelector(".review-rows");
    this.status = this.el.querySelector(".review-status");
    this.groups = [];
    this.keepers = [];
    this.active = 0;
    this.shown = 0;
    this.el.querySelector(".kind").onchange = () => this.load();
    this.el.querySelector(".keep").onchange = () => this.load();
    this.el.querySelector(".close").onclick = () => this.close();
    this.el.querySelector(".confirm").onclick = () => this.confirm();
    this.rows.addEventListener("click", (ev) => this.click(ev));
    this.rows.addEventListener("scroll", () => this.more());
    document.addEventListener("keydown", (ev) => this.key(ev));
  }

  get open() { return !this.el.hidden; }

  async show(kind) {
    if (kind) this.el.querySelector(".kind").value = kind;
    this.el.hidden = false;
    await this.load();
    this.rows.focus();
  }

  close() { this.el.hidden = true; }

  say(html, kind = "") {
    this.status.className = `review-status ${kind}`;
    this.status.innerHTML = html;
  }

  // the dry run's groups for the chosen kind and rule (picks by hand start over)
  async load() {
    const { dataset, view } = this.ctx.current();
    const kind = this.el.querySelector(".kind").value, keep = this.el.querySelector(".keep").value;
    const token = (this.token = {});
    this.say("");
    try {
      const plan = await api.review(dataset, view, kind, keep);
      if (token !== this.token) return;
      this.plan = plan;
      this.groups = plan.groups;
      this.keepers = plan.groups.map((g) => g.keep);
      this.active = 0;
    } catch (err) {
      if (token !== this.token) return;
      this.plan = null;
      this.groups = [];
      this.keepers = [];
      this.say(esc(err.message), "error");
    }
    this.rows.innerHTML = "";
    this.shown = 0;
    this.more(true);
    this.renderSummary();
  }

  // add the next groups when the list is scrolled near its end (or `force`)
  more(force = false) {
    const r = this.rows;
    if (!force && r.scrollTop + r.clientHeight < r.scrollHeight - 400) return;
    const end = Math.min(this.groups.length, this.shown + CHUNK);
    const html = [];
    for (let n = this.shown; n < end; n++) html.push(this.rowHtml(n));
    this.rows.insertAdjacentHTML("beforeend", html.join(""));
    this.shown = end;
    if (!this.groups.length && this.plan) this.rows.innerHTML = `<p class="more">No duplicate groups in this view.</p>`;
    this.mark(this.active);
  }

  rowHtml(n) {
    const g = this.groups[n];
    const score = this.plan.keep === "sharpest" ? "blur" : this.plan.keep === "most_unique" ? "uniqueness" : null;
    const tiles = g.samples.map((s) => {
      const bits = [s.width ? `${s.width}×${s.height}` : "", kb(s.size_bytes)];
      if (score) bits.push(s.score == null ? `no ${score}` : `${score} ${s.score.toFixed(score === "blur" ? 0 : 3)}`);
      const keep = s.id === this.keepers[n];
      return `<figure class="review-sample ${keep ? "keep" : "remove"}" data-id="${esc(s.id)}" title="${esc(s.name)}: click to keep this one">
        <img loading="lazy" alt="" src="${esc(api.thumb(this.ctx.current().dataset, s.id))}">
        <span class="mark">${keep ? "KEEP" : "remove"}</span>
        <figcaption><span class="name">${esc(s.name)}</span><span>${esc(bits.filter(Boolean).join(" · "))}</span></figcaption>
      </figure>`;
    });
    return `<div class="review-group" data-group="${n}"><div class="review-head">Group ${n + 1} of ${this.groups.length} · ${g.samples.length} samples</div><div class="review-samples">${tiles.join("")}</div></div>`;
  }

  row(n) { return this.rows.querySelector(`.review-group[data-group="${n}"]`); }

  // mark group `n`'s keeper and make `n` the active row
  mark(n) {
    const old = this.rows.querySelector(".review-group.active");
    if (old) old.classList.remove("active");
    const row = this.row(n);
    if (!row) return;
    row.classList.add("active");
    for (const f of row.querySelectorAll(".review-sample")) {
      const keep = f.dataset.id === this.keepers[n];
      f.classList.toggle("keep", keep);
      f.classList.toggle("remove", !keep);
      f.querySelector(".mark").textContent = keep ? "KEEP" : "remove";
    }
  }

  setKeeper(n, id) {
    this.keepers[n] = id;
    this.active = n;
    this.mark(n);
    this.renderSummary();
  }

  click(ev) {
    const fig = ev.target.closest(".review-sample");
    if (!fig) return;
    this.setKeeper(Number(fig.closest(".review-group").dataset.group), fig.dataset.id);
  }

  go(step) {
    if (!this.groups.length) return;
    const n = Math.max(0, Math.min(this.groups.length - 1, this.active + step));
    while (n >= this.shown) this.more(true);
    this.active = n;
    this.mark(n);
    this.row(n).scrollIntoView({ block: "nearest" });
  }

  key(ev) {
    if (!this.open || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (["INPUT", "SELECT", "TEXTAREA"].includes(ev.target.tagName)) return;
    if (document.querySelector("#modal:not([hidden])")) return;
    const k = ev.key;
    if (k === "j" || k === "ArrowDown") this.go(1);
    else if (k === "k" || k === "ArrowUp") this.go(-1);
    else if (k === "c" && this.groups.length) {
      const ids = this.groups[this.active].samples.map((s) => s.id);
      this.setKeeper(this.active, ids[(ids.indexOf(this.keepers[this.active]) + 1) % ids.length]);
    } else if (k === "Escape") this.close();
    else return;
    ev.preventDefault();
  }

  counts() {
    const remove = this.groups.reduce((n, g) => n + g.samples.length - 1, 0);
    return { groups: this.groups.length, remove, keep: this.groups.length, stay: this.plan ? this.plan.count - remove : 0 };
  }

  renderSummary() {
    const c = this.counts();
    const el = this.el.querySelector(".summary");
    Object.assign(el.dataset, { groups: c.groups, remove: c.remove, keep: c.keep });
    const picked = this.keepers.filter((id, n) => id !== this.groups[n].keep).length;
    el.textContent = this.plan
      ? `${c.groups.toLocaleString()} groups, ${c.remove.toLocaleString()} samples to remove, ${c.keep.toLocaleString()} kept` +
        ` · ${c.stay.toLocaleString()} of ${this.plan.count.toLocaleString()} samples stay in the view` +
        (picked ? ` · ${picked} keepers picked by hand` : "")
      : "";
    const btn = this.el.querySelector(".confirm");
    btn.disabled = !c.remove;
    btn.textContent = c.remove ? `Confirm: remove ${c.remove.toLocaleString()}` : "Confirm";
  }

  // the one confirm: the dedup operator's preview (its dry run) and, at once, its run
  async confirm() {
    const { dataset, view } = this.ctx.current();
    const kind = this.plan.kind;
    const name = `deduplicate_${kind}_duplicates`;
    const params = { keep: this.plan.keep, move_files_to_trash: this.el.querySelector(".trash").checked, keepers: this.keepers };
    this.el.querySelector(".confirm").disabled = true;
    this.say(`<progress></progress> removing…`);
    try {
      const p = await api.preview(name, dataset, view, params);
      let job = await api.run(name, dataset, view, params, p.preview_id);
      while (job.status === "running") {
        await new Promise((r) => setTimeout(r, POLL_MS));
        job = await api.job(job.id);
      }
      if (job.status === "failed") throw new Error(job.error);
      await this.load();
      this.say(`<span class="done-message">✓ ${esc(job.message)}</span> ${job.undo ? `<button class="undo">Undo</button>` : "(files left in place: no undo)"}`);
      const undo = this.status.querySelector(".undo");
      if (undo) undo.onclick = () => this.undo(job.id);
      this.ctx.onDone && this.ctx.onDone(job);
    } catch (err) {
      this.say(esc(err.message), "error");
      this.renderSummary();
    }
  }

  async undo(jobId) {
    this.say(`<progress></progress> restoring from the trash…`);
    try {
      const res = await api.undo(jobId);
      await this.load();
      this.say(`<span class="undone-message">↶ ${esc(res.message)}</span>`);
      this.ctx.onDone && this.ctx.onDone(res);
    } catch (err) {
      this.say(esc(err.message), "error");
    }
  }
}
