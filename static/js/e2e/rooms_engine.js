// Encrypted rooms on this page (no DOM; docs/PROTOCOL.md "Client behaviour"): this device's
// memory of encrypted rooms, pinned identities, and per room the pinned uid and the key ring
// (room keys in memory only, never stored). Messages are in rooms_messages.js (engine.messages),
// who gets keys in rooms_sharing.js (engine.sharing); rooms_ui.js draws what they report.
//
// Trust comes from this device, never from the server's word (docs/SECURITY.md):
//   - members, their identities and the current key come only from the room's signed state
//     chain, verified from its genesis here (rooms_chain.js); a chain that forks or rolls back
//     the head this device remembers is refused;
//   - a key is used only from an envelope signed by someone the chain has (or had) as a member,
//     and only if it is the key the chain committed to under that key id;
//   - a key is sealed only to a current member of the chain, to the identity the chain records,
//     and never to someone whose identity this device pinned differently (pins.js);
//   - a room once seen encrypted stays encrypted on this device (attack 9).

import { b64uDecode, openEnvelope } from "../crypto/index.js";
import { getRoom } from "../chat/api.js";
import * as api from "./api.js";
import { lookupIdentities } from "./pins.js";
import { RoomChain, sameIdent } from "./rooms_chain.js";
import { MessageCrypto } from "./rooms_messages.js";
import { KeySharing } from "./rooms_sharing.js";
import {
  currentSession,
  E2EError,
  setTrustHeadCheck,
  PLAINTEXT_REFUSED,
  RoomState,
  sessionSettled,
  sessionWithKeys,
} from "./rooms_state.js";
import { sessionEvents } from "./session.js";
import { Store, trustStoreEvents } from "./store.js";
import { LOCKED_UNKNOWN_ROOM, plaintextSendDecision } from "./trust_merge.js";

export { E2EError, FAILURE_TEXTS, PLAINTEXT_REFUSED } from "./rooms_state.js";

// How long a person found without keys counts as such before the next lookup (their own
// e2e.key_needed, when they set keys up, ends it at once).
const KEYLESS_RECHECK_MS = 30_000;
const UID_CHANGED =
  "The server changed this room's identity. Its messages cannot be trusted; Keyroom keeps using the identity it first saw.";

/**
 * The page's encrypted rooms: one per page, made by plugin.js installE2E() for the signed-in
 * user and passed to every e2e UI module. Events on `engine.events`:
 *   "keys"      {roomId}  the room's key ring changed (a key arrived, the keys got unlocked)
 *   "warning"   {roomId, kind, text}  something this device refused (show it)
 *   "decrypted" {roomId, message}  a message's text (or why not) is known now
 *   "plaintext" {roomId, message, result}  a message (or its tombstone) was decrypted and
 *               verified on this device, by any path (the device's search index takes it in)
 *   "identity"  {userId}  a member's identity changed: decrypt their failed messages again
 *   "served"    {roomId, passes}  a share-on-need pass finished (rooms_sharing.js)
 */
export class RoomsEngine {
  constructor(userId) {
    this.userId = Number(userId);
    this.me = String(userId);
    this.events = new EventTarget();
    this.known = new Map(); // room id -> {roomId, uid, encrypted, since, head}
    this.rooms = new Map(); // room id -> RoomState
    this.pins = new Map(); // user id -> Promise<pin lookup result | null>
    this.keyless = new Map(); // user id -> until when "has no keys" stands without a new lookup
    this.warned = new Set(); // warnings already shown on this page
    // Key rotations after someone leaves (members.js), one at a time per room:
    this.rotations = new Map(); // room id -> Promise of the running rotation check
    this.pendingRotations = new Map(); // room id -> Promise of a delayed one (member.removed)
    this.store = null;
    this.chain = new RoomChain(this);
    this.messages = new MessageCrypto(this);
    this.sharing = new KeySharing(this);
    this.ready = this.#open();
    sessionEvents.addEventListener("change", () => this.#sessionChanged());
    // The trust record merged from another device may name rooms this page has not seen.
    trustStoreEvents.addEventListener("change", ({ detail }) => this.#trustChanged(detail));
    // The trust record's merge keeps the higher of two chain heads only if it extends the other.
    setTrustHeadCheck((roomId, lower, higher) => this.headExtends(roomId, lower, higher));
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

  /** Report ``type`` with ``detail`` on ``events`` (see above). */
  emit(type, detail) {
    this.events.dispatchEvent(new CustomEvent(type, { detail }));
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

  /** Remember a room as encrypted on this device, with its uid and the chain head verified. */
  async remember(roomId, changes) {
    const record = {
      roomId,
      uid: null,
      encrypted: true,
      since: Date.now(),
      head: null,
      ...this.known.get(roomId),
    };
    if (changes.uid && !record.uid) record.uid = changes.uid;
    if (changes.head) record.head = changes.head;
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
    if (room.encrypted) return true;
    // A locked device that never merged the user's trust record cannot know whether another
    // device of theirs saw this group or DM encrypted (docs/PROTOCOL.md §16.6): it waits.
    const meta = await this.store?.get("trust", "record").catch(() => null);
    const decision = plaintextSendDecision({
      kind: room.kind,
      known: false,
      locked: this.locked(),
      recordMerged: Boolean(meta?.seen),
    });
    if (!decision.allow) throw new E2EError(LOCKED_UNKNOWN_ROOM, "locked_unknown", { retryable: true });
    return false;
  }

  /** A trust-database write (this page's, or a merged trust record): take in rooms it now
   * knows as encrypted. */
  async #trustChanged(detail) {
    if (detail?.store !== "rooms" || Number(detail.userId) !== this.userId || !this.store) return;
    const record = await this.store.get("rooms", detail.key).catch(() => null);
    if (!record?.encrypted) return;
    const roomId = Number(record.roomId);
    const known = this.known.get(roomId);
    if (known?.uid && record.uid && known.uid !== record.uid) return; // the first uid stays
    this.known.set(roomId, { ...record, ...(known || {}), head: known?.head || record.head || null });
  }

  /** Whether the chain this page verified for ``roomId`` contains both heads (so the one with
   * the higher index extends the other). Unknown rooms: false (the merge keeps the local head). */
  headExtends(roomId, lower, higher) {
    const hashes = this.rooms.get(Number(roomId))?.hashes || [];
    return hashes[lower.index] === lower.hash && hashes[higher.index] === higher.hash;
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
    this.emit("warning", { roomId: Number(roomId), kind, text });
  }

  /** Return {userId: lookup} for the users (pins.js), cached per page. Users without keys (or
   * with a forged identity) are absent. */
  async identities(userIds) {
    await this.ready;
    const ids = [...new Set(userIds.map(Number))].filter((id) => id > 0);
    const now = Date.now();
    const missing = ids.filter((id) => !this.pins.has(id) && !(this.keyless.get(id) > now));
    if (missing.length) {
      const lookup = this.store ? lookupIdentities(this.store, missing) : Promise.reject(new Error("no store"));
      for (const id of missing) {
        this.pins.set(
          id,
          lookup.then(
            (found) => {
              // Someone without keys yet may set them up later: look them up again then (at
              // once on their e2e.key_needed, which forgets this; else after KEYLESS_RECHECK_MS),
              // not on every redraw of the member list meanwhile.
              if (!found[id]) {
                this.pins.delete(id);
                this.keyless.set(id, Date.now() + KEYLESS_RECHECK_MS);
              }
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

  /**
   * Return {userId: identity} of the ``userIds`` this device may seal the room's keys to now:
   * current members of the verified chain still in the room, with the identity the chain
   * records, which this device has pinned the same (or not pinned yet: then the chain's
   * identity, signed by a member, is what gets pinned). A changed identity waits for a
   * person's click (key_change_ui.js); no setting re-shares on its own.
   */
  async sealableIdentities(state, userIds) {
    const allowed = state.keyRecipients();
    const wanted = userIds.map(Number).filter((id) => allowed.has(id));
    const found = await this.identities(wanted);
    const out = {};
    for (const id of wanted) {
      const ident = state.chain.members.get(String(id));
      const item = found[id];
      if (!ident || !item) continue;
      if (item.status === "changed" || !sameIdent(ident, item.identity)) continue;
      out[id] = { identity: item.identity, status: item.status };
    }
    return out;
  }

  /** Forget the cached identity of a user (it changed): the next lookup pins or flags it. */
  identityChanged(userId) {
    this.pins.delete(Number(userId));
    this.keyless.delete(Number(userId));
    this.messages.forgetFailures(userId);
    this.emit("identity", { userId: Number(userId) });
  }

  /** Look a user up afresh next time (they just set up or reset keys). */
  forgetIdentity(userId) {
    this.pins.delete(Number(userId));
    this.keyless.delete(Number(userId));
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
    state.rotationDue = Boolean(data.rotation_due);
    if (data.encrypted || this.isKnownEncrypted(state.roomId)) await this.chain.load(state);
    const session = sessionWithKeys();
    state.loadedWithKeys = Boolean(session);
    if (session && state.chain) {
      await this.#openEnvelopes(state, data.envelopes || [], session);
      await this.chain.checkProofs(state);
    }
    this.emit("keys", { roomId: state.roomId });
  }

  /** Open envelopes sealed to this user; refuse any whose key id the chain does not have,
   * whose sender the chain never had as a member, whose signature does not verify against one
   * of the sender's chain identities, or whose key is not the one the chain committed to. */
  async #openEnvelopes(state, envelopes, session) {
    const mine = envelopes.filter((e) => Number(e.recipient_id) === this.userId);
    if (!mine.length || !state.chain) return;
    const ownDh = b64uDecode(session.keys.publicIdentity.x25519);
    const refusals = [];
    await Promise.all(
      mine.map(async (item) => {
        const senderId = Number(item.sender_id);
        const tag = `${item.key_id}:${senderId}`;
        if (state.keys.has(item.key_id)) return;
        const identities = this.chain.identitiesOf(state, senderId);
        if (!state.chain.keys.has(item.key_id)) {
          refusals.push({ tag, why: "not_in_chain" });
          return;
        }
        if (!identities.length) {
          refusals.push({ tag, why: "not_member" });
          return;
        }
        let opened = null;
        for (const ident of identities) {
          try {
            opened = await openEnvelope(item.envelope, {
              roomId: state.uid,
              senderId: String(senderId),
              recipientId: this.me,
              senderSignPublicKey: ident.signPublicKey,
              recipientAgreementKey: session.keys.agreementKey,
              recipientDhPublicKey: ownDh,
            });
            break;
          } catch {
            opened = null; // an earlier identity of theirs may have signed it
          }
        }
        if (!opened || opened.keyId !== item.key_id) {
          refusals.push({ tag, why: "bad_signature" });
          return;
        }
        if (!(await this.chain.matchesCommitment(state, opened.keyId, opened.key))) {
          // Not the key the chain names (a member sealed another one): never used.
          refusals.push({ tag, why: "not_in_chain" });
          return;
        }
        state.keys.set(opened.keyId, opened.key);
      }),
    );
    const fresh = refusals.filter(({ tag }) => !state.refused.has(tag));
    for (const { tag } of fresh) state.refused.add(tag);
    if (fresh.length) {
      const count = state.refused.size;
      const why = fresh.some((r) => r.why === "not_member")
        ? "sent by someone who is not a member of it. "
        : fresh.some((r) => r.why === "not_in_chain")
          ? "not a key the room's signed record names. "
          : "not signed by the member who sent it. ";
      this.warn(
        state.roomId,
        "refused_keys",
        `${count} encryption key${count === 1 ? " was" : "s were"} refused for this room: ${why}Someone may be tampering with this room.`,
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
    if (!state.chain?.keys.has(event.key_id)) await this.chain.load(state); // a new epoch
    await this.#openEnvelopes(state, [event], session);
    await this.chain.checkProofs(state);
    this.emit("keys", { roomId: state.roomId });
  }

  /** e2e.key_rotated: the server says the room has a new key. Which key is current comes
   * from the chain, so read it (and the envelopes) again. */
  async keyRotated(event) {
    const state = this.rooms.get(Number(event.room_id));
    if (!state?.loaded) return;
    state.rotationDue = false;
    if (!state.keys.has(event.key_id)) await this.refresh(state.roomId).catch(() => undefined);
  }

  /** e2e.room_state: the room's chain grew; verify the new entries (policy, members, keys). */
  async stateGrew(event) {
    const state = this.rooms.get(Number(event.room_id));
    if (!state?.loaded) return;
    await state.loaded.catch(() => undefined);
    if (state.entries.length >= Number(event.length)) return;
    await this.chain.load(state);
    this.emit("keys", { roomId: state.roomId });
  }

  async #sessionChanged() {
    // Keys became available (set up or unlocked): load what could not be opened before.
    if (!sessionWithKeys()) return;
    for (const state of this.rooms.values()) {
      if (state.loaded && !state.loadedWithKeys) await this.refresh(state.roomId).catch(() => undefined);
    }
  }
}
