// Audit log: every call and admin event, newest first, filtered on the server and read a page
// at a time (so a log of millions of records opens as fast as an empty one). Live tail adds
// records as they are committed; a row opens its full record; the filtered records export as
// JSON Lines or CSV.

import * as api from "../api.js";
import { h, replace, field, select, jsonBlock, statusBadge, categoryBadge, formatWhen, formatDateTime, formatLatency, debounce } from "../dom.js";
import { toastError } from "../toast.js";
import { modal } from "../dialog.js";

const PAGE = 100;
const RANGES = [["15m", "Last 15 minutes"], ["1h", "Last hour"], ["24h", "Last 24 hours"], ["7d", "Last 7 days"], ["", "All time"], ["custom", "Custom…"]];
const DECISIONS = [["", "Any decision"], ["allow", "Allowed"], ["deny", "Denied"], ["rate_limited", "Rate-limited"]];
// Record kinds: a tool call, or an admin event (docs/admin-api.md), as [filter label, row label].
const KIND_LABELS = {
  call: ["Tool calls", "Tool call"],
  policy_reload: ["Policy reloads", "Policy reloaded"],
  policy_rejected: ["Rejected policy edits", "Policy edit rejected"],
  pause: ["Pauses", "Paused"],
  resume: ["Resumes", "Resumed"],
  grant_added: ["Agents added", "Agent added"],
  grant_revoked: ["Agents revoked", "Agent revoked"],
  pin_changed: ["Tool definition changes", "Tool changed"],
  pin_accepted: ["Accepted tool changes", "Tool change accepted"],
  live_connected: ["Live connected", "Live connected"],
  live_disconnected: ["Live disconnected", "Live disconnected"],
  upstream_health: ["Upstream health", "Upstream health"],
  start: ["livegate starts", "livegate started"],
};
const KINDS = [["", "Calls and events"], ...Object.entries(KIND_LABELS).map(([k, [filter]]) => [k, filter])];

// Kept while the app runs, so coming back to the screen keeps the filters.
const saved = { range: "24h", from: "", to: "", tool: "", grant: "", decision: "", kind: "", q: "", tail: true };
const FILTER_KEYS = ["range", "from", "to", "tool", "grant", "decision", "kind", "q"];

/** Filters named in the address (`#/audit?tool=set_tempo&range=7d`) win over remembered ones. */
function filtersFromHash() {
  const i = location.hash.indexOf("?");
  if (i < 0) return;
  const params = new URLSearchParams(location.hash.slice(i + 1));
  for (const key of FILTER_KEYS) if (params.has(key)) saved[key] = params.get(key) ?? "";
  if (saved.range === "all") saved.range = "";
}

/** Writes the filters into the address, so a reload or a bookmark shows the same records. */
function filtersToHash() {
  const params = new URLSearchParams();
  for (const key of FILTER_KEYS) {
    if (key === "range") {
      // "All time" is an empty range; the address spells it `all`. The default stays out.
      if (saved.range !== "24h") params.set("range", saved.range || "all");
    } else if (saved[key] !== "") params.set(key, saved[key]);
  }
  const qs = params.toString();
  history.replaceState(null, "", `#/audit${qs ? `?${qs}` : ""}`);
}

/** Mounts the Audit log screen. */
export function mount(root) {
  filtersFromHash();
  const f = saved;
  const range = select(RANGES, f.range, { id: "audit-range" });
  const from = h("input", { type: "datetime-local", value: f.from, id: "audit-from", step: "1" });
  const to = h("input", { type: "datetime-local", value: f.to, id: "audit-to", step: "1" });
  const tool = h("input", { type: "search", value: f.tool, id: "audit-tool", placeholder: "any tool", list: "audit-tools", autocomplete: "off", class: "mono" });
  const toolNames = h("datalist", { id: "audit-tools" });
  const grant = select([["", "Any agent"]], f.grant, { id: "audit-grant" });
  const decision = select(DECISIONS, f.decision, { id: "audit-decision" });
  const kind = select(KINDS, f.kind, { id: "audit-kind" });
  const q = h("input", { type: "search", value: f.q, id: "audit-q", placeholder: "words in arguments, reasons, results…", autocomplete: "off" });
  const tail = h("input", { type: "checkbox", id: "audit-tail", checked: f.tail });
  const fromField = field("From", from);
  const toField = field("To", to);

  const exportJsonl = h("a", { class: "button small", id: "export-jsonl", download: "" }, "Export JSONL");
  const exportCsv = h("a", { class: "button small", id: "export-csv", download: "" }, "Export CSV");
  const countEl = h("span", { class: "muted small", id: "audit-count", role: "status" });
  const newer = h("button", { type: "button", class: "small", hidden: true, id: "audit-newer" });

  const tbody = h("tbody", { id: "audit-rows" });
  const table = h("table", { class: "audit-table compact", "aria-label": "Audit records, newest first" },
    h("thead", {}, h("tr", {},
      h("th", { scope: "col", class: "c-time" }, "Time"), h("th", { scope: "col", class: "c-agent" }, "Agent"),
      h("th", { scope: "col", class: "c-tool" }, "Tool or event"), h("th", { scope: "col", class: "c-decision" }, "Decision"),
      h("th", { scope: "col", class: "c-outcome" }, "Outcome"), h("th", { scope: "col", class: "num c-latency" }, "Latency"),
      h("th", { scope: "col", class: "c-summary" }, "Summary"))),
    tbody);
  const more = h("button", { type: "button", class: "small", id: "audit-more" }, "Load older records");
  const footer = h("div", { class: "load-more" }, more);
  const sentinel = h("div", { "aria-hidden": "true", style: "height:1px" });

  replace(root,
    h("div", { class: "screen-head" },
      h("div", {}, h("h1", {}, "Audit log"), h("p", { class: "sub" }, "Every call agents made and every change to livegate, newest first.")),
      h("div", { class: "actions" }, exportJsonl, exportCsv)),
    h("section", { class: "card", "aria-label": "Filters" },
      h("form", { class: "filters", role: "search", on: { submit: (e) => { e.preventDefault(); reload(); } } },
        field("Time", range), fromField, toField,
        field("Tool", tool), toolNames, field("Agent", grant), field("Decision", decision), field("Kind", kind),
        h("div", { class: "field wide" }, h("label", { for: q.id }, "Text"), q)),
      h("div", { class: "row", style: "margin-top:12px" },
        h("label", { class: "switch" }, tail, "Live tail"),
        newer, h("span", { class: "spacer" }), countEl)),
    h("section", { class: "card tight", style: "margin-top:16px" }, h("div", { class: "table-wrap" }, table), footer, sentinel));

  let cursor = null;
  let loading = false;
  let seq = 0;
  let shown = 0;
  let missed = 0;
  let stopped = false;
  const shownIds = new Set();

  const showCustom = () => { fromField.hidden = toField.hidden = range.value !== "custom"; };
  showCustom();

  /** The filters as the API's query. */
  function query() {
    const out = { tool: tool.value.trim(), grant: grant.value, decision: decision.value, kind: kind.value, q: q.value.trim() };
    if (range.value === "custom") {
      out.from = localToMs(from.value);
      out.to = localToMs(to.value);
    } else if (range.value) out.from = range.value;
    return out;
  }

  function remember() {
    Object.assign(saved, { range: range.value, from: from.value, to: to.value, tool: tool.value, grant: grant.value, decision: decision.value, kind: kind.value, q: q.value, tail: tail.checked });
    if (!stopped) filtersToHash();
  }

  function updateExports() {
    const base = query();
    exportJsonl.href = api.withQuery("/api/audit/export", { ...base, format: "jsonl" });
    exportCsv.href = api.withQuery("/api/audit/export", { ...base, format: "csv" });
  }

  async function reload() {
    remember();
    updateExports();
    const mine = ++seq;
    cursor = null;
    shown = 0;
    missed = 0;
    shownIds.clear();
    newer.hidden = true;
    tbody.replaceChildren(h("tr", {}, h("td", { colspan: "7", class: "muted" }, "Loading…")));
    await loadPage(mine, true);
  }

  async function loadPage(mine = seq, fresh = false) {
    if (loading && !fresh) return;
    loading = true;
    more.disabled = true;
    try {
      const page = await api.get("/api/audit", { ...query(), cursor: fresh ? undefined : cursor, limit: PAGE });
      if (mine !== seq || stopped) return;
      if (fresh) tbody.replaceChildren();
      const frag = document.createDocumentFragment();
      for (const r of page.records ?? []) {
        if (shownIds.has(r.id)) continue;
        shownIds.add(r.id);
        frag.append(row(r));
        shown += 1;
      }
      tbody.append(frag);
      // The frame that shows the first page: a User Timing mark the UI bench reads.
      if (fresh) requestAnimationFrame(() => performance.mark("livegate:audit-rows"));
      cursor = page.next_cursor ?? null;
      if (!shown) tbody.replaceChildren(h("tr", {}, h("td", { colspan: "7", class: "empty" },
        h("div", { class: "big" }, "No records match"), h("div", {}, "Widen the time range or clear a filter."))));
    } catch (e) {
      if (mine !== seq) return;
      if (fresh) tbody.replaceChildren(h("tr", {}, h("td", { colspan: "7" }, h("div", { class: "callout danger" }, e.message))));
      else toastError(e, "Older records");
      cursor = null;
    } finally {
      if (mine === seq) {
        loading = false;
        more.disabled = false;
        footer.hidden = !cursor;
        countEl.textContent = shown ? `${shown.toLocaleString()} record${shown === 1 ? "" : "s"} shown${cursor ? ", more below" : ""}` : "";
      }
    }
  }

  more.addEventListener("click", () => loadPage());
  // Scrolling to the end loads the next page.
  const observer = new IntersectionObserver((entries) => {
    if (entries.some((e) => e.isIntersecting) && cursor && !loading) loadPage();
  }, { root: root.closest(".main"), rootMargin: "400px" });
  observer.observe(sentinel);

  const soon = debounce(reload, 300);
  for (const el of [tool, q]) el.addEventListener("input", soon);
  for (const el of [grant, decision, kind, from, to]) el.addEventListener("change", reload);
  range.addEventListener("change", () => {
    showCustom();
    if (range.value === "custom" && !from.value) from.value = msToLocal(Date.now() - 3_600_000);
    reload();
  });
  tail.addEventListener("change", () => { remember(); if (tail.checked && missed) reload(); });
  newer.addEventListener("click", () => reload());

  /** Whether a record that just arrived belongs in the current view. */
  function matches(r) {
    const qy = query();
    if (qy.tool && r.tool !== qy.tool) return false;
    if (qy.grant && r.grant !== qy.grant) return false;
    if (qy.decision && r.decision !== qy.decision) return false;
    if (qy.kind && r.kind !== qy.kind) return false;
    if (qy.to && r.time_ms >= qy.to) return false;
    if (qy.from && typeof qy.from === "number" && r.time_ms < qy.from) return false;
    if (qy.q) {
      const hay = JSON.stringify(r).toLowerCase();
      if (!qy.q.toLowerCase().split(/\s+/).every((w) => hay.includes(w))) return false;
    }
    return true;
  }

  const offs = [
    api.on("audit_record", (e) => {
      const r = e.record;
      if (!r || shownIds.has(r.id) || !matches(r)) return;
      if (tail.checked) {
        shownIds.add(r.id);
        tbody.querySelector(".empty")?.closest("tr")?.remove();
        const tr = row(r);
        tr.classList.add("fresh");
        tbody.prepend(tr);
        shown += 1;
        countEl.textContent = `${shown.toLocaleString()} record${shown === 1 ? "" : "s"} shown${cursor ? ", more below" : ""}`;
      } else {
        missed += 1;
        newer.hidden = false;
        newer.textContent = `${missed} new — show`;
      }
    }),
    api.on("reconnected", () => { if (tail.checked) reload(); }),
  ];

  // Choices for the filters.
  api.get("/api/grants").then((list) => {
    for (const g of list ?? []) grant.append(h("option", { value: g.name }, g.name));
    grant.value = saved.grant;
  }, () => {});
  api.get("/api/tools").then((list) => {
    replace(toolNames, (list ?? []).map((t) => h("option", { value: t.name })));
  }, () => {});

  reload();
  return () => { stopped = true; observer.disconnect(); soon.cancel(); offs.forEach((off) => off()); };
}

/** One table row; its time is a button opening the record. */
function row(r) {
  const isCall = r.kind === "call";
  const open = h("button", { type: "button", class: "rowlink", title: formatDateTime(r.time_ms), "aria-label": `Record ${r.id}, ${formatDateTime(r.time_ms)}` }, formatWhen(r.time_ms));
  open.addEventListener("click", () => openRecord(r));
  const tr = h("tr", { "data-id": String(r.id), "data-kind": r.kind },
    h("td", { class: "time c-time" }, open),
    h("td", { class: "mono c-agent", title: r.grant ?? "" }, r.grant ?? h("span", { class: "faint" }, "—")),
    h("td", { class: "tool c-tool", title: isCall ? r.tool : "" }, isCall ? r.tool : h("span", { class: "badge" }, kindLabel(r.kind))),
    h("td", { class: "c-decision" }, isCall ? statusBadge(r.decision) : null, r.approval ? h("span", { class: "faint small" }, ` ${r.approval.via}`) : null),
    h("td", { class: "c-outcome" }, isCall && r.outcome ? statusBadge(r.outcome) : null),
    h("td", { class: "num c-latency" }, formatLatency(r.latency_us)),
    h("td", { class: "summary c-summary", title: r.summary ?? r.reason ?? "" }, r.summary ?? r.reason ?? ""));
  tr.addEventListener("dblclick", () => openRecord(r));
  return tr;
}

function kindLabel(kind) {
  return KIND_LABELS[kind]?.[1] ?? String(kind).replace(/_/g, " ");
}

/** Shows one record in full (fetched again, so it is the stored version). */
async function openRecord(summary) {
  let r = summary;
  try { r = await api.get(`/api/audit/${encodeURIComponent(summary.id)}`); } catch (e) { if (e.status !== 404) toastError(e); }
  const isCall = r.kind === "call";
  const kv = (label, value) => (value === null || value === undefined || value === "" ? null : [h("dt", {}, label), h("dd", {}, value)]);
  modal({ title: isCall ? `${r.tool}` : kindLabel(r.kind), wide: true }, (close) => {
    const done = h("button", { type: "button", autofocus: true }, "Close");
    done.addEventListener("click", () => close());
    return {
      body: [
        h("dl", { class: "kv", id: "record-detail" },
          kv("Record", `#${r.id}`),
          kv("Time", formatDateTime(r.time_ms)),
          isCall ? [
            kv("Agent", r.grant),
            kv("Client", r.client ? `${r.client.name}${r.client.version ? ` ${r.client.version}` : ""}` : null),
            kv("Session", r.session ? h("span", { class: "mono" }, r.session) : null),
            kv("Upstream", r.upstream),
            kv("Category", r.category ? categoryBadge(r.category) : null),
            kv("Decision", statusBadge(r.decision)),
            kv("Rule", r.rule ? h("code", {}, r.rule) : null),
            kv("Reason", r.reason),
            kv("Approval", r.approval ? `${r.approval.via} at ${formatDateTime(r.approval.at_ms)}` : null),
            kv("Outcome", r.outcome ? statusBadge(r.outcome) : "not run"),
            kv("Latency", formatLatency(r.latency_us)),
            kv("Result", r.summary),
          ] : kv("What happened", r.summary)),
        isCall ? h("div", {}, h("div", { class: "muted small" }, "Arguments (secrets redacted)"), jsonBlock(r.args ?? {}, { "aria-label": "Arguments" })) : null,
        !isCall && r.detail !== null && r.detail !== undefined ? h("div", {}, h("div", { class: "muted small" }, "Detail"), jsonBlock(r.detail)) : null,
        h("details", {}, h("summary", { class: "small muted" }, "Whole record (JSON)"), jsonBlock(r)),
      ],
      actions: [done],
    };
  });
}

function localToMs(value) {
  if (!value) return undefined;
  const ms = new Date(value).getTime();
  return Number.isNaN(ms) ? undefined : ms;
}

function msToLocal(ms) {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60000);
  return d.toISOString().slice(0, 19);
}
