// The policy as a form: default posture, description, one rule per category, rules per tool
// (every tool the upstreams offer, searchable, plus patterns such as `delete_*` and `*`), and
// hidden tools. The form edits the draft document in place; `onChange` after every edit and
// `onStructure` when the form must be drawn again.

import { h, field, replace, categoryBadge, uid } from "./dom.js";
import { ruleEditor } from "./rule-editor.js";
import { CATEGORIES, joinPath, indexPath, ruleSummary } from "./policy-edit.js";
import { explainDialog } from "./explain.js";

/**
 * Draws the form for `draft` into `root`. `ui` keeps what is open and the search text between
 * redraws; `tools` is GET /api/tools (or null when it failed).
 */
export function renderForm(root, draft, { tools, toolsError, grants, ui, onChange, onStructure, setLocalError }) {
  const stashes = ui.stashes ?? (ui.stashes = new Map());
  const stashFor = (path) => { if (!stashes.has(path)) stashes.set(path, {}); return stashes.get(path); };
  const editorOpts = (path, star = false) => ({ onChange, onStructure, setLocalError, star, stash: stashFor(path) });

  // ---- general
  const postureName = uid("posture");
  const posture = h("div", { class: "segmented", role: "radiogroup", "aria-labelledby": `${postureName}-l`, "data-path": "default" },
    [["allow", "Allow"], ["approve", "Ask me"], ["deny", "Deny"]].map(([v, label]) => {
      const input = h("input", { type: "radio", name: postureName, value: v, checked: (draft.default ?? "deny") === v });
      input.addEventListener("change", () => { draft.default = v; onChange(); });
      return h("label", {}, input, label);
    }));
  const description = h("textarea", { rows: "3", placeholder: "What this policy is for, for people reading it" });
  description.value = draft.description ?? "";
  description.addEventListener("input", () => {
    if (description.value) draft.description = description.value; else delete draft.description;
    onChange();
  });
  const general = h("section", { class: "card", "aria-labelledby": "rules-general" },
    h("div", { class: "card-head" }, h("h2", { id: "rules-general" }, "General")),
    h("div", { class: "rule-grid" },
      h("div", { class: "field" }, h("span", { class: "label", id: `${postureName}-l` }, "When no rule matches"), posture,
        h("div", { class: "help" }, "The default posture for tools no category or tool rule covers.")),
      field("Description", description, { path: "description" })));

  // ---- categories
  const cats = h("div", { class: "cat-list" });
  for (const cat of CATEGORIES) {
    const path = joinPath("categories", cat);
    const rule = draft.categories?.[cat];
    const has = rule !== undefined;
    const toggle = h("input", { type: "checkbox", checked: has, "aria-label": `Rule for ${cat} tools` });
    toggle.addEventListener("change", () => {
      if (toggle.checked) {
        if (!draft.categories || typeof draft.categories !== "object") draft.categories = {};
        draft.categories[cat] = stashFor(path).rule ?? { action: "allow" };
        ui.open.add(path);
      } else {
        stashFor(path).rule = draft.categories[cat];
        delete draft.categories[cat];
      }
      onChange();
      onStructure();
    });
    const details = h("details", { class: "rule-card", "data-path": path, "data-category": cat, open: ui.open.has(path) && has },
      h("summary", {},
        h("span", { class: "name" }, categoryBadge(cat)),
        h("span", { class: "summary" }, has ? ruleSummary(rule) : `no rule: the default (${draft.default ?? "deny"}) applies`)));
    details.addEventListener("toggle", () => {
      if (details.open) ui.open.add(path); else ui.open.delete(path);
    });
    const body = h("div", {}, h("div", { class: "rule-head" }, h("label", { class: "check" }, toggle, `Have a rule for ${cat} tools`)));
    if (has && rule && typeof rule === "object") body.append(ruleEditor(rule, path, editorOpts(path)));
    else if (has) body.append(h("p", { class: "muted pad" }, "This rule is not an object; fix it in Raw JSON."));
    details.append(body);
    cats.append(details);
  }
  const categories = h("section", { class: "card", "aria-labelledby": "rules-cats" },
    h("div", { class: "card-head" }, h("h2", { id: "rules-cats" }, "Categories"),
      h("span", { class: "muted small" }, "every tool belongs to one (from the risk catalog or its annotations)")),
    cats);

  // ---- tools
  const toolSection = toolsSection(draft, { tools, toolsError, grants, ui, onChange, onStructure, editorOpts, stashFor });

  // ---- hidden
  const hidden = hiddenSection(draft, { onChange, onStructure });

  replace(root, h("div", { class: "rules-layout" }, general, categories, toolSection, hidden));
}

function toolsSection(draft, { tools, toolsError, grants, ui, onChange, onStructure, editorOpts, stashFor }) {
  const known = new Map((tools ?? []).map((t) => [t.name, t]));
  const entries = draft.tools && typeof draft.tools === "object" ? draft.tools : {};
  const patterns = Object.keys(entries).filter((k) => !known.has(k));
  const hide = Array.isArray(draft.hide) ? draft.hide : [];

  const search = h("input", { type: "search", placeholder: "Search tools by name, category or upstream", value: ui.search ?? "", "aria-label": "Search tools" });
  const onlyRules = h("input", { type: "checkbox", checked: !!ui.onlyRules });
  const count = h("span", { class: "tool-count", "aria-live": "polite" });
  const list = h("div", { class: "tool-list", id: "tool-list" });

  const rowFor = (name, tool) => {
    const path = joinPath("tools", name);
    const rule = entries[name];
    const has = rule !== undefined;
    const isHidden = hide.some((p) => p === name || (typeof p === "string" && /[*?]/.test(p) && globToRegex(p).test(name)));
    const summary = has ? ruleSummary(rule) : inheritedSummary(draft, name, tool);
    const details = h("details", { class: "rule-card", "data-path": path, "data-tool": name, open: ui.open.has(path) },
      h("summary", {},
        h("span", { class: "name" }, name),
        tool ? categoryBadge(tool.category) : h("span", { class: "badge" }, name.includes("*") || name.includes("?") ? "pattern" : "not offered"),
        tool?.risk ? h("span", { class: `badge ${tool.risk === "high" ? "danger" : tool.risk === "medium" ? "warn" : ""}` }, `${tool.risk} risk`) : null,
        isHidden ? h("span", { class: "badge danger" }, "hidden") : null,
        tool?.blocked ? h("span", { class: "badge warn", title: "Its definition changed; accept it with livegate pins accept" }, "blocked") : null,
        h("span", { class: "summary" }, has ? h("strong", {}, summary) : summary)));
    let drawn = false;
    const draw = () => {
      if (drawn) return;
      drawn = true;
      details.append(toolBody(name, tool, path));
    };
    if (details.open) draw();
    details.addEventListener("toggle", () => {
      if (details.open) { ui.open.add(path); draw(); } else ui.open.delete(path);
    });
    return details;
  };

  const toolBody = (name, tool, path) => {
    const rule = entries[name];
    const has = rule !== undefined;
    const own = h("input", { type: "checkbox", checked: has });
    own.addEventListener("change", () => {
      if (!draft.tools || typeof draft.tools !== "object") draft.tools = {};
      if (own.checked) {
        const inherited = effectiveAction(draft, name, tool);
        draft.tools[name] = stashFor(path).rule ?? (inherited ? { action: inherited } : {});
      } else {
        stashFor(path).rule = draft.tools[name];
        delete draft.tools[name];
      }
      ui.open.add(path);
      onChange();
      onStructure();
    });
    const hideBox = h("input", { type: "checkbox", checked: hide.includes(name) });
    hideBox.addEventListener("change", () => {
      if (!Array.isArray(draft.hide)) draft.hide = [];
      const i = draft.hide.indexOf(name);
      if (hideBox.checked && i < 0) draft.hide.push(name);
      if (!hideBox.checked && i >= 0) draft.hide.splice(i, 1);
      if (!draft.hide.length) delete draft.hide;
      ui.open.add(path);
      onChange();
      onStructure();
    });
    const explain = h("button", { type: "button", class: "small" }, "Explain…");
    explain.addEventListener("click", () => explainDialog(name, grants));
    const remove = !tool ? h("button", { type: "button", class: "small danger-outline" }, "Remove this entry") : null;
    remove?.addEventListener("click", () => {
      delete draft.tools[name];
      ui.open.delete(path);
      onChange();
      onStructure();
    });
    return h("div", {},
      h("div", { class: "rule-head" },
        tool ? h("label", { class: "check" }, own, "Own rule for this tool") : null,
        !name.includes("*") && !name.includes("?") ? h("label", { class: "check" }, hideBox, "Hide from agents") : null,
        h("span", { class: "spacer" }),
        tool ? explain : null,
        remove),
      tool?.description ? h("p", { class: "muted small pad" }, tool.description, tool.upstream ? h("span", { class: "faint" }, ` — from ${tool.upstream}`) : null) : null,
      has && rule && typeof rule === "object" ? ruleEditor(rule, path, editorOpts(path, name === "*"))
        : has ? h("p", { class: "muted pad" }, "This rule is not an object; fix it in Raw JSON.") : null);
  };

  const redraw = () => {
    const q = (ui.search ?? "").trim().toLowerCase();
    const match = (name, tool) => {
      if (ui.onlyRules && entries[name] === undefined) return false;
      if (!q) return true;
      return [name, tool?.category, tool?.upstream, tool?.risk].some((s) => s && String(s).toLowerCase().includes(q));
    };
    const rows = [];
    for (const p of patterns) if (match(p, null)) rows.push(rowFor(p, null));
    let shown = 0;
    for (const t of tools ?? []) {
      if (!match(t.name, t)) continue;
      rows.push(rowFor(t.name, t));
      shown += 1;
    }
    replace(list, rows.length ? rows : h("p", { class: "muted pad" }, "No tool matches."));
    count.textContent = tools ? `${shown} of ${tools.length} tools` : "";
  };
  search.addEventListener("input", () => { ui.search = search.value; redraw(); });
  onlyRules.addEventListener("change", () => { ui.onlyRules = onlyRules.checked; redraw(); });
  redraw();

  // Add a rule for a pattern or a name no upstream offers (yet).
  const newName = h("input", { type: "text", class: "mono", placeholder: "delete_*  or  *  or a tool name", "aria-label": "New tool pattern" });
  const addBtn = h("button", { type: "button", class: "small" }, "+ Add pattern rule");
  const add = () => {
    const name = newName.value.trim();
    if (!name) { newName.focus(); return; }
    if (!draft.tools || typeof draft.tools !== "object") draft.tools = {};
    if (draft.tools[name] === undefined) draft.tools[name] = name === "*" ? { limits: [] } : { action: "deny" };
    if (name === "*" && Array.isArray(draft.tools[name].limits) && !draft.tools[name].limits.length) {
      draft.tools[name].limits.push({ counter: "calls_per_second", window: "second", max: 20, scope: "grant" });
    }
    ui.open.add(joinPath("tools", name));
    onChange();
    onStructure();
  };
  addBtn.addEventListener("click", add);
  newName.addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); add(); } });

  return h("section", { class: "card", "aria-labelledby": "rules-tools", "data-path": "tools" },
    h("div", { class: "card-head" }, h("h2", { id: "rules-tools" }, "Tools"), count),
    toolsError ? h("div", { class: "callout" }, `The tool list could not be loaded (${toolsError}); rules already in the policy are shown.`) : null,
    h("div", { class: "tool-toolbar" }, search, h("label", { class: "check small" }, onlyRules, "Only tools with their own rule")),
    list,
    h("div", { class: "row" }, newName, addBtn,
      h("span", { class: "faint small" }, "Most specific wins: exact name, then the longest glob, then *, then the category.")));
}

function hiddenSection(draft, { onChange, onStructure }) {
  const hide = Array.isArray(draft.hide) ? draft.hide : [];
  const chips = h("div", { class: "chips", "data-path": "hide" },
    hide.length ? hide.map((p, i) => {
      const x = h("button", { type: "button", "aria-label": `Stop hiding ${p}`, title: "Stop hiding" }, "✕");
      x.addEventListener("click", () => {
        draft.hide.splice(i, 1);
        if (!draft.hide.length) delete draft.hide;
        onChange();
        onStructure();
      });
      return h("span", { class: "chip", "data-path": indexPath("hide", i) }, String(p), x);
    }) : h("span", { class: "muted" }, "No tool is hidden."));
  const input = h("input", { type: "text", class: "mono", placeholder: "tool name or pattern", "aria-label": "Tool to hide" });
  const add = h("button", { type: "button", class: "small" }, "Hide");
  const doAdd = () => {
    const v = input.value.trim();
    if (!v) { input.focus(); return; }
    if (!Array.isArray(draft.hide)) draft.hide = [];
    if (!draft.hide.includes(v)) draft.hide.push(v);
    onChange();
    onStructure();
  };
  add.addEventListener("click", doAdd);
  input.addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); doAdd(); } });
  return h("section", { class: "card", "aria-labelledby": "rules-hidden" },
    h("div", { class: "card-head" }, h("h2", { id: "rules-hidden" }, "Hidden tools"),
      h("span", { class: "muted small" }, "never listed to agents; calling one is refused")),
    chips,
    h("div", { class: "row" }, input, add));
}

function globToRegex(pattern) {
  const escaped = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${escaped}$`);
}

/** The tools entry (glob or `*`) that decides `name` when it has no exact entry. */
function matchingPattern(draft, name) {
  const entries = draft.tools && typeof draft.tools === "object" ? draft.tools : {};
  let best = null;
  for (const [p, rule] of Object.entries(entries)) {
    if (p === name || p === "*" || !(p.includes("*") || p.includes("?"))) continue;
    if (!globToRegex(p).test(name)) continue;
    if (!best || p.length > best[0].length) best = [p, rule];
  }
  if (best) return best;
  const star = entries["*"];
  if (star && typeof star === "object" && (star.action || star.conditions?.length || star.approval)) return ["*", star];
  return null;
}

function categoryRule(draft, tool) {
  if (!tool?.category) return null;
  const cat = CATEGORIES.find((c) => c.toLowerCase() === String(tool.category).toLowerCase());
  const rule = cat ? draft.categories?.[cat] : undefined;
  return rule === undefined ? null : [cat, rule];
}

function effectiveAction(draft, name, tool) {
  const p = matchingPattern(draft, name);
  if (p) return p[1]?.action ?? "allow";
  const c = categoryRule(draft, tool);
  if (c) return c[1]?.action ?? "allow";
  return draft.default ?? "deny";
}

function inheritedSummary(draft, name, tool) {
  const p = matchingPattern(draft, name);
  if (p) return `follows ${p[0]}: ${p[1]?.action ?? "allow"}`;
  const c = categoryRule(draft, tool);
  if (c) return `follows ${c[0]}: ${ruleSummary(c[1])}`;
  return `follows the default: ${draft.default ?? "deny"}`;
}
