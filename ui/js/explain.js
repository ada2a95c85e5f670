// "Explain": which rule of the saved policy decides a call of a tool, and why.

import * as api from "./api.js";
import { h, replace, field, select, jsonBlock, categoryBadge } from "./dom.js";
import { modal } from "./dialog.js";

/**
 * Opens the explain dialog. `tool` is the tool to explain (null lets the user pick one from
 * `tools`, GET /api/tools); `grants` fill the "as agent" choice.
 */
export function explainDialog(tool, grants = [], tools = []) {
  return modal({ title: tool ? `Explain ${tool}` : "Explain a tool", wide: true }, (close) => {
    const listId = `explain-tools-${Math.random().toString(36).slice(2)}`;
    const name = h("input", { type: "text", class: "mono", value: tool ?? "", list: listId, autocomplete: "off", placeholder: "set_tempo", id: "explain-tool" });
    const names = h("datalist", { id: listId }, tools.map((t) => h("option", { value: t.name })));
    const args = h("textarea", { class: "mono", rows: "3", spellcheck: "false", id: "explain-args" });
    args.value = "{}";
    const grant = select([["", "any agent"], ...grants.map((g) => [g.name, g.name])], "");
    const out = h("div", { class: "explain", "aria-live": "polite", id: "explain-out" });
    const run = async () => {
      const which = name.value.trim();
      if (!which) { replace(out, h("p", { class: "muted" }, "Name a tool to see which rule decides its calls.")); name.focus(); return; }
      let parsed;
      try { parsed = JSON.parse(args.value || "{}"); } catch (e) {
        replace(out, h("div", { class: "callout danger" }, `The arguments are not valid JSON: ${e.message}`));
        return;
      }
      replace(out, h("p", { class: "muted" }, "Asking…"));
      try {
        const r = await api.get("/api/policy/explain", { tool: which, args: JSON.stringify(parsed), grant: grant.value });
        replace(out, renderExplanation(r));
      } catch (e) {
        replace(out, h("div", { class: "callout danger" }, e.message));
      }
    };
    const go = h("button", { type: "button", class: "primary" }, "Explain");
    go.addEventListener("click", run);
    name.addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); run(); } });
    const done = h("button", { type: "button" }, "Close");
    done.addEventListener("click", () => close());
    if (tool) queueMicrotask(run); else queueMicrotask(() => name.focus());
    return {
      body: [
        h("p", { class: "muted small" }, "Uses the saved policy and the counters as they are now; nothing is called."),
        h("div", { class: "explain-grid" },
          field("Tool", name), names,
          field("As agent", grant),
          field("Arguments (JSON)", args)),
        h("div", {}, go),
        out,
      ],
      actions: [done],
    };
  });
}

const SOURCES = {
  catalog: "from the risk catalog",
  annotations: "from the tool's MCP annotations",
  default: "unknown tools count as Write",
};

const MATCHED = {
  hidden: (m) => `the tool is hidden by pattern ${m.pattern}`,
  exact: () => "a tools entry with its exact name",
  glob: (m) => `the longest matching glob ${m.pattern}`,
  star: () => "the \"*\" entry",
  category: () => "the rule for its category",
  default: () => "no rule matched, so the policy's default",
};

/** Renders an explanation answer (tolerant of fields it does not know). */
export function renderExplanation(r) {
  if (!r || typeof r !== "object") return h("pre", { class: "code" }, String(r));
  const outcome = typeof r.outcome === "object" && r.outcome ? r.outcome : { decision: r.outcome };
  const decision = outcome.decision ?? r.decision ?? "";
  const reason = outcome.reason ?? r.reason;
  const matched = r.matched_by;
  const matchedText = typeof matched === "object" && matched
    ? (MATCHED[matched.by]?.(matched) ?? matched.by)
    : (matched ?? "");
  const verdict = {
    allow: "Allowed",
    deny: "Denied",
    rate_limited: "Rate-limited",
    needs_approval: "Asks you first",
  }[decision] ?? String(decision || "Decision");
  const tone = { allow: "ok", deny: "danger", rate_limited: "warn", needs_approval: "info" }[decision] ?? "info";
  const steps = [];
  if (r.category) steps.push(h("li", {}, "Category: ", categoryBadge(r.category), r.category_source ? h("span", { class: "muted" }, ` (${SOURCES[r.category_source] ?? r.category_source})`) : null));
  if (r.rule) steps.push(h("li", {}, "Deciding rule: ", h("code", {}, r.rule), matchedText ? h("span", { class: "muted" }, ` — ${matchedText}`) : null));
  for (const c of r.conditions ?? []) {
    steps.push(h("li", {}, "Condition ", h("code", {}, c.condition ?? JSON.stringify(c)), " ",
      h("span", { class: c.holds ? "holds" : "fails" }, c.holds ? "holds" : "fails")));
  }
  for (const l of r.limits ?? []) {
    steps.push(h("li", {}, "Limit ", h("code", {}, l.counter), `: ${l.used} of ${l.max} used (${l.per ?? "window"}), this call adds ${l.adds}`,
      h("span", { class: "muted" }, ` (from ${l.rule})`)));
  }
  const extra = [];
  if (outcome.retry_after_s !== undefined) extra.push(`retry after ${outcome.retry_after_s} s`);
  if (outcome.timeout_s !== undefined) extra.push(`waits ${outcome.timeout_s} s for you, then denies`);
  if (outcome.remember !== undefined) extra.push(`a yes is remembered ${outcome.remember}`);
  return h("div", { class: "explain" },
    h("div", { class: `callout ${tone}` },
      h("div", { class: "verdict" }, verdict),
      reason ? h("div", {}, reason) : null,
      extra.length ? h("div", { class: "small muted" }, extra.join("; ")) : null),
    steps.length ? h("ol", {}, steps) : null,
    Array.isArray(r.steps) && r.steps.length
      ? h("details", {}, h("summary", { class: "small muted" }, "As livegate explain prints it"),
        h("pre", { class: "code" }, r.steps.map((s) => (typeof s === "string" ? s : JSON.stringify(s))).join("\n")))
      : null,
    h("details", {}, h("summary", { class: "small muted" }, "Full answer (JSON)"), jsonBlock(r)));
}
