// Presence on the page: a dot by the avatars of the member list and by the DMs in the sidebar,
// with the state in words for screen readers and as a tooltip (not colour alone: online is a
// filled dot, away a half-filled one, offline a ring), and this tab's activity reported to the
// server (docs/ARCHITECTURE.md "Presence").

import { el } from "../lib/dom.js";

/** Return the dot for ``userId`` as ``presence`` (PresenceStore) has it now;
 * ``mountPresenceDots`` keeps it up to date. ``labelled``: an image named by the state (the
 * sidebar, where it follows the name); else decorative, with ``presenceText`` after the name
 * (the member list, where the dot sits on the avatar, before the name). */
export function presenceDot(userId, presence, { labelled = false } = {}) {
  const dot = el("span", {
    class: "presence-dot",
    role: labelled ? "img" : null,
    "aria-hidden": labelled ? null : "true",
    dataset: { presenceUser: String(userId) },
  });
  paint(dot, presence);
  return dot;
}

/** Return the words for ``userId``'s state, for screen readers (after their name). */
export function presenceText(userId, presence) {
  const text = el("span", {
    class: "visually-hidden presence-label",
    dataset: { presenceUser: String(userId) },
  });
  paint(text, presence);
  return text;
}

function paint(node, presence) {
  const userId = node.dataset.presenceUser;
  const label = presence.labelOf(userId);
  node.dataset.presence = presence.stateOf(userId);
  if (node.classList.contains("presence-label")) {
    node.textContent = `, ${label}`;
    return;
  }
  node.title = label;
  if (node.getAttribute("role") === "img") node.setAttribute("aria-label", label);
}

/** Repaint the dots inside ``root`` whenever ``presence`` changes (in place: a redraw would
 * move keyboard focus away from the member list's buttons). */
export function mountPresenceDots(root, { presence }) {
  const update = () => {
    for (const node of root.querySelectorAll("[data-presence-user]")) paint(node, presence);
  };
  const unsubscribe = presence.subscribe(update);
  return {
    update,
    destroy() {
      unsubscribe();
    },
  };
}

const ACTIVITY = ["keydown", "pointerdown", "pointermove", "wheel", "focus"];

/** Tell ``reporter`` (PresenceReporter) of every sign of life in this tab: input, focus, the
 * tab shown again. A hidden tab gets no input, so it goes idle after the same delay. */
export function watchActivity(reporter, { target = window, doc = document } = {}) {
  const input = () => reporter.input();
  const shown = () => {
    if (doc.visibilityState === "visible") reporter.input();
  };
  for (const type of ACTIVITY) target.addEventListener(type, input, { passive: true, capture: true });
  doc.addEventListener("visibilitychange", shown);
  return {
    destroy() {
      for (const type of ACTIVITY) target.removeEventListener(type, input, { capture: true });
      doc.removeEventListener("visibilitychange", shown);
      reporter.stop();
    },
  };
}
