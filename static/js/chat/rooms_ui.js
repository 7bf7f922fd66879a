// The sidebar: the room list (drawn from RoomsStore) and the narrow-screen "Menu" drawer.
// Extension points (extensions.js): sidebarEncrypted (the key icon), watchRooms.

import { presenceDot } from "./presence_ui.js";
import { el, icon } from "../lib/dom.js";

const GROUPS = [
  { kind: "channel", heading: "Channels", empty: "No channels yet." },
  { kind: "group", heading: "Private groups", empty: "No private groups yet." },
  { kind: "dm", heading: "Direct messages", empty: "No direct messages yet." },
];
const KIND_ICONS = { channel: "hash", group: "lock", dm: "user" };

function roomLink(store, room, currentRoomId, extensions, presence) {
  const title = store.title(room);
  const unread = room.unread || 0;
  const mentions = room.mentions || 0;
  const link = el(
    "a",
    {
      href: `/rooms/${room.id}/`,
      class: `room-link${unread ? " has-unread" : ""}`,
      "aria-current": room.id === currentRoomId ? "page" : null,
      dataset: { roomId: String(room.id) },
    },
    icon(KIND_ICONS[room.kind] || "hash"),
    el("span", { class: "room-link-name", text: title }),
  );
  // A DM: the other person's presence (kept up to date by mountPresenceDots, app.js).
  const other = room.kind === "dm" && (room.members || []).find((m) => m.id !== store.userId);
  if (other && presence) link.append(presenceDot(other.id, presence, { labelled: true }));
  if (extensions.sidebarEncrypted(room)) link.append(icon("key", { label: "Encrypted", className: "room-link-key" }));
  if (mentions) {
    link.append(
      el(
        "span",
        { class: "badge badge-mention" },
        el("span", { "aria-hidden": "true", text: "@" }),
        String(mentions > 99 ? "99+" : mentions),
        el("span", { class: "visually-hidden", text: mentions === 1 ? " mention" : " mentions" }),
      ),
    );
  }
  if (unread) {
    link.append(
      el(
        "span",
        { class: "badge" },
        String(unread > 99 ? "99+" : unread),
        el("span", { class: "visually-hidden", text: " unread" }),
      ),
    );
  }
  return el("li", {}, link);
}

/** Draw the room list into ``container`` now and whenever ``store`` changes. */
export function initRoomList(container, store, { currentRoomId = null, extensions, presence = null }) {
  const render = () => {
    const groups = store.grouped();
    const sections = GROUPS.map(({ kind, heading, empty }) => {
      const headingId = `rooms-${kind}`;
      const rooms = groups[kind];
      return el(
        "section",
        { class: "room-group", "aria-labelledby": headingId },
        el("h2", { id: headingId, class: "room-group-heading", text: heading }),
        rooms.length
          ? el(
              "ul",
              { class: "room-links" },
              rooms.map((r) => roomLink(store, r, currentRoomId, extensions, presence)),
            )
          : el("p", { class: "room-group-empty", text: empty }),
      );
    });
    // Keep keyboard focus on the same room across redraws (unread counts change often).
    const focused = container.contains(document.activeElement) ? document.activeElement.dataset.roomId : null;
    container.replaceChildren(...sections);
    if (focused) container.querySelector(`[data-room-id="${focused}"]`)?.focus();
  };
  store.subscribe(render);
  render();
  // E2E remembers the rooms seen encrypted on this device (docs/SECURITY.md, attack 9).
  extensions.watchRooms(store, render);
}

/** On narrow screens the sidebar is a drawer opened by the "Menu" button. */
export function initSidebarDrawer() {
  const button = document.getElementById("menu-button");
  const sidebar = document.getElementById("sidebar");
  const backdrop = document.getElementById("sidebar-backdrop");
  if (!button || !sidebar) return;
  const setOpen = (open) => {
    document.body.classList.toggle("sidebar-open", open);
    button.setAttribute("aria-expanded", String(open));
    if (backdrop) backdrop.hidden = !open;
    if (open) sidebar.querySelector("a, button, input")?.focus();
  };
  button.addEventListener("click", () => {
    setOpen(!document.body.classList.contains("sidebar-open"));
  });
  backdrop?.addEventListener("click", () => setOpen(false));
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && document.body.classList.contains("sidebar-open")) {
      setOpen(false);
      button.focus();
    }
  });
  // Opening a dialog from the drawer closes the drawer first.
  sidebar.addEventListener("click", (event) => {
    if (event.target.closest("[aria-haspopup='dialog']")) setOpen(false);
  });
}
