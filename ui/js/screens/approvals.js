// Approvals: every call waiting for the human, with its exact arguments, the rule that asks
// and a live countdown; approve (once, for the session, for 10 minutes, or always via a policy
// change shown before saving) or deny (with a reason, or for the session).

import * as api from "../api.js";
import * as store from "../approvals-store.js";
import { h, replace, jsonBlock, formatSeconds, formatWhen } from "../dom.js";
import { toast, toastError } from "../toast.js";
import { modal } from "../dialog.js";
import { allowTool, policyText } from "../policy-edit.js";
import { diffLines, renderDiff } from "../diff.js";

/** Mounts the Approvals screen. */
export function mount(root) {
  const list = h("div", { class: "stack", id: "approval-list", "aria-live": "polite" });
  replace(root,
    h("div", { class: "screen-head" },
      h("div", {}, h("h1", {}, "Approvals"),
        h("p", { class: "sub" }, "Calls your rules want you to look at. No answer before the time runs out means no."))),
    list);

  const cards = new Map(); // id -> { el, tick(now) }

  function render() {
    const items = store.list();
    const ids = new Set(items.map((a) => a.id));
    for (const [id, card] of cards) {
      if (!ids.has(id)) { card.el.remove(); cards.delete(id); }
    }
    for (const a of items) {
      if (!cards.has(a.id)) cards.set(a.id, approvalCard(a));
    }
    // Keep the order (oldest first) without rebuilding cards that are being typed in.
    const wanted = items.map((a) => cards.get(a.id).el);
    wanted.forEach((el, i) => { if (list.children[i] !== el) list.insertBefore(el, list.children[i] ?? null); });
    if (!items.length) {
      if (!list.querySelector(".empty")) {
        list.append(h("div", { class: "card empty" },
          h("div", { class: "big" }, "Nothing is waiting for you"),
          h("div", {}, "When an agent calls a tool your rules ask about, it shows up here at once.")));
      }
    } else {
      list.querySelector(".empty")?.remove();
    }
    tick();
  }

  function tick() {
    for (const card of cards.values()) card.tick();
  }

  const unsubscribe = store.subscribe(render);
  const timer = setInterval(tick, 500);
  render();
  store.reload().catch((e) => toastError(e));
  return () => { unsubscribe(); clearInterval(timer); };
}

function approvalCard(a) {
  const secs = h("div", { class: "secs" });
  const fill = h("span");
  const countdown = h("div", { class: "countdown", role: "timer", "aria-label": "Time left" },
    secs, h("div", { class: "faint small" }, "left to answer"), h("div", { class: "bar" }, fill));
  const buttons = [];
  const btn = (label, cls, fn) => {
    const b = h("button", { type: "button", class: cls }, label);
    b.addEventListener("click", fn);
    buttons.push(b);
    return b;
  };
  const busy = (on) => buttons.forEach((b) => { b.disabled = on; });

  async function approve(remember) {
    busy(true);
    try {
      await api.post(`/api/approvals/${encodeURIComponent(a.id)}/approve`, remember ? { remember, via: "ui" } : { via: "ui" });
      store.drop(a.id, "approved via ui");
      toast(`Approved ${a.tool}.`, "ok");
    } catch (e) {
      answerFailed(e);
    } finally { busy(false); }
  }

  async function deny(forSession) {
    busy(true);
    const reason = reasonInput.value.trim();
    try {
      await api.post(`/api/approvals/${encodeURIComponent(a.id)}/deny`,
        { reason: reason || undefined, for_session: forSession, via: "ui" });
      store.drop(a.id, "denied via ui");
      toast(forSession ? `Denied ${a.tool} for the rest of this session.` : `Denied ${a.tool}.`, "ok");
    } catch (e) {
      answerFailed(e);
    } finally { busy(false); }
  }

  function answerFailed(e) {
    if (e.status === 404 || e.status === 409) {
      toast(`${a.tool}: ${e.message}`, "error");
      store.reload().catch(() => {});
    } else toastError(e);
  }

  const reasonId = `deny-reason-${a.id}`;
  const reasonInput = h("input", { type: "text", id: reasonId, placeholder: "Tell the agent why (optional)", autocomplete: "off" });
  reasonInput.addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); deny(false); } });

  const el = h("article", { class: "card approval", "data-approval-id": a.id, "data-tool": a.tool, "aria-label": `Approval for ${a.tool}` },
    h("div", { class: "approval-head" },
      h("div", {},
        h("div", { class: "tool" }, a.tool),
        h("div", { class: "meta" },
          h("span", { class: "badge accent", title: "Grant (agent credential)" }, `agent: ${a.grant}`),
          h("span", { class: "badge mono", title: "The rule that asks" }, a.rule),
          a.session ? h("span", { class: "badge", title: `MCP session ${a.session}` }, "in a session") : null,
          h("span", { class: "badge" }, `asked ${formatWhen(a.created_ms)}`))),
      countdown),
    a.reason ? h("p", { class: "reason" }, a.reason) : null,
    h("div", {}, h("div", { class: "muted small" }, "Arguments"), jsonBlock(a.args ?? {}, { "aria-label": "Arguments" })),
    h("div", { class: "approval-actions" },
      btn("Approve", "primary", () => approve(null)),
      btn("Approve for this session", "", () => approve("session")),
      btn("Approve for 10 minutes", "", () => approve("minutes:10")),
      btn("Always allow this tool…", "ghost", () => alwaysAllow(a, busy)),
      h("div", { class: "spacer" }),
      btn("Deny for this session", "danger-outline", () => deny(true))),
    h("div", { class: "deny-form" },
      h("label", { for: reasonId, class: "sr-only" }, "Reason for denying"),
      reasonInput,
      btn("Deny", "danger", () => deny(false))));

  const total = Math.max(1, (a.deadline_ms - a.created_ms) || a.timeout_s * 1000 || 1);
  return {
    el,
    tick() {
      const left = store.msLeft(a);
      secs.textContent = formatSeconds(left / 1000);
      fill.style.width = `${Math.max(0, Math.min(100, (left / total) * 100))}%`;
      countdown.classList.toggle("urgent", left < 15000);
    },
  };
}

/** "Always allow this tool": shows the policy change, saves it, then approves this call. */
async function alwaysAllow(a, busy) {
  let current;
  try {
    current = await api.get("/api/policy");
  } catch (e) { toastError(e); return; }
  if (!current?.policy || current.ok === false) {
    toast("The policy file has errors, so it cannot be changed from here. Fix it under Rules first.", "error");
    return;
  }
  const before = policyText(current.policy);
  const nextPolicy = allowTool(current.policy, a.tool);
  const after = policyText(nextPolicy);
  const existed = Object.prototype.hasOwnProperty.call(current.policy.tools ?? {}, a.tool);
  const saved = await modal({ title: `Always allow ${a.tool}?`, wide: true }, (close) => {
    const errorBox = h("div", { class: "callout danger", hidden: true, role: "alert" });
    const save = h("button", { type: "button", class: "primary" }, "Save policy and approve");
    const cancel = h("button", { type: "button" }, "Cancel");
    cancel.addEventListener("click", () => close(false));
    save.addEventListener("click", async () => {
      save.disabled = true;
      try {
        await api.put("/api/policy", after);
        close(true);
      } catch (e) {
        errorBox.hidden = false;
        replace(errorBox, h("strong", {}, e.message),
          e.errors.length ? h("ul", {}, e.errors.map((x) => h("li", {}, `${x.path}: ${x.message}`))) : null,
          h("div", { class: "small" }, "Nothing was saved."));
        save.disabled = false;
      }
    });
    const full = h("details", {}, h("summary", {}, "Resulting policy"), h("pre", { class: "code" }, after));
    return {
      body: [
        h("p", {}, existed
          ? ["The rule for ", h("code", {}, a.tool), " changes its action to ", h("strong", {}, "allow"),
            ": later calls from every agent run without asking. Its limits and conditions stay."]
          : ["A rule ", h("code", {}, `tools.${a.tool}`), " with action ", h("strong", {}, "allow"),
            " is added: later calls from every agent run without asking."]),
        h("p", { class: "muted small" }, `Policy file: ${current.file ?? "policy.json"}`),
        renderDiff(diffLines(before, after)),
        full,
        errorBox,
      ],
      actions: [cancel, save],
    };
  });
  if (!saved) return;
  toast(`Policy saved: ${a.tool} is always allowed.`, "ok");
  busy(true);
  try {
    await api.post(`/api/approvals/${encodeURIComponent(a.id)}/approve`, { remember: "once", via: "ui" });
    store.drop(a.id, "approved via ui");
  } catch (e) {
    if (e.status === 404 || e.status === 409) toast(`The policy is saved, but this call is no longer waiting: ${e.message}`, "error");
    else toastError(e);
  } finally { busy(false); }
}
