// Where each JSON path sits in a JSON text, so the raw policy editor can put a server error
// (`tools.x.limits[0].window`) on its line. A small tolerant scanner: it stops quietly at the
// first syntax error and returns what it found up to there.

import { joinPath, indexPath, pathWithin } from "./policy-edit.js";

/**
 * Maps each JSON path in `text` to `{offset, line}` (for object members the offset of the
 * key). The document itself is the path "".
 */
export function locatePaths(text) {
  const out = new Map();
  let i = 0;
  const ws = () => { while (i < text.length && " \t\r\n".includes(text[i])) i += 1; };
  const str = () => {
    // At a quote: returns the decoded string and moves past it.
    const start = i;
    i += 1;
    while (i < text.length && text[i] !== "\"") i += text[i] === "\\" ? 2 : 1;
    i += 1;
    try { return JSON.parse(text.slice(start, i)); } catch { throw new Error("bad string"); }
  };
  const value = (path, at) => {
    ws();
    if (!out.has(path)) out.set(path, at ?? i);
    const c = text[i];
    if (c === "{") {
      i += 1; ws();
      if (text[i] === "}") { i += 1; return; }
      for (;;) {
        ws();
        if (text[i] !== "\"") throw new Error("key expected");
        const keyAt = i;
        const key = str();
        ws();
        if (text[i] !== ":") throw new Error("colon expected");
        i += 1;
        value(joinPath(path, key), keyAt);
        ws();
        if (text[i] === ",") { i += 1; continue; }
        if (text[i] === "}") { i += 1; return; }
        throw new Error("comma expected");
      }
    } else if (c === "[") {
      i += 1; ws();
      if (text[i] === "]") { i += 1; return; }
      for (let n = 0; ; n += 1) {
        value(indexPath(path, n));
        ws();
        if (text[i] === ",") { i += 1; continue; }
        if (text[i] === "]") { i += 1; return; }
        throw new Error("comma expected");
      }
    } else if (c === "\"") {
      str();
    } else {
      const m = /^(?:true|false|null|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(text.slice(i, i + 64));
      if (!m) throw new Error("value expected");
      i += m[0].length;
    }
  };
  try { value(""); } catch { /* partial map is still useful */ }
  const lineStarts = [0];
  for (let k = 0; k < text.length; k += 1) if (text[k] === "\n") lineStarts.push(k + 1);
  const lineOf = (offset) => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid] <= offset) lo = mid; else hi = mid - 1;
    }
    return lo + 1;
  };
  const result = new Map();
  for (const [path, offset] of out) result.set(path, { offset, line: lineOf(offset) });
  return result;
}

/**
 * The location of `errorPath` in a located text: the path itself, else the deepest path it
 * lies inside (an error about a missing field points at its object).
 */
export function findPath(located, errorPath) {
  if (located.has(errorPath)) return located.get(errorPath);
  let best = null;
  let bestLen = -1;
  for (const [path, loc] of located) {
    if (path.length > bestLen && pathWithin(errorPath, path)) {
      best = loc;
      bestLen = path.length;
    }
  }
  return best;
}
