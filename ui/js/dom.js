// Small DOM helpers: an element builder, formatting, JSON display, copy buttons.
// Everything builds real elements (no innerHTML with data), so nothing an agent sends can
// turn into markup.

/**
 * Builds an element. `attrs` keys: `class`, `text`, `on` ({event: handler}), `dataset`,
 * `hidden`, boolean properties (`disabled`, `checked`, ...), anything else as an attribute.
 * Children may be nodes, strings, numbers, arrays or null/false (skipped).
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "text") el.textContent = value;
    else if (key === "on") for (const [ev, fn] of Object.entries(value)) el.addEventListener(ev, fn);
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key === "value") el.value = value;
    else if (key in PROPS) el[key] = value === true ? true : value;
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

const PROPS = { disabled: 1, checked: 1, hidden: 1, selected: 1, readOnly: 1, open: 1, htmlFor: 1, indeterminate: 1 };

/** Appends children (nested arrays, strings and nodes; null/false skipped). */
export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Replaces all children of `el`. */
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

let idCounter = 0;
/** A unique id for label/aria wiring. */
export function uid(prefix = "id") {
  idCounter += 1;
  return `${prefix}-${idCounter}`;
}

/** A labelled field: `<div class="field"><label for>…</label>{control}{help}</div>`. */
export function field(labelText, control, { help, path } = {}) {
  if (!control.id) control.id = uid("f");
  if (path) control.dataset.path = path;
  const helpEl = help ? h("div", { class: "help", id: uid("help") }, help) : null;
  if (helpEl) control.setAttribute("aria-describedby", helpEl.id);
  return h("div", { class: "field" }, h("label", { for: control.id }, labelText), control, helpEl);
}

/** A `<select>` from `[value, label]` pairs (or plain strings). */
export function select(options, value, attrs = {}) {
  const el = h("select", attrs);
  for (const opt of options) {
    const [v, label] = Array.isArray(opt) ? opt : [opt, opt];
    el.append(h("option", { value: v, selected: v === value }, label));
  }
  el.value = value ?? "";
  return el;
}

/** A pretty-printed JSON block with light syntax colouring (text nodes only). */
export function jsonBlock(value, attrs = {}) {
  const pre = h("pre", { class: "json", tabindex: "0", ...attrs });
  const text = JSON.stringify(value, null, 2) ?? "null";
  const re = /("(?:\\.|[^"\\])*")(\s*:)?|\b(true|false|null)\b|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/g;
  let last = 0;
  for (const m of text.matchAll(re)) {
    if (m.index > last) pre.append(text.slice(last, m.index));
    if (m[1]) {
      pre.append(h("span", { class: m[2] ? "k" : "s" }, m[1]));
      if (m[2]) pre.append(m[2]);
    } else if (m[3]) pre.append(h("span", { class: "b" }, m[3]));
    else pre.append(h("span", { class: "n" }, m[4]));
    last = m.index + m[0].length;
  }
  pre.append(text.slice(last));
  return pre;
}

/** A button that copies `getText()` to the clipboard and says so. */
export function copyButton(getText, label = "Copy", attrs = {}) {
  const btn = h("button", { type: "button", class: attrs.class ?? "small", "aria-label": attrs["aria-label"] ?? label }, label);
  btn.addEventListener("click", async () => {
    const text = typeof getText === "function" ? getText() : getText;
    const ok = await copyText(text);
    btn.textContent = ok ? "Copied" : "Press Ctrl+C";
    setTimeout(() => { btn.textContent = label; }, 1600);
  });
  return btn;
}

/** Copies text; falls back to a hidden textarea where the Clipboard API is not allowed. */
export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const ta = h("textarea", { class: "sr-only", "aria-hidden": "true" });
    ta.value = text;
    document.body.append(ta);
    ta.select();
    let ok = false;
    try { ok = document.execCommand("copy"); } catch { ok = false; }
    ta.remove();
    return ok;
  }
}

/** `code` text next to a copy button. */
export function copyField(text, label = "Copy", attrs = {}) {
  return h("div", { class: "copy-field" }, h("code", { ...attrs }, text), copyButton(text, label));
}

const timeFmt = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit" });
const dateTimeFmt = new Intl.DateTimeFormat(undefined, {
  year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit",
});

/** Epoch ms (or a date string) as a local date and time. */
export function formatDateTime(value) {
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? String(value ?? "") : dateTimeFmt.format(d);
}

/** Epoch ms as time of day when it is today, else date and time. */
export function formatWhen(ms) {
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) return "";
  const now = new Date();
  return d.toDateString() === now.toDateString() ? timeFmt.format(d) : dateTimeFmt.format(d);
}

/** Microseconds as a short human duration. */
export function formatLatency(us) {
  if (us === null || us === undefined) return "";
  if (us < 1000) return `${us} µs`;
  if (us < 1_000_000) return `${(us / 1000).toFixed(us < 10_000 ? 1 : 0)} ms`;
  return `${(us / 1_000_000).toFixed(1)} s`;
}

/** Seconds as "1:05" or "45 s". */
export function formatSeconds(s) {
  const secs = Math.max(0, Math.ceil(s));
  if (secs < 60) return `${secs} s`;
  return `${Math.floor(secs / 60)}:${String(secs % 60).padStart(2, "0")}`;
}

/** A deep copy of JSON data. */
export function clone(value) {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

/** Calls `fn` once `ms` have passed without another call. */
export function debounce(fn, ms) {
  let timer = 0;
  const wrapped = (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
  wrapped.cancel = () => clearTimeout(timer);
  return wrapped;
}

/** A badge for a decision / outcome / health word. */
export function statusBadge(word) {
  const w = String(word ?? "");
  const tone = {
    allow: "ok", ok: "ok", ready: "ok", approved: "ok", yes: "ok",
    deny: "danger", rate_limited: "warn", tool_error: "warn", upstream_error: "danger",
    starting: "warn", approve: "accent", needs_approval: "accent",
  }[w] ?? (w.startsWith("down") ? "danger" : "");
  const label = { rate_limited: "rate-limited", needs_approval: "needs approval", approve: "ask" }[w] ?? w;
  return h("span", { class: `badge ${tone}` }, label || "—");
}

/** A badge for a risk category. */
export function categoryBadge(category) {
  const c = String(category ?? "").toLowerCase();
  const tone = { read: "", write: "accent", execute: "warn", destructive: "danger", financial: "danger" }[c] ?? "";
  return h("span", { class: `badge ${tone}` }, c ? c[0].toUpperCase() + c.slice(1) : "—");
}
