/**
 * The one canonical encoding for every signature, KDF and associated-data input:
 *
 *   canonical(label, f1, ..., fn) = u32be(len(L)) || L || u32be(len(f1)) || f1 || ... || fn
 *
 * where L is the UTF-8 domain label and each field is a byte string (strings are UTF-8, integers
 * are first turned into 4 bytes by `u32`). Each label has a fixed field list (docs/PROTOCOL.md).
 * @module encoding
 */

/** Domain labels, one per purpose. */
export const LABELS = Object.freeze({
  identity: "keyroom/v1/identity-x25519",
  fingerprint: "keyroom/v1/fingerprint",
  backup: "keyroom/v1/backup",
  envelopeSalt: "keyroom/v1/envelope-salt",
  envelopeKdf: "keyroom/v1/envelope-kdf",
  envelopeAd: "keyroom/v1/envelope-ad",
  envelope: "keyroom/v1/envelope",
  messageAd: "keyroom/v1/message-ad",
  message: "keyroom/v1/message",
  membership: "keyroom/v1/membership",
  trustRecordKdf: "keyroom/v1/trust-record-kdf",
  trustRecordAd: "keyroom/v1/trust-record-ad",
  trustRecord: "keyroom/v1/trust-record",
  roomState: "keyroom/v1/room-state",
  roomStateHash: "keyroom/v1/room-state-hash",
  // A prefix: each entry type's body is encoded under `keyroom/v1/room-state/<type>`.
  roomStateBody: "keyroom/v1/room-state/",
  keyCommitKdf: "keyroom/v1/key-commit-kdf",
  keyCommit: "keyroom/v1/key-commit",
  keyProofKdf: "keyroom/v1/key-proof-kdf",
  keyProof: "keyroom/v1/key-proof",
});

/** The only wire format version. */
export const VERSION = 1;

const encoder = new TextEncoder();

/**
 * Return the UTF-8 bytes of a well-formed string (no lone surrogates).
 * @param {string} text
 * @returns {Uint8Array}
 */
export function utf8(text) {
  if (typeof text !== "string") throw new TypeError("expected a string");
  if (!text.isWellFormed()) throw new TypeError("string has lone surrogates");
  return encoder.encode(text);
}

/**
 * Return `n` as 4 big-endian bytes.
 * @param {number} n an integer in [0, 2^32)
 * @returns {Uint8Array}
 */
export function u32(n) {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError("u32 out of range");
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n, false);
  return out;
}

/**
 * Return the canonical encoding of a domain label and its fields.
 * @param {string} label
 * @param {...(string|Uint8Array)} fields
 * @returns {Uint8Array}
 */
export function canonical(label, ...fields) {
  const parts = [utf8(label)];
  for (const field of fields) {
    if (typeof field === "string") parts.push(utf8(field));
    else if (field instanceof Uint8Array) parts.push(field);
    else throw new TypeError("canonical fields are strings or Uint8Arrays");
  }
  const total = parts.reduce((sum, p) => sum + 4 + p.length, 0);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  let offset = 0;
  for (const part of parts) {
    view.setUint32(offset, part.length, false);
    out.set(part, offset + 4);
    offset += 4 + part.length;
  }
  return out;
}

/** Longest accepted room/user id, in UTF-8 bytes. */
export const MAX_ID_BYTES = 256;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Return whether `value` is a usable room/user id: a non-empty well-formed string of at most
 * MAX_ID_BYTES UTF-8 bytes.
 * @param {unknown} value
 * @returns {value is string}
 */
export function isValidId(value) {
  if (typeof value !== "string" || value.length === 0 || !value.isWellFormed()) return false;
  return encoder.encode(value).length <= MAX_ID_BYTES;
}

/**
 * Return whether `value` is a message id: a lowercase canonical UUID string.
 * @param {unknown} value
 * @returns {value is string}
 */
export function isValidMessageId(value) {
  return typeof value === "string" && UUID_RE.test(value);
}
