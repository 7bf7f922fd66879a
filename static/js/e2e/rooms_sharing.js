// Who gets a room key, and how (no DOM): starting an encrypted group or DM and converting a
// room (the chain's genesis, the first key and its envelopes: one request each), rotating the
// key (the departed recorded as removed, then a key entry proving the previous key), and
// sealing keys to members who lack them. Every recipient comes from the verified room-state
// chain (rooms_chain.js, PROTOCOL.md §15), never from the server's member list alone.

import { b64uDecode, generateRoomKey, sealEnvelope } from "../crypto/index.js";
import { getRoom } from "../chat/api.js";
import * as api from "./api.js";
import { sameIdent } from "./rooms_chain.js";
import { randomUid, requireKeys, sessionSettled, sessionWithKeys, sleep, yieldToPage } from "./rooms_state.js";

const SEAL_BATCH = 50; // envelopes sealed at once between progress reports
// Holders wait 0..this before sealing, so that not all of them do it (the needs are fetched after
// the wait; a second holder who seals anyway is harmless: the server keeps one envelope per key
// and recipient). Short, because the newcomer waits for it: within a second in all
// (bench/key_wait.py).
const SHARE_DELAY_MS = 300;

export class KeySharing {
  /** ``engine``: the RoomsEngine (room states, identities, memory of encrypted rooms). */
  constructor(engine) {
    this.engine = engine;
    this.passes = 0; // sharing passes finished on this page (a signal for tests and the UI)
  }

  get me() {
    return String(this.engine.userId);
  }

  /** Seal ``roomKey`` to each of ``recipients`` (``identities``: user id → public identity),
   * in batches that keep the page responsive; report ``onProgress(done, total)``. */
  async seal(roomUid, roomKey, recipients, identities, session, onProgress) {
    const envelopes = [];
    for (let i = 0; i < recipients.length; i += SEAL_BATCH) {
      const batch = recipients.slice(i, i + SEAL_BATCH);
      const sealed = await Promise.all(
        batch.map(async (recipientId) => ({
          recipient_id: recipientId,
          envelope: await sealEnvelope(roomKey.key, {
            roomId: roomUid,
            keyId: roomKey.keyId,
            senderId: this.me,
            recipientId: String(recipientId),
            recipientDhPublicKey: b64uDecode(identities[recipientId].x25519),
            signingKey: session.keys.signingKey,
          }),
        })),
      );
      envelopes.push(...sealed);
      onProgress?.(envelopes.length, recipients.length);
      if (i + SEAL_BATCH < recipients.length) await yieldToPage();
    }
    return envelopes;
  }

  /** Return the genesis members (user id → public identity, or null for people without keys
   * or whose identity changed since this device pinned it: a key holder confirms them later)
   * and the recipients of the first key (this user and everyone with an identity). */
  async #genesisMembers(others, session) {
    const found = await this.engine.identities(others);
    const members = new Map([[this.engine.userId, session.keys.publicIdentity]]);
    for (const id of others) {
      const item = found[id];
      members.set(id, item && item.status !== "changed" ? item.identity : null);
    }
    const identities = {};
    for (const [id, identity] of members) if (identity) identities[id] = identity;
    return { members, identities, recipients: [...members.keys()].filter((id) => identities[id]) };
  }

  /** A room's first key and genesis, sealed to the members who have keys. */
  async #firstKey(roomUid, others, session, onProgress) {
    const key = generateRoomKey();
    const { members, identities, recipients } = await this.#genesisMembers(others, session);
    const genesis = await this.engine.chain.genesis(roomUid, key, members, {}, session);
    const envelopes = await this.seal(roomUid, key, recipients, identities, session, onProgress);
    return { key, fields: { entries: [genesis], envelopes } };
  }

  /** Take a room this page just made encrypted: remember its uid, verify its chain, hold the
   * first key. */
  async #adopt(room, key) {
    const roomId = Number(room.id);
    await this.engine.remember(roomId, { uid: String(room.uid) });
    const state = this.engine.state(roomId);
    state.uid = this.engine.known.get(roomId).uid;
    state.serverEncrypted = true;
    state.keys.set(key.keyId, key.key);
    await this.engine.chain.load(state);
    return state;
  }

  /** Create an encrypted private group (one request). Return the server's reply {room, url}. */
  async startGroup({ name, topic, invite, onProgress }) {
    const session = requireKeys();
    const uid = randomUid();
    const others = [...new Set(invite.map(Number))].filter((id) => id !== this.engine.userId);
    const { key, fields } = await this.#firstKey(uid, others, session, onProgress);
    const reply = await api.createEncryptedRoom({ room_uid: uid, name, topic, invite: others, ...fields });
    await this.#adopt({ id: reply.room.id, uid }, key);
    return reply;
  }

  /** Open an encrypted DM (an existing DM is returned as it is). Return {room, url}. */
  async startDm(userId, { onProgress } = {}) {
    const session = requireKeys();
    const uid = randomUid();
    const { key, fields } = await this.#firstKey(uid, [Number(userId)], session, onProgress);
    const reply = await api.openEncryptedDm({ user_id: Number(userId), room_uid: uid, ...fields });
    if (reply.room.uid === uid) await this.#adopt(reply.room, key);
    else await this.engine.noteRoom(reply.room);
    return reply;
  }

  /** Turn on encryption for an existing room (its owner, or an admin member): its genesis
   * lists every member, and the first key is sealed to those with keys. */
  async convert(roomId, { onProgress } = {}) {
    const session = requireKeys();
    const { room } = await getRoom(roomId);
    const others = (room.members || []).map((m) => Number(m.id)).filter((id) => id !== this.engine.userId);
    const { key, fields } = await this.#firstKey(String(room.uid), others, session, onProgress);
    const reply = await api.encryptRoom(room.id, fields);
    const state = this.engine.state(Number(room.id));
    state.members = new Set([this.engine.userId, ...others]);
    await this.#adopt(room, key);
    state.loadedWithKeys = true;
    if (!state.loaded) state.loaded = Promise.resolve();
    this.engine.emit("keys", { roomId: state.roomId });
    return reply;
  }

  /** Rotate the room key: record who left (chain members the server no longer lists) and
   * make a new key proving the current one, sealed to the remaining chain members. */
  async rotate(roomId) {
    const session = requireKeys();
    const state = await this.engine.ensure(roomId);
    const { room } = await getRoom(roomId);
    state.members = new Set((room.members || []).map((m) => Number(m.id)));
    const key = generateRoomKey();
    let replaced = null;
    try {
      await this.engine.chain.append(state, session, async () => {
        // The key this rotation replaces: if another holder rotates meanwhile, the server
        // answers already_rotated instead of taking a second, needless rotation.
        replaced = state.currentKeyId;
        const departed = [...this.engine.chain.members(state)].filter((id) => !state.members.has(id));
        const items = departed.map((id) => ({ type: "member_removed", body: { user: String(id) } }));
        items.push({ type: "key", body: await this.engine.chain.keyBody(state, key) });
        const remaining = [...state.keyRecipients()].filter(
          (id) => !departed.includes(id) && id !== this.engine.userId,
        );
        const identities = await this.engine.sealableIdentities(state, remaining);
        const recipients = [this.engine.userId, ...remaining.filter((id) => identities[id])];
        const all = { ...identities, [this.engine.userId]: { identity: session.keys.publicIdentity } };
        const byId = Object.fromEntries(Object.entries(all).map(([id, item]) => [id, item.identity]));
        const envelopes = await this.seal(state.uid, key, recipients, byId, session);
        return {
          items,
          send: (entries) => api.rotateKey(roomId, { replaces_key_id: replaced, entries, envelopes }),
        };
      });
    } catch (error) {
      if (error.code !== "already_rotated") throw error;
      await this.engine.refresh(roomId); // someone else rotated first: use their key
      return;
    }
    state.keys.set(key.keyId, key.key);
    state.rotationDue = false;
    this.engine.emit("keys", { roomId: state.roomId });
  }

  // Members who lack keys ---------------------------------------------------------------------

  /** e2e.key_needed: someone in the room set up (or reset) keys. */
  keyNeeded(event) {
    if (Number(event.user_id) === this.engine.userId) return;
    this.serveNeeds(event.room_id).catch(() => undefined);
  }

  /** If this device holds keys of the room, seal them to chain members who lack them, after a
   * random delay (another holder may do it first: the needs are fetched after it). A member
   * whose chain identity is still empty (no keys when added) is vouched for first with an
   * ``identity`` entry, unless this device pinned someone else for them. */
  async serveNeeds(roomId, { delay = true } = {}) {
    await sessionSettled();
    if (!sessionWithKeys()) return undefined;
    const state = await this.engine.ensure(roomId);
    if (state.serving) {
      state.serveAgain = true;
      return state.serving;
    }
    state.serving = (async () => {
      do {
        state.serveAgain = false;
        if (!state.serverEncrypted || !state.holdsAny() || !state.chain) return;
        if (delay) await sleep(Math.random() * SHARE_DELAY_MS);
        await this.#serve(state);
      } while (state.serveAgain);
    })().finally(() => {
      state.serving = null;
      this.passes += 1;
      this.engine.emit("served", { roomId: state.roomId, passes: this.passes });
    });
    return state.serving;
  }

  async #serve(state) {
    const session = sessionWithKeys();
    if (!session) return;
    const access = await api.getRoomAccess(state.roomId);
    const allowed = state.keyRecipients();
    const needs = access.needs
      .map((need) => ({ userId: Number(need.user_id), keyIds: need.key_ids.filter((k) => state.keys.has(k)) }))
      .filter((need) => need.userId !== this.engine.userId && allowed.has(need.userId) && need.keyIds.length);
    if (!needs.length) return;
    await this.engine.chain.append(state, session, async () => {
      const found = await this.engine.identities(needs.map((n) => n.userId));
      const items = [];
      const identities = {};
      for (const need of needs) {
        const item = found[need.userId];
        const ident = state.chain.members.get(String(need.userId));
        if (!item || item.status === "changed") continue; // a changed key waits for a person's click
        if (ident === null) {
          // Their first identity: this holder vouches for it (trust on first use).
          items.push({ type: "identity", body: { user: String(need.userId), ...identBody(item.identity) } });
        } else if (!sameIdent(ident, item.identity)) {
          continue; // the chain has another identity for them: key_change_ui.js asks a person
        }
        identities[need.userId] = item.identity;
      }
      const shares = this.#plan(state, needs, identities);
      if (!shares.size) return null;
      const sealed = [];
      for (const [keyId, recipients] of shares) {
        const key = { keyId, key: state.keys.get(keyId) };
        sealed.push({ key_id: keyId, envelopes: await this.seal(state.uid, key, recipients, identities, session) });
      }
      return { items, send: (entries) => api.shareKeys(state.roomId, sealed, entries) };
    });
  }

  /** Map key id → recipients for the ``needs`` that may have it (history policy). */
  #plan(state, needs, identities) {
    const byKey = new Map();
    for (const need of needs) {
      if (!identities[need.userId]) continue;
      const joined = state.chain.joined.get(String(need.userId)) || 1;
      for (const keyId of need.keyIds) {
        if (!state.shareHistory && state.epochOf(keyId) < joined) continue;
        if (!byKey.has(keyId)) byKey.set(keyId, []);
        byKey.get(keyId).push(need.userId);
      }
    }
    return byKey;
  }

  /** A person here accepted ``userId``'s new identity (key_change_ui.js): vouch for it in the
   * room's chain and seal them the keys they lack. */
  async vouchAndShare(roomId, userId, identity) {
    const session = requireKeys();
    const state = await this.engine.ensure(roomId);
    if (!state.chain || !state.keyRecipients().has(Number(userId))) return;
    await this.engine.chain.append(state, session, async () => {
      const ident = state.chain.members.get(String(userId));
      const items = sameIdent(ident, identity)
        ? []
        : [{ type: "identity", body: { user: String(userId), ...identBody(identity) } }];
      const identities = { [userId]: identity };
      const keyIds = [...state.keys.keys()];
      const shares = this.#plan(state, [{ userId: Number(userId), keyIds }], identities);
      const sealed = [];
      for (const [keyId, recipients] of shares) {
        sealed.push({
          key_id: keyId,
          envelopes: await this.seal(state.uid, { keyId, key: state.keys.get(keyId) }, recipients, identities, session),
        });
      }
      if (!items.length && !sealed.length) return null;
      return { items, send: (entries) => api.shareKeys(state.roomId, sealed, entries) };
    });
  }
}

/** The identity fields of a chain body from a §3 public identity. */
export function identBody(identity) {
  return { ed25519: identity.ed25519, x25519: identity.x25519, sig: identity.sig };
}
