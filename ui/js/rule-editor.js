// The form for one rule (a category's or a tool's): action, reason, approval, limits and
// conditions. It edits the rule object in place, so fields it does not show stay as they were;
// every control carries the JSON path the server uses in its errors (`data-path`).

import { h, field, select, uid } from "./dom.js";
import { joinPath, indexPath } from "./policy-edit.js";

const WINDOWS = ["second", "minute", "hour", "day"];
const SCOPES = ["grant", "session", "global"];

/**
 * A rule editor. `rule` is edited in place; `path` is its JSON path (`tools.set_tempo`).
 * `onChange()` after any value change; `onStructure()` when rows come or go (re-render);
 * `setLocalError(path, message|null)` for input the browser already knows is bad (JSON that does
 * not parse). `star` marks the `*` entry (an action-less rule there only adds limits).
 */
export function ruleEditor(rule, path, { onChange, onStructure, setLocalError, star = false, stash = {} }) {
  const changed = () => onChange?.();

  // ---- action
  const noneLabel = star ? "not set: only adds its limits" : "not set: allow";
  const action = select([["", noneLabel], ["allow", "Allow"], ["approve", "Ask me (approve)"], ["deny", "Deny"]],
    rule.action ?? "", { "data-path": joinPath(path, "action") });
  action.addEventListener("change", () => {
    if (action.value) rule.action = action.value; else delete rule.action;
    // `approval` is only allowed with approve: keep it aside while another action is chosen.
    if (rule.action !== "approve" && rule.approval !== undefined) { stash.approval = rule.approval; delete rule.approval; }
    if (rule.action === "approve" && rule.approval === undefined && stash.approval !== undefined) rule.approval = stash.approval;
    changed();
    onStructure?.();
  });

  // ---- reason
  const reason = h("input", { type: "text", value: rule.reason ?? "", placeholder: "Shown to the agent when this rule refuses a call" });
  reason.addEventListener("input", () => {
    if (reason.value) rule.reason = reason.value; else delete rule.reason;
    changed();
  });

  const top = h("div", { class: "rule-grid" },
    field("Action", action),
    field("Reason", reason, { path: joinPath(path, "reason") }));

  const parts = [top];
  if (rule.action === "approve") parts.push(approvalEditor(rule, path, changed));
  parts.push(limitsEditor(rule, path, { changed, onStructure }));
  parts.push(conditionsEditor(rule, path, { changed, setLocalError }));
  return h("div", { class: "rule-body", "data-path": path }, h("div", { class: "rule-errors", "data-errors-for": path }), parts);
}

function approvalEditor(rule, path, changed) {
  const base = joinPath(path, "approval");
  const spec = () => {
    if (!rule.approval || typeof rule.approval !== "object") rule.approval = {};
    return rule.approval;
  };
  const current = rule.approval ?? {};
  const timeout = h("input", { type: "number", min: "1", step: "1", value: current.timeout_s ?? "", placeholder: "120" });
  timeout.addEventListener("input", () => {
    const s = spec();
    if (timeout.value === "") delete s.timeout_s; else s.timeout_s = Number(timeout.value);
    tidy();
    changed();
  });
  const rem = String(current.remember ?? "");
  const m = /^minutes:(\d+)$/.exec(rem);
  const kind = m ? "minutes" : rem;
  const remember = select([["", "not set: once"], ["once", "Once (this call)"], ["session", "For the session"], ["minutes", "For some minutes"]],
    ["", "once", "session", "minutes"].includes(kind) ? kind : "", {});
  const minutes = h("input", { type: "number", min: "1", step: "1", value: m ? m[1] : "10", "aria-label": "Minutes a yes is remembered" });
  const minutesWrap = h("div", { class: "field", hidden: kind !== "minutes" }, h("label", { for: minutes.id || (minutes.id = uid("f")) }, "Minutes"), minutes);
  const applyRemember = () => {
    const s = spec();
    minutesWrap.hidden = remember.value !== "minutes";
    if (remember.value === "") delete s.remember;
    else if (remember.value === "minutes") s.remember = `minutes:${minutes.value || 10}`;
    else s.remember = remember.value;
    tidy();
    changed();
  };
  const tidy = () => { if (rule.approval && Object.keys(rule.approval).length === 0) delete rule.approval; };
  remember.addEventListener("change", applyRemember);
  minutes.addEventListener("input", applyRemember);
  if (rem && !["", "once", "session"].includes(kind) && !m) {
    // A value the form cannot show (the server will say what is wrong with it).
    remember.append(h("option", { value: rem, selected: true }, rem));
    remember.value = rem;
  }
  return h("div", { class: "stack", "data-path": base },
    h("div", { class: "subhead" }, "Asking"),
    h("div", { class: "row" },
      field("Seconds to wait for an answer", timeout, { path: joinPath(base, "timeout_s") }),
      field("Remember a yes", remember, { path: joinPath(base, "remember") }),
      minutesWrap));
}

function limitsEditor(rule, path, { changed, onStructure }) {
  const base = joinPath(path, "limits");
  const limits = Array.isArray(rule.limits) ? rule.limits : null;
  const rows = h("div", { class: "limits", "data-path": base });
  if (rule.limits !== undefined && !limits) {
    rows.append(h("p", { class: "muted small" }, "The limits here are not a list; fix them in Raw JSON."));
  }
  (limits ?? []).forEach((limit, i) => {
    if (!limit || typeof limit !== "object") {
      rows.append(h("div", { "data-path": indexPath(base, i), class: "muted small" }, `Limit ${i + 1} is not an object; fix it in Raw JSON.`));
      return;
    }
    const lp = indexPath(base, i);
    const counter = h("input", { type: "text", value: limit.counter ?? "", placeholder: "edits_per_minute", class: "mono" });
    counter.addEventListener("input", () => { limit.counter = counter.value; changed(); });

    const w = limit.window;
    const named = typeof w === "string" && WINDOWS.includes(w);
    const windowSel = select([...WINDOWS.map((x) => [x, `per ${x}`]), ["custom", "seconds…"]],
      named ? w : (typeof w === "number" ? "custom" : (w === undefined ? "minute" : "custom")));
    const secs = h("input", { type: "number", min: "1", step: "1", value: typeof w === "number" ? w : "", "aria-label": "Window in seconds", hidden: windowSel.value !== "custom" });
    if (typeof w === "string" && !named) {
      // An unknown window name stays as written until changed (the server explains it).
      windowSel.append(h("option", { value: `raw:${w}`, selected: true }, w));
      windowSel.value = `raw:${w}`;
      secs.hidden = true;
    }
    const applyWindow = () => {
      secs.hidden = windowSel.value !== "custom";
      if (windowSel.value === "custom") limit.window = secs.value === "" ? 60 : Number(secs.value);
      else if (windowSel.value.startsWith("raw:")) limit.window = windowSel.value.slice(4);
      else limit.window = windowSel.value;
      changed();
    };
    windowSel.addEventListener("change", () => { if (windowSel.value === "custom" && !secs.value) secs.value = "60"; applyWindow(); });
    secs.addEventListener("input", applyWindow);

    const max = h("input", { type: "number", min: "0", step: "any", value: limit.max ?? "" });
    max.addEventListener("input", () => {
      if (max.value === "") delete limit.max; else limit.max = Number(max.value);
      changed();
    });
    const scope = select(SCOPES.map((s) => [s, `per ${s}`]), limit.scope ?? "grant");
    if (limit.scope !== undefined && !SCOPES.includes(limit.scope)) {
      scope.append(h("option", { value: String(limit.scope), selected: true }, String(limit.scope)));
      scope.value = String(limit.scope);
    }
    scope.addEventListener("change", () => { limit.scope = scope.value; changed(); });
    const remove = h("button", { type: "button", class: "ghost small", "aria-label": `Remove limit ${i + 1}`, title: "Remove this limit" }, "✕");
    remove.addEventListener("click", () => {
      rule.limits.splice(i, 1);
      if (!rule.limits.length) delete rule.limits;
      changed();
      onStructure?.();
    });
    const windowField = field("Window", windowSel, { path: joinPath(lp, "window") });
    windowField.append(secs);
    secs.dataset.path = joinPath(lp, "window");
    const extra = [];
    if (limit.increment !== undefined) extra.push(`adds ${limit.increment} per call`);
    if (limit.increment_from !== undefined) extra.push(`adds ${limit.increment_from}`);
    rows.append(h("div", { class: "limit-row", "data-path": lp, role: "group", "aria-label": `Limit ${i + 1}` },
      field("Counter", counter, { path: joinPath(lp, "counter") }),
      windowField,
      field("Max", max, { path: joinPath(lp, "max") }),
      field("Counted", scope, { path: joinPath(lp, "scope") }),
      remove,
      extra.length ? h("div", { class: "faint small" }, extra.join(", ")) : null));
  });
  const add = h("button", { type: "button", class: "small" }, "+ Add limit");
  add.addEventListener("click", () => {
    if (!Array.isArray(rule.limits)) rule.limits = [];
    rule.limits.push({ counter: "", window: "minute", max: 60, scope: "grant" });
    changed();
    onStructure?.({ focus: joinPath(indexPath(base, rule.limits.length - 1), "counter") });
  });
  return h("div", { class: "stack" },
    h("div", { class: "row" }, h("div", { class: "subhead" }, "Limits"),
      h("span", { class: "faint small" }, "calls counted in fixed windows; all must have room")),
    rows,
    limits !== null || rule.limits === undefined ? h("div", {}, add) : null);
}

function conditionsEditor(rule, path, { changed, setLocalError }) {
  const base = joinPath(path, "conditions");
  const text = rule.conditions === undefined ? "" : JSON.stringify(rule.conditions, null, 2);
  const area = h("textarea", {
    class: "mono", rows: String(Math.min(10, Math.max(2, text.split("\n").length))), spellcheck: "false",
    placeholder: '[{"path": "args.track_index", "op": "lte", "value": 8}]',
  });
  area.value = text;
  const wrap = field("Conditions (JSON list; all must hold, else the call is refused with the reason)", area, { path: base });
  const err = h("div", { class: "error", role: "alert", hidden: true });
  wrap.append(err);
  area.addEventListener("input", () => {
    const value = area.value.trim();
    if (value === "") {
      delete rule.conditions;
      err.hidden = true;
      area.removeAttribute("aria-invalid");
      setLocalError?.(base, null);
      changed();
      return;
    }
    try {
      rule.conditions = JSON.parse(value);
      err.hidden = true;
      area.removeAttribute("aria-invalid");
      setLocalError?.(base, null);
    } catch (e) {
      err.hidden = false;
      err.textContent = `Not valid JSON: ${e.message}`;
      area.setAttribute("aria-invalid", "true");
      setLocalError?.(base, "conditions are not valid JSON");
    }
    changed();
  });
  return wrap;
}
