// Pure helpers for editing a policy document as JSON data: the JSON-path spelling the server
// uses in its errors, changes the UI makes, and error-to-field matching. Edits always start
// from the document as loaded, so fields the form does not know stay exactly as they were.

import { clone } from "./dom.js";

/** The five categories, as policy files spell them. */
export const CATEGORIES = ["Read", "Write", "Execute", "Destructive", "Financial"];

/** A key appended to a JSON path the way the server writes it (`tools.x`, `tools["a b"]`). */
export function joinPath(parent, key) {
  const k = String(key);
  const plain = k.length > 0 && /^[\p{L}\p{N}_\-*?.:/]+$/u.test(k);
  if (!parent) return plain ? k : `[${JSON.stringify(k)}]`;
  return plain ? `${parent}.${k}` : `${parent}[${JSON.stringify(k)}]`;
}

/** An array index appended to a JSON path. */
export function indexPath(parent, i) {
  return `${parent}[${i}]`;
}

/** True when `path` is `prefix` or lies inside it (`a.b` is inside `a`, `a[0]` inside `a`). */
export function pathWithin(path, prefix) {
  if (!prefix) return true;
  if (path === prefix) return true;
  if (!path.startsWith(prefix)) return false;
  const next = path[prefix.length];
  return next === "." || next === "[";
}

/**
 * The policy with `tools.<tool>.action = "allow"`: an existing entry keeps its reason, limits
 * and conditions; its `approval` goes (it only applies to `approve`, and the server refuses
 * it elsewhere). Returns a new object.
 */
export function allowTool(policy, tool) {
  const next = clone(policy);
  if (!next.tools || typeof next.tools !== "object" || Array.isArray(next.tools)) next.tools = {};
  const existing = next.tools[tool];
  const rule = existing && typeof existing === "object" && !Array.isArray(existing) ? existing : {};
  rule.action = "allow";
  delete rule.approval;
  next.tools[tool] = rule;
  return next;
}

/** The policy as the UI writes it: two-space JSON with a final newline. */
export function policyText(policy) {
  return `${JSON.stringify(policy, null, 2)}\n`;
}

/** A short summary of a rule for collapsed rows: "allow · 2 limits · 1 condition". */
export function ruleSummary(rule) {
  if (!rule || typeof rule !== "object") return "no rule";
  const parts = [];
  parts.push(rule.action ?? (Array.isArray(rule.limits) && rule.limits.length && !rule.conditions?.length ? "limits only" : "allow"));
  const n = (list, word) => (Array.isArray(list) && list.length ? `${list.length} ${word}${list.length === 1 ? "" : "s"}` : null);
  const limits = n(rule.limits, "limit");
  const conds = n(rule.conditions, "condition");
  if (limits) parts.push(limits);
  if (conds) parts.push(conds);
  if (rule.reason) parts.push(rule.reason);
  return parts.join(" · ");
}

/** A JSON.parse error turned into `{line, column, message}` for `text`. */
export function parseErrorPosition(text, error) {
  const msg = String(error?.message ?? error);
  let line = null;
  let column = null;
  const lc = /line (\d+) column (\d+)/i.exec(msg);
  const pos = /position (\d+)/i.exec(msg);
  if (lc) {
    line = Number(lc[1]);
    column = Number(lc[2]);
  } else if (pos) {
    const offset = Number(pos[1]);
    const before = text.slice(0, offset).split("\n");
    line = before.length;
    column = before[before.length - 1].length + 1;
  }
  return { line, column, message: msg.replace(/^JSON\.parse: /, "") };
}
