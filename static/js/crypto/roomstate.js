/**
 * The signed room-state chain (docs/PROTOCOL.md §15): an append-only list of entries, each signed
 * by a member and hash-chained to the one before, from which every browser derives who is a
 * member of an encrypted room, with which identity, and which room key is current. This module
 * verifies a chain (§15.5); the wire format is in roomstate_wire.js, commitments and proofs in
 * roomstate_keys.js, and all three are exported from here.
 * @module roomstate
 */

import { bytesEqual, ed25519Verify, requireBytes } from "./bytes.js";
import { VERSION } from "./encoding.js";
import { BadChainError, BadSignatureError, KeyroomCryptoError, TamperedError } from "./errors.js";
import { requireId, verifyPublicIdentity } from "./identity.js";
import { ROOM_KEY_BYTES } from "./roomkeys.js";
import { keyProof } from "./roomstate_keys.js";
import { _hashOf, _signedBytesOf, checkEntryWire, memberIdent } from "./roomstate_wire.js";

export { keyCommitment, keyProof } from "./roomstate_keys.js";
export {
  ENTRY_TYPES,
  MAX_GENESIS_MEMBERS,
  checkEntryWire,
  entryHash,
  entrySignedBytes,
  memberIdent,
  signEntry,
} from "./roomstate_wire.js";

/**
 * @typedef {import('./roomstate_wire.js').Ident} Ident
 * @typedef {import('./roomstate_wire.js').MemberRef} MemberRef
 * @typedef {object} KeyRecord
 * @property {number} epoch
 * @property {Uint8Array} commit 32 bytes (§15.4)
 * @property {string} author who introduced the key
 * @property {number} index the entry that introduced it
 * @property {boolean} proven the proof was checked (or epoch 1)
 * @typedef {object} ChainState
 * @property {Map<string, Ident|null>} members current members → current identity
 * @property {Map<string, Ident[]>} identities every identity the chain recorded, oldest first
 * @property {Map<string, number>} joined the epoch current when each user was last added
 * @property {number} epoch the current epoch (0 before the genesis)
 * @property {string|null} currentKeyId
 * @property {Map<string, KeyRecord>} keys key id → record
 * @property {boolean} shareHistory
 * @property {string|null} starter the genesis author
 * @property {number} length number of entries applied
 * @property {Uint8Array|null} head hash of the last entry
 * @property {number|null} startedTs the genesis's ts: when its author says they signed it
 * @property {number|null} headTs the last entry's ts
 */

const tampered = (what) => new TamperedError(`room state: ${what}`);
const badChain = (what) => new BadChainError(`room state: ${what}`);

/**
 * How far (ms) an entry's ts may be earlier than the one before it (§15.5 step 2). Honest clocks
 * drift, so a little going back is allowed; a far-back time is refused, so a later entry cannot
 * claim to predate the entries before it (nor the room's genesis).
 */
export const TS_SKEW_MS = 10 * 60 * 1000;

/**
 * Return the state before any entry.
 * @returns {ChainState}
 */
function emptyChainState() {
  return {
    members: new Map(),
    identities: new Map(),
    joined: new Map(),
    epoch: 0,
    currentKeyId: null,
    keys: new Map(),
    shareHistory: false,
    starter: null,
    length: 0,
    head: null,
    startedTs: null,
    headTs: null,
  };
}

/**
 * Return an independent copy of a chain state: its maps, lists, key records and head are new;
 * identity objects are frozen and shared.
 * @param {ChainState} state
 * @returns {ChainState}
 */
export function copyChainState(state) {
  return {
    members: new Map(state.members),
    identities: new Map([...state.identities].map(([user, list]) => [user, [...list]])),
    joined: new Map(state.joined),
    epoch: state.epoch,
    currentKeyId: state.currentKeyId,
    keys: new Map([...state.keys].map(([kid, r]) => [kid, { ...r, commit: Uint8Array.from(r.commit) }])),
    shareHistory: state.shareHistory,
    starter: state.starter,
    length: state.length,
    head: state.head === null ? null : Uint8Array.from(state.head),
    startedTs: state.startedTs,
    headTs: state.headTs,
  };
}

const sameIdent = (a, b) =>
  a !== null && b !== null && a.ed25519 === b.ed25519 && a.x25519 === b.x25519 && a.sig === b.sig;

/**
 * Throw BadChainError unless every non-empty identity verifies as a §3 identity of its user.
 * Identities the chain already recorded for that user, or checked earlier in this call, are not
 * checked again; the rest are checked concurrently.
 * @param {ChainState} state
 * @param {MemberRef[]} refs
 * @param {Set<string>} checked keys of identities verified in this call
 */
async function verifyIdents(state, refs, checked) {
  const todo = [];
  for (const { user, ident } of refs) {
    if (ident === null) continue;
    const cacheKey = JSON.stringify([user, ident.ed25519, ident.x25519, ident.sig]);
    if (checked.has(cacheKey)) continue;
    if ((state.identities.get(user) ?? []).some((known) => sameIdent(known, ident))) continue;
    todo.push({ user, ident, cacheKey });
  }
  const results = await Promise.all(
    todo.map(({ user, ident }) =>
      verifyPublicIdentity({ v: VERSION, user, ...memberIdent(ident) }, user).then(
        () => true,
        (e) => {
          if (e instanceof KeyroomCryptoError) return false;
          throw e;
        },
      ),
    ),
  );
  const bad = results.indexOf(false);
  if (bad >= 0) throw badChain(`the identity of member ${todo[bad].user} does not verify`);
  for (const { cacheKey } of todo) checked.add(cacheKey);
}

/**
 * Record `ident` as `user`'s current identity and in their history (once).
 * @param {ChainState} state
 * @param {string} user
 * @param {Ident|null} ident
 */
function setMember(state, user, ident) {
  state.members.set(user, ident);
  if (ident === null) return;
  const list = state.identities.get(user) ?? [];
  if (!list.some((known) => sameIdent(known, ident))) list.push(ident);
  state.identities.set(user, list);
}

/**
 * Check one entry against `state` (§15.5, in order) and apply it.
 * @param {ChainState} state mutated
 * @param {unknown} wire
 * @param {string} roomId
 * @param {Map<string, Uint8Array>} keys
 * @param {Set<string>} checked
 */
async function applyEntry(state, wire, roomId, keys, checked) {
  // 1. shape
  const e = checkEntryWire(wire);
  const { type, author, body } = e;
  // 2. position and hash link
  if (e.index !== state.length) throw badChain(`entry ${e.index} at position ${state.length}`);
  if (state.length === 0 ? e.prev !== null : e.prev === null || !bytesEqual(e.prev, state.head)) {
    throw badChain(`entry ${e.index} does not follow the entry before it`);
  }
  if (state.length > 0 && e.ts < state.headTs - TS_SKEW_MS) {
    throw badChain(`entry ${e.index} claims a time too far before the entry before it`);
  }
  // 3. genesis at index 0 and only there
  if ((type === "genesis") !== (e.index === 0)) throw badChain("a genesis is the first entry");
  // 4. the author is a member with an identity, and signed with its recorded key
  let authorIdent;
  if (type === "genesis") {
    // checkEntryWire made sure the author is listed.
    authorIdent = body.members.find((m) => m.user === author).ident;
  } else {
    if (!state.members.has(author)) throw badChain(`author ${author} is not a member`);
    authorIdent = state.members.get(author);
  }
  if (authorIdent === null) throw badChain(`author ${author} has no identity`);
  if (!bytesEqual(e.signer, authorIdent.signPublicKey)) {
    throw badChain("the signer is not the author's recorded key");
  }
  // 5. signature
  const signed = _signedBytesOf(roomId, e);
  if (!(await ed25519Verify(e.signer, e.sig, signed))) {
    throw new BadSignatureError("room state: bad entry signature");
  }
  // 6. the type's rules
  if (type === "genesis") await verifyIdents(state, body.members, checked);
  else if (type === "member_added" || type === "identity") {
    await verifyIdents(state, [body], checked);
  }
  switch (type) {
    case "genesis":
      for (const m of body.members) {
        setMember(state, m.user, m.ident);
        state.joined.set(m.user, 1);
      }
      state.epoch = 1;
      state.currentKeyId = body.keyId;
      state.keys.set(body.keyId, { epoch: 1, commit: body.commit, author, index: 0, proven: true });
      state.shareHistory = body.shareHistory;
      state.starter = author;
      state.startedTs = e.ts;
      break;
    case "member_added":
      if (state.members.has(body.user)) throw badChain(`${body.user} is already a member`);
      setMember(state, body.user, body.ident);
      state.joined.set(body.user, state.epoch);
      break;
    case "member_removed":
      if (!state.members.has(body.user)) throw badChain(`${body.user} is not a member`);
      state.members.delete(body.user);
      break;
    case "key": {
      if (body.epoch !== state.epoch + 1) throw badChain(`key epoch ${body.epoch} out of order`);
      if (state.keys.has(body.keyId)) throw badChain("key id already used in this chain");
      const previousKey = keys.get(/** @type {string} */ (state.currentKeyId));
      const proven = previousKey !== undefined;
      if (proven) {
        const expected = await keyProof({
          roomId,
          epoch: body.epoch,
          previousKeyId: /** @type {string} */ (state.currentKeyId),
          previousKey,
          keyId: body.keyId,
          commit: body.commit,
          author,
        });
        if (!bytesEqual(expected, body.proof)) throw badChain("key proof does not match");
      }
      state.keys.set(body.keyId, {
        epoch: body.epoch,
        commit: body.commit,
        author,
        index: e.index,
        proven,
      });
      state.epoch = body.epoch;
      state.currentKeyId = body.keyId;
      break;
    }
    case "policy":
      state.shareHistory = body.shareHistory;
      break;
    case "identity": {
      if (body.user === author) throw badChain("a member cannot accept their own identity");
      if (!state.members.has(body.user)) throw badChain(`${body.user} is not a member`);
      const current = /** @type {Ident|null} */ (state.members.get(body.user));
      if (sameIdent(current, body.ident)) throw badChain("the identity is unchanged");
      setMember(state, body.user, body.ident);
      break;
    }
  }
  state.length += 1;
  state.head = await _hashOf(signed, e.sig);
  state.headTs = e.ts;
}

/**
 * @typedef {object} VerifyChainOptions
 * @property {string} roomId the room's uid
 * @property {Map<string, Uint8Array>} [keys] room keys the verifier holds (key id → 32 bytes),
 *   used to check proofs
 * @property {ChainState|null} [state] a state returned earlier: continue from (a copy of) it
 */

/**
 * Verify entries in order (§15.5), from the empty state or from `state` (never mutated; the
 * entries must then start at `state.length`); return the state after the last one.
 * Throw UnsupportedError / TamperedError (shape), BadChainError (order, author, rules) or
 * BadSignatureError (an entry's signature).
 * @param {unknown[]} entries
 * @param {VerifyChainOptions} options
 * @returns {Promise<ChainState>}
 */
export async function verifyChain(entries, { roomId, keys = new Map(), state = null }) {
  requireId(roomId, "room id");
  if (!(keys instanceof Map)) throw new TypeError("keys must be a Map");
  for (const key of keys.values()) requireBytes(key, ROOM_KEY_BYTES, "room key");
  if (!Array.isArray(entries)) throw tampered("entries are not a list");
  const current = state === null ? emptyChainState() : copyChainState(state);
  const checked = new Set();
  for (const wire of entries) await applyEntry(current, wire, roomId, keys, checked);
  return current;
}
