/**
 * Identities: an Ed25519 signing key and an X25519 key-agreement key per user. The secret form
 * is 64 bytes: Ed25519 seed (32) || X25519 private key (32). The public form is a JSON object
 * whose signature binds both public keys to the user id.
 * @module identity
 */

import { b64uDecodeExact, b64uEncode } from "./base64url.js";
import { ed25519Sign, ed25519Verify, importPrivate, randomBytes, requireBytes, sha256 } from "./bytes.js";
import { canonical, isValidId, LABELS, u32, VERSION } from "./encoding.js";
import { BadSignatureError, MalformedError, UnsupportedError } from "./errors.js";
import { checkExactKeys, isPlainObject } from "./shape.js";

/** Length of the identity secret: Ed25519 seed || X25519 private key. */
export const IDENTITY_SECRET_BYTES = 64;
const PUBLIC_IDENTITY_KEYS = Object.freeze(["v", "user", "ed25519", "x25519", "sig"]);

/**
 * @typedef {{v: 1, user: string, ed25519: string, x25519: string, sig: string}} PublicIdentity
 *   JSON form of a public identity (base64url fields).
 * @typedef {{userId: string, signPublicKey: Uint8Array, dhPublicKey: Uint8Array}} VerifiedIdentity
 *   A public identity whose signature was checked; raw 32-byte public keys.
 * @typedef {object} UnlockedIdentity
 * @property {CryptoKey} signingKey Ed25519 private key, usage "sign", non-extractable
 * @property {CryptoKey} agreementKey X25519 private key, usage "deriveBits", non-extractable
 * @property {PublicIdentity} publicIdentity the signed public form
 */

/**
 * Throw TypeError unless `userId` is a valid id string.
 * @param {unknown} userId
 * @param {string} [what]
 */
export function requireId(userId, what = "user id") {
  if (!isValidId(userId)) throw new TypeError(`${what} must be a non-empty string of <= 256 bytes`);
}

/**
 * Return the bytes the identity signature covers.
 * @param {string} userId
 * @param {Uint8Array} signPublicKey
 * @param {Uint8Array} dhPublicKey
 * @returns {Uint8Array}
 */
export function _identitySignedBytes(userId, signPublicKey, dhPublicKey) {
  return canonical(LABELS.identity, u32(VERSION), userId, signPublicKey, dhPublicKey);
}

/**
 * Import a 64-byte identity secret as non-extractable CryptoKeys and build the public identity.
 * @param {Uint8Array} secret
 * @param {string} userId
 * @returns {Promise<UnlockedIdentity>}
 */
export async function importIdentitySecret(secret, userId) {
  requireBytes(secret, IDENTITY_SECRET_BYTES, "identity secret");
  requireId(userId);
  const ed = await importPrivate("Ed25519", secret.subarray(0, 32));
  const dh = await importPrivate("X25519", secret.subarray(32, 64));
  const signed = _identitySignedBytes(userId, ed.publicKey, dh.publicKey);
  const sig = await ed25519Sign(ed.privateKey, signed);
  return {
    signingKey: ed.privateKey,
    agreementKey: dh.privateKey,
    publicIdentity: {
      v: VERSION,
      user: userId,
      ed25519: b64uEncode(ed.publicKey),
      x25519: b64uEncode(dh.publicKey),
      sig: b64uEncode(sig),
    },
  };
}

/**
 * Generate a new identity. `secret` is returned only so the caller can make the key backup
 * (createBackup); wipe it with `secret.fill(0)` right after. The CryptoKeys are non-extractable.
 * @param {string} userId
 * @returns {Promise<UnlockedIdentity & {secret: Uint8Array}>}
 */
export async function generateIdentity(userId) {
  const secret = randomBytes(IDENTITY_SECRET_BYTES);
  return { secret, ...(await importIdentitySecret(secret, userId)) };
}

/**
 * Check an untrusted public identity claimed for `userId`; return its raw keys.
 * Throw MalformedError (shape), UnsupportedError (version) or BadSignatureError (signature, or
 * the object names another user).
 * @param {unknown} obj
 * @param {string} userId the user the caller expects this identity to belong to
 * @returns {Promise<VerifiedIdentity>}
 */
export async function verifyPublicIdentity(obj, userId) {
  requireId(userId);
  if (!isPlainObject(obj)) throw new MalformedError("identity: not an object");
  if (obj.v !== VERSION) throw new UnsupportedError("identity: unsupported version");
  checkExactKeys(obj, PUBLIC_IDENTITY_KEYS, MalformedError);
  if (!isValidId(obj.user)) throw new MalformedError("identity: bad user id");
  const signPublicKey = b64uDecodeExact(obj.ed25519, 32);
  const dhPublicKey = b64uDecodeExact(obj.x25519, 32);
  const sig = b64uDecodeExact(obj.sig, 64);
  if (obj.user !== userId) throw new BadSignatureError("identity: made for another user");
  const signed = _identitySignedBytes(userId, signPublicKey, dhPublicKey);
  if (!(await ed25519Verify(signPublicKey, sig, signed))) {
    throw new BadSignatureError("identity: bad signature");
  }
  return { userId, signPublicKey, dhPublicKey };
}

/**
 * Return the 32-byte fingerprint: SHA-256(canonical(fingerprint label, user id, Ed25519 public,
 * X25519 public)).
 * @param {VerifiedIdentity} identity
 * @returns {Promise<Uint8Array>}
 */
export async function fingerprint({ userId, signPublicKey, dhPublicKey }) {
  requireId(userId);
  requireBytes(signPublicKey, 32, "Ed25519 public key");
  requireBytes(dhPublicKey, 32, "X25519 public key");
  return sha256(canonical(LABELS.fingerprint, userId, signPublicKey, dhPublicKey));
}

/**
 * Render a fingerprint as a safety number: the fingerprint read as a big-endian integer, modulo
 * 10^60, as 60 zero-padded decimal digits in 12 groups of 5 separated by single spaces.
 * @param {Uint8Array} fp 32 bytes
 * @returns {string}
 */
export function formatSafetyNumber(fp) {
  requireBytes(fp, 32, "fingerprint");
  const hex = Array.from(fp, (b) => b.toString(16).padStart(2, "0")).join("");
  const digits = (BigInt(`0x${hex}`) % 10n ** 60n).toString().padStart(60, "0");
  return /** @type {RegExpMatchArray} */ (digits.match(/.{5}/g)).join(" ");
}

/**
 * Return the safety number of a verified identity.
 * @param {VerifiedIdentity} identity
 * @returns {Promise<string>}
 */
export async function safetyNumber(identity) {
  return formatSafetyNumber(await fingerprint(identity));
}
