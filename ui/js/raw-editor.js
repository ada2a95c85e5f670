// The raw JSON editor: a plain textarea with line numbers, and errors put on their lines by
// JSON path (or by the line and column a syntax error names).

import { h, replace } from "./dom.js";
import { locatePaths, findPath } from "./json-locate.js";

/**
 * Creates the editor. `onInput(text)` after every edit. Returns `{el, text(), setText(t),
 * setErrors(errors, syntax)}` where `errors` are `{path, message}` from the server and
 * `syntax` is `{line, column, message}` for text that is not JSON.
 */
export function rawEditor({ text, onInput, label = "Policy JSON" }) {
  const gutter = h("pre", { class: "gutter", "aria-hidden": "true" });
  const area = h("textarea", {
    spellcheck: "false", autocapitalize: "off", autocomplete: "off", wrap: "off",
    "aria-label": label, id: "raw-policy", "data-path": "",
  });
  area.value = text;
  const errorsBox = h("div", { class: "raw-errors", id: "raw-errors", "aria-live": "polite" });
  let badLines = new Set();

  const renderGutter = () => {
    const n = area.value.split("\n").length;
    const frag = document.createDocumentFragment();
    for (let i = 1; i <= n; i += 1) {
      frag.append(badLines.has(i) ? h("span", { class: "bad" }, `${i}`) : `${i}`, "\n");
    }
    gutter.replaceChildren(frag);
    gutter.scrollTop = area.scrollTop;
  };
  area.addEventListener("input", () => { renderGutter(); onInput?.(area.value); });
  area.addEventListener("scroll", () => { gutter.scrollTop = area.scrollTop; });
  area.addEventListener("keydown", (e) => {
    // Tab indents (two spaces) instead of leaving the editor; Escape then Tab leaves it.
    if (e.key === "Tab" && !e.shiftKey && !e.ctrlKey && !e.altKey && !e.metaKey && !area.dataset.escaped) {
      e.preventDefault();
      area.setRangeText("  ", area.selectionStart, area.selectionEnd, "end");
      area.dispatchEvent(new Event("input"));
    }
    if (e.key === "Escape") area.dataset.escaped = "1";
  });
  area.addEventListener("blur", () => { delete area.dataset.escaped; });

  const goToLine = (line, column = 1) => {
    const lines = area.value.split("\n");
    let offset = 0;
    for (let i = 0; i < Math.min(line - 1, lines.length); i += 1) offset += lines[i].length + 1;
    offset += Math.max(0, column - 1);
    area.focus();
    area.setSelectionRange(offset, offset);
    const lineHeight = parseFloat(getComputedStyle(area).lineHeight) || 18;
    area.scrollTop = Math.max(0, (line - 4) * lineHeight);
  };

  const hint = h("div", { class: "faint small", id: "raw-hint" }, "Tab indents; press Esc, then Tab, to leave the editor. Ctrl+S saves.");
  area.setAttribute("aria-describedby", `${errorsBox.id} ${hint.id}`);
  const el = h("div", { class: "stack" },
    h("div", { class: "editor" }, gutter, area),
    hint,
    errorsBox);
  renderGutter();

  return {
    el,
    area,
    text: () => area.value,
    setText(t) { area.value = t; renderGutter(); },
    setErrors(errors, syntax) {
      badLines = new Set();
      const items = [];
      if (syntax) {
        if (syntax.line) badLines.add(syntax.line);
        items.push({ where: syntax.line ? `line ${syntax.line}` : "JSON", line: syntax.line, column: syntax.column, message: syntax.message, path: "" });
      } else if (errors?.length) {
        const located = locatePaths(area.value);
        for (const e of errors) {
          const fromMessage = /line (\d+) column (\d+)/.exec(e.message ?? "");
          const loc = fromMessage ? { line: Number(fromMessage[1]), column: Number(fromMessage[2]) } : findPath(located, e.path ?? "");
          if (loc?.line) badLines.add(loc.line);
          items.push({ where: loc?.line ? `line ${loc.line}` : "", line: loc?.line, column: loc?.column, message: e.message, path: e.path });
        }
      }
      renderGutter();
      if (!items.length) { replace(errorsBox); return; }
      replace(errorsBox, h("div", { class: "callout danger", role: "alert" },
        h("strong", {}, items.length === 1 ? "1 problem" : `${items.length} problems`, " — nothing is saved until they are fixed"),
        h("ul", { class: "error-list" }, items.map((it) => h("li", { "data-error-path": it.path ?? "" },
          it.line ? h("button", { type: "button", class: "link small", on: { click: () => goToLine(it.line, it.column) } }, it.where) : null,
          it.path ? h("span", { class: "path" }, it.path) : null,
          h("span", {}, it.message))))));
    },
  };
}
