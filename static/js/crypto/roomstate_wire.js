/**
 * Room-state chain entries on the wire (docs/PROTOCOL.md §15.1-15.3): shape checks, the signed
 * bytes, the entry hash and signing. No chain rule lives here (roomstate.js has them).
 * Wire: {v: 1, index, prev, type, author, ts, signer, body, sig}; see §15.1 for the bodies
 * (`ts`: the author's time of signing, milliseconds since the epoch).
 * @module roomstate_wire
 */

import { b64uDecodeExact, b64uEncode } from "./base64url.js";
import { ed25519Sign, requireBytes, sha256 } from "./bytes.js";
import { canonical, isValidId, LABELS, u32, utf8, VERSION } from "./encoding.js";
import { KeyroomCryptoError, TamperedError, UnsupportedError } from "./errors.js";
import { requireId } from "./identity.js";
import { parseKeyId } from "./roomkeys.js";
import { checkExactKeys, isPlainObject } from "./shape.js";

/** The entry types of format version 1. */
export const ENTRY_TYPES = Object.freeze(["genesis", "member_added", "member_removed", "key", "policy", "identity"]);
/** Most members a genesis may list. */
export const MAX_GENESIS_MEMBERS = 10000;

const ENTRY_KEYS = Object.freeze(["v", "index", "prev", "type", "author", "ts", "signer", "body", "sig"]);
const MEMBER_KEYS = Object.freeze(["user", "ed25519", "x25519", "sig"]);
const BODY_KEYS = Object.freeze({
  genesis: Object.freeze(["key_id", "commit", "share_history", "members"]),
  member_added: MEMBER_KEYS,
  member_removed: Object.freeze(["user"]),
  key: Object.freeze(["epoch", "key_id", "commit", "proof"]),
  policy: Object.freeze(["share_history"]),
  identity: MEMBER_KEYS,
});
const EMPTY = new Uint8Array(0);
const U32_LIMIT = 2 ** 32;
// ts is milliseconds since the epoch; below 2^53 so both languages hold it exactly.
const TS_LIMIT = 2 ** 53;

/**
 * @typedef {{ed25519: string, x25519: string, sig: string}} IdentFields
 *   A member identity as it appears in a body (base64url, or three empty strings).
 * @typedef {IdentFields & {signPublicKey: Uint8Array, dhPublicKey: Uint8Array}} Ident
 *   A non-empty member identity with its decoded public keys.
 * @typedef {{user: string, ident: (Ident|null)}} MemberRef
 * @typedef {object} ParsedEntry
 * @property {number} index
 * @property {Uint8Array|null} prev null at index 0
 * @property {string} type
 * @property {string} author
 * @property {number} ts the author's time of signing (ms since the epoch)
 * @property {Uint8Array} signer 32 bytes
 * @property {any} body the decoded body (fields depend on the type)
 * @property {Uint8Array} sig 64 bytes
 */

const tampered = (what) => new TamperedError(`room state: ${what}`);

/**
 * Decode a body's member identity fields; return null for "no identity yet" (three empty
 * strings) unless `required`.
 * @param {Record<string, unknown>} obj
 * @param {boolean} required
 * @returns {Ident|null}
 */
function parseIdent(obj, required) {
  const { ed25519, x25519, sig } = obj;
  if (ed25519 === "" && x25519 === "" && sig === "") {
    if (required) throw tampered("an identity entry needs an identity");
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
  if (!isPlainObject(obj)) throw tampered("a member is not an object");
  checkExactKeys(obj, MEMBER_KEYS, TamperedError);
  if (!isValidId(obj.user)) throw tampered("invalid user id");
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
const isTs = (value) => Number.isInteger(value) && value >= 0 && value < TS_LIMIT;

/**
 * Return `n` (an integer, 0 <= n < 2^53) as 8 big-endian bytes, the encoding of `ts` (§15.2).
 * @param {number} n
 * @returns {Uint8Array}
 */
function u64(n) {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(n));
  return out;
}

/**
 * Decode and check one type's body.
 * @param {string} type
 * @param {unknown} body
 * @param {string} author a genesis must list its author (§15.1)
 */
function parseBody(type, body, author) {
  if (!isPlainObject(body)) throw tampered("body is not an object");
  checkExactKeys(body, BODY_KEYS[type], TamperedError);
  switch (type) {
    case "genesis": {
      const kid = parseKeyId(body.key_id, TamperedError);
      const commit = b64uDecodeExact(body.commit, 32, TamperedError);
      if (typeof body.share_history !== "boolean") throw tampered("share_history not a boolean");
      const list = body.members;
      if (!Array.isArray(list) || list.length < 1 || list.length > MAX_GENESIS_MEMBERS) {
        throw tampered(`members is not a list of 1 to ${MAX_GENESIS_MEMBERS}`);
      }
      const members = list.map((m) => parseMember(m, false));
      let previous = null;
      for (const m of members) {
        const bytes = utf8(m.user);
        if (previous && !bytesBefore(previous, bytes)) throw tampered("members not sorted");
        previous = bytes;
      }
      if (!members.some((m) => m.user === author)) throw tampered("the author is not a member");
      return { keyId: body.key_id, kid, commit, shareHistory: body.share_history, members };
    }
    case "member_added":
      return parseMember(body, false);
    case "identity":
      return parseMember(body, true);
    case "member_removed":
      if (!isValidId(body.user)) throw tampered("invalid user id");
      return { user: body.user };
    case "key":
      if (!isU32(body.epoch)) throw tampered("epoch is not a u32 integer");
      return {
        epoch: body.epoch,
        keyId: body.key_id,
        kid: parseKeyId(body.key_id, TamperedError),
        commit: b64uDecodeExact(body.commit, 32, TamperedError),
        proof: b64uDecodeExact(body.proof, 32, TamperedError),
      };
    case "policy":
      if (typeof body.share_history !== "boolean") throw tampered("share_history not a boolean");
      return { shareHistory: body.share_history };
    default:
      throw tampered("unknown type");
  }
}

/**
 * Check an untrusted entry's shape (§15.1 only: no order, signature or membership rule); return
 * its decoded fields. Throw UnsupportedError (version) or TamperedError (anything else).
 * @param {unknown} wire
 * @returns {ParsedEntry}
 */
export function checkEntryWire(wire) {
  if (!isPlainObject(wire)) throw tampered("entry is not an object");
  if (wire.v !== VERSION) throw new UnsupportedError("room state: unsupported version");
  checkExactKeys(wire, ENTRY_KEYS, TamperedError);
  if (!isU32(wire.index)) throw tampered("index is not a u32 integer");
  const prev = wire.prev === "" ? null : b64uDecodeExact(wire.prev, 32, TamperedError);
  const type = /** @type {string} */ (wire.type);
  if (!ENTRY_TYPES.includes(type)) throw tampered("unknown entry type");
  if (!isValidId(wire.author)) throw tampered("invalid author id");
  if (!isTs(wire.ts)) throw tampered("ts is not an integer from 0 to 2^53 - 1");
  return {
    index: wire.index,
    prev,
    type,
    author: wire.author,
    ts: wire.ts,
    signer: b64uDecodeExact(wire.signer, 32, TamperedError),
    body: parseBody(type, wire.body, wire.author),
    sig: b64uDecodeExact(wire.sig, 64, TamperedError),
  };
}

/** @param {Ident|null} ident */
const identFields = (ident) =>
  ident ? [ident.signPublicKey, ident.dhPublicKey, b64uDecodeExact(ident.sig, 64)] : [EMPTY, EMPTY, EMPTY];

/**
 * Return body_bytes (§15.2) of a parsed entry.
 * @param {ParsedEntry} e
 * @returns {Uint8Array}
 */
function bodyBytes({ type, body }) {
  const label = LABELS.roomStateBody + type;
  switch (type) {
    case "genesis": {
      const fields = [body.kid, body.commit, u32(+body.shareHistory), u32(body.members.length)];
      for (const m of body.members) fields.push(m.user, ...identFields(m.ident));
      return canonical(label, ...fields);
    }
    case "member_added":
    case "identity":
      return canonical(label, body.user, ...identFields(body.ident));
    case "member_removed":
      return canonical(label, body.user);
    case "key":
      return canonical(label, u32(body.epoch), body.kid, body.commit, body.proof);
    default:
      return canonical(label, u32(+body.shareHistory));
  }
}

/**
 * Return the signed bytes of a parsed entry (roomstate.js uses it so an entry is parsed once).
 * @param {string} roomId
 * @param {ParsedEntry} e
 * @returns {Uint8Array}
 */
export function _signedBytesOf(roomId, e) {
  return canonical(
    LABELS.roomState,
    u32(VERSION),
    roomId,
    u32(e.index),
    e.prev ?? EMPTY,
    e.type,
    e.author,
    u64(e.ts),
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
  requireId(roomId, "room id");
  return _signedBytesOf(roomId, checkEntryWire(wire));
}

/**
 * Return an entry's hash from its signed bytes and signature (§15.3).
 * @param {Uint8Array} signed
 * @param {Uint8Array} sig
 */
export const _hashOf = (signed, sig) => sha256(canonical(LABELS.roomStateHash, signed, sig));

/**
 * Return an entry's 32-byte hash (§15.3), the `prev` of the entry after it.
 * @param {string} roomId the room's uid
 * @param {unknown} wire
 * @returns {Promise<Uint8Array>}
 */
export async function entryHash(roomId, wire) {
  requireId(roomId, "room id");
  const e = checkEntryWire(wire);
  return _hashOf(_signedBytesOf(roomId, e), e.sig);
}

/**
 * Return the three identity strings a body carries for a §3 public identity, or three empty
 * strings for a member without keys (`null`). The identity is not verified here.
 * @param {{ed25519: string, x25519: string, sig: string}|null} publicIdentity
 * @returns {IdentFields}
 */
export function memberIdent(publicIdentity) {
  if (publicIdentity === null) return { ed25519: "", x25519: "", sig: "" };
  if (!isPlainObject(publicIdentity)) throw new TypeError("public identity must be an object");
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
 * @property {number} ts the time of signing by the author's clock (ms since the epoch)
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
export async function signEntry({ roomId, index, prev, type, author, ts, body, signingKey, signerPublicKey }) {
  requireId(roomId, "room id");
  requireBytes(signerPublicKey, 32, "signer public key");
  if (prev !== null) requireBytes(prev, 32, "prev");
  const wire = {
    v: VERSION,
    index,
    prev: prev === null ? "" : b64uEncode(prev),
    type,
    author,
    ts,
    signer: b64uEncode(signerPublicKey),
    body,
    sig: b64uEncode(new Uint8Array(64)),
  };
  let parsed;
  try {
    parsed = checkEntryWire(wire);
  } catch (e) {
    if (e instanceof KeyroomCryptoError) throw new TypeError(`bad entry: ${e.message}`, { cause: e });
    throw e;
  }
  const sig = await ed25519Sign(signingKey, _signedBytesOf(roomId, parsed));
  return { ...wire, sig: b64uEncode(sig) };
}
