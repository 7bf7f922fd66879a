/**
 * Trust records (docs/PROTOCOL.md §16): a user's trust state (pins with every identity
 * generation, verified marks, rooms known as encrypted) encrypted to and signed by the user's
 * own identity, so it can be stored on the server and follow the user to new devices.
 * Wire: {v: 1, version, iv, ct, sig} (base64url); the user id comes from context.
 *   key = HKDF-SHA256(X25519(own x25519 private, own x25519 public),
 *                     salt = own x25519 public, info = canonical(kdf label, u32(1), user))
 *   ct  = AES-256-GCM(key, iv, canonicalJson(state), ad = canonical(ad label, u32(1), user,
 *                     u32(version)))
 *   sig = Ed25519(canonical(record label, u32(1), user, u32(version), iv, ct))
 * @module trustrecord
 */

import { b64uDecodeAs, b64uDecodeExact, b64uEncode } from "./base64url.js";
import {
  aesGcmDecrypt,
  aesGcmEncrypt,
  ed25519Sign,
  ed25519Verify,
  hkdfSha256,
  randomBytes,
  requireBytes,
  x25519,
} from "./bytes.js";
import { canonical, isValidId, LABELS, u32, utf8, VERSION } from "./encoding.js";
import { BadSignatureError, RollbackError, TamperedError, UnsupportedError } from "./errors.js";
import { requireId } from "./identity.js";
import { checkExactKeys, isPlainObject } from "./shape.js";

const WIRE_KEYS = Object.freeze(["v", "version", "iv", "ct", "sig"]);
const STATE_KEYS = Object.freeze(["v", "user", "pins", "rooms"]);
/** Largest accepted plaintext (canonical JSON of the trust state), in bytes. */
export const MAX_TRUST_STATE_BYTES = 512 * 1024;
/** Largest record version counter (a u32). */
export const MAX_TRUST_VERSION = 0xffffffff;

/**
 * @typedef {{v: 1, version: number, iv: string, ct: string, sig: string}} TrustRecordWire
 * @typedef {{v: 1, user: string, pins: object[], rooms: object[]}} TrustState
 */

/**
 * Return the canonical JSON of `value`: object keys sorted, no whitespace, integers only.
 * Throw TypeError for anything JSON cannot carry exactly (floats, undefined, functions).
 * @param {unknown} value
 * @returns {string}
 */
export function canonicalJson(value) {
  if (value === null || typeof value === "boolean") return JSON.stringify(value);
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) throw new TypeError("canonical JSON numbers are integers");
    return JSON.stringify(value);
  }
  if (typeof value === "string") {
    if (!value.isWellFormed()) throw new TypeError("string has lone surrogates");
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (isPlainObject(value)) {
    // Keys here are ASCII field names or decimal ids, so UTF-16 order equals code point order.
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(",")}}`;
  }
  throw new TypeError("canonical JSON cannot encode this value");
}

/** @param {unknown} n */
function isVersion(n) {
  return Number.isInteger(n) && /** @type {number} */ (n) >= 1 && /** @type {number} */ (n) <= MAX_TRUST_VERSION;
}

/**
 * Return the associated data binding a record to its user and version counter.
 * @param {string} userId
 * @param {number} version
 */
export function _trustRecordAd(userId, version) {
  return canonical(LABELS.trustRecordAd, u32(VERSION), userId, u32(version));
}

/**
 * Return the bytes the identity signs.
 * @param {string} userId
 * @param {number} version
 * @param {Uint8Array} iv
 * @param {Uint8Array} ct
 */
export function _trustRecordSignedBytes(userId, version, iv, ct) {
  return canonical(LABELS.trustRecord, u32(VERSION), userId, u32(version), iv, ct);
}

/**
 * Return the 32-byte record key, derived from the user's own X25519 key pair only.
 * @param {CryptoKey} agreementKey own X25519 private key (may be non-extractable)
 * @param {Uint8Array} dhPublicKey own X25519 public key
 * @param {string} userId
 * @returns {Promise<Uint8Array>}
 */
export async function _trustRecordKey(agreementKey, dhPublicKey, userId) {
  requireBytes(dhPublicKey, 32, "X25519 public key");
  const shared = await x25519(agreementKey, dhPublicKey);
  return hkdfSha256(shared, dhPublicKey, canonical(LABELS.trustRecordKdf, u32(VERSION), userId));
}

/**
 * Throw TamperedError unless `state` is a trust state object of `userId`.
 * @param {unknown} state
 * @param {string} userId
 * @returns {TrustState}
 */
function checkState(state, userId) {
  if (!isPlainObject(state)) throw new TamperedError("trust record: state is not an object");
  checkExactKeys(state, STATE_KEYS, TamperedError);
  if (state.v !== VERSION) throw new TamperedError("trust record: unsupported state version");
  if (state.user !== userId) throw new TamperedError("trust record: state of another user");
  if (!Array.isArray(state.pins) || !Array.isArray(state.rooms)) {
    throw new TamperedError("trust record: pins and rooms must be lists");
  }
  return /** @type {TrustState} */ (state);
}

/**
 * @typedef {object} SealTrustRecordOptions
 * @property {string} userId the owner's user id
 * @property {number} version the record's version counter (greater than any earlier one)
 * @property {CryptoKey} signingKey own Ed25519 private key
 * @property {CryptoKey} agreementKey own X25519 private key
 * @property {Uint8Array} dhPublicKey own X25519 public key
 */

/**
 * Encrypt and sign a trust state; random IV.
 * @param {TrustState} state
 * @param {SealTrustRecordOptions} options
 * @returns {Promise<TrustRecordWire>}
 */
export async function sealTrustRecord(state, options) {
  return _sealTrustRecordWithIv(state, options, randomBytes(12));
}

/**
 * sealTrustRecord with a given IV (vectors only: never reuse an IV under one key).
 * @param {TrustState} state
 * @param {SealTrustRecordOptions} options
 * @param {Uint8Array} iv
 * @returns {Promise<TrustRecordWire>}
 */
export async function _sealTrustRecordWithIv(state, options, iv) {
  const { userId, version, signingKey, agreementKey, dhPublicKey } = options;
  requireId(userId);
  if (!isVersion(version)) throw new RangeError("trust record version must be in [1, 2^32)");
  requireBytes(iv, 12, "iv");
  checkState(state, userId);
  const plaintext = utf8(canonicalJson(state));
  if (plaintext.length > MAX_TRUST_STATE_BYTES) throw new RangeError("trust state too large");
  const key = await _trustRecordKey(agreementKey, dhPublicKey, userId);
  const ct = await aesGcmEncrypt(key, iv, plaintext, _trustRecordAd(userId, version));
  const sig = await ed25519Sign(signingKey, _trustRecordSignedBytes(userId, version, iv, ct));
  return { v: VERSION, version, iv: b64uEncode(iv), ct: b64uEncode(ct), sig: b64uEncode(sig) };
}

/**
 * Check an untrusted record's shape; return its decoded fields.
 * Throw UnsupportedError (format version) or TamperedError (anything else).
 * @param {unknown} wire
 * @returns {{version: number, iv: Uint8Array, ct: Uint8Array, sig: Uint8Array}}
 */
export function checkTrustRecordWire(wire) {
  if (!isPlainObject(wire)) throw new TamperedError("trust record: not an object");
  if (wire.v !== VERSION) throw new UnsupportedError("trust record: unsupported version");
  checkExactKeys(wire, WIRE_KEYS, TamperedError);
  if (!isVersion(wire.version)) throw new TamperedError("trust record: bad version counter");
  const ct = b64uDecodeAs(wire.ct, TamperedError);
  if (ct.length < 16 || ct.length > MAX_TRUST_STATE_BYTES + 16) {
    throw new TamperedError("trust record: ciphertext size out of range");
  }
  return {
    version: /** @type {number} */ (wire.version),
    iv: b64uDecodeExact(wire.iv, 12, TamperedError),
    ct,
    sig: b64uDecodeExact(wire.sig, 64, TamperedError),
  };
}

/**
 * @typedef {object} OpenTrustRecordOptions
 * @property {string} userId the owner's user id (this user)
 * @property {Uint8Array} signPublicKey own Ed25519 public key
 * @property {CryptoKey} agreementKey own X25519 private key
 * @property {Uint8Array} dhPublicKey own X25519 public key
 * @property {number} [minVersion] the newest version this device has seen (default 0)
 */

/**
 * Verify, check the version counter, decrypt and parse a trust record.
 * Throw UnsupportedError, TamperedError (shape, AEAD, state), BadSignatureError (another
 * user, another identity or any changed field) or RollbackError (older than `minVersion`).
 * @param {unknown} wire
 * @param {OpenTrustRecordOptions} options
 * @returns {Promise<{version: number, state: TrustState}>}
 */
export async function openTrustRecord(wire, options) {
  const { userId, signPublicKey, agreementKey, dhPublicKey, minVersion = 0 } = options;
  requireBytes(signPublicKey, 32, "Ed25519 public key");
  const parsed = checkTrustRecordWire(wire);
  if (!isValidId(userId)) throw new TamperedError("trust record: invalid user id");
  const signed = _trustRecordSignedBytes(userId, parsed.version, parsed.iv, parsed.ct);
  if (!(await ed25519Verify(signPublicKey, parsed.sig, signed))) {
    throw new BadSignatureError("trust record: bad signature");
  }
  if (parsed.version < minVersion) {
    throw new RollbackError("trust record: older than the newest version seen here");
  }
  const key = await _trustRecordKey(agreementKey, dhPublicKey, userId);
  const plain = await aesGcmDecrypt(key, parsed.iv, parsed.ct, _trustRecordAd(userId, parsed.version));
  if (plain === null) throw new TamperedError("trust record: authentication failed");
  let state;
  try {
    state = JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(plain));
  } catch {
    throw new TamperedError("trust record: state is not UTF-8 JSON");
  }
  return { version: parsed.version, state: checkState(state, userId) };
}
