// The admin API client: JSON in and out, errors carrying the server's message, and the live
// event stream (`/api/events`, Server-Sent Events). The browser session is the HttpOnly
// cookie set by the one-time login link; this code never sees a token.

/** An API call that failed: `status` (0 when the server could not be reached), the
 * server's message, and its body (`errors` for validation failures). */
export class ApiError extends Error {
  constructor(status, message, body) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.body = body ?? null;
    this.errors = Array.isArray(body?.errors) ? body.errors : [];
  }
}

const unauthorizedHandlers = new Set();

/** Calls `fn` whenever the API answers 401 (the session is missing or expired). */
export function onUnauthorized(fn) {
  unauthorizedHandlers.add(fn);
  return () => unauthorizedHandlers.delete(fn);
}

/**
 * Calls the API. `body` is sent as JSON (a string is sent as it is, for raw policy text).
 * Resolves with the parsed JSON answer (or text for non-JSON answers); rejects with ApiError.
 */
export async function request(method, path, body) {
  const init = { method, headers: { Accept: "application/json" }, credentials: "same-origin" };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = typeof body === "string" ? body : JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, "livegate is not answering. Is it still running? Start it again and reload this page.", { cause: String(e) });
  }
  const type = response.headers.get("content-type") ?? "";
  let data = null;
  if (type.includes("application/json")) {
    try { data = await response.json(); } catch { data = null; }
  } else {
    data = await response.text();
  }
  if (!response.ok) {
    if (response.status === 401) for (const fn of unauthorizedHandlers) fn();
    const message = (data && typeof data === "object" && data.error)
      || (typeof data === "string" && data.trim())
      || `${method} ${path} failed with HTTP ${response.status}`;
    throw new ApiError(response.status, message, typeof data === "object" ? data : null);
  }
  return data;
}

/** GET `path` with an optional query object (empty values are left out). */
export function get(path, query) {
  return request("GET", withQuery(path, query));
}
/** POST JSON. */
export const post = (path, body) => request("POST", path, body);
/** PUT JSON. */
export const put = (path, body) => request("PUT", path, body);
/** DELETE. */
export const del = (path) => request("DELETE", path);

/** `path?k=v&…` leaving out undefined, null and empty values. */
export function withQuery(path, query) {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null || v === "") continue;
    params.set(k, String(v));
  }
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

// ---- live events -------------------------------------------------------------------------

/** Every event type the server sends (docs/admin-api.md). */
export const EVENT_TYPES = [
  "policy_reloaded", "paused_changed", "tool_changed", "live_connection", "upstream_health",
  "approval_requested", "approval_resolved", "approval_expired", "approval_withdrawn",
  "approval_remembered", "grants_changed", "audit_record", "lagged",
];

const listeners = new Map(); // type ("*" for all) -> Set<fn>
const stateListeners = new Set();
let source = null;
let retryMs = 1000;
let connected = false;
let closed = false; // disconnect() was called: stay closed

/**
 * Subscribes to one event type (or "*"); starts the stream on first use.
 * Returns the unsubscribe function.
 */
export function on(type, fn) {
  if (!listeners.has(type)) listeners.set(type, new Set());
  listeners.get(type).add(fn);
  connect();
  return () => listeners.get(type)?.delete(fn);
}

/** Calls `fn(connected)` now and whenever the stream opens or drops. */
export function onConnection(fn) {
  stateListeners.add(fn);
  fn(connected);
  return () => stateListeners.delete(fn);
}

let everConnected = false;

function setConnected(value) {
  if (connected === value) return;
  connected = value;
  for (const fn of stateListeners) fn(value);
  // Whatever happened while the stream was down, screens reload on "reconnected" (not on
  // the first connection: they have just loaded).
  if (value && everConnected) dispatch({ type: "reconnected" });
  if (value) everConnected = true;
}

function dispatch(event) {
  for (const fn of listeners.get(event.type) ?? []) fn(event);
  for (const fn of listeners.get("*") ?? []) fn(event);
}

/** Opens the event stream (once). Reconnects with backoff when it drops for good. */
export function connect() {
  if (source || closed) return;
  source = new EventSource("/api/events");
  source.addEventListener("open", () => { retryMs = 1000; setConnected(true); });
  source.addEventListener("error", () => {
    setConnected(false);
    if (source && source.readyState === EventSource.CLOSED) {
      // The browser gave up (for example after a 401): check the session, then retry.
      source = null;
      request("GET", "/api/status").then(() => {}, () => {});
      setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, 15000);
    }
  });
  const handle = (msg) => {
    let data;
    try { data = JSON.parse(msg.data); } catch { return; }
    if (!data || typeof data !== "object") return;
    if (!data.type) data.type = msg.type === "message" ? "message" : msg.type;
    dispatch(data);
    // The stream dropped events for this slow page: everything reloads as after a reconnect.
    if (data.type === "lagged") dispatch({ type: "reconnected" });
  };
  for (const type of EVENT_TYPES) source.addEventListener(type, handle);
  source.addEventListener("message", handle);
}

// A page that is left (or frozen in the back-forward cache) lets go of its stream: a browser
// keeps only a few connections per server, and a stream held by a page nobody sees would
// stall the next page's requests. Coming back opens it again (and screens reload).
window.addEventListener("pagehide", () => {
  if (!source) return;
  source.close();
  source = null;
  setConnected(false);
});
window.addEventListener("pageshow", (e) => {
  if (e.persisted && !closed) connect();
});

/** Closes the stream (the signed-out page has no use for it). */
export function disconnect() {
  closed = true;
  if (source) source.close();
  source = null;
  setConnected(false);
}
