// Agents: the grants (one token per agent), creating one (its token is shown once) and
// revoking one, and ready-to-paste configs for Claude Desktop, Cursor and Claude Code, with a
// one-click "add to Claude Desktop" where its config file exists.

import * as api from "../api.js";
import { h, replace, field, select, copyButton, copyField, formatDateTime } from "../dom.js";
import { toast, toastError } from "../toast.js";
import { confirmDialog } from "../dialog.js";
import { snippet, CLIENTS } from "../agent-configs.js";

/** Mounts the Agents screen. */
export function mount(root) {
  const name = h("input", { type: "text", id: "grant-name", placeholder: "claude-desktop", autocomplete: "off", maxlength: "64", class: "mono" });
  const create = h("button", { type: "submit", class: "primary", id: "grant-create" }, "Create token");
  const nameError = h("div", { class: "field-error", role: "alert", hidden: true });
  const createForm = h("form", { class: "row", "aria-label": "New agent" },
    h("div", { class: "field", style: "flex:1;min-width:220px" }, h("label", { for: name.id }, "Agent name"), name, nameError),
    h("div", { style: "align-self:end" }, create));
  const fresh = h("div", { id: "new-token", "aria-live": "polite" });
  const listEl = h("div", { id: "grant-list" });
  const configs = h("div", { class: "stack" });

  replace(root,
    h("div", { class: "screen-head" },
      h("div", {}, h("h1", {}, "Agents"), h("p", { class: "sub" }, "Each agent gets its own token, so its calls are counted and logged under its name."))),
    h("div", { class: "stack" },
      h("section", { class: "card", "aria-labelledby": "ag-new" },
        h("div", { class: "card-head" }, h("h2", { id: "ag-new" }, "Connect a new agent")),
        createForm, fresh),
      h("section", { class: "card tight", "aria-labelledby": "ag-list" },
        h("div", { class: "card-head" }, h("h2", { id: "ag-list" }, "Agents with access")),
        listEl),
      h("section", { class: "card", "aria-labelledby": "ag-cfg" },
        h("div", { class: "card-head" }, h("h2", { id: "ag-cfg" }, "Configs to paste")),
        configs)));

  let status = null; // GET /api/status (the MCP URL)
  let desktop = null; // GET /api/agents/claude-desktop (null when unknown)
  let token = null; // the token created on this visit, for the configs
  let tokenName = null;
  let client = "claude-desktop";
  let transport = "connect";
  let stopped = false;

  createForm.addEventListener("submit", async (e) => {
    e.preventDefault();
    const n = name.value.trim();
    if (!n) { showNameError("Give the agent a name, such as claude-desktop or cursor."); name.focus(); return; }
    create.disabled = true;
    try {
      const r = await api.post("/api/grants", { name: n });
      token = r.token;
      tokenName = r.name;
      name.value = "";
      showNameError(null);
      renderFresh();
      renderConfigs();
      loadGrants();
    } catch (err) {
      if (err.status === 400 || err.status === 409) { showNameError(err.message); name.focus(); } else toastError(err);
    } finally { create.disabled = false; }
  });

  function showNameError(message) {
    nameError.hidden = !message;
    nameError.textContent = message ?? "";
    if (message) name.setAttribute("aria-invalid", "true"); else name.removeAttribute("aria-invalid");
  }

  function renderFresh() {
    if (!token) { replace(fresh); return; }
    const hide = h("button", { type: "button", class: "ghost small" }, "I have saved it");
    hide.addEventListener("click", () => { token = null; tokenName = null; renderFresh(); renderConfigs(); });
    replace(fresh, h("div", { class: "token-box", style: "margin-top:14px" },
      h("strong", {}, `Token for ${tokenName}`),
      copyField(token, "Copy token", { id: "token-value", "aria-label": `Token for ${tokenName}` }),
      h("div", { class: "row" },
        h("span", { class: "small spacer" }, "This is the only time it is shown: livegate keeps only a hash. The configs below now include it."),
        hide)));
  }

  async function loadGrants() {
    let list;
    try { list = await api.get("/api/grants"); } catch (e) {
      replace(listEl, h("div", { class: "callout danger pad" }, e.message));
      return;
    }
    if (stopped) return;
    if (!list.length) {
      replace(listEl, h("p", { class: "muted pad" }, "No agent has a token yet. Create one above."));
      return;
    }
    replace(listEl, h("div", { class: "table-wrap" }, h("table", {},
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Name"), h("th", { scope: "col" }, "Created"), h("th", { scope: "col" }, h("span", { class: "sr-only" }, "Actions")))),
      h("tbody", {}, list.map((g) => {
        const revoke = h("button", { type: "button", class: "small danger-outline", "aria-label": `Revoke ${g.name}` }, "Revoke");
        revoke.addEventListener("click", () => revokeGrant(g.name, revoke));
        return h("tr", { "data-grant": g.name },
          h("td", { class: "mono" }, g.name),
          h("td", { class: "muted" }, formatDateTime(g.created)),
          h("td", { class: "num" }, revoke));
      })))));
  }

  async function revokeGrant(grantName, button) {
    const ok = await confirmDialog({
      title: `Revoke ${grantName}?`,
      message: "Its token stops working at once; the agent using it can no longer call any tool. Its records stay in the audit log.",
      confirm: "Revoke", danger: true,
    });
    if (!ok) return;
    button.disabled = true;
    try {
      await api.del(`/api/grants/${encodeURIComponent(grantName)}`);
      toast(`${grantName} can no longer connect.`, "ok");
      if (tokenName === grantName) { token = null; tokenName = null; renderFresh(); renderConfigs(); }
      loadGrants();
    } catch (e) { toastError(e); button.disabled = false; }
  }

  function renderConfigs() {
    const mcpUrl = status?.mcp_url ?? `${location.origin}/mcp`;
    const info = CLIENTS[client];
    const clientSel = select(Object.entries(CLIENTS).map(([k, c]) => [k, c.label]), client, { id: "cfg-client" });
    clientSel.addEventListener("change", () => { client = clientSel.value; if (!CLIENTS[client].transports.includes(transport)) transport = CLIENTS[client].transports[0]; renderConfigs(); });
    const transportSel = select(info.transports.map((t) => [t, t === "connect" ? "livegate connect (the app starts it)" : "HTTP URL"]), transport, { id: "cfg-transport" });
    transportSel.addEventListener("change", () => { transport = transportSel.value; renderConfigs(); });
    const text = snippet(client, transport, { token: token ?? "<token>", mcpUrl, command: desktop?.command ?? "livegate" });
    const parts = [
      h("div", { class: "row" }, field("App", clientSel), field("How it connects", transportSel)),
      h("p", { class: "muted small" }, info.where),
      h("div", { class: "snippet" },
        h("pre", { class: "code", id: "cfg-snippet", tabindex: "0", "aria-label": `${info.label} config` }, text),
        h("div", { class: "row" }, copyButton(text, "Copy config", { class: "small", "aria-label": `Copy the ${info.label} config` }),
          token ? null : h("span", { class: "faint small" }, "Replace <token> with the agent's token (create one above to fill it in)."))),
    ];
    if (client === "claude-code") {
      const cmd = transport === "http"
        ? `claude mcp add --transport http livegate ${mcpUrl} --header "Authorization: Bearer ${token ?? "<token>"}"`
        : `claude mcp add livegate --env LIVEGATE_TOKEN=${token ?? "<token>"} -- ${desktop?.command ?? "livegate"} connect`;
      parts.push(h("div", { class: "snippet" }, h("div", { class: "muted small" }, "Or from a terminal:"), copyField(cmd, "Copy command")));
    }
    if (client === "claude-desktop") parts.push(desktopButton());
    replace(configs, parts);
  }

  function desktopButton() {
    if (!desktop) return null;
    if (!desktop.exists) {
      return h("p", { class: "muted small", id: "desktop-missing" }, "Claude Desktop's config file was not found at ",
        h("code", {}, desktop.file), ", so livegate cannot add itself; paste the config above once Claude Desktop is installed.");
    }
    const add = h("button", { type: "button", class: "primary", id: "desktop-add", disabled: !token }, desktop.configured ? "Replace livegate in Claude Desktop's config" : "Add to Claude Desktop");
    add.addEventListener("click", async () => {
      const ok = await confirmDialog({
        title: "Add livegate to Claude Desktop?",
        message: `livegate copies ${desktop.file} to a backup next to it, then sets "livegate" under mcpServers there (with this token). Other servers stay as they are. Restart Claude Desktop to use it.`,
        confirm: "Back up and add",
      });
      if (!ok) return;
      add.disabled = true;
      try {
        const r = await api.post("/api/agents/claude-desktop", { token });
        toast(`Added to Claude Desktop. Backup: ${r.backup ?? "none needed"}. Restart Claude Desktop to use it.`, "ok");
        desktop = await api.get("/api/agents/claude-desktop").catch(() => desktop);
        renderConfigs();
      } catch (e) { toastError(e, "Not added"); add.disabled = false; }
    });
    return h("div", { class: "callout info row" },
      h("div", { class: "spacer" },
        h("strong", {}, "One click: "), `add livegate to ${desktop.file} (a backup is made first).`,
        token ? null : h("div", { class: "small muted" }, "Create a token above first: it goes into the config.")),
      add);
  }

  const offs = [api.on("grants_changed", () => loadGrants())];

  Promise.all([
    api.get("/api/status").then((s) => { status = s; }, () => {}),
    api.get("/api/agents/claude-desktop").then((d) => { desktop = d; }, () => {}),
  ]).then(() => { if (!stopped) renderConfigs(); });
  renderConfigs();
  loadGrants();
  return () => { stopped = true; offs.forEach((off) => off()); };
}
