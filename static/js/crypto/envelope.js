/**
 * Key envelopes: a room key sealed to one recipient's X25519 key and signed by the sender.
 * Wire: {v: 1, kid, eph, iv, ct, sig} (base64url; ct = 32-byte room key + 16-byte GCM tag).
 * @module envelope
 */

import { b64uDecodeExact, b64uEncode } from "./base64url.js";
import {
  aesGcmDecrypt,
  aesGcmEncrypt,
  ed25519Sign,
  ed25519Verify,
  hkdfSha256,
  importPrivate,
  randomBytes,
  requireBytes,
  x25519,
} from "./bytes.js";
import { canonical, isValidId, LABELS, u32, VERSION } from "./encoding.js";
import { BadSignatureError, MalformedError, TamperedError, UnsupportedError } from "./errors.js";
import { requireId } from "./identity.js";
import { parseKeyId, ROOM_KEY_BYTES } from "./roomkeys.js";
import { checkExactKeys, isPlainObject } from "./shape.js";

const ENVELOPE_KEYS = Object.freeze(["v", "kid", "eph", "iv", "ct", "sig"]);

/**
 * @typedef {{v: 1, kid: string, eph: string, iv: string, ct: string, sig: string}} Envelope
 * @typedef {object} EnvelopeContext
 * @property {string} roomId
 * @property {Uint8Array} keyId the decoded 16-byte key id
 * @property {string} senderId
 * @property {string} recipientId
 */

/**
 * Return the AES-GCM associated data of an envelope.
 * @param {EnvelopeContext} ctx
 * @returns {Uint8Array}
 */
export function _envelopeAd({ roomId, keyId, senderId, recipientId }) {
  return canonical(LABELS.envelopeAd, u32(VERSION), roomId, keyId, senderId, recipientId);
}

/**
 * Return the bytes the sender signs.
 * @param {EnvelopeContext} ctx
 * @param {Uint8Array} recipientDhPublicKey
 * @param {Uint8Array} eph
 * @param {Uint8Array} iv
 * @param {Uint8Array} ct
 * @returns {Uint8Array}
 */
export function _envelopeSignedBytes(ctx, recipientDhPublicKey, eph, iv, ct) {
  const { roomId, keyId, senderId, recipientId } = ctx;
  return canonical(
    LABELS.envelope,
    u32(VERSION),
    roomId,
    keyId,
    senderId,
    recipientId,
    recipientDhPublicKey,
    eph,
    iv,
    ct,
  );
}

/**
 * Return the AES-256-GCM key: HKDF-SHA256(shared, salt = canonical(salt label, eph, recipient),
 * info = canonical(kdf label)).
 * @param {Uint8Array} shared
 * @param {Uint8Array} eph
 * @param {Uint8Array} recipientDhPublicKey
 * @returns {Promise<Uint8Array>}
 */
export function _envelopeKey(shared, eph, recipientDhPublicKey) {
  const salt = canonical(LABELS.envelopeSalt, eph, recipientDhPublicKey);
  return hkdfSha256(shared, salt, canonical(LABELS.envelopeKdf));
}

/**
 * @typedef {object} SealOptions
 * @property {string} roomId
 * @property {string} keyId base64url key id of the room key
 * @property {string} senderId
 * @property {string} recipientId
 * @property {Uint8Array} recipientDhPublicKey the recipient's pinned X25519 public key
 * @property {CryptoKey} signingKey the sender's Ed25519 private key
 */

/**
 * Seal with an injected ephemeral X25519 private key and IV (for test vectors).
 * @param {Uint8Array} roomKey
 * @param {SealOptions & {ephemeralSecret: Uint8Array, iv: Uint8Array}} options
 * @returns {Promise<Envelope>}
 */
export async function _sealEnvelopeWithRandomness(roomKey, options) {
  const { roomId, keyId, senderId, recipientId, recipientDhPublicKey, signingKey } = options;
  requireBytes(roomKey, ROOM_KEY_BYTES, "room key");
  requireBytes(recipientDhPublicKey, 32, "recipient X25519 public key");
  requireBytes(options.iv, 12, "iv");
  requireId(roomId, "room id");
  requireId(senderId, "sender id");
  requireId(recipientId, "recipient id");
  const ctx = { roomId, keyId: parseKeyId(keyId), senderId, recipientId };
  const eph = await importPrivate("X25519", options.ephemeralSecret);
  let shared;
  try {
    shared = await x25519(eph.privateKey, recipientDhPublicKey);
  } catch {
    throw new MalformedError("envelope: recipient X25519 key is unusable");
  }
  const key = await _envelopeKey(shared, eph.publicKey, recipientDhPublicKey);
  const ct = await aesGcmEncrypt(key, options.iv, roomKey, _envelopeAd(ctx));
  const signed = _envelopeSignedBytes(ctx, recipientDhPublicKey, eph.publicKey, options.iv, ct);
  const sig = await ed25519Sign(signingKey, signed);
  shared.fill(0);
  key.fill(0);
  return {
    v: VERSION,
    kid: keyId,
    eph: b64uEncode(eph.publicKey),
    iv: b64uEncode(options.iv),
    ct: b64uEncode(ct),
    sig: b64uEncode(sig),
  };
}

/**
 * Seal `roomKey` to a recipient: fresh ephemeral X25519 key and IV, signed by the sender.
 * @param {Uint8Array} roomKey 32 bytes
 * @param {SealOptions} options
 * @returns {Promise<Envelope>}
 */
export async function sealEnvelope(roomKey, options) {
  const randomness = { ephemeralSecret: randomBytes(32), iv: randomBytes(12) };
  return _sealEnvelopeWithRandomness(roomKey, { ...options, ...randomness });
}

/**
 * Check an untrusted envelope's shape; return its decoded fields.
 * Throw UnsupportedError (version) or TamperedError (anything else).
 * @param {unknown} envelope
 * @returns {{keyId: string, kid: Uint8Array, eph: Uint8Array, iv: Uint8Array, ct: Uint8Array,
 *   sig: Uint8Array}}
 */
export function checkEnvelopeWire(envelope) {
  if (!isPlainObject(envelope)) throw new TamperedError("envelope: not an object");
  if (envelope.v !== VERSION) throw new UnsupportedError("envelope: unsupported version");
  checkExactKeys(envelope, ENVELOPE_KEYS, TamperedError);
  return {
    keyId: /** @type {string} */ (envelope.kid),
    kid: parseKeyId(envelope.kid, TamperedError),
    eph: b64uDecodeExact(envelope.eph, 32, TamperedError),
    iv: b64uDecodeExact(envelope.iv, 12, TamperedError),
    ct: b64uDecodeExact(envelope.ct, ROOM_KEY_BYTES + 16, TamperedError),
    sig: b64uDecodeExact(envelope.sig, 64, TamperedError),
  };
}

/**
 * @typedef {object} OpenOptions
 * @property {string} roomId
 * @property {string} senderId
 * @property {string} recipientId the reader's own user id
 * @property {Uint8Array} senderSignPublicKey the sender's pinned Ed25519 public key
 * @property {CryptoKey} recipientAgreementKey the reader's X25519 private key
 * @property {Uint8Array} recipientDhPublicKey the reader's own X25519 public key
 */

/**
 * Verify an envelope's signature against the sender's pinned key, then decrypt the room key.
 * Throw UnsupportedError, BadSignatureError, or TamperedError (malformed, bad context ids,
 * or AES-GCM failure).
 * @param {unknown} envelope
 * @param {OpenOptions} options
 * @returns {Promise<{keyId: string, key: Uint8Array}>}
 */
export async function openEnvelope(envelope, options) {
  const { roomId, senderId, recipientId, senderSignPublicKey, recipientAgreementKey } = options;
  const { recipientDhPublicKey } = options;
  requireBytes(senderSignPublicKey, 32, "sender Ed25519 public key");
  requireBytes(recipientDhPublicKey, 32, "recipient X25519 public key");
  const wire = checkEnvelopeWire(envelope);
  if (![roomId, senderId, recipientId].every(isValidId)) {
    throw new TamperedError("envelope: invalid room or user id");
  }
  const ctx = { roomId, keyId: wire.kid, senderId, recipientId };
  const signed = _envelopeSignedBytes(ctx, recipientDhPublicKey, wire.eph, wire.iv, wire.ct);
  if (!(await ed25519Verify(senderSignPublicKey, wire.sig, signed))) {
    throw new BadSignatureError("envelope: bad signature");
  }
  let shared;
  try {
    shared = await x25519(recipientAgreementKey, wire.eph);
  } catch {
    throw new TamperedError("envelope: unusable ephemeral key");
  }
  const key = await _envelopeKey(shared, wire.eph, recipientDhPublicKey);
  const roomKey = await aesGcmDecrypt(key, wire.iv, wire.ct, _envelopeAd(ctx));
  shared.fill(0);
  key.fill(0);
  if (roomKey === null) throw new TamperedError("envelope: decryption failed");
  return { keyId: wire.keyId, key: roomKey };
}
