// Status: is Live connected (and how to fix it when not), the simulator, upstreams and their
// health, grants, pause/resume, calls in the last minute, and the MCP URL to give agents.

import * as api from "../api.js";
import { h, replace, copyField, statusBadge, formatDateTime } from "../dom.js";
import { toastError, toast } from "../toast.js";

const REFRESH_MS = 5000;

/** Mounts the Status screen. */
export function mount(root) {
  const head = h("div", { class: "screen-head" },
    h("div", {}, h("h1", {}, "Status"), h("p", { class: "sub" }, "What livegate is connected to, and what agents are doing.")));
  const body = h("div", { class: "stack", "aria-busy": "true" }, h("p", { class: "muted" }, "Loading…"));
  replace(root, head, body);

  let data = null;
  let timer = 0;
  let stopped = false;

  async function load() {
    clearTimeout(timer);
    try {
      data = await api.get("/api/status");
      render();
    } catch (e) {
      if (!data) replace(body, h("div", { class: "callout danger" }, e.message));
    } finally {
      if (!stopped) timer = setTimeout(load, REFRESH_MS);
    }
  }

  // Events change what Status shows; reload at most a few times a second.
  let queued = false;
  const soon = () => {
    if (queued) return;
    queued = true;
    setTimeout(() => { queued = false; if (!stopped) load(); }, 250);
  };
  const offs = ["paused_changed", "live_connection", "upstream_health", "grants_changed", "policy_reloaded",
    "approval_requested", "approval_resolved", "approval_expired", "approval_withdrawn", "audit_record", "reconnected"]
    .map((t) => api.on(t, soon));

  async function setPaused(paused) {
    try {
      const r = await api.post(paused ? "/api/pause" : "/api/resume");
      toast(r?.paused ? "Agents paused: only reading is allowed." : "Agents resumed.", "ok");
      load();
    } catch (e) { toastError(e); }
  }

  function render() {
    body.removeAttribute("aria-busy");
    const d = data;
    const paused = !!d.paused;
    const live = d.live ?? {};
    const pending = d.pending_approvals ?? 0;
    const calls = d.calls_last_minute;

    const pauseCard = h("section", { class: `card paused-banner${paused ? " paused" : ""}`, "aria-label": "Agents" },
      h("div", {},
        h("h2", {}, paused ? "Agents are paused" : "Agents are running"),
        h("p", { class: "muted", text: paused
          ? "Every call except reading your set is refused (“paused by the user”) until you resume."
          : "Calls are decided by your rules. Pause stops everything except reading at once." })),
      h("div", { class: "spacer" }),
      paused
        ? h("button", { type: "button", class: "primary", on: { click: () => setPaused(false) } }, "Resume agents")
        : h("button", { type: "button", class: "danger-outline", on: { click: () => setPaused(true) } }, "Pause all agents"));

    const liveCard = h("section", { class: "card", "aria-labelledby": "st-live" },
      h("div", { class: "card-head" }, h("h2", { id: "st-live" }, "Ableton Live"),
        live.simulator ? h("span", { class: "badge accent" }, "Simulated Live") : null),
      h("div", { class: `live-state ${live.connected ? "ok" : "bad"}` },
        h("span", { class: "led", "aria-hidden": "true" }),
        h("div", {},
          h("div", { class: "title" }, live.connected ? (live.simulator ? "Connected to the simulator" : "Connected") : "Not connected"),
          live.detail && !live.simulator ? h("div", { class: "muted small" }, live.detail) : null)),
      live.simulator ? h("p", { class: "muted small callout info" },
        "Agents are working on a simulated Live with a demo set, not your real set. Start Live with AbletonOSC and restart livegate to use it.") : null,
      !live.connected ? h("div", { class: "callout" },
        h("strong", {}, "To connect Live:"),
        h("ol", {},
          h("li", {}, "Install AbletonOSC (a free remote script) into Live's MIDI Remote Scripts folder."),
          h("li", {}, "In Live, open Preferences → Link, Tempo & MIDI."),
          h("li", {}, "Under Control Surface, choose AbletonOSC."),
          h("li", {}, "livegate finds Live within a few seconds (OSC on UDP 11000, replies on 11001)."))) : null);

    const numbers = h("div", { class: "stats" },
      h("section", { class: "card stat", "aria-label": "Calls in the last minute" },
        h("span", { class: "label" }, "Calls in the last minute"),
        h("span", { class: "value", id: "calls-last-minute" }, calls === undefined || calls === null ? "—" : String(calls)),
        h("span", { class: "hint" }, calls === undefined || calls === null ? "not counted by this livegate" : "all agents together")),
      h("section", { class: "card stat", "aria-label": "Waiting for you" },
        h("span", { class: "label" }, "Waiting for you"),
        h("span", { class: "value" }, String(pending)),
        pending ? h("a", { href: "#/approvals", class: "hint" }, "Open approvals") : h("span", { class: "hint" }, "no calls waiting")),
      h("section", { class: "card stat", "aria-label": "Agents" },
        h("span", { class: "label" }, "Agents with access"),
        h("span", { class: "value" }, String(d.grants?.length ?? 0)),
        h("a", { href: "#/agents", class: "hint" }, "Manage agents")));

    const urlCard = h("section", { class: "card", "aria-labelledby": "st-url" },
      h("div", { class: "card-head" }, h("h2", { id: "st-url" }, "MCP URL for agents")),
      copyField(d.mcp_url ?? "", "Copy URL", { id: "mcp-url" }),
      h("p", { class: "muted small" }, "Agents also need a token: create one under ",
        h("a", { href: "#/agents" }, "Agents"), ", where ready-made configs for Claude and Cursor are."));

    const upstreams = d.upstreams ?? [];
    const upCard = h("section", { class: "card tight", "aria-labelledby": "st-up" },
      h("div", { class: "card-head" }, h("h2", { id: "st-up" }, "Upstream servers")),
      upstreams.length
        ? h("div", { class: "table-wrap" }, h("table", {},
          h("thead", {}, h("tr", {}, h("th", {}, "Name"), h("th", {}, "Health"), h("th", { class: "num" }, "Tools"))),
          h("tbody", {}, upstreams.map((u) => h("tr", {},
            h("td", { class: "mono" }, u.name),
            h("td", {}, statusBadge(healthWord(u.health)), healthDetail(u.health)),
            h("td", { class: "num" }, String(u.tools ?? "—")))))))
        : h("p", { class: "muted pad" }, "No upstream servers are configured."));

    const grants = d.grants ?? [];
    const grantCard = h("section", { class: "card tight", "aria-labelledby": "st-grants" },
      h("div", { class: "card-head" }, h("h2", { id: "st-grants" }, "Grants"),
        h("div", { class: "actions" }, h("a", { href: "#/agents", class: "button small" }, "Manage"))),
      grants.length
        ? h("div", { class: "table-wrap" }, h("table", {},
          h("thead", {}, h("tr", {}, h("th", {}, "Name"), h("th", {}, "Created"))),
          h("tbody", {}, grants.map((g) => h("tr", {}, h("td", { class: "mono" }, g.name), h("td", { class: "muted" }, formatDateTime(g.created)))))))
        : h("p", { class: "muted pad" }, "No agent has a token yet."));

    const policy = d.policy ?? {};
    const policyCard = h("section", { class: "card", "aria-labelledby": "st-policy" },
      h("div", { class: "card-head" }, h("h2", { id: "st-policy" }, "Policy"),
        statusBadge(policy.ok === false ? "deny" : "ok"),
        h("div", { class: "actions" }, h("a", { href: "#/rules", class: "button small" }, "Edit rules"))),
      h("dl", { class: "kv" }, h("dt", {}, "File"), h("dd", { class: "mono" }, policy.file ?? "—")),
      policy.ok === false ? h("div", { class: "callout danger" },
        h("strong", {}, "The policy file has errors; the last good policy stays in force."),
        h("ul", {}, (policy.errors ?? []).map((e) => h("li", {}, typeof e === "string" ? e : `${e.path}: ${e.message}`)))) : null);

    replace(body, pauseCard, numbers, h("div", { class: "grid cols-2" }, liveCard, urlCard),
      h("div", { class: "grid cols-2" }, upCard, grantCard), policyCard);
  }

  load();
  return () => { stopped = true; clearTimeout(timer); offs.forEach((off) => off()); };
}

function healthWord(health) {
  const s = String(health ?? "");
  if (s.startsWith("down")) return "down";
  return s || "unknown";
}

function healthDetail(health) {
  const s = String(health ?? "");
  const i = s.indexOf(":");
  return s.startsWith("down") && i > 0 ? h("span", { class: "muted small" }, ` ${s.slice(i + 1).trim()}`) : null;
}
