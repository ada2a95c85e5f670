// The shell: checks the browser session, then shows one screen at a time (hash routes like
// `#/rules`), the pending-approvals badge and the event stream's state.

import * as api from "./api.js";
import * as approvals from "./approvals-store.js";
import { h, replace } from "./dom.js";
import { confirmDialog } from "./dialog.js";
import * as status from "./screens/status.js";
import * as approvalsScreen from "./screens/approvals.js";
import * as rules from "./screens/rules.js";
import * as audit from "./screens/audit.js";
import * as agents from "./screens/agents.js";
import * as settings from "./screens/settings.js";
import { renderSignedOut } from "./screens/signed-out.js";

const SCREENS = {
  status: { title: "Status", module: status },
  approvals: { title: "Approvals", module: approvalsScreen },
  rules: { title: "Rules", module: rules },
  audit: { title: "Audit log", module: audit },
  agents: { title: "Agents", module: agents },
  settings: { title: "Settings", module: settings },
};

const appEl = document.getElementById("app");
const gateEl = document.getElementById("gate");
const mainEl = document.getElementById("main");

let current = null; // { name, cleanup }
let leaveGuard = null; // () => string | null: a reason to confirm before leaving
let currentHash = "";
let signedOut = false;
let asking = false; // the "leave without saving?" question is open

function screenFromHash() {
  const name = location.hash.replace(/^#\/?/, "").split(/[/?]/)[0];
  return SCREENS[name] ? name : "status";
}

function mountScreen(name) {
  if (current?.cleanup) {
    try { current.cleanup(); } catch (e) { console.error(e); }
  }
  leaveGuard = null;
  const screen = SCREENS[name];
  document.title = `${screen.title} · livegate`;
  for (const a of document.querySelectorAll(".nav a")) {
    if (a.dataset.screen === name) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  const root = h("div", { class: "screen", "data-screen": name });
  replace(mainEl, root);
  const ctx = {
    setLeaveGuard(fn) { leaveGuard = fn; },
    navigate(to) { location.hash = `#/${to}`; },
  };
  let cleanup = null;
  try {
    cleanup = screen.module.mount(root, ctx) ?? null;
  } catch (e) {
    console.error(e);
    replace(root, h("div", { class: "callout danger" }, `This screen failed to open: ${e.message}`));
  }
  current = { name, cleanup };
  currentHash = location.hash;
}

async function onHashChange() {
  if (signedOut) return;
  const name = screenFromHash();
  if (current && name === current.name) { currentHash = location.hash; return; }
  if (asking) { history.replaceState(null, "", currentHash || "#/status"); return; }
  const reason = leaveGuard?.();
  if (reason) {
    const target = location.hash;
    history.replaceState(null, "", currentHash || "#/status");
    asking = true;
    const leave = await confirmDialog({ title: "Leave without saving?", message: reason, confirm: "Leave", danger: true });
    asking = false;
    if (!leave) return;
    leaveGuard = null;
    history.replaceState(null, "", target);
  }
  mountScreen(screenFromHash());
  mainEl.focus({ preventScroll: true });
}

function showSignedOut() {
  if (signedOut) return;
  signedOut = true;
  if (current?.cleanup) { try { current.cleanup(); } catch { /* leaving anyway */ } }
  current = null;
  api.disconnect();
  appEl.hidden = true;
  gateEl.hidden = false;
  renderSignedOut(gateEl);
}

function watchBadge() {
  const badge = document.getElementById("pending-badge");
  const update = () => {
    const n = approvals.count();
    badge.hidden = n === 0;
    badge.textContent = String(n);
    badge.setAttribute("aria-label", `${n} waiting`);
  };
  approvals.subscribe(update);
  update();
}

function watchConnection() {
  const el = document.getElementById("conn");
  const text = el.querySelector(".conn-text");
  api.onConnection((ok) => {
    el.classList.toggle("ok", ok);
    el.classList.toggle("bad", !ok);
    text.textContent = ok ? "Live updates on" : "Reconnecting…";
  });
}

async function boot() {
  api.onUnauthorized(showSignedOut);
  let statusInfo;
  try {
    statusInfo = await api.get("/api/status");
  } catch (e) {
    if (e.status === 401) { showSignedOut(); return; }
    gateEl.hidden = false;
    replace(gateEl, h("div", { class: "card" },
      h("h1", {}, "livegate is not answering"),
      h("p", { class: "muted" }, e.message),
      h("div", { class: "row" }, h("button", { type: "button", class: "primary", on: { click: () => location.reload() } }, "Try again"))));
    return;
  }
  appEl.hidden = false;
  gateEl.hidden = true;
  document.getElementById("version").textContent = statusInfo?.version ? `livegate ${statusInfo.version}` : "";
  watchConnection();
  watchBadge();
  api.connect();
  window.addEventListener("hashchange", onHashChange);
  window.addEventListener("beforeunload", (e) => {
    if (leaveGuard?.()) { e.preventDefault(); e.returnValue = ""; }
  });
  mountScreen(screenFromHash());
}

boot();
