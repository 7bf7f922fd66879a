// End-to-end encryption plugged into the chat app: installE2E() puts e2e's implementations into
// the page's extension registry (chat/extensions.js; docs/ARCHITECTURE.md "Browser extension
// points"), the way the server's `e2e` app registers its socket commands into `chat`. Only the
// entry points are here; the work is done by rooms_ui.js (messages, sidebar, header, the open
// room), rooms_forms_ui.js (the "Encrypted" switches), members_ui.js (members of encrypted
// rooms), key_change_ui.js (key changes, the verify dialog) and boot.js (the keys of this user).

import { deleteEncryptedMessage, editEncryptedMessage, postEncryptedMessage } from "./api.js";
import { socketOpened, startE2E, handleSettingsEvent, handleStateEvent } from "./boot.js";
import { initKeyChanges, openVerify } from "./key_change_ui.js";
import { addPeopleEncrypted, handleMemberRemoved, initHistoryPolicy, removedMember } from "./members_ui.js";
import { initCreateEncryption, initDmEncryption, initRoomEncryption } from "./rooms_forms_ui.js";
import {
  attachRoom,
  decorateMessage,
  deletedBody,
  editableText,
  encryptedBody,
  handleE2EEvent,
  headerEncrypted,
  messageKeyIcon,
  sidebarEncrypted,
  watchRooms,
} from "./rooms_ui.js";
import { el } from "../lib/dom.js";

const ROOM_EVENTS = [
  "e2e.envelope",
  "e2e.key_needed",
  "e2e.key_rotated",
  "e2e.identity_changed",
  "e2e.room_policy",
  "e2e.room_state",
];

/** Adapt e2e's open-room object (rooms_ui.js attachRoom) to chat's room hooks: the sends,
 * edits and deletes of encrypted messages go as e2e.message.* commands (HTTP while the socket
 * is down). */
function roomHooks(view) {
  const e2e = attachRoom(view);
  return {
    prepare: (messages) => e2e.prepare(messages),
    render: (messages, place, afterBatch) => e2e.render(messages, place, afterBatch),
    placed: (message) => e2e.placed(message),
    arrived: (message) => e2e.arrived(message),
    loaded: () => e2e.loaded(),
    mustEncrypt: () => e2e.mustEncrypt(),
    handles: (message) => Boolean(message.encrypted),
    send(pending) {
      const roomId = view.room.id;
      return e2e.send(pending, (payload) => {
        const sealed = { client_id: pending.client_id, payload };
        return view.command({ type: "e2e.message.send", room_id: roomId, ...sealed }, () =>
          postEncryptedMessage(roomId, sealed),
        );
      });
    },
    edit(message, text) {
      return e2e.edit(message, text, (payload) =>
        view.command({ type: "e2e.message.edit", message_id: message.id, payload }, () =>
          editEncryptedMessage(message.id, payload),
        ),
      );
    },
    /** Replace one's own encrypted message by a signed tombstone. */
    remove(message) {
      return e2e.remove(message, (payload) =>
        view.command({ type: "e2e.message.delete", message_id: message.id, payload }, () =>
          deleteEncryptedMessage(message.id, payload),
        ),
      );
    },
    reconnected: () => e2e.reconnected(),
  };
}

/** The "Verify" button by a member of an encrypted room: compare safety numbers (and mark
 * them verified) in the verify dialog. */
function verifyButton(member, room) {
  if (!room.room.encrypted || member.id === room.userId) return [];
  return [
    el("button", {
      type: "button",
      class: "button small member-verify",
      text: "Verify",
      "aria-label": `Compare safety numbers with ${member.name}`,
      onclick: () => openVerify(member.id),
    }),
  ];
}

/** Install end-to-end encryption into ``extensions`` (chat/extensions.js createExtensions()). */
export function installE2E(extensions) {
  let openRoom = null; // the open room's hooks, for onConnected

  const plainBody = extensions.messageBody;
  extensions.messageBody = (message) => {
    if (message.deleted) return deletedBody(message) || plainBody(message);
    if (message.encrypted) return encryptedBody(message);
    return plainBody(message);
  };
  extensions.messageBadge = (message, shown) => (shown.verified ? messageKeyIcon() : null);
  extensions.decorateMessage = (item, message, shown) => {
    // For styles and tests: whether an encrypted message is shown, and if not, why.
    if (message.encrypted && !message.deleted) {
      item.dataset.e2e = shown.verified ? "verified" : shown.failed || "pending";
    }
    decorateMessage(item, message); // transcript warnings
  };
  extensions.editableText = (message) => editableText(message);

  extensions.sidebarEncrypted = sidebarEncrypted;
  extensions.headerEncrypted = headerEncrypted;
  extensions.watchRooms = watchRooms; // rooms seen encrypted are remembered (E2EE.md, attack 9)

  extensions.attachRoom = (view) => {
    openRoom = roomHooks(view);
    return openRoom;
  };

  // In this order: the "Encrypted" switch, then "New members can read earlier messages".
  extensions.roomInfo.editFields = ({ slot, room }) => [
    initRoomEncryption({ slot, room }),
    initHistoryPolicy({ slot, room }),
  ];
  extensions.roomInfo.addPeople = addPeopleEncrypted;
  extensions.roomInfo.memberActions = verifyButton;
  extensions.roomInfo.removedMember = removedMember; // a new room key at once
  extensions.roomInfo.mounted = initKeyChanges;

  extensions.createDialog.channel = initCreateEncryption;
  extensions.createDialog.dm = initDmEncryption;

  extensions.onEvent("e2e.settings", (event) => handleSettingsEvent(event));
  extensions.onEvent("e2e.state", (event) => handleStateEvent(event));
  for (const type of ROOM_EVENTS) extensions.onEvent(type, handleE2EEvent);
  // Encrypted rooms: a key holder rotates the key after someone leaves.
  extensions.onEvent("member.removed", handleMemberRemoved);

  extensions.onBoot(() => startE2E());
  extensions.onConnected(({ reconnect }) => {
    socketOpened(); // the user's own E2E state, every time
    if (reconnect) openRoom?.reconnected(); // the open room's keys, after a drop
  });
}
