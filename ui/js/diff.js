// A line diff (longest common subsequence) for showing policy changes before saving them.

import { h } from "./dom.js";

/**
 * Diffs two texts line by line: `[{op: " "|"+"|"-", line}]`. Policies are small (hundreds of
 * lines); past `maxCells` the table would be too big, and the whole text shows as changed.
 */
export function diffLines(before, after, maxCells = 4_000_000) {
  const a = before.split("\n");
  const b = after.split("\n");
  // Trim the common head and tail first: most edits touch a few lines.
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start += 1;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) { endA -= 1; endB -= 1; }
  const midA = a.slice(start, endA);
  const midB = b.slice(start, endB);
  const out = a.slice(0, start).map((line) => ({ op: " ", line }));
  if (midA.length * midB.length > maxCells) {
    out.push(...midA.map((line) => ({ op: "-", line })), ...midB.map((line) => ({ op: "+", line })));
  } else {
    const n = midA.length;
    const m = midB.length;
    const lcs = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
    for (let i = n - 1; i >= 0; i -= 1) {
      for (let j = m - 1; j >= 0; j -= 1) {
        lcs[i][j] = midA[i] === midB[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
      }
    }
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && midA[i] === midB[j]) { out.push({ op: " ", line: midA[i] }); i += 1; j += 1; }
      else if (j < m && (i === n || lcs[i][j + 1] >= lcs[i + 1][j])) { out.push({ op: "+", line: midB[j] }); j += 1; }
      else { out.push({ op: "-", line: midA[i] }); i += 1; }
    }
  }
  out.push(...a.slice(endA).map((line) => ({ op: " ", line })));
  return out;
}

/** Renders a diff, showing `context` unchanged lines around each change. */
export function renderDiff(lines, context = 3) {
  const keep = new Array(lines.length).fill(false);
  lines.forEach((l, i) => {
    if (l.op === " ") return;
    for (let k = Math.max(0, i - context); k <= Math.min(lines.length - 1, i + context); k += 1) keep[k] = true;
  });
  const el = h("div", { class: "diff", role: "region", "aria-label": "Changes", tabindex: "0" });
  let gap = false;
  lines.forEach((l, i) => {
    if (!keep[i]) { gap = true; return; }
    if (gap) { el.append(h("div", { class: "gap" }, "  …")); gap = false; }
    const cls = l.op === "+" ? "add" : l.op === "-" ? "del" : "";
    const sr = l.op === "+" ? "added: " : l.op === "-" ? "removed: " : "";
    el.append(h("div", { class: cls }, sr ? h("span", { class: "sr-only" }, sr) : null, `${l.op} ${l.line}`));
  });
  if (gap) el.append(h("div", { class: "gap" }, "  …"));
  if (!lines.some((l) => l.op !== " ")) el.append(h("div", { class: "gap" }, "  (no change)"));
  return el;
}
