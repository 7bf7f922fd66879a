/**
 * Room keys: 32 random bytes (AES-256-GCM) per epoch, named by a random 16-byte key id that
 * travels as 22 base64url characters.
 * @module roomkeys
 */

import { b64uDecodeExact, b64uEncode } from "./base64url.js";
import { randomBytes } from "./bytes.js";

export const ROOM_KEY_BYTES = 32;
export const KEY_ID_BYTES = 16;

/** @typedef {{keyId: string, key: Uint8Array}} RoomKey */

/**
 * Return a fresh room key and its key id.
 * @returns {RoomKey}
 */
export function generateRoomKey() {
  return { keyId: b64uEncode(randomBytes(KEY_ID_BYTES)), key: randomBytes(ROOM_KEY_BYTES) };
}

/**
 * Decode a key id to its 16 bytes; throw `ErrorClass` (default TypeError) if it is not one.
 * @param {unknown} keyId
 * @param {new (message: string) => Error} [ErrorClass]
 * @returns {Uint8Array}
 */
export function parseKeyId(keyId, ErrorClass = TypeError) {
  return b64uDecodeExact(keyId, KEY_ID_BYTES, ErrorClass);
}
