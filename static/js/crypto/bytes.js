/**
 * Byte helpers and thin WebCrypto wrappers shared by the other modules.
 * @module bytes
 */

import { b64uDecode } from "./base64url.js";

const subtle = () => globalThis.crypto.subtle;

// Fixed DER prefixes of a PKCS#8 OneAsymmetricKey holding a 32-byte raw private key (RFC 8410).
const PKCS8_PREFIX = {
  Ed25519: Uint8Array.from([
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
  ]),
  X25519: Uint8Array.from([
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20,
  ]),
};
const USAGES = { Ed25519: ["sign"], X25519: ["deriveBits"] };

/**
 * Return `n` cryptographically random bytes.
 * @param {number} n
 * @returns {Uint8Array}
 */
export function randomBytes(n) {
  return globalThis.crypto.getRandomValues(new Uint8Array(n));
}

/**
 * Return the concatenation of byte arrays.
 * @param {...Uint8Array} parts
 * @returns {Uint8Array}
 */
export function concatBytes(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/**
 * Return whether two byte arrays are equal (not constant-time; for public values only).
 * @param {Uint8Array} a
 * @param {Uint8Array} b
 * @returns {boolean}
 */
export function bytesEqual(a, b) {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * Throw TypeError unless `value` is a Uint8Array of `length` bytes.
 * @param {unknown} value
 * @param {number} length
 * @param {string} what
 * @returns {Uint8Array}
 */
export function requireBytes(value, length, what) {
  if (!(value instanceof Uint8Array) || value.length !== length) {
    throw new TypeError(`${what} must be a Uint8Array of ${length} bytes`);
  }
  return value;
}

/**
 * Import a raw 32-byte Ed25519 seed or X25519 private key; return it as a NON-extractable
 * CryptoKey with the raw public key. (WebCrypto cannot derive a public key from a private one, so
 * a temporary extractable copy is imported to read its JWK "x", then dropped.)
 * @param {'Ed25519'|'X25519'} alg
 * @param {Uint8Array} raw 32 bytes
 * @returns {Promise<{privateKey: CryptoKey, publicKey: Uint8Array}>}
 */
export async function importPrivate(alg, raw) {
  requireBytes(raw, 32, `${alg} private key`);
  const der = concatBytes(PKCS8_PREFIX[alg], raw);
  try {
    const temporary = await subtle().importKey("pkcs8", der, alg, true, USAGES[alg]);
    const jwk = await subtle().exportKey("jwk", temporary);
    const publicKey = b64uDecode(jwk.x);
    const privateKey = await subtle().importKey("pkcs8", der, alg, false, USAGES[alg]);
    return { privateKey, publicKey };
  } finally {
    der.fill(0);
  }
}

/**
 * Return the Ed25519 signature of `data`.
 * @param {CryptoKey} signingKey Ed25519 private key
 * @param {Uint8Array} data
 * @returns {Promise<Uint8Array>}
 */
export async function ed25519Sign(signingKey, data) {
  return new Uint8Array(await subtle().sign("Ed25519", signingKey, data));
}

/**
 * Return whether `signature` is a valid Ed25519 signature of `data` by raw `publicKey`.
 * Any import failure counts as an invalid signature.
 * @param {Uint8Array} publicKey 32 bytes
 * @param {Uint8Array} signature 64 bytes
 * @param {Uint8Array} data
 * @returns {Promise<boolean>}
 */
export async function ed25519Verify(publicKey, signature, data) {
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  try {
    const key = await subtle().importKey("raw", publicKey, "Ed25519", false, ["verify"]);
    return await subtle().verify("Ed25519", key, signature, data);
  } catch {
    return false;
  }
}

/**
 * Return the 32-byte X25519 shared secret; throw if the peer key is unusable (all-zero result).
 * @param {CryptoKey} privateKey X25519 private key
 * @param {Uint8Array} peerPublicKey 32 bytes
 * @returns {Promise<Uint8Array>}
 */
export async function x25519(privateKey, peerPublicKey) {
  const peer = await subtle().importKey("raw", peerPublicKey, "X25519", false, []);
  const secret = new Uint8Array(await subtle().deriveBits({ name: "X25519", public: peer }, privateKey, 256));
  if (secret.every((b) => b === 0)) throw new Error("X25519 produced an all-zero secret");
  return secret;
}

/**
 * Return 32 bytes of HKDF-SHA256.
 * @param {Uint8Array} ikm
 * @param {Uint8Array} salt
 * @param {Uint8Array} info
 * @returns {Promise<Uint8Array>}
 */
export async function hkdfSha256(ikm, salt, info) {
  const key = await subtle().importKey("raw", ikm, "HKDF", false, ["deriveBits"]);
  return new Uint8Array(await subtle().deriveBits({ name: "HKDF", hash: "SHA-256", salt, info }, key, 256));
}

/**
 * Return the 32-byte HMAC-SHA256 of `data` under `key`.
 * @param {Uint8Array} key
 * @param {Uint8Array} data
 * @returns {Promise<Uint8Array>}
 */
export async function hmacSha256(key, data) {
  const k = await subtle().importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return new Uint8Array(await subtle().sign("HMAC", k, data));
}

/**
 * Return 32 bytes of PBKDF2-HMAC-SHA256.
 * @param {Uint8Array} password
 * @param {Uint8Array} salt
 * @param {number} iterations
 * @returns {Promise<Uint8Array>}
 */
export async function pbkdf2Sha256(password, salt, iterations) {
  const key = await subtle().importKey("raw", password, "PBKDF2", false, ["deriveBits"]);
  return new Uint8Array(await subtle().deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, key, 256));
}

/**
 * Return SHA-256 of `data`.
 * @param {Uint8Array} data
 * @returns {Promise<Uint8Array>}
 */
export async function sha256(data) {
  return new Uint8Array(await subtle().digest("SHA-256", data));
}

/**
 * AES-256-GCM encrypt; return ciphertext || 16-byte tag.
 * @param {Uint8Array} key 32 bytes
 * @param {Uint8Array} iv 12 bytes
 * @param {Uint8Array} plaintext
 * @param {Uint8Array} additionalData
 * @returns {Promise<Uint8Array>}
 */
export async function aesGcmEncrypt(key, iv, plaintext, additionalData) {
  const k = await subtle().importKey("raw", key, "AES-GCM", false, ["encrypt"]);
  return new Uint8Array(await subtle().encrypt({ name: "AES-GCM", iv, additionalData, tagLength: 128 }, k, plaintext));
}

/**
 * AES-256-GCM decrypt; return the plaintext or null when authentication fails.
 * @param {Uint8Array} key 32 bytes
 * @param {Uint8Array} iv 12 bytes
 * @param {Uint8Array} ciphertext ciphertext || tag
 * @param {Uint8Array} additionalData
 * @returns {Promise<Uint8Array|null>}
 */
export async function aesGcmDecrypt(key, iv, ciphertext, additionalData) {
  const k = await subtle().importKey("raw", key, "AES-GCM", false, ["decrypt"]);
  try {
    return new Uint8Array(
      await subtle().decrypt({ name: "AES-GCM", iv, additionalData, tagLength: 128 }, k, ciphertext),
    );
  } catch {
    return null;
  }
}
