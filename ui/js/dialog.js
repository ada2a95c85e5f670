// Modal dialogs on the native <dialog> element (focus trapping, Escape and the backdrop come
// with it).

import { h } from "./dom.js";

/**
 * Opens a modal. `build(close)` returns `{ body: [nodes], actions: [buttons] }`; `close(value)`
 * closes it and resolves the returned promise with `value` (Escape resolves `undefined`).
 */
export function modal({ title, wide = false, label }, build) {
  return new Promise((resolve) => {
    const titleId = `dlg-${Math.random().toString(36).slice(2)}`;
    const dlg = h("dialog", { class: wide ? "wide" : "", "aria-labelledby": titleId, "aria-label": label });
    let result;
    const close = (value) => { result = value; dlg.close(); };
    const { body, actions } = build(close);
    dlg.append(
      h("div", { class: "dialog-body" }, h("h2", { id: titleId }, title), body),
      h("div", { class: "dialog-foot" }, actions),
    );
    dlg.addEventListener("close", () => { dlg.remove(); resolve(result); });
    document.body.append(dlg);
    dlg.showModal();
  });
}

/** Asks a yes/no question; resolves true for the confirm button. */
export function confirmDialog({ title, message, confirm = "Confirm", danger = false }) {
  return modal({ title }, (close) => {
    const yes = h("button", { type: "button", class: danger ? "danger" : "primary" }, confirm);
    yes.addEventListener("click", () => close(true));
    const no = h("button", { type: "button", autofocus: true }, "Cancel");
    no.addEventListener("click", () => close(false));
    return { body: [h("p", {}, message)], actions: [no, yes] };
  }).then((v) => v === true);
}
