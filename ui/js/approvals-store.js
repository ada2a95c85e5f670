// The pending approvals, kept current from the event stream: the sidebar badge and the
// Approvals screen both read it. The server's list is the truth; events keep it fresh between
// loads, and every reconnect reloads it.

import * as api from "./api.js";

const pending = new Map(); // id -> PendingApproval
const ended = new Map(); // id -> how it ended ("approved via ui", "expired", ...)
const subscribers = new Set();
let clockOffsetMs = 0; // server clock minus ours, estimated from seconds_left
let started = false;

/** The pending approvals, oldest first. */
export function list() {
  return [...pending.values()].sort((a, b) => a.created_ms - b.created_ms);
}

/** How many calls are waiting. */
export function count() {
  return pending.size;
}

/** How an approval that left the list ended, if it did while we watched. */
export function endedHow(id) {
  return ended.get(id);
}

/** Milliseconds left for an approval, by our clock corrected for the server's. */
export function msLeft(approval) {
  return approval.deadline_ms - (Date.now() + clockOffsetMs);
}

/** Calls `fn()` on every change; starts watching on first use. Returns the unsubscribe. */
export function subscribe(fn) {
  subscribers.add(fn);
  start();
  return () => subscribers.delete(fn);
}

function changed() {
  for (const fn of subscribers) fn();
}

function learnClock(approval) {
  if (typeof approval.seconds_left !== "number" || approval.seconds_left <= 0) return;
  // deadline - seconds_left*1000 is the server's "now" give or take a second.
  const serverNow = approval.deadline_ms - approval.seconds_left * 1000;
  clockOffsetMs = serverNow - Date.now();
}

/** Reloads the list from the server. */
export async function reload() {
  const items = await api.get("/api/approvals");
  pending.clear();
  for (const a of items ?? []) {
    pending.set(a.id, a);
    learnClock(a);
  }
  changed();
}

/** Forgets an approval the UI just answered (the event confirms it shortly). */
export function drop(id, how) {
  if (pending.delete(id)) {
    ended.set(id, how);
    changed();
  }
}

function start() {
  if (started) return;
  started = true;
  api.on("approval_requested", (e) => {
    if (!e.approval?.id) return;
    pending.set(e.approval.id, e.approval);
    learnClock(e.approval);
    changed();
  });
  const gone = (how) => (e) => {
    if (!e.id) return;
    ended.set(e.id, typeof how === "function" ? how(e) : how);
    if (pending.delete(e.id)) changed();
  };
  api.on("approval_resolved", gone((e) => `${e.approved ? "approved" : "denied"} via ${e.via}`));
  api.on("approval_expired", gone("expired: nobody answered in time"));
  api.on("approval_withdrawn", gone("withdrawn: the agent stopped waiting"));
  api.on("reconnected", () => { reload().catch(() => {}); });
  reload().catch(() => {});
}
