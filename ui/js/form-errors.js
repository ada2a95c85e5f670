// Server validation errors put where they belong in the rules form: each error's JSON path
// (`tools.set_tempo.limits[0].window`) is matched to the control, row or section carrying the
// longest `data-path` it lies in. Errors inside a collapsed section also mark its header;
// errors with no place in the form (the version, the document as a whole) go in a list on top.

import { h } from "./dom.js";
import { joinPath, pathWithin } from "./policy-edit.js";

const CONTROLS = "input, select, textarea";

/** Removes every error `placeErrors` put into `root`. */
export function clearErrors(root) {
  for (const el of root.querySelectorAll("[data-server-error]")) el.remove();
  for (const el of root.querySelectorAll("[data-server-invalid]")) {
    el.removeAttribute("aria-invalid");
    delete el.dataset.serverInvalid;
  }
  for (const el of root.querySelectorAll(".has-error")) el.classList.remove("has-error");
}

/**
 * Puts each `{path, message}` next to the element its path names inside `root`. Returns the
 * errors that found no element (also listed in a box at the top of `root`).
 */
export function placeErrors(root, errors) {
  const targets = [...root.querySelectorAll("[data-path]")].filter((el) => el.dataset.path !== "");
  const unplaced = [];
  for (const error of errors ?? []) {
    const path = String(error.path ?? "");
    let best = null;
    for (const el of targets) {
      const p = el.dataset.path;
      if (!pathWithin(path, p)) continue;
      // Longest path wins; among equals the later (inner) element, unless it is not drawn.
      if (!best || p.length > best.dataset.path.length || (p.length === best.dataset.path.length && drawn(el))) best = el;
    }
    if (!best) { unplaced.push(error); continue; }
    const rest = path.slice(best.dataset.path.length).replace(/^\./, "");
    const text = rest ? `${rest}: ${error.message}` : error.message;
    put(best, text, path);
    // A collapsed section says it holds an error.
    for (let d = best.closest("details"); d; d = d.parentElement?.closest("details") ?? null) {
      if (!d.open || d === best) markSection(d);
    }
  }
  if (unplaced.length) {
    root.prepend(h("div", { class: "callout danger", role: "alert", "data-server-error": "" },
      h("strong", {}, "The policy has problems the form cannot show in place:"),
      h("ul", { class: "error-list" }, unplaced.map((e) => h("li", {},
        e.path ? h("span", { class: "path" }, e.path) : null, h("span", {}, e.message))))));
  }
  return unplaced;
}

function drawn(el) {
  return el.getClientRects().length > 0;
}

function put(el, text, path) {
  const msg = h("div", { class: "field-error", role: "alert", "data-server-error": "", "data-error-path": path }, text);
  if (el.matches(CONTROLS)) {
    el.setAttribute("aria-invalid", "true");
    el.dataset.serverInvalid = "1";
    const fieldEl = el.closest(".field");
    (fieldEl ?? el.parentElement).append(msg);
    if (!msg.id) msg.id = `err-${Math.random().toString(36).slice(2)}`;
    const described = el.getAttribute("aria-describedby");
    el.setAttribute("aria-describedby", described ? `${described} ${msg.id}` : msg.id);
    return;
  }
  if (el.matches("details")) {
    markSection(el);
    const slot = el.querySelector(`[data-errors-for="${cssEscape(el.dataset.path)}"]`);
    (slot ?? el).append(msg);
    return;
  }
  if (el.matches(".segmented, .chips, .chip")) { el.after(msg); return; }
  const slot = el.querySelector(`:scope > [data-errors-for]`);
  (slot ?? el).prepend(msg);
}

function markSection(details) {
  details.classList.add("has-error");
  const summary = details.querySelector(":scope > summary");
  if (summary && !summary.querySelector(".err-badge")) {
    summary.append(h("span", { class: "badge danger err-badge", "data-server-error": "" }, "problem"));
  }
}

/**
 * The section paths (`tools.<entry>`, `categories.<Name>`) holding errors, so the form can
 * open them. `draft` gives the entries (names may contain dots, so paths are matched, not
 * split).
 */
export function errorSections(errors, draft) {
  const sections = [];
  for (const [group, entries] of [["tools", draft?.tools], ["categories", draft?.categories]]) {
    if (!entries || typeof entries !== "object") continue;
    for (const key of Object.keys(entries)) sections.push(joinPath(group, key));
  }
  const out = new Set();
  for (const e of errors ?? []) {
    let best = null;
    for (const s of sections) if (pathWithin(String(e.path ?? ""), s) && (!best || s.length > best.length)) best = s;
    if (best) out.add(best);
  }
  return [...out];
}

function cssEscape(s) {
  return window.CSS?.escape ? CSS.escape(s) : s.replace(/["\\]/g, "\\$&");
}
