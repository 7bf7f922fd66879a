// Members come and go in encrypted rooms (DOM): "Add people" for encrypted rooms (members.js
// signs and seals, one request), the owner's "New members can read earlier messages" switch in
// the room edit form, and the key rotation after a removal or on member.removed. Each takes the
// page's RoomsEngine (plugin.js passes it).

import { getRoom } from "../chat/api.js";
import { el, icon, setMessage } from "../lib/dom.js";
import { addToEncryptedRoom, memberLeft, rotateIfDue, setShareHistory } from "./members.js";
import { headerEncrypted } from "./rooms_ui.js";

/** For chat/dialogs_ui.js's "Add people" dialog (plugin.js: roomInfo.addPeople): add ``userIds`` to ``room`` (CurrentRoom).
 * Encrypted rooms go through the E2E endpoint (attestations + keys); return null for a plain
 * room (the caller uses the plain endpoint). Resolves to {room} like the plain endpoint. */
export async function addPeopleEncrypted(engine, room, userIds, status = null) {
  if (!headerEncrypted(engine, room)) return null;
  if (status) setMessage(status, "Encrypting…");
  try {
    await addToEncryptedRoom(engine, room.id, userIds, {
      onProgress: (done, total) => {
        if (status && total > 1) setMessage(status, `Sealing the room keys… ${done} of ${total}`);
      },
    });
  } finally {
    if (status) setMessage(status, "");
  }
  return getRoom(room.id);
}

/** After this user removed ``userId`` from ``room`` (the DELETE succeeded): rotate the key at
 * once so the removed member cannot read what comes next. Errors are reported by ``onError``. */
export function removedMember(engine, room, userId, onError) {
  if (!headerEncrypted(engine, room) || Number(userId) === Number(room.userId)) return;
  rotateIfDue(engine, room.id).catch((error) =>
    onError?.(`The member was removed, but the room key could not be replaced yet: ${error.message}`),
  );
}

/** member.removed (registered by plugin.js, after chat/dispatch.js's own handling): any key
 * holder of an encrypted room rotates the key after a random delay, unless someone else did. */
export function handleMemberRemoved(engine, event) {
  memberLeft(engine, event.room_id, event.user_id);
}

/** The owner's "New members can read earlier messages" switch in the room edit form (encrypted
 * rooms only). Return {reset(), save()} for room_info_ui.js. */
export function initHistoryPolicy(engine, { slot, room }) {
  const input = el("input", {
    id: "room-edit-share-history",
    type: "checkbox",
    role: "switch",
    class: "switch",
    "aria-describedby": "room-edit-share-history-hint",
  });
  const hint = el("p", {
    id: "room-edit-share-history-hint",
    class: "helptext",
    text: "When on, people added later receive the keys of earlier messages too. When off, they read only what is sent after they join.",
  });
  const field = el(
    "div",
    { class: "field switch-field e2e-history-field", id: "room-edit-share-history-field", hidden: true },
    input,
    el("label", { for: "room-edit-share-history" }, icon("key"), "New members can read earlier messages"),
    hint,
  );
  slot.append(field);
  let shown = null; // the value the switch showed when the form opened

  const reset = async () => {
    const offered = room.kind !== "dm" && room.isOwner && room.isMember && headerEncrypted(engine, room);
    field.hidden = !offered;
    if (!offered) return;
    input.disabled = true;
    try {
      const state = await engine.ensure(room.id);
      input.checked = state.shareHistory;
      shown = state.shareHistory;
      input.disabled = false;
    } catch {
      field.hidden = true;
    }
  };

  return {
    reset,
    async save() {
      if (field.hidden || input.disabled || shown === null || input.checked === shown) return;
      await setShareHistory(engine, room.id, input.checked);
      shown = input.checked;
    },
  };
}
