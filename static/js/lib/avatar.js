// A person's avatar until files allow an uploaded picture: their initials on a colour derived
// from their user id, so it is the same on every page and device. The colours are CSS classes
// (.avatar-c0 … .avatar-c9 in keyroom.css, no inline style under the CSP), each dark enough for
// white initials (at least 4.5:1) in the light and the dark theme alike.

import { el } from "./dom.js";

export const AVATAR_COLOURS = 10;

/** Return the colour index (0 … AVATAR_COLOURS - 1) of user ``userId``: a multiplicative hash,
 * so that people with neighbouring ids get different colours. */
export function avatarColour(userId) {
  const id = Math.abs(Math.trunc(Number(userId) || 0));
  return (Math.imul(id, 2654435761) >>> 0) % AVATAR_COLOURS;
}

/** Return up to two initials of ``name`` (first letters of its first and last words). */
export function initials(name) {
  const words = String(name || "")
    .trim()
    .split(/\s+/)
    .filter(Boolean);
  if (!words.length) return "?";
  const first = Array.from(words[0])[0];
  const last = words.length > 1 ? Array.from(words.at(-1))[0] : "";
  return (first + last).toLocaleUpperCase();
}

/** Return ``user``'s avatar ({id, name}): decorative (the name is always next to it). */
export function avatar(user, { className = "" } = {}) {
  return el("span", {
    class: `avatar avatar-c${avatarColour(user.id)}${className ? ` ${className}` : ""}`,
    "aria-hidden": "true",
    dataset: { userId: String(user.id) },
    text: initials(user.name || user.username),
  });
}

/** Return a "Bot" tag for a bot account's name (the server's ``is_bot``), else null. */
export function botTag(user) {
  return user?.is_bot ? el("span", { class: "tag tag-muted tag-bot", text: "Bot" }) : null;
}
