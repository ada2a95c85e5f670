// Toasts: short messages in the corner, announced to screen readers. Errors stay until
// dismissed; other messages fade after a few seconds.

import { h } from "./dom.js";

/** Shows `message`; `kind` is "info", "ok" or "error". */
export function toast(message, kind = "info") {
  const region = document.getElementById("toasts");
  if (!region) return;
  const close = h("button", { type: "button", class: "ghost", "aria-label": "Dismiss" }, "✕");
  const el = h("div", { class: `toast ${kind}`, role: kind === "error" ? "alert" : null },
    h("div", { class: "msg" }, message), close);
  close.addEventListener("click", () => el.remove());
  region.append(el);
  while (region.children.length > 4) region.firstElementChild.remove();
  if (kind !== "error") setTimeout(() => el.remove(), 4500);
  else setTimeout(() => el.remove(), 15000);
}

/** Shows an API error (or any error) as an error toast with the server's message. */
export function toastError(error, prefix) {
  const message = error?.message ?? String(error);
  toast(prefix ? `${prefix}: ${message}` : message, "error");
}
