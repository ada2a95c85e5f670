// Settings: where livegate listens, how long approvals wait, which categories notify, how long
// the audit log keeps records, how Live is reached, and starting at login. The server checks
// every field and saves nothing unless all are valid; some changes apply at the next start.

import * as api from "../api.js";
import { h, replace, field, select, clone } from "../dom.js";
import { toast, toastError } from "../toast.js";
import { CATEGORIES } from "../policy-edit.js";

/** Mounts the Settings screen. */
export function mount(root, ctx) {
  const body = h("div", { class: "stack" }, h("p", { class: "muted" }, "Loading…"));
  const restart = h("div", { id: "settings-restart", role: "status" });
  replace(root,
    h("div", { class: "screen-head" },
      h("div", {}, h("h1", {}, "Settings"), h("p", { class: "sub" }, "How livegate runs on this computer."))),
    restart, body);

  let saved = null; // GET /api/settings
  let draft = null;
  let saving = false;
  let stopped = false;
  const dirty = () => saved !== null && JSON.stringify(draft) !== JSON.stringify(saved);
  ctx.setLeaveGuard(() => (dirty() ? "Your settings changes are not saved yet." : null));

  async function load() {
    try {
      saved = await api.get("/api/settings");
      if (stopped) return;
      draft = clone(saved);
      render();
    } catch (e) {
      replace(body, h("div", { class: "callout danger" }, e.message));
    }
  }

  /** A control bound to `draft` at a dotted path; `kind` is text, number, bool or select. */
  function bind(path, kind, options) {
    const keys = path.split(".");
    const getV = () => keys.reduce((o, k) => o?.[k], draft);
    const setV = (v) => { keys.slice(0, -1).reduce((o, k) => o[k], draft)[keys[keys.length - 1]] = v; changed(); };
    let el;
    if (kind === "bool") {
      el = h("input", { type: "checkbox", checked: !!getV() });
      el.addEventListener("change", () => setV(el.checked));
    } else if (kind === "select") {
      el = select(options, getV());
      el.addEventListener("change", () => setV(el.value));
    } else if (kind === "number") {
      el = h("input", { type: "number", min: "0", step: "1", value: getV() ?? "" });
      el.addEventListener("input", () => setV(el.value === "" ? null : Number(el.value)));
    } else {
      el = h("input", { type: "text", value: getV() ?? "", class: "mono" });
      el.addEventListener("input", () => setV(el.value));
    }
    el.dataset.path = path;
    el.id = `set-${path.replace(/\./g, "-")}`;
    return el;
  }

  const saveBtn = h("button", { type: "button", class: "primary", id: "settings-save" }, "Save");
  const resetBtn = h("button", { type: "button", class: "ghost" }, "Discard");
  const stateText = h("span", { class: "state", role: "status" });
  saveBtn.addEventListener("click", doSave);
  resetBtn.addEventListener("click", () => { draft = clone(saved); render(); });

  function changed() {
    const d = dirty();
    stateText.classList.toggle("dirty", d);
    stateText.textContent = saving ? "Saving…" : d ? "Unsaved changes" : "Saved";
    saveBtn.disabled = !d || saving;
    resetBtn.disabled = !d || saving;
  }

  function render() {
    const switchFor = (path, label) => h("label", { class: "switch" }, bind(path, "bool"), label);
    replace(body,
      h("section", { class: "card", "aria-labelledby": "set-gw" },
        h("div", { class: "card-head" }, h("h2", { id: "set-gw" }, "Gateway")),
        h("div", { class: "settings-grid" },
          field("Listen address", bind("listen", "text"), { help: "Where agents and this window reach livegate (127.0.0.1:7420). Applies at the next start." }),
          field("Seconds to wait for an approval", bind("approval_timeout_s", "number"), { help: "When a rule does not say; no answer in time means no. Applies at once." }),
          h("div", { class: "field" }, h("span", { class: "label" }, "Start livegate when you log in"), switchFor("start_at_login", "Start at login")))),
      h("section", { class: "card", "aria-labelledby": "set-notify" },
        h("div", { class: "card-head" }, h("h2", { id: "set-notify" }, "Notifications")),
        h("p", { class: "muted small" }, "A desktop notification with Approve and Deny when a call of these categories waits for you. The Approvals screen always shows every call."),
        h("div", { class: "checks", role: "group", "aria-label": "Notify for", "data-path": "notifications" },
          CATEGORIES.map((c) => switchFor(`notifications.${c.toLowerCase()}`, c)))),
      h("section", { class: "card", "aria-labelledby": "set-audit" },
        h("div", { class: "card-head" }, h("h2", { id: "set-audit" }, "Audit log")),
        h("div", { class: "settings-grid" },
          field("Keep records for (days)", bind("retention.days", "number")),
          field("Keep the log below (MB)", bind("retention.max_mb", "number"), { help: "The oldest records go first." }))),
      h("section", { class: "card", "aria-labelledby": "set-live" },
        h("div", { class: "card-head" }, h("h2", { id: "set-live" }, "Ableton Live"),
          h("span", { class: "muted small" }, "applies at the next start")),
        h("div", { class: "settings-grid" },
          field("Live's computer", bind("live.host", "text"), { help: "127.0.0.1 when Live runs here." }),
          field("Simulated Live", bind("live.simulator", "select", [["auto", "When Live does not answer"], ["always", "Always (never touch Live)"], ["never", "Never"]])),
          field("AbletonOSC port", bind("live.osc_port", "number"), { help: "AbletonOSC listens on 11000." }),
          field("Reply port", bind("live.reply_port", "number"), { help: "AbletonOSC answers on 11001." }))),
      h("div", { class: "sticky-bar" }, stateText, h("div", { class: "spacer" }), resetBtn, saveBtn));
    changed();
  }

  function clearErrors() {
    for (const el of body.querySelectorAll("[data-server-error]")) el.remove();
    for (const el of body.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
  }

  function showErrors(errors) {
    clearErrors();
    const unplaced = [];
    for (const e of errors) {
      const path = String(e.path ?? "");
      let el = body.querySelector(`[data-path="${path}"]`);
      for (let p = path; !el && p.includes("."); ) { p = p.slice(0, p.lastIndexOf(".")); el = body.querySelector(`[data-path="${p}"]`); }
      if (!el) { unplaced.push(e); continue; }
      if (el.matches("input, select")) el.setAttribute("aria-invalid", "true");
      const msg = h("div", { class: "field-error", role: "alert", "data-server-error": "" }, e.message);
      (el.closest(".field") ?? el.parentElement).append(msg);
    }
    if (unplaced.length) {
      body.prepend(h("div", { class: "callout danger", "data-server-error": "", role: "alert" },
        h("ul", {}, unplaced.map((e) => h("li", {}, `${e.path}: ${e.message}`)))));
    }
    body.querySelector("[aria-invalid='true']")?.focus();
  }

  async function doSave() {
    // Only what changed goes to the server.
    const patch = {};
    for (const key of Object.keys(draft)) {
      if (JSON.stringify(draft[key]) !== JSON.stringify(saved[key])) patch[key] = draft[key];
    }
    saving = true;
    changed();
    try {
      const r = await api.put("/api/settings", patch);
      saving = false;
      saved = r.settings ?? draft;
      draft = clone(saved);
      render();
      clearErrors();
      toast("Settings saved.", "ok");
      if (r.restart_needed) {
        replace(restart, h("div", { class: "callout", style: "margin:0 0 16px" },
          h("strong", {}, "Restart livegate"), " to use the new listen address or Live settings; until then the old ones stay in use."));
      }
    } catch (e) {
      saving = false;
      changed();
      if (e.status === 422) { showErrors(e.errors); toast(e.message, "error"); } else toastError(e, "Not saved");
    }
  }

  load();
  return () => { stopped = true; };
}
