// End-to-end encryption plugged into the chat app: installE2E() puts e2e's implementations into
// the page's extension registry (chat/extensions.js; docs/ARCHITECTURE.md "Browser extension
// points"), the way the server's `e2e` app registers its socket commands into `chat`. Only the
// entry points are here; the work is done by rooms_ui.js (messages, sidebar, header, the open
// room), rooms_forms_ui.js (the "Encrypted" switches), members_ui.js (members of encrypted
// rooms), key_change_ui.js (key changes, the verify dialog) and boot.js (the keys of this user).
// startKeySharing() is the smaller entry for pages without the chat app (My Account).
// installE2E() owns the page's e2e state: it makes the one RoomsEngine (rooms_engine.js) and
// passes it to each of those modules, and keeps the open room's objects they return.

import { deleteEncryptedMessage, editEncryptedMessage, postEncryptedMessage } from "./api.js";
import { e2eDialogs, socketOpened, startE2E, handleSettingsEvent, handleStateEvent } from "./boot.js";
import { initKeyChanges } from "./key_change_ui.js";
import { addPeopleEncrypted, handleMemberRemoved, initHistoryPolicy, removedMember } from "./members_ui.js";
import { RoomsEngine } from "./rooms_engine.js";
import { initCreateEncryption, initDmEncryption, initRoomEncryption } from "./rooms_forms_ui.js";
import {
  attachRoom,
  decorateMessage,
  decryptedContent,
  deletedBody,
  editableText,
  encryptedBody,
  handleE2EEvent,
  headerEncrypted,
  showEngineReports,
  sidebarEncrypted,
  watchRooms,
} from "./rooms_ui.js";
import { DeviceIndex } from "./search/device_index.js";
import { SealedRecords } from "./search/index_store.js";
import { createDeviceSearch } from "./search/search.js";
import { memberTrustTag, messageTrustMark, roomFacts } from "./trust_marks.js";
import { readConfig } from "../lib/config.js";
import { el } from "../lib/dom.js";

const ROOM_EVENTS = [
  "e2e.envelope",
  "e2e.key_needed",
  "e2e.key_rotated",
  "e2e.identity_changed",
  "e2e.room_policy",
  "e2e.room_state",
];

/** Adapt e2e's open-room object ``e2e`` (rooms_ui.js attachRoom) to chat's room hooks: the
 * sends, edits and deletes of encrypted messages go as e2e.message.* commands (HTTP while the
 * socket is down). */
function roomHooks(view, e2e) {
  return {
    prepare: (messages) => e2e.prepare(messages),
    readable: (messages) => e2e.readable(messages),
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
    /** Re-encrypt one's own message as ``content`` (chat/content.js). */
    edit(message, content) {
      return e2e.edit(message, content, (payload) =>
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
    destroy: () => e2e.destroy(),
  };
}

/** The "Verify" button by a member of an encrypted room: compare safety numbers (and mark
 * them verified) in the verify dialog (``openVerify``: key_change_ui.js initKeyChanges). */
function verifyButton(member, room, openVerify) {
  if (!room.room.encrypted || member.id === room.userId) return [];
  return [
    el("button", {
      type: "button",
      class: "button small member-verify",
      text: "Verify",
      "aria-label": `Verify ${member.name}`, // starts with the visible text (WCAG 2.5.3)
      onclick: () => openVerify(member.id),
    }),
  ];
}

/** Make a locked room's placeholder ("Unlock encryption to read this message") a real button
 * that opens the unlock dialog. */
function unlockablePlaceholder(item, text) {
  const body = item.querySelector(".msg-body");
  if (!body) return;
  body.replaceChildren(
    el("button", { type: "button", class: "link-button msg-unlock", text, onclick: () => e2eDialogs()?.unlock() }),
  );
}

/** Install end-to-end encryption into ``extensions`` (chat/extensions.js createExtensions()):
 * make the page's RoomsEngine for the signed-in user and wire it into every point. */
export function installE2E(extensions) {
  const engine = new RoomsEngine(readConfig().user.id);
  let openRoom = null; // the open room's e2e object (rooms_ui.js attachRoom)
  let keyChanges = null; // the open room's key-change notices (key_change_ui.js)
  const verdicts = () => openRoom?.verdicts || null; // its transcript verdicts

  showEngineReports(engine); // warnings as banners, sharing passes counted
  const plainBody = extensions.messageBody;
  extensions.messageBody = (message) => {
    if (message.deleted) return deletedBody(engine, message, verdicts()) || plainBody(message);
    if (message.encrypted) return encryptedBody(engine, message, verdicts());
    return plainBody(message);
  };
  // Whose key signed it, and whether this device verified them (trust_marks.js).
  extensions.messageBadge = (message, shown) => (shown.verified ? messageTrustMark(engine, message, shown) : null);
  extensions.decorateMessage = (item, message, shown) => {
    // For styles and tests: whether an encrypted message is shown, and if not, why.
    if (message.encrypted && !message.deleted) {
      item.dataset.e2e = shown.verified ? "verified" : shown.failed || "pending";
    }
    decorateMessage(item, message, verdicts()); // transcript warnings
    if (shown.failed === "locked") unlockablePlaceholder(item, shown.text);
  };
  extensions.editableText = (message) => editableText(engine, message, openRoom?.room);
  // Notifications and mention counts: decrypted here, in any room (rooms_ui.js).
  const plainContent = extensions.messageContent;
  extensions.messageContent = (message) =>
    message.encrypted ? decryptedContent(engine, message) : plainContent(message);

  extensions.sidebarEncrypted = (room) => sidebarEncrypted(engine, room);
  extensions.headerEncrypted = (room) => headerEncrypted(engine, room);
  // Rooms seen encrypted are remembered (docs/SECURITY.md, attack 9).
  extensions.watchRooms = (store, redraw) => watchRooms(engine, store, redraw);

  extensions.attachRoom = (view) => {
    openRoom = attachRoom(engine, view);
    return roomHooks(view, openRoom);
  };

  // In this order: the "Encrypted" switch, then "New members can read earlier messages".
  extensions.roomInfo.editFields = ({ slot, room }) => [
    initRoomEncryption(engine, { slot, room }),
    initHistoryPolicy(engine, { slot, room }),
  ];
  extensions.roomInfo.addPeople = (room, userIds, status) => addPeopleEncrypted(engine, room, userIds, status);
  extensions.roomInfo.memberBadges = (member, room) => memberTrustTag(engine, member, room);
  const accessCache = {}; // the open room's last room access request (roomFacts)
  extensions.roomInfo.facts = (room) => roomFacts(engine, room, accessCache);
  extensions.roomInfo.memberActions = (member, room) =>
    verifyButton(member, room, (userId) => keyChanges?.openVerify(userId));
  // A new room key at once.
  extensions.roomInfo.removedMember = (room, userId, onError) => removedMember(engine, room, userId, onError);
  extensions.roomInfo.mounted = (room) => {
    keyChanges = initKeyChanges(engine, room);
  };

  extensions.createDialog.channel = (fields) => initCreateEncryption(engine, fields);
  extensions.createDialog.dm = (dialog) => initDmEncryption(engine, dialog);

  extensions.onEvent("e2e.settings", (event) => handleSettingsEvent(event));
  extensions.onEvent("e2e.state", (event) => handleStateEvent(event));
  for (const type of ROOM_EVENTS) extensions.onEvent(type, (event) => handleE2EEvent(engine, event));
  // Encrypted rooms: a key holder rotates the key after someone leaves.
  extensions.onEvent("member.removed", (event) => handleMemberRemoved(engine, event));

  installSearch(extensions, engine);

  extensions.onBoot(() => startE2E());
  extensions.onConnected(({ reconnect }) => {
    socketOpened(); // the user's own E2E state, every time
    if (reconnect) openRoom?.reconnected(); // the open room's keys, after a drop
  });
}

/** The device's search index of encrypted rooms (search/): everything ``engine`` decrypts and
 * verifies on this page is indexed; the search page queries it through `deviceSearch`. */
function installSearch(extensions, engine) {
  const userId = readConfig().user.id;
  const index = new DeviceIndex(() => SealedRecords.open(userId));
  engine.events.addEventListener("plaintext", ({ detail }) => {
    index.note(detail.message, detail.result).catch(() => undefined);
  });
  // Messages of rooms that are not open: new ones and edits are decrypted (and so indexed)
  // as they come; a deleted one leaves the index at once.
  const decrypt = (message) => engine.messages.decrypt(message).catch(() => undefined);
  extensions.onEvent("message.new", ({ message }) => {
    if (message?.encrypted) decrypt(message);
  });
  extensions.onEvent("message.updated", ({ message }) => {
    if (!message?.encrypted) return;
    if (message.deleted) index.remove(message.room_id, message.seq, message.id).catch(() => undefined);
    decrypt(message);
  });
  // A room one leaves (or is removed from) leaves this device's index.
  extensions.onEvent("room.left", ({ room_id: roomId }) => {
    index.dropRoom(roomId).catch(() => undefined);
  });
  addEventListener("pagehide", () => index.flush());
  // For tests and styles: whether decrypted messages still wait to be written to the index.
  index.events.addEventListener("stored", ({ detail }) => {
    document.documentElement.dataset.searchIndexPending = String(detail.pending);
  });
  extensions.deviceSearch = createDeviceSearch(engine, index);
}

/** On a page without the chat app (My Account): keep serving room keys. Make the page's
 * RoomsEngine for ``userId`` and return the socket's handlers: ``onEvent(event)`` for every
 * server event, ``connected()`` whenever the socket opens. A key holder whose page shows My
 * Account seals keys to a member who just set up theirs as on any app page: the server's
 * "e2e.key_needed" event wakes it, no polling (docs/PROTOCOL.md §9.1). */
export function startKeySharing(userId) {
  const engine = new RoomsEngine(userId);
  showEngineReports(engine);
  return {
    onEvent(event) {
      if (event.type === "e2e.settings") handleSettingsEvent(event);
      else if (event.type === "e2e.state") handleStateEvent(event);
      else if (ROOM_EVENTS.includes(event.type)) handleE2EEvent(engine, event);
    },
    connected: () => socketOpened(),
  };
}
