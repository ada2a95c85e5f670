// Ready-to-paste MCP client configs for livegate: Claude Desktop, Cursor and Claude Code,
// either launching `livegate connect` (stdio) or reaching the HTTP URL with a bearer token.

/** The clients, where their config lives, and how each can connect. */
export const CLIENTS = {
  "claude-desktop": {
    label: "Claude Desktop",
    transports: ["connect"],
    where: "Settings → Developer → Edit Config opens claude_desktop_config.json; merge this into it and restart Claude Desktop. (Claude Desktop starts local servers as commands, so it uses livegate connect.)",
  },
  cursor: {
    label: "Cursor",
    transports: ["http", "connect"],
    where: "Put this in ~/.cursor/mcp.json (every project) or .cursor/mcp.json in a project.",
  },
  "claude-code": {
    label: "Claude Code (.mcp.json)",
    transports: ["http", "connect"],
    where: "Put this in .mcp.json at the root of your project (shared with the project), or add it with the command below.",
  },
};

/**
 * The config text for `client` and `transport` (`connect` or `http`). `token` is the grant
 * token (or a placeholder), `mcpUrl` the gateway's MCP URL, `command` the livegate program.
 */
export function snippet(client, transport, { token, mcpUrl, command = "livegate" }) {
  let server;
  if (transport === "http") {
    server = { url: mcpUrl, headers: { Authorization: `Bearer ${token}` } };
    if (client === "claude-code") server = { type: "http", ...server };
  } else {
    server = { command, args: ["connect"], env: { LIVEGATE_URL: mcpUrl, LIVEGATE_TOKEN: token } };
    if (client === "claude-code") server = { type: "stdio", ...server };
  }
  return `${JSON.stringify({ mcpServers: { livegate: server } }, null, 2)}\n`;
}
