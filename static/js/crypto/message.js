/**
 * Messages: a JSON payload encrypted with the room key of one epoch and signed by the sender.
 * Wire: {v: 1, kid, iv, ct, sig} (base64url).
 * @module message
 */

import { b64uDecodeAs, b64uDecodeExact, b64uEncode } from "./base64url.js";
import { aesGcmDecrypt, aesGcmEncrypt, ed25519Sign, ed25519Verify, randomBytes, requireBytes } from "./bytes.js";
import { canonical, isValidId, isValidMessageId, LABELS, u32, utf8, VERSION } from "./encoding.js";
import { BadSignatureError, NoKeyError, TamperedError, UnsupportedError } from "./errors.js";
import { requireId } from "./identity.js";
import { parseKeyId, ROOM_KEY_BYTES } from "./roomkeys.js";
import { checkExactKeys, isPlainObject } from "./shape.js";

const MESSAGE_KEYS = Object.freeze(["v", "kid", "iv", "ct", "sig"]);
const TAG_BYTES = 16;

/**
 * @typedef {{v: 1, kid: string, iv: string, ct: string, sig: string}} MessageWire
 * @typedef {object} MessageContext
 * @property {string} roomId
 * @property {Uint8Array} keyId the decoded 16-byte key id
 * @property {string} senderId
 * @property {string} messageId
 * @typedef {Map<string, Uint8Array> | ((keyId: string) => (Uint8Array | undefined |
 *   Promise<Uint8Array | undefined>))} KeyLookup  room keys by base64url key id
 */

/**
 * Return the AES-GCM associated data of a message.
 * @param {MessageContext} ctx
 * @returns {Uint8Array}
 */
export function _messageAd({ roomId, keyId, senderId, messageId }) {
  return canonical(LABELS.messageAd, u32(VERSION), roomId, keyId, senderId, messageId);
}

/**
 * Return the bytes the sender signs.
 * @param {MessageContext} ctx
 * @param {Uint8Array} iv
 * @param {Uint8Array} ct
 * @returns {Uint8Array}
 */
export function _messageSignedBytes({ roomId, keyId, senderId, messageId }, iv, ct) {
  return canonical(LABELS.message, u32(VERSION), roomId, keyId, senderId, messageId, iv, ct);
}

/**
 * Return the UTF-8 JSON of a payload object (JSON.stringify, no whitespace).
 * @param {Record<string, unknown>} payload
 * @returns {Uint8Array}
 */
export function encodePayload(payload) {
  if (!isPlainObject(payload)) throw new TypeError("payload must be a plain object");
  return utf8(JSON.stringify(payload));
}

/**
 * Parse decrypted bytes as a JSON object; throw TamperedError otherwise.
 * @param {Uint8Array} bytes
 * @returns {Record<string, unknown>}
 */
export function decodePayload(bytes) {
  let payload;
  try {
    payload = JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes));
  } catch {
    throw new TamperedError("message: payload is not UTF-8 JSON");
  }
  if (!isPlainObject(payload)) throw new TamperedError("message: payload is not an object");
  return payload;
}

/**
 * @typedef {object} EncryptOptions
 * @property {string} roomId
 * @property {string} keyId base64url key id of `roomKey`
 * @property {Uint8Array} roomKey 32 bytes
 * @property {string} senderId
 * @property {string} messageId lowercase UUID made by the sending client
 * @property {CryptoKey} signingKey the sender's Ed25519 private key
 */

/**
 * Encrypt and sign raw payload bytes with an injected IV (for test vectors).
 * @param {Uint8Array} plaintext
 * @param {EncryptOptions & {iv: Uint8Array}} options
 * @returns {Promise<MessageWire>}
 */
export async function _encryptMessageWithRandomness(plaintext, options) {
  const { roomId, keyId, roomKey, senderId, messageId, signingKey, iv } = options;
  if (!(plaintext instanceof Uint8Array)) throw new TypeError("plaintext must be a Uint8Array");
  requireBytes(roomKey, ROOM_KEY_BYTES, "room key");
  requireBytes(iv, 12, "iv");
  requireId(roomId, "room id");
  requireId(senderId, "sender id");
  if (!isValidMessageId(messageId)) throw new TypeError("message id must be a lowercase UUID");
  const ctx = { roomId, keyId: parseKeyId(keyId), senderId, messageId };
  const ct = await aesGcmEncrypt(roomKey, iv, plaintext, _messageAd(ctx));
  const sig = await ed25519Sign(signingKey, _messageSignedBytes(ctx, iv, ct));
  return { v: VERSION, kid: keyId, iv: b64uEncode(iv), ct: b64uEncode(ct), sig: b64uEncode(sig) };
}

/**
 * Encrypt and sign a payload object (e.g. {text: "hi"}) with a fresh random IV.
 * @param {Record<string, unknown>} payload
 * @param {EncryptOptions} options
 * @returns {Promise<MessageWire>}
 */
export async function encryptMessage(payload, options) {
  return _encryptMessageWithRandomness(encodePayload(payload), { ...options, iv: randomBytes(12) });
}

/**
 * Check an untrusted message's shape; return its decoded fields.
 * Throw UnsupportedError (version) or TamperedError (anything else).
 * @param {unknown} wire
 * @returns {{keyId: string, kid: Uint8Array, iv: Uint8Array, ct: Uint8Array, sig: Uint8Array}}
 */
export function checkMessageWire(wire) {
  if (!isPlainObject(wire)) throw new TamperedError("message: not an object");
  if (wire.v !== VERSION) throw new UnsupportedError("message: unsupported version");
  checkExactKeys(wire, MESSAGE_KEYS, TamperedError);
  const ct = b64uDecodeAs(wire.ct, TamperedError);
  if (ct.length < TAG_BYTES) throw new TamperedError("message: ciphertext too short");
  return {
    keyId: /** @type {string} */ (wire.kid),
    kid: parseKeyId(wire.kid, TamperedError),
    iv: b64uDecodeExact(wire.iv, 12, TamperedError),
    ct,
    sig: b64uDecodeExact(wire.sig, 64, TamperedError),
  };
}

/**
 * @typedef {object} DecryptOptions
 * @property {string} roomId
 * @property {string} senderId
 * @property {string} messageId
 * @property {Uint8Array} senderSignPublicKey the sender's pinned Ed25519 public key
 * @property {KeyLookup} keys
 */

/**
 * Verify, then decrypt a message to its raw payload bytes.
 * Throw TamperedError (malformed, bad ids, AES-GCM failure), UnsupportedError (version),
 * BadSignatureError (checked before the key lookup) or NoKeyError (unknown key id).
 * @param {unknown} wire
 * @param {DecryptOptions} options
 * @returns {Promise<Uint8Array>}
 */
export async function decryptMessageBytes(wire, options) {
  const { roomId, senderId, messageId, senderSignPublicKey, keys } = options;
  requireBytes(senderSignPublicKey, 32, "sender Ed25519 public key");
  const parsed = checkMessageWire(wire);
  if (!isValidId(roomId) || !isValidId(senderId) || !isValidMessageId(messageId)) {
    throw new TamperedError("message: invalid room, sender or message id");
  }
  const ctx = { roomId, keyId: parsed.kid, senderId, messageId };
  const signed = _messageSignedBytes(ctx, parsed.iv, parsed.ct);
  if (!(await ed25519Verify(senderSignPublicKey, parsed.sig, signed))) {
    throw new BadSignatureError("message: bad signature");
  }
  const roomKey = typeof keys === "function" ? await keys(parsed.keyId) : keys.get(parsed.keyId);
  if (roomKey === undefined || roomKey === null) throw new NoKeyError("message: unknown key id");
  requireBytes(roomKey, ROOM_KEY_BYTES, "room key");
  const plaintext = await aesGcmDecrypt(roomKey, parsed.iv, parsed.ct, _messageAd(ctx));
  if (plaintext === null) throw new TamperedError("message: decryption failed");
  return plaintext;
}

/**
 * Verify, then decrypt a message to its payload object (errors as decryptMessageBytes, plus
 * TamperedError when the payload is not a JSON object).
 * @param {unknown} wire
 * @param {DecryptOptions} options
 * @returns {Promise<Record<string, unknown>>}
 */
export async function decryptMessage(wire, options) {
  return decodePayload(await decryptMessageBytes(wire, options));
}
