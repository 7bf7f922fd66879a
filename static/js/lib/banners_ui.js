// The banner strip (#banners) across the top of every page: flash messages from the server,
// and the banners any feature adds with showBanner() (the connection banner: chat/connection_ui.js).

import { el, icon, iconButton } from "./dom.js";

const TONE_ICONS = { info: "info", success: "check", warning: "alert", error: "alert" };

function strip() {
  return document.getElementById("banners");
}

/** Make the dismiss buttons of all banners (present and future) work. */
export function initBanners() {
  strip()?.addEventListener("click", (event) => {
    const button = event.target.closest("[data-dismiss-banner]");
    if (button) button.closest(".banner")?.remove();
  });
}

/** Show (or replace) the banner ``id``. ``actions``: [{label, onClick}]. Return the element. */
export function showBanner({ id, text, tone = "info", dismissible = true, actions = [] }) {
  const banner = el(
    "div",
    { class: `banner banner-${tone}`, id: `banner-${id}`, role: tone === "error" ? "alert" : "status" },
    icon(TONE_ICONS[tone] || "info"),
    el("p", { class: "banner-text", text }),
    actions.map(({ label, onClick }) =>
      el("button", { type: "button", class: "button small", text: label, onclick: onClick }),
    ),
    dismissible
      ? iconButton("close", "Dismiss", { class: "icon-button banner-close", "data-dismiss-banner": true })
      : null,
  );
  const old = document.getElementById(`banner-${id}`);
  if (old) old.replaceWith(banner);
  else strip()?.append(banner);
  return banner;
}

export function removeBanner(id) {
  document.getElementById(`banner-${id}`)?.remove();
}
