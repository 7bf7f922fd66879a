// Messages of encrypted rooms (no DOM): verify-then-decrypt with the engine's key ring, in
// batches that leave the page responsive, and encrypt-and-sign sends and edits (retrying after
// a stale key or a due rotation). Results are cached per message id and revision; messages
// that wait for a key are decrypted again when one arrives. Payloads carry the transcript
// fields (rev, ts, ctr; tombstones for deletes) that transcript.js checks (PROTOCOL.md §9.1).

import { readContent, textContent } from "../chat/content.js";
import { decryptMessage, encryptMessage } from "../crypto/index.js";
import { listOwnMessages } from "./api.js";
import { CHAIN_TROUBLE_TEXTS } from "./rooms_chain.js";
import { E2EError, sessionWithKeys, yieldToPage } from "./rooms_state.js";
import {
  changeFields,
  createTranscript,
  knowsOwnCounter,
  noteOwnCounter,
  readPayload,
  reserveCounter,
} from "./transcript.js";

const FIRST_BATCH = 50; // messages drawn first (a screenful); each next batch is twice as big
const MAX_BATCH = 200; // (drawing more at once makes a long task)
const IN_FLIGHT = 32; // decryptions started at once
const SLICE_MS = 8; // main-thread time the decryptions take before letting the page run
const NOT_FINAL = new Set(["no_key", "locked", "no_chain"]); // may resolve later

function resultKey(message) {
  return `${message.id}:${message.rev}`;
}

function decryptable(message) {
  // (a deleted message's payload is its signed tombstone: checked like any message)
  return message.encrypted && message.kind === "text";
}

export class MessageCrypto {
  /** ``engine``: the RoomsEngine (key rings, identities, rotation). */
  constructor(engine) {
    this.engine = engine;
    this.results = new Map(); // "id:rev" -> {text, verified} | {error}
    this.primed = new Map(); // signature of a payload this page made -> {text, roomId, clientId}
    this.waiting = new Map(); // room id -> Map(message id -> message) shown as not final
    this.queue = new Map(); // room id -> Map("id:rev" -> message) to decrypt in the background
    this.transcripts = new Map(); // room id -> transcript state (transcript.js)
  }

  /** Return the transcript state of a room (made on first use; one per page). */
  transcript(roomId) {
    const id = Number(roomId);
    if (!this.transcripts.has(id)) this.transcripts.set(id, createTranscript({ userId: this.engine.userId }));
    return this.transcripts.get(id);
  }

  /** Return what is known of an encrypted message now (sync): {text, verified} when it
   * decrypted and verified, {error} when it cannot be shown, or null while it is pending. */
  result(message) {
    const found = this.results.get(resultKey(message));
    if (found) return found;
    // A payload this page encrypted, back from the server unchanged and in the same place.
    const primed = message.payload?.sig ? this.primed.get(message.payload.sig) : null;
    if (
      primed &&
      Number(message.sender?.id) === this.engine.userId &&
      Number(message.room_id) === primed.roomId &&
      message.client_id === primed.clientId
    ) {
      const shown = { ...primed.fields, verified: true, senderId: this.engine.userId };
      // A stored message (the server's copy of what this page sent): known from now on, and
      // reported like a decrypted one (the device's search index takes it in).
      if (Number.isInteger(message.id) && Number.isInteger(message.seq)) {
        this.results.set(resultKey(message), shown);
        this.engine.emit("plaintext", { roomId: primed.roomId, message, result: shown });
      }
      return shown;
    }
    return null;
  }

  /** Verify and decrypt one message with its room's keys (cached per id and revision). */
  async decrypt(message) {
    const key = resultKey(message);
    const ready = this.results.get(key);
    if (ready) return ready;
    const state = await this.engine.ensure(message.room_id);
    const senderId = Number(message.sender.id);
    // The sender's identities as the room's signed chain records them, newest first: a message
    // signed with an earlier one still verifies, and says so.
    const identities = this.engine.chain.identitiesOf(state, senderId);
    let result;
    if (!identities.length) {
      result = { error: state.chain ? "not_member" : "no_chain", final: Boolean(state.chain) };
    } else {
      for (const [index, ident] of identities.entries()) {
        try {
          const payload = await decryptMessage(message.payload, {
            roomId: state.uid,
            senderId: String(senderId),
            messageId: message.client_id,
            senderSignPublicKey: ident.signPublicKey,
            keys: state.keys,
          });
          const fields = readPayload(payload);
          if (!fields) throw new E2EError("The message has no text.", "tampered");
          result = { ...fields, verified: true, earlierKey: index > 0 };
          break;
        } catch (error) {
          let code = error.code || "tampered";
          if (code === "no_key" && this.engine.locked() && !state.holdsAny()) code = "locked";
          result = { error: code, final: !NOT_FINAL.has(code) };
          if (code !== "bad_signature") break; // only another identity of theirs can change that
        }
      }
      if (result.error === "bad_signature") {
        // Signed by a key the room's chain does not have for them: say so when the server
        // shows them with a new identity this device has not accepted ("Sender's key changed").
        const pinned = (await this.engine.identities([senderId]))[senderId];
        if (pinned?.status === "changed") result = { error: "key_changed", final: true };
      }
    }
    result.senderId = senderId;
    this.#noteWaiting(state.roomId, message, NOT_FINAL.has(result.error));
    this.results.set(key, result);
    // Every message (or tombstone) decrypted and verified here, whichever path asked: the open
    // room, a notification, the search page's backfill (search/device_index.js takes it in).
    if (result.verified) this.engine.emit("plaintext", { roomId: state.roomId, message, result });
    return result;
  }

  #noteWaiting(roomId, message, waiting) {
    if (waiting) {
      if (!this.waiting.has(roomId)) this.waiting.set(roomId, new Map());
      this.waiting.get(roomId).set(message.id, message);
    } else {
      this.waiting.get(roomId)?.delete(message.id);
    }
  }

  /** Decrypt many messages of a room, newest first, calling ``onBatch(batch)`` as each batch
   * is done so the page draws while the rest decrypts; the page stays responsive throughout.
   * Messages with nothing to decrypt go first, in one batch. */
  async decryptMany(roomId, messages, onBatch = () => {}) {
    const todo = messages.filter((m) => decryptable(m) && !this.result(m));
    const waiting = new Set(todo);
    const rest = messages.filter((m) => !waiting.has(m));
    if (rest.length) onBatch(rest);
    if (!todo.length) return;
    await this.engine.ensure(roomId); // the chain (senders' identities) and the keys
    const ordered = [...todo].sort((a, b) => b.seq - a.seq);
    // A bounded number of decryptions in flight, newest first; they go on while a batch is
    // drawn. Ed25519 verification runs on Chromium's main thread, so the workers hand the page
    // a turn every few milliseconds: decrypting a long history is never one long task.
    const pending = new Array(ordered.length);
    let next = 0;
    let sliceStart = performance.now();
    const worker = async () => {
      while (next < ordered.length) {
        const index = next++;
        // (decrypt() reports crypto failures as results; anything else shows as "waiting")
        pending[index] = this.decrypt(ordered[index]).catch(() => ({ error: "no_key" }));
        await pending[index];
        if (performance.now() - sliceStart > SLICE_MS) {
          await yieldToPage();
          sliceStart = performance.now();
        }
      }
    };
    const workers = Array.from({ length: Math.min(IN_FLIGHT, ordered.length) }, worker);
    // The batches drawn double in size (up to a cap): the first fills the screen soon, and the
    // page lays the growing list out a few times only.
    let size = FIRST_BATCH;
    for (let from = 0; from < ordered.length; from += size, size = Math.min(size * 2, MAX_BATCH)) {
      const to = Math.min(from + size, ordered.length);
      while (next < to) await yieldToPage(); // the workers have not started them all yet
      await Promise.all(pending.slice(from, to));
      onBatch(ordered.slice(from, to));
      if (to < ordered.length) await yieldToPage();
    }
    await Promise.all(workers);
  }

  /** Decrypt a message in the background (it shows as pending meanwhile); messages queued in
   * the same turn go together. Emits "decrypted" for each. */
  track(message) {
    if (!decryptable(message) || this.result(message)) return;
    const roomId = Number(message.room_id);
    if (!this.queue.has(roomId)) {
      this.queue.set(roomId, new Map());
      queueMicrotask(() => this.#drain(roomId));
    }
    this.queue.get(roomId).set(resultKey(message), message);
  }

  async #drain(roomId) {
    const batch = [...(this.queue.get(roomId)?.values() || [])];
    this.queue.delete(roomId);
    try {
      await this.decryptMany(roomId, batch, (done) => {
        for (const message of done) this.engine.emit("decrypted", { roomId, message });
      });
    } catch {
      // The room's keys could not be loaded (offline): shown as waiting, retried on "keys".
      for (const message of batch) {
        this.results.set(resultKey(message), { error: "no_key", senderId: Number(message.sender.id) });
        this.#noteWaiting(roomId, message, true);
        this.engine.emit("decrypted", { roomId, message });
      }
    }
  }

  /** Messages shown as waiting (no key yet, locked): forget their result and return them so
   * the page can decrypt them again. */
  takeWaiting(roomId) {
    const waiting = this.waiting.get(Number(roomId));
    if (!waiting) return [];
    this.waiting.delete(Number(roomId));
    const messages = [...waiting.values()];
    for (const message of messages) this.results.delete(resultKey(message));
    return messages;
  }

  /** Forget why a sender's messages failed (their identity changed: "Sender's key changed"
   * may now be the reason); the page decrypts them again. */
  forgetFailures(userId) {
    for (const [key, result] of this.results) {
      if (result.senderId === Number(userId) && result.error) this.results.delete(key);
    }
  }

  // Sending -----------------------------------------------------------------------------------

  async #currentKey(state) {
    if (!sessionWithKeys()) {
      throw new E2EError(
        "Unlock encryption to send: enter your encryption password (see the banner at the top). The message is kept and goes out once unlocked.",
        "e2e_locked",
        { retryable: true },
      );
    }
    if (!state.loadedWithKeys || !state.keys.has(state.currentKeyId)) await this.engine.refresh(state.roomId);
    if (state.chainTrouble) {
      throw new E2EError(`${CHAIN_TROUBLE_TEXTS[state.chainTrouble]} The message is kept.`, "chain_trouble", {
        retryable: true,
      });
    }
    const key = state.keys.get(state.currentKeyId);
    if (!state.currentKeyId || !key) {
      throw new E2EError(
        "You do not have this room's key yet. The message is kept and goes out once a member shares the key.",
        "e2e_no_key",
        { retryable: true },
      );
    }
    return { keyId: state.currentKeyId, key };
  }

  async #encrypt(state, { clientId, content }) {
    const { keyId, key } = await this.#currentKey(state);
    const payload = await encryptMessage(content, {
      roomId: state.uid,
      keyId,
      roomKey: key,
      senderId: String(this.engine.userId),
      messageId: clientId,
      signingKey: sessionWithKeys().keys.signingKey,
    });
    this.primed.set(payload.sig, { fields: readPayload(content), roomId: state.roomId, clientId });
    return payload;
  }

  /** Encrypt ``content()`` as message ``clientId`` and hand the payload to ``deliver(payload)``
   * (socket or HTTP; the same client_id on every try). After ``stale_key`` the keys are
   * fetched again, after ``rotation_due`` the key is rotated, then it tries again. */
  async #deliver(roomId, clientId, content, deliver) {
    const state = await this.engine.ensure(roomId);
    for (let attempt = 0; ; attempt += 1) {
      if (state.rotationDue) await this.engine.sharing.rotate(roomId);
      const payload = await this.#encrypt(state, { clientId, content: content() });
      try {
        return await deliver(payload);
      } catch (error) {
        if (attempt >= 2) throw error;
        if (error.code === "stale_key") await this.engine.refresh(roomId);
        else if (error.code === "rotation_due") state.rotationDue = true;
        else throw error;
      }
    }
  }

  /** Encrypt ``text`` as the new message ``clientId`` (rev 0, the next own counter: the same
   * one on every retry) and deliver it (see #deliver). */
  async send(roomId, { clientId, text = null, content = null }, deliver) {
    // Locked, or no key yet: refused here (the send waits), before a counter is given out.
    await this.#currentKey(await this.engine.ensure(roomId));
    const ctr = reserveCounter(await this.#seededTranscript(roomId), clientId);
    // The payload is the content object (PROTOCOL.md "Message content") plus rev/ts/ctr.
    const base = contentPayload(content, text);
    return this.#deliver(roomId, clientId, () => ({ ...base, rev: 0, ts: Date.now(), ctr }), deliver);
  }

  /** Encrypt an edit of one's own message to ``content`` (a content object, or a text) with
   * the same message id (its client_id), the next rev and the message's counter. */
  edit(message, content, deliver) {
    const fields = changeFields(this.transcript(message.room_id), message.id);
    const base = contentPayload(content);
    return this.#deliver(message.room_id, message.client_id, () => change(base, fields), deliver);
  }

  /** Delete one's own message with a signed tombstone (the next rev, the message's counter). */
  remove(message, deliver) {
    const fields = changeFields(this.transcript(message.room_id), message.id);
    return this.#deliver(message.room_id, message.client_id, () => change({ deleted: true }, fields), deliver);
  }

  /** Return the room's transcript once this page knows its user's highest counter there: from
   * the rows it has, or else the server's list of the user's newest own messages (a new page,
   * or a device that sent from elsewhere: PROTOCOL.md §9.1). */
  async #seededTranscript(roomId) {
    const transcript = this.transcript(roomId);
    if (transcript.seeded || knowsOwnCounter(transcript)) return transcript;
    const { messages } = await listOwnMessages(roomId);
    let complete = true;
    for (const message of messages) {
      if (!decryptable(message)) continue;
      const result = await this.decrypt(message);
      if (result.verified) noteOwnCounter(transcript, result.ctr);
      else if (!result.final) complete = false; // (an epoch's key not here yet: ask again next time)
    }
    transcript.seeded = complete;
    return transcript;
  }

  /** The text to put in the editor for an own message, or null if it cannot be edited here
   * (not decrypted; or plaintext in a room that is, or was, encrypted). */
  editableText(message, room) {
    if (message.encrypted) {
      const result = this.result(message);
      return result?.verified && typeof result.text === "string" ? result.text : null;
    }
    const encryptedRoom = room?.encrypted || this.engine.isKnownEncrypted(message.room_id);
    return encryptedRoom ? null : message.body;
  }
}

/** Return the content object to encrypt for ``content`` (chat/content.js; its text ``text``
 * if given), or for the bare ``text`` when there is none: v 1, text, format, mentions,
 * mention_all and any later key, never a transcript or tombstone field. */
export function contentPayload(content, text = null) {
  const read = typeof content === "string" ? textContent(content) : readContent(content);
  const base = read || textContent(text ?? "");
  const { rev: _rev, ts: _ts, ctr: _ctr, deleted: _deleted, ...rest } = base;
  const payload = { ...rest, text: text ?? base.text };
  return { ...payload, v: 1, format: base.format, mentions: [...base.mentions], mention_all: base.mention_all };
}

/** A change's payload: ``base`` with the next rev, the sender's time and the kept counter. */
function change(base, { rev, ctr }) {
  const content = { ...base, rev, ts: Date.now() };
  if (ctr !== null) content.ctr = ctr;
  return content;
}
