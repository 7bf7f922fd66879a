// Who gets a room key, and how (no DOM): starting an encrypted group or DM and converting a
// room (first key, envelopes, attestations: one request each), rotating the key, and sealing
// keys to queued members after checking their membership attestation (PROTOCOL.md §10).

import {
  b64uDecode,
  generateRoomKey,
  sealEnvelope,
  signMembership,
  verifyMembership,
} from "../crypto/index.js";
import { getRoom } from "../chat/api.js";
import * as api from "./api.js";
import { emit, randomUid, requireKeys, sessionSettled, sessionWithKeys, sleep, yieldToPage } from "./rooms_state.js";

const SEAL_BATCH = 50; // envelopes sealed at once between progress reports
const SHARE_DELAY_MS = 1500; // holders wait 0..this before sealing, so not all of them do it

export class KeySharing {
  /** ``engine``: the RoomsEngine (room states, identities, memory of encrypted rooms). */
  constructor(engine) {
    this.engine = engine;
  }

  get me() {
    return String(this.engine.userId);
  }

  /** Seal ``roomKey`` to each of ``recipients`` (their pinned ``identities``), in batches
   * that keep the page responsive; report ``onProgress(done, total)``. */
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
            recipientDhPublicKey: b64uDecode(identities[recipientId].identity.x25519),
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

  /** Return the identities of ``others`` fit to seal to, plus this user's own. ``accept``:
   * a changed identity may be accepted under the "automatic" key-change policy (re-sharing);
   * a room's first key never goes to a changed identity. */
  async #recipients(others, session, { accept = true } = {}) {
    const identities = accept
      ? await this.engine.sealableIdentities(others)
      : Object.fromEntries(
          Object.entries(await this.engine.identities(others)).filter(([, item]) => item.status !== "changed"),
        );
    identities[this.engine.userId] = { identity: session.keys.publicIdentity, status: "same" };
    return { identities, recipients: [this.engine.userId, ...others.filter((id) => identities[id])] };
  }

  /** A room's first key: sealed to this user and to the ``others`` with keys (never to a
   * changed identity), and an attestation of each of the ``others``. */
  async #firstKey(roomUid, others, session, onProgress) {
    const key = generateRoomKey();
    const { identities, recipients } = await this.#recipients(others, session, { accept: false });
    const envelopes = await this.seal(roomUid, key, recipients, identities, session, onProgress);
    const attestations = await Promise.all(
      others.map(async (memberId) => ({
        member_id: memberId,
        attestation: await signMembership({
          roomId: roomUid,
          keyId: key.keyId,
          attesterId: this.me,
          memberId: String(memberId),
          signingKey: session.keys.signingKey,
        }),
      })),
    );
    return { key, fields: { key_id: key.keyId, envelopes, attestations } };
  }

  /** Remember a room this page just made encrypted, with its uid and first key. */
  async #adopt(room, key) {
    const roomId = Number(room.id);
    await this.engine.remember(roomId, {
      uid: String(room.uid),
      keySenders: { [key.keyId]: this.engine.userId },
    });
    const state = this.engine.state(roomId);
    state.uid = this.engine.known.get(roomId).uid;
    state.serverEncrypted = true;
    state.currentKeyId = key.keyId;
    state.adoptKey(key, { epoch: 1, holder: this.engine.userId });
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

  /** Turn on encryption for an existing room (its owner, or an admin member): the first key
   * sealed to the members with keys, and attestations of all other members. */
  async convert(roomId, { onProgress } = {}) {
    const session = requireKeys();
    const { room } = await getRoom(roomId);
    const others = (room.members || []).map((m) => Number(m.id)).filter((id) => id !== this.engine.userId);
    const { key, fields } = await this.#firstKey(String(room.uid), others, session, onProgress);
    const reply = await api.encryptRoom(room.id, fields);
    const state = await this.#adopt(room, key);
    state.members = new Set([this.engine.userId, ...others]);
    state.encryptedBy = this.engine.userId;
    state.loadedWithKeys = true;
    if (!state.loaded) state.loaded = Promise.resolve();
    emit("keys", { roomId: state.roomId });
    return reply;
  }

  /** Return {member id: lowest attested epoch} for the members whose membership a known key
   * holder signed (PROTOCOL.md §10): the attester is this user, someone who sealed this device
   * a key of that epoch, or the member who turned encryption on; the signature verifies
   * against the attester's PINNED key, for this room, this member and that key id. */
  async attestedMembers(state, attestations) {
    const me = this.engine.userId;
    const trusted = (row) =>
      Number(row.attester_id) === me ||
      state.isHolder(Number(row.attester_id), row.key_id) ||
      Number(row.attester_id) === state.encryptedBy;
    const rows = attestations.filter(trusted);
    const attesters = await this.engine.identities(rows.map((r) => r.attester_id));
    const session = sessionWithKeys();
    const ok = new Map();
    await Promise.all(
      rows.map(async (row) => {
        const attesterId = Number(row.attester_id);
        const signPublicKey =
          attesterId === me && session
            ? b64uDecode(session.keys.publicIdentity.ed25519)
            : attesters[attesterId]?.verified.signPublicKey;
        if (!signPublicKey) return;
        try {
          const { keyId } = await verifyMembership(row.attestation, {
            roomId: state.uid,
            attesterId: String(attesterId),
            memberId: String(row.member_id),
            attesterSignPublicKey: signPublicKey,
          });
          if (keyId !== row.key_id) return;
        } catch {
          return; // forged or moved: this row attests nobody
        }
        const member = Number(row.member_id);
        const epoch = Number(row.epoch) || 1;
        if (!ok.has(member) || ok.get(member) > epoch) ok.set(member, epoch);
      }),
    );
    // The member who turned encryption on needs no attestation if this device knows them as
    // a key holder.
    if (state.encryptedBy && state.isHolder(state.encryptedBy) && !ok.has(state.encryptedBy)) {
      ok.set(state.encryptedBy, 1);
    }
    return ok;
  }

  /** Rotate the room key (someone left): a new key sealed to the attested current members. */
  async rotate(roomId) {
    const session = requireKeys();
    const state = await this.engine.ensure(roomId);
    // The key this rotation replaces, read once: if another holder rotates meanwhile (its
    // e2e.key_rotated moves currentKeyId), the server answers already_rotated instead of
    // taking a second, needless rotation.
    const replaces = state.currentKeyId;
    const [{ room }, access] = await Promise.all([getRoom(roomId), api.getRoomAccess(roomId)]);
    state.members = new Set((room.members || []).map((m) => Number(m.id)));
    const attested = await this.attestedMembers(state, access.attestations);
    const others = [...state.members].filter((id) => id !== this.engine.userId && attested.has(id));
    const { identities, recipients } = await this.#recipients(others, session);
    const key = generateRoomKey();
    const envelopes = await this.seal(state.uid, key, recipients, identities, session);
    try {
      await api.rotateKey(roomId, { replaces_key_id: replaces, key_id: key.keyId, envelopes });
    } catch (error) {
      if (error.code !== "already_rotated") throw error;
      await this.engine.refresh(roomId); // someone else rotated first: use their key
      return;
    }
    const epoch = (state.epochs.get(replaces) || 0) + 1;
    state.adoptKey(key, { epoch, holder: this.engine.userId });
    await this.engine.remember(state.roomId, { keySenders: { [key.keyId]: this.engine.userId } });
    state.currentKeyId = key.keyId;
    state.rotationDue = false;
    emit("keys", { roomId: state.roomId });
  }

  // Queued members --------------------------------------------------------------------------

  /** e2e.key_needed: someone in the room set up (or reset) keys. */
  keyNeeded(event) {
    if (Number(event.user_id) === this.engine.userId) return;
    this.serveNeeds(event.room_id).catch(() => undefined);
  }

  /** If this device holds keys of the room, seal them to attested members who lack them,
   * after a random delay (another holder may do it first: the needs are fetched after it). */
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
        if (!state.serverEncrypted || !state.holdsAny()) return;
        if (delay) await sleep(Math.random() * SHARE_DELAY_MS);
        await this.#serve(state);
      } while (state.serveAgain);
    })().finally(() => {
      state.serving = null;
    });
    return state.serving;
  }

  async #serve(state) {
    const session = sessionWithKeys();
    if (!session) return;
    const access = await api.getRoomAccess(state.roomId);
    const needs = access.needs
      .filter((need) => Number(need.user_id) !== this.engine.userId)
      .map((need) => ({ userId: Number(need.user_id), keyIds: need.key_ids.filter((k) => state.keys.has(k)) }))
      .filter((need) => need.keyIds.length);
    if (!needs.length) return;
    // Never seal to a member without a valid attestation (attack 2).
    const attested = await this.attestedMembers(state, access.attestations);
    const eligible = needs.filter((need) => attested.has(need.userId));
    if (!eligible.length) return;
    const identities = await this.engine.sealableIdentities(eligible.map((n) => n.userId));
    const byKey = new Map();
    for (const need of eligible) {
      if (!identities[need.userId]) continue; // a changed key waits for a holder's confirmation
      const first = attested.get(need.userId);
      for (const keyId of need.keyIds) {
        const epoch = state.epochs.get(keyId) || 0;
        if (!state.shareHistory && epoch < first && keyId !== state.currentKeyId) continue;
        if (!byKey.has(keyId)) byKey.set(keyId, []);
        byKey.get(keyId).push(need.userId);
      }
    }
    if (!byKey.size) return;
    const shares = [];
    for (const [keyId, recipients] of byKey) {
      const key = { keyId, key: state.keys.get(keyId) };
      shares.push({ key_id: keyId, envelopes: await this.seal(state.uid, key, recipients, identities, session) });
    }
    await api.shareKeys(state.roomId, shares);
  }
}
