// The chat app's extension points (docs/ARCHITECTURE.md "Browser extension points"): how a
// feature such as end-to-end encryption plugs into chat without chat importing it, the way the
// server's `e2e` app registers its socket commands into `chat`. The page entry module
// (js/pages/app.js) makes one registry with createExtensions(), lets each feature install its
// implementations into it (js/e2e/plugin.js), and hands it to startChat(); chat passes it down
// explicitly. Every point starts with the plaintext behaviour, so chat works with nothing
// installed.
//
// A feature replaces a point by assigning it (the registry is sealed: a misspelt point throws);
// to build on the plaintext behaviour it keeps the previous value and calls it.

import { contentOf } from "./content.js";

/** Return how to show a plain message: {text, note}; ``note`` marks a placeholder. */
function plainBody(message) {
  if (message.deleted) return { text: "This message was deleted", note: true };
  return { text: message.body, note: false };
}

/** The plaintext room hooks (see attachRoom below). */
function plainRoom() {
  const refuse = () => Promise.reject(new Error("This message cannot be changed here."));
  return {
    async prepare() {},
    async readable() {},
    async render(messages, place, afterBatch) {
      for (const message of messages) place(message);
      afterBatch();
    },
    placed() {},
    arrived() {},
    loaded() {},
    mustEncrypt: async () => false,
    handles: () => false,
    send: refuse,
    edit: refuse,
    remove: refuse,
  };
}

/** Return the page's registry of extension points, with the plaintext defaults. */
export function createExtensions() {
  const eventHandlers = new Map(); // event type -> [handler(event, app)]
  const bootHandlers = [];
  const connectedHandlers = [];

  const extensions = {
    // Messages (messages_ui.js) -------------------------------------------------------------
    /** What to show as a message's text: {text, note, verified?, pending?, failed?}
     * (``pending``: not readable yet; ``failed``: a reason it cannot be shown). */
    messageBody: plainBody,
    /** A node to show by the sender's name (e.g. a key icon), or null. ``shown``: messageBody. */
    messageBadge: () => null,
    /** Change a drawn message's <li> (extra lines, data attributes) after it is built:
     * (item, message, shown), ``shown`` being its messageBody. */
    decorateMessage: () => {},
    /** The text to put in the editor for one's own message, or null if it cannot be edited. */
    editableText: (message) => message.body,
    /** Resolve to the content (content.js) of a new message of any room, open or not, or
     * null when it cannot be read here: for notifications and mention counts (notify.js).
     * E2E decrypts it on this device; the server's word is never the text shown. */
    messageContent: async (message) => (message.encrypted ? null : contentOf(message)),

    // Rooms (rooms_ui.js, room_header_ui.js) --------------------------------------------------
    /** Whether the sidebar shows ``room`` (a room summary) with the key icon. */
    sidebarEncrypted: (room) => Boolean(room.encrypted),
    /** Whether the room header shows the key icon for ``room`` (CurrentRoom). */
    headerEncrypted: (room) => Boolean(room.room.encrypted),
    /** The sidebar's RoomsStore is drawn; ``redraw()`` draws it again. */
    watchRooms: () => {},

    // The open room (room_view.js, outbox.js) ------------------------------------------------
    /** Return the hooks the RoomView ``view`` calls: prepare(messages) before an older page is
     * drawn, readable(messages) for messages from outside the loaded history (a reply's quote:
     * E2E decrypts them without taking them into the room's transcript checks),
     * render(messages, place, afterBatch) for the newest page, placed(message) after a
     * message is drawn, arrived(message) for a new one, loaded() once the history is in;
     * mustEncrypt() gates a send (true: plaintext must not go), send(pending) then sends it;
     * handles(message) says that edit(message, content) / remove(message) change that message
     * (``content``: content.js, the edited text with its mentions). */
    attachRoom: () => plainRoom(),

    // The room info panel (room_info_ui.js) --------------------------------------------------
    roomInfo: {
      /** Extra fields of the room edit form, put into ``slot``: [{offered?(), reset(), save()}]
       * (``offered()``: the form is worth opening for this user even if they cannot rename). */
      editFields: () => [],
      /** Add ``userIds`` to ``room`` another way (resolve to {room}), or return null for the
       * plain endpoint. ``status``: a node for progress text. */
      addPeople: () => null,
      /** Nodes to add to ``member``'s row in the member list (e.g. a Verify button). */
      memberActions: () => [],
      /** Nodes to show by ``member``'s name in the member list (e.g. "Verified"). */
      memberBadges: () => [],
      /** Extra facts of ``room`` for the panel's list, each a <div> holding a <dt> and a <dd>
       * (e.g. "End-to-end encrypted"). */
      facts: () => [],
      /** This user removed ``userId`` from ``room``; ``onError(text)`` reports a later problem. */
      removedMember: () => {},
      /** The panel is up for ``room`` (notices about the room's members go here). */
      mounted: () => {},
    },

    // The create dialogs (dialogs_ui.js) ----------------------------------------------------
    createDialog: {
      /** The create-room dialog's extra fields in ``slot``: {wanted(), create(fields)}; when
       * wanted() the room is made by create() instead of the plain endpoint. */
      channel: () => ({ wanted: () => false }),
      /** The new-DM dialog: {wanted(), open(userId)}, like ``channel``. */
      dm: () => ({ wanted: () => false }),
    },

    // The search page (search_ui.js) ------------------------------------------------------
    /** This device's own index of rooms the server cannot search (e2e/search/search.js), or
     * null: {status(), onUnlocked(fn), onChange(fn), rooms(ids), query(text, filters),
     * backfill(roomId, onProgress), drop(roomId)}. Its queries never reach the server. */
    deviceSearch: null,

    // Server events and the page's life (dispatch.js, app.js) --------------------------------
    /** Have ``handler(event, app)`` called for every server event of ``type`` (after chat's
     * own handling, for the types chat knows). */
    onEvent(type, handler) {
      if (!eventHandlers.has(type)) eventHandlers.set(type, []);
      eventHandlers.get(type).push(handler);
    },
    /** Have ``handler(app)`` called once as the chat app starts (before the socket opens). */
    onBoot(handler) {
      bootHandlers.push(handler);
    },
    /** Have ``handler({reconnect})`` called each time the socket opens (``reconnect``: false
     * the first time): events may have been missed while it was down, or before it was up. */
    onConnected(handler) {
      connectedHandlers.push(handler);
    },

    // Called by chat only.
    emitEvent(event, app) {
      for (const handler of eventHandlers.get(event.type) || []) handler(event, app);
    },
    booted(app) {
      for (const handler of bootHandlers) handler(app);
    },
    connected(info) {
      for (const handler of connectedHandlers) handler(info);
    },
  };
  Object.seal(extensions);
  Object.seal(extensions.roomInfo);
  Object.seal(extensions.createDialog);
  return extensions;
}
