// The E2E banner at the top of the banner strip (#banners): "Generating your encryption
// keys…", "Save your encryption password", "Enter your encryption password", or a failure with
// "Try again". One persistent element (a polite live region), updated in place so screen
// readers hear each change; hidden when there is nothing to say.

import { el, icon } from "../lib/dom.js";

const ICONS = { info: "key", warning: "key", locked: "lock", error: "alert" };

let node = null;

function banner() {
  if (node?.isConnected) return node;
  const strip = document.getElementById("banners");
  if (!strip) return null;
  node = el("div", {
    id: "banner-e2e",
    class: "banner e2e-banner",
    role: "status",
    "aria-live": "polite",
    hidden: true,
  });
  strip.prepend(node);
  return node;
}

/**
 * Show the E2E banner.
 *   tone    "info" | "warning" | "locked" | "error" (colour, and a different icon for each)
 *   text    what the user needs to know
 *   busy    show a spinner (a slow step is running)
 *   actions [{label, onClick}] buttons after the text
 */
export function showE2EBanner({ tone = "info", text, busy = false, actions = [] }) {
  const target = banner();
  if (!target) return;
  const colour = tone === "locked" ? "warning" : tone;
  target.className = `banner banner-${colour} e2e-banner`;
  target.dataset.state = tone;
  target.setAttribute("aria-busy", busy ? "true" : "false");
  target.replaceChildren(
    busy ? el("span", { class: "spinner", "aria-hidden": "true" }) : icon(ICONS[tone] || "key"),
    el("p", { class: "banner-text", text }),
    ...actions.map(({ label, onClick }) =>
      el("button", { type: "button", class: "button small", text: label, onclick: onClick }),
    ),
  );
  target.hidden = false;
}

export function hideE2EBanner() {
  const target = banner();
  if (!target || target.hidden) return;
  // The banner's button may hold the focus: do not drop it on <body>.
  const hadFocus = target.contains(document.activeElement);
  target.hidden = true;
  target.replaceChildren();
  if (hadFocus) focusMain();
}

/** Put the focus on the page's main region (after the element that had it went away). */
export function focusMain() {
  const main = document.getElementById("main") || document.querySelector("main");
  if (!main) return;
  if (!main.hasAttribute("tabindex")) main.setAttribute("tabindex", "-1");
  main.focus();
}
