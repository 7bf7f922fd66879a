/**
 * Strict, canonical base64url (RFC 4648 section 5) without padding. Decoding rejects padding,
 * whitespace, foreign characters and non-zero trailing bits, so every byte string has exactly one
 * accepted text form.
 * @module base64url
 */

import { MalformedError } from "./errors.js";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const VALUES = new Map([...ALPHABET].map((ch, i) => [ch, i]));

/**
 * Return the unpadded base64url text of `bytes`.
 * @param {Uint8Array} bytes
 * @returns {string}
 */
export function b64uEncode(bytes) {
  if (!(bytes instanceof Uint8Array)) throw new TypeError("b64uEncode expects a Uint8Array");
  let out = "";
  let i = 0;
  for (; i + 3 <= bytes.length; i += 3) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out += ALPHABET[n >> 18] + ALPHABET[(n >> 12) & 63] + ALPHABET[(n >> 6) & 63] + ALPHABET[n & 63];
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i] << 16;
    out += ALPHABET[n >> 18] + ALPHABET[(n >> 12) & 63];
  } else if (rest === 2) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8);
    out += ALPHABET[n >> 18] + ALPHABET[(n >> 12) & 63] + ALPHABET[(n >> 6) & 63];
  }
  return out;
}

/**
 * Decode canonical unpadded base64url; throw MalformedError on anything else.
 * @param {unknown} text
 * @returns {Uint8Array}
 */
export function b64uDecode(text) {
  if (typeof text !== "string") throw new MalformedError("base64url: not a string");
  if (text.length % 4 === 1) throw new MalformedError("base64url: impossible length");
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (const ch of text) {
    const v = VALUES.get(ch);
    if (v === undefined) throw new MalformedError("base64url: invalid character");
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
      acc &= (1 << bits) - 1;
    }
  }
  if (acc !== 0) throw new MalformedError("base64url: non-canonical trailing bits");
  return out;
}

/**
 * Decode canonical base64url, throwing `ErrorClass` instead of MalformedError.
 * @param {unknown} text
 * @param {new (message: string) => Error} ErrorClass
 * @returns {Uint8Array}
 */
export function b64uDecodeAs(text, ErrorClass) {
  try {
    return b64uDecode(text);
  } catch (e) {
    if (e instanceof MalformedError) throw new ErrorClass(e.message);
    throw e;
  }
}

/**
 * Decode base64url that must be exactly `length` bytes long.
 * @param {unknown} text
 * @param {number} length
 * @param {new (message: string) => Error} [ErrorClass] thrown on any failure
 * @returns {Uint8Array}
 */
export function b64uDecodeExact(text, length, ErrorClass = MalformedError) {
  const bytes = b64uDecodeAs(text, ErrorClass);
  if (bytes.length !== length) throw new ErrorClass(`expected ${length} bytes, got ${bytes.length}`);
  return bytes;
}
