// Encrypted rooms on this page (no DOM; docs/PROTOCOL.md "Client behaviour"): this device's
// memory of encrypted rooms, pinned identities, and per room the pinned uid and the key ring
// (room keys in memory only, never stored). Messages are in rooms_messages.js (engine.messages),
// who gets keys in rooms_sharing.js (engine.sharing); rooms_ui.js draws what they report.
//
// Trust comes from this device, never from the server's word:
//   - identities are pinned on first use (pins.js); a changed one is never sealed to unasked;
//   - a key is used only from an envelope that verifies against its sender's PINNED identity and
//     whose sender is a member of the room (or was one when this device first accepted it);
//   - a key is sealed only to a member whose membership a known key holder signed;
//   - a room once seen encrypted stays encrypted on this device (E2EE.md, attack 9).

import { b64uDecode, openEnvelope } from "../crypto/index.js";
import { getRoom } from "../chat/api.js";
import * as api from "./api.js";
import { acceptChangedIdentity, lookupIdentities } from "./pins.js";
import { MessageCrypto } from "./rooms_messages.js";
import { KeySharing } from "./rooms_sharing.js";
import {
  currentSession,
  E2EError,
  emit,
  PLAINTEXT_REFUSED,
  RoomState,
  sessionSettled,
  sessionWithKeys,
} from "./rooms_state.js";
import { sessionEvents } from "./session.js";
import { Store } from "./store.js";

export { E2EError, FAILURE_TEXTS, PLAINTEXT_REFUSED, roomEvents } from "./rooms_state.js";

const UID_CHANGED =
  "The server changed this room's identity. Its messages cannot be trusted; Keyroom keeps using the identity it first saw.";

export class RoomsEngine {
  constructor(userId) {
    this.userId = Number(userId);
    this.me = String(userId);
    this.known = new Map(); // room id -> {roomId, uid, encrypted, since, keySenders}
    this.rooms = new Map(); // room id -> RoomState
    this.pins = new Map(); // user id -> Promise<pin lookup result | null>
    this.warned = new Set(); // warnings already shown on this page
    this.store = null;
    this.messages = new MessageCrypto(this);
    this.sharing = new KeySharing(this);
    this.ready = this.#open();
    sessionEvents.addEventListener("change", () => this.#sessionChanged());
  }

  async #open() {
    try {
      this.store = await Store.open(this.userId);
      for (const record of await this.store.all("rooms")) {
        if (record?.encrypted) this.known.set(Number(record.roomId), record);
      }
    } catch {
      // No IndexedDB (a private window may refuse it): remember for this page only.
      this.store = null;
    }
  }

  // Rooms known as encrypted (attack 9) -----------------------------------------------------

  /** Whether this device has ever seen the room encrypted (call after `ready`). */
  isKnownEncrypted(roomId) {
    return this.known.has(Number(roomId));
  }

  /** Record what the server says of a room: once encrypted, it is remembered for good.
   * Return "ok", "flipped" (known encrypted, the server now says plaintext) or "uid_changed". */
  async noteRoom(room) {
    await this.ready;
    const roomId = Number(room.id);
    const known = this.known.get(roomId);
    if (known) {
      if (room.uid && known.uid && String(room.uid) !== known.uid) {
        this.warn(roomId, "uid_changed", UID_CHANGED);
        return "uid_changed";
      }
      if (room.encrypted === false) {
        this.warn(roomId, "flipped", `${PLAINTEXT_REFUSED}.`);
        return "flipped";
      }
      return "ok";
    }
    if (room.encrypted) {
      await this.remember(roomId, { uid: room.uid ? String(room.uid) : null });
    }
    return "ok";
  }

  /** Remember a room as encrypted on this device, with its uid and who sealed which key. */
  async remember(roomId, changes) {
    const record = {
      roomId,
      uid: null,
      encrypted: true,
      since: Date.now(),
      keySenders: {},
      ...this.known.get(roomId),
    };
    if (changes.uid && !record.uid) record.uid = changes.uid;
    if (changes.keySenders) record.keySenders = { ...record.keySenders, ...changes.keySenders };
    this.known.set(roomId, record);
    try {
      await this.store?.put("rooms", roomId, record);
    } catch {
      // Kept in memory for this page.
    }
  }

  /** Return whether a message to this room must be encrypted; throw if the server says the
   * room is plaintext but this device knows it was encrypted. */
  async mustEncrypt(room) {
    await this.ready;
    if (this.isKnownEncrypted(room.id) && !room.encrypted) {
      this.warn(room.id, "flipped", `${PLAINTEXT_REFUSED}.`);
      throw new E2EError(`${PLAINTEXT_REFUSED}.`, "plaintext_refused");
    }
    return Boolean(room.encrypted);
  }

  // Identities --------------------------------------------------------------------------------

  settings() {
    return currentSession()?.settings || {};
  }

  /** Whether this device's keys are locked (the user has keys, not unlocked here). */
  locked() {
    return !sessionWithKeys() && currentSession()?.state === "locked";
  }

  /** Report something this device refused (once per page for the same text). */
  warn(roomId, kind, text) {
    const tag = `${roomId}:${kind}:${text}`;
    if (this.warned.has(tag)) return;
    this.warned.add(tag);
    emit("warning", { roomId: Number(roomId), kind, text });
  }

  /** Return {userId: lookup} for the users (pins.js), cached per page. Users without keys (or
   * with a forged identity) are absent. */
  async identities(userIds) {
    await this.ready;
    const ids = [...new Set(userIds.map(Number))].filter((id) => id > 0);
    const missing = ids.filter((id) => !this.pins.has(id));
    if (missing.length) {
      const lookup = this.store
        ? lookupIdentities(this.store, missing)
        : Promise.reject(new Error("no store"));
      for (const id of missing) {
        this.pins.set(
          id,
          lookup.then(
            (found) => {
              // Someone without keys yet may set them up later: look them up again then.
              if (!found[id]) this.pins.delete(id);
              return found[id] || null;
            },
            () => {
              this.pins.delete(id); // try again next time
              return null;
            },
          ),
        );
      }
    }
    const out = {};
    for (const id of ids) {
      const found = await this.pins.get(id);
      if (found) out[id] = found;
    }
    return out;
  }

  /** Identities fit to seal a key to: pinned and unchanged; a changed one only under the
   * "automatic" key-change policy (accepted, then pinned). */
  async sealableIdentities(userIds) {
    const found = await this.identities(userIds);
    const automatic = this.settings().key_change_policy === "automatic";
    const out = {};
    for (const [id, item] of Object.entries(found)) {
      if (item.status !== "changed") {
        out[id] = item;
      } else if (automatic) {
        await acceptChangedIdentity(this.store, Number(id));
        this.pins.delete(Number(id));
        const again = (await this.identities([Number(id)]))[id];
        if (again && again.status !== "changed") out[id] = again;
      }
      // "confirm": a key holder has to confirm the new key first (never sealed unasked).
    }
    return out;
  }

  /** Forget the cached identity of a user (it changed): the next lookup pins or flags it. */
  identityChanged(userId) {
    this.pins.delete(Number(userId));
    this.messages.forgetFailures(userId);
    emit("identity", { userId: Number(userId) });
  }

  /** Look a user up afresh next time (they just set up or reset keys). */
  forgetIdentity(userId) {
    this.pins.delete(Number(userId));
  }

  // Room state and keys -------------------------------------------------------------------------

  state(roomId) {
    const id = Number(roomId);
    if (!this.rooms.has(id)) this.rooms.set(id, new RoomState(id));
    return this.rooms.get(id);
  }

  /** Tell the engine the room's members (the open room's list, kept current by events). */
  setMembers(roomId, memberIds) {
    this.state(roomId).members = new Set(memberIds.map(Number));
  }

  /** Return the room's state, loading its keys the first time. */
  ensure(roomId) {
    const state = this.state(roomId);
    if (!state.loaded) state.loaded = this.refresh(roomId);
    return state.loaded.then(() => state);
  }

  /** (Re)load the room's E2E state and open the envelopes sealed to this user. */
  refresh(roomId) {
    const state = this.state(roomId);
    if (state.loading) return state.loading;
    state.loading = this.#load(state).finally(() => {
      state.loading = null;
    });
    return state.loading;
  }

  async #load(state) {
    const keys = api.getRoomKeys(state.roomId); // fetched meanwhile (awaited below)
    keys.catch(() => undefined); // (a failure is thrown at the await, not reported twice)
    await this.ready;
    await sessionSettled(); // so a page load does not show "waiting" before the keys are read
    if (!state.members) {
      const found = await getRoom(state.roomId);
      state.members = new Set((found.room.members || []).map((m) => Number(m.id)));
      await this.noteRoom(found.room);
    }
    const data = await keys;
    const known = this.known.get(state.roomId);
    state.uid = known?.uid || data.room_uid;
    if (known && !known.uid) await this.remember(state.roomId, { uid: data.room_uid });
    if (data.room_uid !== state.uid) this.warn(state.roomId, "uid_changed", UID_CHANGED);
    state.serverEncrypted = Boolean(data.encrypted);
    if (data.encrypted) await this.noteRoom({ id: state.roomId, uid: data.room_uid, encrypted: true });
    state.currentKeyId = data.current_key_id;
    state.rotationDue = Boolean(data.rotation_due);
    state.shareHistory = data.share_history !== false;
    state.encryptedBy = data.encrypted_by === null ? null : Number(data.encrypted_by);
    const session = sessionWithKeys();
    state.loadedWithKeys = Boolean(session);
    if (session) await this.#openEnvelopes(state, data.envelopes || [], session);
    emit("keys", { roomId: state.roomId });
  }

  /** Open envelopes sealed to this user; refuse any that does not verify against its
   * sender's pinned identity or whose sender this device cannot place in the room. */
  async #openEnvelopes(state, envelopes, session) {
    const mine = envelopes.filter((e) => Number(e.recipient_id) === this.userId);
    if (!mine.length) return;
    const senders = await this.identities(mine.map((e) => e.sender_id));
    const known = this.known.get(state.roomId);
    const ownDh = b64uDecode(session.keys.publicIdentity.x25519);
    const accepted = {};
    const refusals = [];
    await Promise.all(
      mine.map(async (item) => {
        const senderId = Number(item.sender_id);
        const tag = `${item.key_id}:${senderId}`;
        if (state.keys.has(item.key_id) && state.isHolder(senderId, item.key_id)) return;
        const sender = senders[senderId];
        const rememberedSender = known?.keySenders?.[item.key_id] === senderId;
        const inRoom = senderId === this.userId || state.members?.has(senderId) || rememberedSender;
        if (!sender || !inRoom) {
          refusals.push({ tag, why: sender ? "not_member" : "no_identity" });
          return;
        }
        let opened;
        try {
          opened = await openEnvelope(item.envelope, {
            roomId: state.uid,
            senderId: String(senderId),
            recipientId: this.me,
            senderSignPublicKey: sender.verified.signPublicKey,
            recipientAgreementKey: session.keys.agreementKey,
            recipientDhPublicKey: ownDh,
          });
        } catch (error) {
          refusals.push({ tag, why: sender.status === "changed" ? "key_changed" : error.code || "tampered" });
          return;
        }
        if (opened.keyId !== item.key_id) {
          refusals.push({ tag, why: "tampered" });
          return;
        }
        const had = state.keys.get(opened.keyId);
        if (had && !had.every((byte, i) => byte === opened.key[i])) {
          // Two different keys under one key id: keep the first one this device trusted.
          refusals.push({ tag, why: "conflict" });
          return;
        }
        state.keys.set(opened.keyId, opened.key);
        state.epochs.set(opened.keyId, item.epoch);
        state.addHolder(opened.keyId, senderId);
        state.addHolder(opened.keyId, this.userId);
        if (!known?.keySenders?.[opened.keyId]) accepted[opened.keyId] = senderId;
      }),
    );
    if (Object.keys(accepted).length && this.known.has(state.roomId)) {
      await this.remember(state.roomId, { keySenders: accepted });
    }
    const fresh = refusals.filter(({ tag }) => !state.refused.has(tag));
    for (const { tag } of fresh) state.refused.add(tag);
    if (fresh.length) {
      const notMember = fresh.some((r) => r.why === "not_member");
      const count = state.refused.size;
      this.warn(
        state.roomId,
        "refused_keys",
        `${count} encryption key${count === 1 ? " was" : "s were"} refused for this room: ` +
          (notMember ? "sent by someone who is not a member of it. " : "not signed by the member who sent it. ") +
          "Someone may be tampering with this room.",
      );
    }
  }

  /** An envelope pushed live (e2e.envelope): open it at once if the room is loaded. */
  async envelopeArrived(event) {
    if (Number(event.recipient_id) !== this.userId) return;
    const state = this.rooms.get(Number(event.room_id));
    if (!state?.loaded) return; // opened with the others when the room is first used
    await state.loaded.catch(() => undefined);
    const session = sessionWithKeys();
    if (!session || !state.uid) return;
    await this.#openEnvelopes(state, [event], session);
    emit("keys", { roomId: state.roomId });
  }

  /** e2e.key_rotated: the room has a new current key (its envelope comes as e2e.envelope). */
  async keyRotated(event) {
    const state = this.rooms.get(Number(event.room_id));
    if (!state?.loaded) return;
    state.currentKeyId = event.key_id;
    state.rotationDue = false;
    if (!state.keys.has(event.key_id)) await this.refresh(state.roomId).catch(() => undefined);
  }

  policyChanged(event) {
    const state = this.rooms.get(Number(event.room_id));
    if (state) state.shareHistory = Boolean(event.share_history);
  }

  async #sessionChanged() {
    // Keys became available (set up or unlocked): load what could not be opened before.
    if (!sessionWithKeys()) return;
    for (const state of this.rooms.values()) {
      if (state.loaded && !state.loadedWithKeys) await this.refresh(state.roomId).catch(() => undefined);
    }
  }
}

let engine = null;

/** Return this page's engine (one per page, for the signed-in user). */
export function getEngine(userId) {
  if (!engine) engine = new RoomsEngine(userId);
  return engine;
}

/** The page's engine if it was started, else null (for synchronous lookups while drawing). */
export function existingEngine() {
  return engine;
}
