// Rules: the policy in force as a form (default posture, categories, tools, hidden tools) and
// as raw JSON. Every edit is checked by the server as you go; Save sends the document to the
// server, which validates it again and writes it only when it is valid. Errors are put on the
// field (or line) their JSON path names.

import * as api from "../api.js";
import { h, replace, clone, debounce } from "../dom.js";
import { toast, toastError } from "../toast.js";
import { modal, confirmDialog } from "../dialog.js";
import { renderForm } from "../rules-form.js";
import { rawEditor } from "../raw-editor.js";
import { placeErrors, clearErrors, errorSections } from "../form-errors.js";
import { policyText, parseErrorPosition } from "../policy-edit.js";
import { diffLines, renderDiff } from "../diff.js";
import { explainDialog } from "../explain.js";

/** Mounts the Rules screen. */
export function mount(root, ctx) {
  const tabForm = h("button", { type: "button", role: "tab", id: "tab-form", "aria-controls": "panel-form" }, "Form");
  const tabRaw = h("button", { type: "button", role: "tab", id: "tab-raw", "aria-controls": "panel-raw" }, "Raw JSON");
  const tabs = h("div", { class: "tabs", role: "tablist", "aria-label": "Policy editor" }, tabForm, tabRaw);
  const banner = h("div", { class: "stack" });
  const panelForm = h("div", { role: "tabpanel", id: "panel-form", "aria-labelledby": "tab-form" });
  const panelRaw = h("div", { role: "tabpanel", id: "panel-raw", "aria-labelledby": "tab-raw" });

  const stateText = h("span", { class: "state", id: "rules-state", role: "status" });
  const problems = h("button", { type: "button", class: "link small", id: "rules-problems", hidden: true });
  const review = h("button", { type: "button" }, "Review changes");
  const discard = h("button", { type: "button", class: "ghost" }, "Discard");
  const save = h("button", { type: "button", class: "primary", id: "rules-save" }, "Save");
  const bar = h("div", { class: "sticky-bar", role: "region", "aria-label": "Save the policy" },
    stateText, problems, h("div", { class: "spacer" }), discard, review, save);

  const explainBtn = h("button", { type: "button" }, "Explain a tool…");
  const fileLine = h("p", { class: "sub mono small" });
  replace(root,
    h("div", { class: "screen-head" },
      h("div", {}, h("h1", {}, "Rules"), fileLine),
      h("div", { class: "actions" }, explainBtn)),
    banner, tabs, panelForm, panelRaw, bar);

  let loaded = null; // GET /api/policy
  let baseText = ""; // what Save compares against (the file's text)
  let draft = null; // the form's document (null while the text is not JSON)
  let rawText = ""; // the raw tab's text
  let tab = "form";
  let tools = null;
  let toolsError = null;
  let grants = [];
  let serverErrors = []; // from the last validation of the current text
  const localErrors = new Map(); // path -> message (input the browser knows is bad)
  let externalChange = false;
  let saving = false;
  let stopped = false;
  let validateSeq = 0;
  const ui = { open: new Set(), search: "", onlyRules: false };
  let raw = null;

  /** The text Save would send. */
  const currentText = () => (tab === "raw" ? rawText : policyText(draft));
  /** True when there is something to save. */
  const dirty = () => {
    if (loaded === null) return false;
    if (tab === "raw" || !loaded.policy) return normalise(rawText) !== normalise(baseText);
    // The form writes its own formatting: compare the documents, not the file's spacing.
    return policyText(draft) !== policyText(loaded.policy);
  };

  ctx.setLeaveGuard(() => (dirty() ? "Your changes to the rules are not saved yet." : null));

  async function load() {
    replace(panelForm, h("p", { class: "muted" }, "Loading the policy…"));
    try {
      const [policy, toolList, grantList] = await Promise.all([
        api.get("/api/policy"),
        api.get("/api/tools").catch((e) => { toolsError = e.message; return null; }),
        api.get("/api/grants").catch(() => []),
      ]);
      if (stopped) return;
      tools = toolList ? [...toolList].sort((a, b) => a.name.localeCompare(b.name)) : null;
      grants = grantList ?? [];
      adopt(policy);
    } catch (e) {
      replace(panelForm, h("div", { class: "callout danger" }, e.message));
    }
  }

  /** Takes a fresh answer of GET /api/policy as the starting point. */
  function adopt(policy) {
    loaded = policy;
    externalChange = false;
    baseText = policy.text ?? "";
    rawText = baseText;
    draft = policy.policy && typeof policy.policy === "object" ? clone(policy.policy) : null;
    localErrors.clear();
    serverErrors = policy.ok === false ? policy.errors ?? [] : [];
    fileLine.textContent = policy.file ?? "";
    if (draft === null) tab = "raw";
    renderBanner();
    renderTab();
    updateBar();
  }

  function renderBanner() {
    const parts = [];
    if (externalChange) {
      const reload = h("button", { type: "button", class: "small" }, "Load the file's version");
      reload.addEventListener("click", async () => {
        if (dirty() && !(await confirmDialog({ title: "Drop your changes?", message: "Loading the file's version discards the edits you have not saved.", confirm: "Drop them", danger: true }))) return;
        load();
      });
      parts.push(h("div", { class: "callout row" }, h("span", { class: "spacer" },
        "The policy file changed on disk while you were editing. Saving now replaces it with your version."), reload));
    }
    if (loaded?.ok === false) {
      parts.push(h("div", { class: "callout danger" },
        h("strong", {}, loaded.text === null ? "The policy file cannot be read." : "The policy file on disk has errors; the last good policy stays in force."),
        " Fix them below and save."));
    } else if (loaded && loaded.in_force === false) {
      parts.push(h("div", { class: "callout info" }, "The file on disk is valid but not yet in force; it will be at the next reload."));
    }
    replace(banner, parts);
  }

  function setTab(next, { focus = false } = {}) {
    if (next === tab) return;
    if (next === "form") {
      let parsed;
      try { parsed = JSON.parse(rawText); } catch (e) {
        const pos = parseErrorPosition(rawText, e);
        raw?.setErrors([], pos);
        toast("The JSON does not parse, so the form cannot show it. Fix the marked line first.", "error");
        return;
      }
      if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) {
        toast("The policy must be a JSON object before the form can show it.", "error");
        return;
      }
      draft = parsed;
    } else {
      // Keep the file's own formatting when the form changed nothing.
      const text = policyText(draft);
      const unchanged = loaded?.policy && normalise(text) === normalise(policyText(loaded.policy));
      rawText = unchanged ? baseText : text;
    }
    tab = next;
    renderTab();
    if (focus) (tab === "form" ? tabForm : tabRaw).focus();
  }

  for (const [btn, name] of [[tabForm, "form"], [tabRaw, "raw"]]) {
    btn.addEventListener("click", () => setTab(name));
    btn.addEventListener("keydown", (e) => {
      if (e.key === "ArrowRight" || e.key === "ArrowLeft") {
        e.preventDefault();
        setTab(name === "form" ? "raw" : "form", { focus: true });
      }
    });
  }

  function renderTab() {
    tabForm.setAttribute("aria-selected", String(tab === "form"));
    tabRaw.setAttribute("aria-selected", String(tab === "raw"));
    tabForm.tabIndex = tab === "form" ? 0 : -1;
    tabRaw.tabIndex = tab === "raw" ? 0 : -1;
    panelForm.hidden = tab !== "form";
    panelRaw.hidden = tab !== "raw";
    if (tab === "form") {
      raw = null;
      replace(panelRaw);
      drawForm();
    } else {
      replace(panelForm);
      raw = rawEditor({ text: rawText, onInput: (t) => { rawText = t; edited(); } });
      replace(panelRaw, raw.el);
      showErrors();
    }
  }

  function drawForm(opts = {}) {
    if (draft === null) return;
    const scrollTop = root.parentElement?.scrollTop;
    renderForm(panelForm, draft, {
      tools, toolsError, grants, ui,
      onChange: edited,
      onStructure: (o) => { drawForm(o); },
      setLocalError: (path, message) => {
        if (message) localErrors.set(path, message); else localErrors.delete(path);
        updateBar();
      },
    });
    if (scrollTop !== undefined && root.parentElement) root.parentElement.scrollTop = scrollTop;
    showErrors();
    if (opts.focus) panelForm.querySelector(`[data-path="${cssEscape(opts.focus)}"]`)?.focus();
  }

  function showErrors() {
    if (tab === "form") {
      clearErrors(panelForm);
      placeErrors(panelForm, serverErrors);
    } else if (raw) {
      let syntax = null;
      try { JSON.parse(rawText); } catch (e) { syntax = parseErrorPosition(rawText, e); }
      raw.setErrors(syntax ? [] : serverErrors, syntax);
    }
    updateBar();
  }

  // Checking as you type: the server validates exactly what Save would send.
  const validate = debounce(async () => {
    const seq = ++validateSeq;
    const text = currentText();
    if (tab === "raw") {
      try { JSON.parse(text); } catch { serverErrors = []; showErrors(); return; }
    }
    try {
      const r = await api.post("/api/policy/validate", text);
      if (seq !== validateSeq || stopped) return;
      serverErrors = r.ok ? [] : r.errors ?? [];
      showErrors();
    } catch (e) {
      if (e.status !== 401) stateText.textContent = `Could not check the policy: ${e.message}`;
    }
  }, 350);

  function edited() {
    updateBar();
    validate();
  }

  function updateBar() {
    const isDirty = dirty();
    const count = serverErrors.length + localErrors.size + (tab === "raw" && syntaxError() ? 1 : 0);
    stateText.classList.toggle("dirty", isDirty);
    stateText.textContent = saving ? "Saving…" : isDirty ? "Unsaved changes" : "Saved: this is the policy file as it is";
    problems.hidden = count === 0;
    problems.textContent = count === 1 ? "1 problem" : `${count} problems`;
    save.disabled = saving || !isDirty || count > 0;
    save.title = count > 0 ? "Fix the problems first: nothing invalid is saved" : "";
    review.disabled = !isDirty;
    discard.disabled = !isDirty || saving;
  }

  const syntaxError = () => { try { JSON.parse(rawText); return false; } catch { return true; } };

  problems.addEventListener("click", () => {
    if (tab === "raw") { panelRaw.querySelector(".raw-errors button.link")?.click(); return; }
    const all = [...serverErrors, ...[...localErrors.keys()].map((path) => ({ path }))];
    for (const path of errorSections(all, draft)) ui.open.add(path);
    drawForm();
    const first = panelForm.querySelector("[aria-invalid='true'], .field-error");
    first?.scrollIntoView({ block: "center" });
    if (first?.matches("input, select, textarea")) first.focus();
  });

  review.addEventListener("click", () => showChanges());
  discard.addEventListener("click", async () => {
    if (await confirmDialog({ title: "Discard your changes?", message: "The rules go back to the policy file as it is.", confirm: "Discard", danger: true })) {
      adopt(loaded);
    }
  });

  function showChanges() {
    return modal({ title: "Changes to the policy", wide: true }, (close) => {
      const done = h("button", { type: "button" }, "Close");
      done.addEventListener("click", () => close());
      return { body: [renderDiff(diffLines(baseText, currentText()))], actions: [done] };
    });
  }

  save.addEventListener("click", doSave);
  root.addEventListener("keydown", (e) => {
    if ((e.ctrlKey || e.metaKey) && e.key === "s") { e.preventDefault(); if (!save.disabled) doSave(); }
  });

  async function doSave() {
    if (saving) return;
    validate.cancel();
    const text = currentText();
    if (tab === "raw" && syntaxError()) { showErrors(); return; }
    saving = true;
    updateBar();
    try {
      await api.put("/api/policy", text);
      const fresh = await api.get("/api/policy");
      saving = false;
      adopt(fresh);
      toast("Policy saved and in force for the next call.", "ok");
    } catch (e) {
      saving = false;
      if (e.status === 422) {
        serverErrors = e.errors;
        if (tab === "form") {
          for (const path of errorSections(serverErrors, draft)) ui.open.add(path);
          drawForm();
        } else showErrors();
        toast(`${e.message}. The problems are marked where they are.`, "error");
      } else toastError(e, "Not saved");
      updateBar();
    }
  }

  explainBtn.addEventListener("click", () => explainDialog(null, grants, tools ?? []));

  const offs = [
    api.on("policy_reloaded", async () => {
      if (saving || !loaded) return;
      let fresh;
      try { fresh = await api.get("/api/policy"); } catch { return; }
      if (stopped || normalise(fresh.text ?? "") === normalise(baseText)) {
        if (!stopped && fresh.ok !== loaded.ok) { loaded = fresh; renderBanner(); }
        return;
      }
      if (!dirty()) { adopt(fresh); toast("The policy file changed on disk; the rules show it now.", "info"); return; }
      externalChange = true;
      renderBanner();
    }),
    api.on("tool_changed", async () => {
      try { tools = (await api.get("/api/tools")).sort((a, b) => a.name.localeCompare(b.name)); } catch { return; }
      if (tab === "form" && !stopped) drawForm();
    }),
  ];

  load();
  return () => { stopped = true; validate.cancel(); offs.forEach((off) => off()); };
}

/** Text compared without trailing whitespace (the server adds a final newline). */
function normalise(text) {
  return String(text ?? "").replace(/\s+$/, "");
}

function cssEscape(s) {
  return window.CSS?.escape ? CSS.escape(s) : s.replace(/["\\]/g, "\\$&");
}
