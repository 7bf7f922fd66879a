/**
 * The signed room-state chain (docs/PROTOCOL.md §15): an append-only list of entries, each signed
 * by a member and hash-chained to the one before, from which every browser derives who is a
 * member of an encrypted room, with which identity, and which room key is current.
 * Wire: {v: 1, index, prev, type, author, signer, body, sig}; see §15.1 for the bodies.
 * @module roomstate
 */

import { b64uDecodeExact, b64uEncode } from './base64url.js';
import {
  bytesEqual,
  ed25519Sign,
  ed25519Verify,
  hkdfSha256,
  hmacSha256,
  requireBytes,
  sha256,
} from './bytes.js';
import { canonical, isValidId, LABELS, u32, utf8, VERSION } from './encoding.js';
import {
  BadChainError,
  BadSignatureError,
  KeyroomCryptoError,
  TamperedError,
  UnsupportedError,
} from './errors.js';
import { requireId, verifyPublicIdentity } from './identity.js';
import { parseKeyId, ROOM_KEY_BYTES } from './roomkeys.js';
import { checkExactKeys, isPlainObject } from './shape.js';

/** The entry types of format version 1. */
export const ENTRY_TYPES = Object.freeze([
  'genesis',
  'member_added',
  'member_removed',
  'key',
  'policy',
  'identity',
]);
/** Most members a genesis may list. */
export const MAX_GENESIS_MEMBERS = 10000;

const ENTRY_KEYS = Object.freeze(['v', 'index', 'prev', 'type', 'author', 'signer', 'body', 'sig']);
const MEMBER_KEYS = Object.freeze(['user', 'ed25519', 'x25519', 'sig']);
const BODY_KEYS = Object.freeze({
  genesis: Object.freeze(['key_id', 'commit', 'share_history', 'members']),
  member_added: MEMBER_KEYS,
  member_removed: Object.freeze(['user']),
  key: Object.freeze(['epoch', 'key_id', 'commit', 'proof']),
  policy: Object.freeze(['share_history']),
  identity: MEMBER_KEYS,
});
const EMPTY = new Uint8Array(0);
const ZERO_SALT = new Uint8Array(32);
const U32_LIMIT = 2 ** 32;

/**
 * @typedef {{ed25519: string, x25519: string, sig: string}} IdentFields
 *   A member identity as it appears in a body (base64url, or three empty strings).
 * @typedef {IdentFields & {signPublicKey: Uint8Array, dhPublicKey: Uint8Array}} Ident
 *   A non-empty member identity with its decoded public keys.
 * @typedef {{user: string, ident: (Ident|null)}} MemberRef
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
 * @typedef {object} ParsedEntry
 * @property {number} index
 * @property {Uint8Array|null} prev null at index 0
 * @property {string} type
 * @property {string} author
 * @property {Uint8Array} signer 32 bytes
 * @property {any} body the decoded body (fields depend on the type)
 * @property {Uint8Array} sig 64 bytes
 */

const tampered = (what) => new TamperedError(`room state: ${what}`);
const badChain = (what) => new BadChainError(`room state: ${what}`);

/**
 * Decode a body's member identity fields; return null for "no identity yet" (three empty
 * strings) unless `required`.
 * @param {Record<string, unknown>} obj
 * @param {boolean} required
 * @returns {Ident|null}
 */
function parseIdent(obj, required) {
  const { ed25519, x25519, sig } = obj;
  if (ed25519 === '' && x25519 === '' && sig === '') {
    if (required) throw tampered('an identity entry needs an identity');
    return null;
  }
  const signPublicKey = b64uDecodeExact(ed25519, 32, TamperedError);
  const dhPublicKey = b64uDecodeExact(x25519, 32, TamperedError);
  b64uDecodeExact(sig, 64, TamperedError);
  return Object.freeze({
    ed25519: /** @type {string} */ (ed25519),
    x25519: /** @type {string} */ (x25519),
    sig: /** @type {string} */ (sig),
    signPublicKey,
    dhPublicKey,
  });
}

/**
 * Decode a `{user, ed25519, x25519, sig}` object.
 * @param {unknown} obj
 * @param {boolean} required an identity must be present
 * @returns {MemberRef}
 */
function parseMember(obj, required) {
  if (!isPlainObject(obj)) throw tampered('a member is not an object');
  checkExactKeys(obj, MEMBER_KEYS, TamperedError);
  if (!isValidId(obj.user)) throw tampered('invalid user id');
  return { user: obj.user, ident: parseIdent(obj, required) };
}

/**
 * Return whether `a` sorts strictly before `b` by their bytes.
 * @param {Uint8Array} a
 * @param {Uint8Array} b
 */
function bytesBefore(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] < b[i];
  return a.length < b.length;
}

const isU32 = (value) => Number.isInteger(value) && value >= 0 && value < U32_LIMIT;

/**
 * Decode and check one type's body.
 * @param {string} type
 * @param {unknown} body
 * @param {string} author a genesis must list its author (§15.1)
 */
function parseBody(type, body, author) {
  if (!isPlainObject(body)) throw tampered('body is not an object');
  checkExactKeys(body, BODY_KEYS[type], TamperedError);
  switch (type) {
    case 'genesis': {
      const kid = parseKeyId(body.key_id, TamperedError);
      const commit = b64uDecodeExact(body.commit, 32, TamperedError);
      if (typeof body.share_history !== 'boolean') throw tampered('share_history not a boolean');
      const list = body.members;
      if (!Array.isArray(list) || list.length < 1 || list.length > MAX_GENESIS_MEMBERS) {
        throw tampered(`members is not a list of 1 to ${MAX_GENESIS_MEMBERS}`);
      }
      const members = list.map((m) => parseMember(m, false));
      let previous = null;
      for (const m of members) {
        const bytes = utf8(m.user);
        if (previous && !bytesBefore(previous, bytes)) throw tampered('members not sorted');
        previous = bytes;
      }
      if (!members.some((m) => m.user === author)) throw tampered('the author is not a member');
      return { keyId: body.key_id, kid, commit, shareHistory: body.share_history, members };
    }
    case 'member_added':
      return parseMember(body, false);
    case 'identity':
      return parseMember(body, true);
    case 'member_removed':
      if (!isValidId(body.user)) throw tampered('invalid user id');
      return { user: body.user };
    case 'key':
      if (!isU32(body.epoch)) throw tampered('epoch is not a u32 integer');
      return {
        epoch: body.epoch,
        keyId: body.key_id,
        kid: parseKeyId(body.key_id, TamperedError),
        commit: b64uDecodeExact(body.commit, 32, TamperedError),
        proof: b64uDecodeExact(body.proof, 32, TamperedError),
      };
    case 'policy':
      if (typeof body.share_history !== 'boolean') throw tampered('share_history not a boolean');
      return { shareHistory: body.share_history };
    default:
      throw tampered('unknown type');
  }
}

/**
 * Check an untrusted entry's shape (§15.1 only: no order, signature or membership rule); return
 * its decoded fields. Throw UnsupportedError (version) or TamperedError (anything else).
 * @param {unknown} wire
 * @returns {ParsedEntry}
 */
export function checkEntryWire(wire) {
  if (!isPlainObject(wire)) throw tampered('entry is not an object');
  if (wire.v !== VERSION) throw new UnsupportedError('room state: unsupported version');
  checkExactKeys(wire, ENTRY_KEYS, TamperedError);
  if (!isU32(wire.index)) throw tampered('index is not a u32 integer');
  const prev = wire.prev === '' ? null : b64uDecodeExact(wire.prev, 32, TamperedError);
  const type = /** @type {string} */ (wire.type);
  if (!ENTRY_TYPES.includes(type)) throw tampered('unknown entry type');
  if (!isValidId(wire.author)) throw tampered('invalid author id');
  return {
    index: wire.index,
    prev,
    type,
    author: wire.author,
    signer: b64uDecodeExact(wire.signer, 32, TamperedError),
    body: parseBody(type, wire.body, wire.author),
    sig: b64uDecodeExact(wire.sig, 64, TamperedError),
  };
}

/** @param {Ident|null} ident */
const identFields = (ident) =>
  ident
    ? [ident.signPublicKey, ident.dhPublicKey, b64uDecodeExact(ident.sig, 64)]
    : [EMPTY, EMPTY, EMPTY];

/**
 * Return body_bytes (§15.2) of a parsed entry.
 * @param {ParsedEntry} e
 * @returns {Uint8Array}
 */
function bodyBytes({ type, body }) {
  const label = LABELS.roomStateBody + type;
  switch (type) {
    case 'genesis': {
      const fields = [body.kid, body.commit, u32(+body.shareHistory), u32(body.members.length)];
      for (const m of body.members) fields.push(m.user, ...identFields(m.ident));
      return canonical(label, ...fields);
    }
    case 'member_added':
    case 'identity':
      return canonical(label, body.user, ...identFields(body.ident));
    case 'member_removed':
      return canonical(label, body.user);
    case 'key':
      return canonical(label, u32(body.epoch), body.kid, body.commit, body.proof);
    default:
      return canonical(label, u32(+body.shareHistory));
  }
}

/**
 * Return the signed bytes of a parsed entry.
 * @param {string} roomId
 * @param {ParsedEntry} e
 * @returns {Uint8Array}
 */
function signedBytesOf(roomId, e) {
  return canonical(
    LABELS.roomState,
    u32(VERSION),
    roomId,
    u32(e.index),
    e.prev ?? EMPTY,
    e.type,
    e.author,
    e.signer,
    bodyBytes(e),
  );
}

/**
 * Return the bytes an entry's `sig` covers (§15.2). Throw as checkEntryWire on a bad shape.
 * @param {string} roomId the room's uid
 * @param {unknown} wire
 * @returns {Uint8Array}
 */
export function entrySignedBytes(roomId, wire) {
  requireId(roomId, 'room id');
  return signedBytesOf(roomId, checkEntryWire(wire));
}

/**
 * Return the hash of a parsed entry from its signed bytes (§15.3).
 * @param {Uint8Array} signed
 * @param {Uint8Array} sig
 */
const hashOf = (signed, sig) => sha256(canonical(LABELS.roomStateHash, signed, sig));

/**
 * Return an entry's 32-byte hash (§15.3), the `prev` of the entry after it.
 * @param {string} roomId the room's uid
 * @param {unknown} wire
 * @returns {Promise<Uint8Array>}
 */
export async function entryHash(roomId, wire) {
  requireId(roomId, 'room id');
  const e = checkEntryWire(wire);
  return hashOf(signedBytesOf(roomId, e), e.sig);
}

/**
 * Return the three identity strings a body carries for a §3 public identity, or three empty
 * strings for a member without keys (`null`). The identity is not verified here.
 * @param {{ed25519: string, x25519: string, sig: string}|null} publicIdentity
 * @returns {IdentFields}
 */
export function memberIdent(publicIdentity) {
  if (publicIdentity === null) return { ed25519: '', x25519: '', sig: '' };
  if (!isPlainObject(publicIdentity)) throw new TypeError('public identity must be an object');
  const { ed25519, x25519, sig } = publicIdentity;
  return { ed25519, x25519, sig };
}

/**
 * @typedef {object} SignEntryOptions
 * @property {string} roomId the room's uid
 * @property {number} index the entry's position
 * @property {Uint8Array|null} prev the hash of entry `index - 1`, null at index 0
 * @property {string} type one of ENTRY_TYPES
 * @property {string} author the signer's user id
 * @property {object} body the type's body, in wire form (§15.1)
 * @property {CryptoKey} signingKey the author's Ed25519 private key
 * @property {Uint8Array} signerPublicKey the 32-byte public key of `signingKey`
 */

/**
 * Sign a chain entry; return its wire form. Throw TypeError if the fields do not make a
 * well-shaped entry (this checks shape only, not whether the chain would accept it).
 * @param {SignEntryOptions} options
 * @returns {Promise<object>}
 */
export async function signEntry({
  roomId,
  index,
  prev,
  type,
  author,
  body,
  signingKey,
  signerPublicKey,
}) {
  requireId(roomId, 'room id');
  requireBytes(signerPublicKey, 32, 'signer public key');
  if (prev !== null) requireBytes(prev, 32, 'prev');
  const wire = {
    v: VERSION,
    index,
    prev: prev === null ? '' : b64uEncode(prev),
    type,
    author,
    signer: b64uEncode(signerPublicKey),
    body,
    sig: b64uEncode(new Uint8Array(64)),
  };
  let parsed;
  try {
    parsed = checkEntryWire(wire);
  } catch (e) {
    if (e instanceof KeyroomCryptoError) throw new TypeError(`bad entry: ${e.message}`);
    throw e;
  }
  const sig = await ed25519Sign(signingKey, signedBytesOf(roomId, parsed));
  return { ...wire, sig: b64uEncode(sig) };
}

/**
 * Return the 32-byte commitment to room key `key` of `keyId` (§15.4).
 * @param {{roomId: string, keyId: string, key: Uint8Array}} options
 * @returns {Promise<Uint8Array>}
 */
export async function keyCommitment({ roomId, keyId, key }) {
  requireId(roomId, 'room id');
  requireBytes(key, ROOM_KEY_BYTES, 'room key');
  const kid = parseKeyId(keyId);
  const info = canonical(LABELS.keyCommitKdf, u32(VERSION), roomId, kid);
  const commitKey = await hkdfSha256(key, ZERO_SALT, info);
  try {
    return await hmacSha256(commitKey, canonical(LABELS.keyCommit, u32(VERSION), roomId, kid));
  } finally {
    commitKey.fill(0);
  }
}

/**
 * @typedef {object} KeyProofOptions
 * @property {string} roomId the room's uid
 * @property {number} epoch the new key's epoch
 * @property {string} previousKeyId key id of epoch - 1
 * @property {Uint8Array} previousKey the room key of epoch - 1
 * @property {string} keyId the new key's id
 * @property {Uint8Array} commit the new key's commitment
 * @property {string} author who introduces the new key
 */

/**
 * Return the 32-byte proof that `author` held the previous epoch's key (§15.4).
 * @param {KeyProofOptions} options
 * @returns {Promise<Uint8Array>}
 */
export async function keyProof({
  roomId,
  epoch,
  previousKeyId,
  previousKey,
  keyId,
  commit,
  author,
}) {
  requireId(roomId, 'room id');
  requireId(author, 'author id');
  requireBytes(previousKey, ROOM_KEY_BYTES, 'previous room key');
  requireBytes(commit, 32, 'commit');
  const previousKid = parseKeyId(previousKeyId);
  const kid = parseKeyId(keyId);
  const info = canonical(LABELS.keyProofKdf, u32(VERSION), roomId, previousKid);
  const proofKey = await hkdfSha256(previousKey, ZERO_SALT, info);
  const data = canonical(
    LABELS.keyProof,
    u32(VERSION),
    roomId,
    u32(epoch),
    previousKid,
    kid,
    commit,
    author,
  );
  try {
    return await hmacSha256(proofKey, data);
  } finally {
    proofKey.fill(0);
  }
}

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
    keys: new Map(
      [...state.keys].map(([kid, r]) => [kid, { ...r, commit: Uint8Array.from(r.commit) }]),
    ),
    shareHistory: state.shareHistory,
    starter: state.starter,
    length: state.length,
    head: state.head === null ? null : Uint8Array.from(state.head),
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
  // 3. genesis at index 0 and only there
  if ((type === 'genesis') !== (e.index === 0)) throw badChain('a genesis is the first entry');
  // 4. the author is a member with an identity, and signed with its recorded key
  let authorIdent;
  if (type === 'genesis') {
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
  const signed = signedBytesOf(roomId, e);
  if (!(await ed25519Verify(e.signer, e.sig, signed))) {
    throw new BadSignatureError('room state: bad entry signature');
  }
  // 6. the type's rules
  if (type === 'genesis') await verifyIdents(state, body.members, checked);
  else if (type === 'member_added' || type === 'identity') {
    await verifyIdents(state, [body], checked);
  }
  switch (type) {
    case 'genesis':
      for (const m of body.members) {
        setMember(state, m.user, m.ident);
        state.joined.set(m.user, 1);
      }
      state.epoch = 1;
      state.currentKeyId = body.keyId;
      state.keys.set(body.keyId, { epoch: 1, commit: body.commit, author, index: 0, proven: true });
      state.shareHistory = body.shareHistory;
      state.starter = author;
      break;
    case 'member_added':
      if (state.members.has(body.user)) throw badChain(`${body.user} is already a member`);
      setMember(state, body.user, body.ident);
      state.joined.set(body.user, state.epoch);
      break;
    case 'member_removed':
      if (!state.members.has(body.user)) throw badChain(`${body.user} is not a member`);
      state.members.delete(body.user);
      break;
    case 'key': {
      if (body.epoch !== state.epoch + 1) throw badChain(`key epoch ${body.epoch} out of order`);
      if (state.keys.has(body.keyId)) throw badChain('key id already used in this chain');
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
        if (!bytesEqual(expected, body.proof)) throw badChain('key proof does not match');
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
    case 'policy':
      state.shareHistory = body.shareHistory;
      break;
    case 'identity': {
      if (body.user === author) throw badChain('a member cannot accept their own identity');
      if (!state.members.has(body.user)) throw badChain(`${body.user} is not a member`);
      const current = /** @type {Ident|null} */ (state.members.get(body.user));
      if (sameIdent(current, body.ident)) throw badChain('the identity is unchanged');
      setMember(state, body.user, body.ident);
      break;
    }
  }
  state.length += 1;
  state.head = await hashOf(signed, e.sig);
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
  requireId(roomId, 'room id');
  if (!(keys instanceof Map)) throw new TypeError('keys must be a Map');
  for (const key of keys.values()) requireBytes(key, ROOM_KEY_BYTES, 'room key');
  if (!Array.isArray(entries)) throw tampered('entries are not a list');
  const current = state === null ? emptyChainState() : copyChainState(state);
  const checked = new Set();
  for (const wire of entries) await applyEntry(current, wire, roomId, keys, checked);
  return current;
}
