// Encrypted rooms in the chat UI (DOM): the key icons, decrypted text or a placeholder saying
// why not, warnings, the room events, and the glue between the open room (chat/room_view.js)
// and rooms_engine.js. Every function takes the page's RoomsEngine (plugin.js makes it); the
// open room's own state (its transcript verdicts) lives on the object attachRoom() returns.
// The "Encrypted" switches of the forms are in rooms_forms_ui.js.

import { contentOf } from "../chat/content.js";
import { showBanner } from "../lib/banners_ui.js";
import { el } from "../lib/dom.js";
import { FAILURE_TEXTS, PLAINTEXT_REFUSED } from "./rooms_engine.js";
import { currentSession } from "./rooms_state.js";
import { sessionEvents } from "./session.js";
import { noteResult, noteRow, setCoverage, TRANSCRIPT_TEXTS, verdictKey, verdicts } from "./transcript.js";

function roomName(roomId) {
  const link = document.querySelector(`.room-link[data-room-id="${Number(roomId)}"] .room-link-name`);
  return link?.textContent || "";
}

// Warnings ------------------------------------------------------------------------------------

/** Show what ``engine`` reports for the whole page: its warnings as banners, and each finished
 * sharing pass counted on <html data-e2e-served="N"> (a signal, for tests and styles, that this
 * page looked at who lacks keys and did what it could). */
export function showEngineReports(engine) {
  engine.events.addEventListener("served", ({ detail }) => {
    document.documentElement.dataset.e2eServed = String(detail.passes);
  });
  engine.events.addEventListener("warning", ({ detail }) => {
    const name = roomName(detail.roomId);
    const where = name ? `${name}: ` : "";
    showBanner({ id: `e2e-${detail.kind}-${detail.roomId}`, tone: "error", text: `${where}${detail.text}` });
  });
}

// Message text (plugin.js: the messageBody point) ----------------------------------------------

/** Return how to show an encrypted message: {text, content, note, verified, pending, failed}
 * (``content``: the decrypted content object, for a verified message).
 * ``verdicts``: the open room's transcript verdicts (attachRoom().verdicts), or null. */
export function encryptedBody(engine, message, verdicts = null) {
  const verdict = verdicts?.get(message.id); // transcript checks (transcript.js)
  if (verdict?.replayOf != null) return { text: TRANSCRIPT_TEXTS.replayed, note: true, failed: "replayed" };
  if (verdict?.removed) return { text: TRANSCRIPT_TEXTS.removed, note: true, failed: "removed" };
  const result = verdict?.shown || engine.messages.result(message);
  if (!result) return { text: "Decrypting…", note: true, pending: true, verified: false };
  if (result.verified && result.deleted) return { text: TRANSCRIPT_TEXTS.deleted, note: true };
  if (result.verified) {
    // The decrypted payload's content (transcript.js readPayload): chat renders it.
    const { text, content } = result;
    return { text, content, note: false, verified: true, earlierKey: Boolean(result.earlierKey) };
  }
  return { text: FAILURE_TEXTS[result.error] || FAILURE_TEXTS.tampered, note: true, failed: result.error };
}

const FRESH_MS = 10 * 60 * 1000; // a new message's own timestamp is at most this old

/** Resolve to the content of a new encrypted message, decrypted and verified on this device
 * (plugin.js messageContent: notifications, mention counts), or null when it cannot be read or
 * is not fresh (its signed timestamp is old: a replay by the server notifies nobody). */
export async function decryptedContent(engine, message) {
  const result = await engine.messages.decrypt(message);
  if (!result?.verified || result.deleted || typeof result.text !== "string") return null;
  if (typeof result.ts === "number" && Math.abs(Date.now() - result.ts) > FRESH_MS) return null;
  return contentOf(message, result);
}

/** How to show a deleted message (plugin.js): null for a plain deletion; for an
 * encrypted one, "Message deleted" (signed tombstone) or "Removed by the server". */
export function deletedBody(engine, message, verdicts = null) {
  if (!message.encrypted && !verdicts?.get(message.id)?.removed) return null;
  return encryptedBody(engine, message, verdicts);
}

/** Add the transcript warnings to a drawn message (plugin.js decorateMessage): calm lines in the
 * timeline; a replayed copy is replaced by its line. */
export function decorateMessage(item, message, verdicts = null) {
  const verdict = verdicts?.get(message.id);
  if (!verdict) return;
  const line = (text) => el("p", { class: "msg-e2e-warning", text });
  if (verdict.replayOf !== null) {
    item.className = "msg msg-e2e-line";
    item.replaceChildren(line(TRANSCRIPT_TEXTS.replayed));
    return;
  }
  item.prepend(...verdict.before.map(line));
  item.append(...verdict.after.map(line));
}

/** The text to edit for one's own message, or null when it cannot be edited here. ``room``:
 * the open room (CurrentRoom), or null. */
export function editableText(engine, message, room = null) {
  return engine.messages.editableText(message, room?.room);
}

// Sidebar ---------------------------------------------------------------------------------------

/** Whether the sidebar should show a room as encrypted (the server says so, or this device
 * knows it was). */
export function sidebarEncrypted(engine, room) {
  return Boolean(room.encrypted) || engine.isKnownEncrypted(room.id);
}

/** Remember every room the sidebar lists as encrypted (on every app page), and redraw once
 * the remembered rooms are loaded. */
export function watchRooms(engine, store, redraw) {
  const note = () => {
    for (const room of store.rooms.values()) engine.noteRoom(room);
  };
  engine.ready.then(() => {
    note();
    redraw();
  });
  store.subscribe(note);
}

// The open room -------------------------------------------------------------------------------

const PREFETCH_IDENTITIES = 200; // members whose identities are fetched as a room opens

/** Hook the E2E layer into the open room (``view``: chat/room_view.js RoomView). Return the
 * object plugin.js adapts to the room hooks (chat/extensions.js attachRoom): prepare(),
 * readable(), render(), placed(), arrived(), loaded(), mustEncrypt(), send(), edit(), remove(), reconnected(),
 * with the room's state (``room``, ``verdicts``) and destroy() (removes its listeners). */
export function attachRoom(engine, view) {
  const room = view.room; // CurrentRoom
  const list = document.getElementById("message-list");
  const announce = new Set(); // ids of live messages to announce once decrypted
  let wasEncrypted = Boolean(room.room.encrypted);
  let loaded = false;

  const counts = () => {
    let decrypted = 0;
    let pending = 0;
    for (const message of view.store.byId.values()) {
      if (!message.encrypted || message.deleted || message.kind !== "text") continue;
      const result = engine.messages.result(message);
      if (!result) pending += 1;
      else if (result.verified) decrypted += 1;
    }
    list.dataset.decryptedCount = String(decrypted);
    list.dataset.e2ePending = String(pending);
    if (loaded && pending === 0 && !list.dataset.e2eSettled) {
      list.dataset.e2eSettled = "true";
      performance.mark("keyroom:room-decrypted");
    }
  };
  // Transcript checks (transcript.js): rows and results are noted as they are drawn; the
  // verdicts are worked out once per turn and only the rows whose verdict changed are redrawn.
  const transcript = engine.messages.transcript(room.id);
  const shownVerdicts = new Map();
  const noteTranscript = (message) => {
    noteRow(transcript, message);
    const result = message.encrypted ? engine.messages.result(message) : null;
    if (result) noteResult(transcript, message, result);
  };
  let judgeTimer = null;
  const judge = () => {
    if (judgeTimer) return;
    judgeTimer = setTimeout(() => {
      judgeTimer = null;
      const store = view.store;
      // Every row from the oldest loaded page (or the room's start) up to the gapless stream.
      setCoverage(transcript, store.hasMore ? store.oldestSeq : 1, store.maxRev);
      const fresh = verdicts(transcript);
      const changed = [...fresh.keys()].filter((id) => verdictKey(fresh.get(id)) !== verdictKey(shownVerdicts.get(id)));
      shownVerdicts.clear();
      for (const [id, verdict] of fresh) shownVerdicts.set(id, verdict);
      for (const id of changed) {
        const current = view.store.get(id);
        if (current && view.ui.items.has(id)) view.ui.upsert(current, view.store.following(current.seq));
      }
    }, 0);
  };

  let countTimer = null;
  const recount = () => {
    if (countTimer) return;
    countTimer = setTimeout(() => {
      countTimer = null;
      counts();
    }, 0);
  };

  const placeCurrent = (message) => {
    const current = view.store.get(message.id);
    if (!current || current.rev !== message.rev) return;
    view.place(current);
    if (announce.delete(current.id)) {
      const shown = encryptedBody(engine, current, shownVerdicts);
      view.ui.announcer.textContent = `${current.sender.name}: ${shown.text.slice(0, 200)}`;
    }
  };

  const redecrypt = () => {
    const waiting = engine.messages.takeWaiting(room.id);
    for (const message of waiting) engine.messages.track(view.store.get(message.id) || message);
  };

  const listeners = []; // [target, type, listener]: removed by destroy()
  const listen = (target, type, listener) => {
    target.addEventListener(type, listener);
    listeners.push([target, type, listener]);
  };
  listen(engine.events, "decrypted", ({ detail }) => {
    if (detail.roomId !== room.id) return;
    placeCurrent(detail.message);
    recount();
  });
  listen(engine.events, "identity", ({ detail }) => {
    for (const message of view.store.byId.values()) {
      if (Number(message.sender.id) === detail.userId) engine.messages.track(message);
    }
  });
  listen(engine.events, "keys", ({ detail }) => {
    if (detail.roomId !== room.id) return;
    redecrypt();
    view.outbox.retryFailed();
  });
  let hadKeys = Boolean(currentSession()?.keys);
  listen(sessionEvents, "change", () => {
    const hasKeys = Boolean(currentSession()?.keys);
    const gotKeys = hasKeys && !hadKeys;
    hadKeys = hasKeys;
    if (!gotKeys) return;
    redecrypt();
    view.outbox.retryFailed(); // what waited for the keys (an encrypted or a locked send) goes
    if (loaded && room.room.encrypted && room.isMember) engine.sharing.serveNeeds(room.id).catch(() => undefined);
  });

  const noteRoom = async () => {
    engine.setMembers(
      room.id,
      room.room.members.map((m) => m.id),
    );
    if (!room.isMember) return;
    const outcome = await engine.noteRoom(room.room);
    if (room.room.encrypted && !wasEncrypted) {
      // Turned on just now (by anyone): fetch the first key.
      wasEncrypted = true;
      await engine.refresh(room.id).catch(() => undefined);
    }
    if (outcome === "flipped") {
      showBanner({
        id: `e2e-flipped-${room.id}`,
        tone: "error",
        text: `${PLAINTEXT_REFUSED}. The server now says this room is not encrypted; messages you write here stay unsent.`,
      });
    }
  };
  const unsubscribe = room.subscribe(noteRoom);
  noteRoom();
  if (room.room.encrypted && room.isMember) {
    // Fetch the keys and the members' identities while the history loads, not after.
    engine.ensure(room.id).catch(() => undefined);
    const others = room.room.members.filter((m) => m.id !== view.userId).slice(0, PREFETCH_IDENTITIES);
    engine.identities(others.map((m) => m.id)).catch(() => undefined);
  }
  // Draw again once this device's memory of encrypted rooms is read (the header key icon).
  engine.ready.then(() => room.emit());

  return {
    room,
    /** Decrypt a page of history before it is drawn (errors: drawn as placeholders). */
    async prepare(messages) {
      try {
        await engine.messages.decryptMany(room.id, messages);
      } catch {
        // Keys could not be loaded: the messages show as waiting and retry on "keys".
      }
      for (const message of messages) noteTranscript(message);
      judge();
    },
    /** Decrypt messages from outside the loaded history (a reply's quote). Not noted in the
     * transcript: a lone old message is not a gap in what the room showed. */
    async readable(messages) {
      try {
        await engine.messages.decryptMany(room.id, messages);
      } catch {
        // Keys could not be loaded: the quote says it cannot be shown.
      }
    },
    /** Draw the newest page: decrypt in batches, newest first, drawing each as it is done.
     * ``afterBatch`` (scroll to the bottom) runs after the first batch and at the end; in
     * between the browser's scroll anchoring keeps the reader's place as older batches go in
     * above (reading the scroll height after each batch would force a layout each time). */
    async render(messages, place, afterBatch) {
      const scroller = view.scroller;
      let first = true;
      scroller.classList.add("e2e-anchored");
      try {
        await engine.messages.decryptMany(room.id, messages, (batch) => {
          for (const message of [...batch].sort((a, b) => b.seq - a.seq)) place(message);
          if (first) afterBatch();
          first = false;
        });
      } catch {
        for (const message of messages) place(message);
      } finally {
        scroller.classList.remove("e2e-anchored");
        afterBatch();
      }
    },
    /** A message was drawn: decrypt it in the background if it is not known yet. */
    placed(message) {
      noteTranscript(message);
      judge();
      if (!message.encrypted) return;
      engine.messages.track(message);
      recount();
    },
    arrived(message) {
      const fromOther = message.sender.id !== view.userId;
      if (fromOther && message.encrypted && !engine.messages.result(message)) announce.add(message.id);
    },
    loaded() {
      loaded = true;
      counts();
      if (room.room.encrypted && room.isMember) engine.sharing.serveNeeds(room.id).catch(() => undefined);
    },
    mustEncrypt() {
      return engine.mustEncrypt(room.room);
    },
    send(pending, deliver) {
      return engine.messages.send(
        room.id,
        { clientId: pending.client_id, text: pending.body, content: pending.content },
        deliver,
      );
    },
    edit(message, content, deliver) {
      return engine.messages.edit(message, content, deliver);
    },
    /** Delete one's own encrypted message with a signed tombstone. */
    remove(message, deliver) {
      return engine.messages.remove(message, deliver);
    },
    /** The socket is back (plugin.js, onConnected): it may have missed e2e.envelope /
     * e2e.key_rotated, so fetch the keys again (messages waiting for one are decrypted on "keys"). */
    reconnected() {
      if (room.room.encrypted && room.isMember) engine.refresh(room.id).catch(() => undefined);
    },
    verdicts: shownVerdicts,
    /** Stop following the room: remove the listeners added above. */
    destroy() {
      for (const [target, type, listener] of listeners.splice(0)) target.removeEventListener(type, listener);
      unsubscribe();
      clearTimeout(judgeTimer);
      clearTimeout(countTimer);
    },
  };
}

/** Whether the header's key icon should show for the open room. */
export function headerEncrypted(engine, room) {
  return Boolean(room.room.encrypted) || engine.isKnownEncrypted(room.id);
}

// Server events (plugin.js registers them with chat/dispatch.js) -------------------------------

/** Handle the room-related e2e.* events. */
export function handleE2EEvent(engine, event) {
  switch (event.type) {
    case "e2e.envelope":
      engine.envelopeArrived(event).catch(() => undefined);
      break;
    case "e2e.key_needed":
      engine.forgetIdentity(event.user_id); // they set up or reset keys
      engine.sharing.keyNeeded(event);
      break;
    case "e2e.key_rotated":
      engine.keyRotated(event).catch(() => undefined);
      break;
    case "e2e.identity_changed":
      engine.identityChanged(event.user_id);
      engine.identities([event.user_id]).catch(() => undefined);
      break;
    case "e2e.room_policy":
    case "e2e.room_state":
      engine.stateGrew(event).catch(() => undefined);
      break;
    default:
      break;
  }
}
