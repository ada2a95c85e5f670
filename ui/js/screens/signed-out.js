// The page shown without a valid browser session: how to get a fresh sign-in link.

import { h, replace } from "../dom.js";

/** Renders the signed-out page into `root`. */
export function renderSignedOut(root) {
  document.title = "Sign in · livegate";
  replace(root, h("main", { class: "card", "aria-labelledby": "gate-title" },
    h("div", { class: "row" }, h("img", { src: "img/icon.svg", alt: "", width: "32", height: "32" }),
      h("h1", { id: "gate-title" }, "Open livegate from its link")),
    h("p", {}, "This page needs a sign-in link from livegate, and the one you used is missing, used up or expired."),
    h("p", { class: "muted" }, "Run ", h("code", {}, "livegate ui --open"),
      " in a terminal (or choose “Open livegate” in the tray menu) and open the link it gives you. Each link works once, within 10 minutes."),
    h("div", { class: "row" }, h("button", { type: "button", on: { click: () => location.reload() } }, "I have signed in, reload"))));
}
