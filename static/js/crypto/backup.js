/**
 * Password-protected key backup: the 64-byte identity secret encrypted with AES-256-GCM under a
 * PBKDF2-SHA256 key. Blob: {v: 1, kdf: "PBKDF2-SHA256", iterations, salt, iv, ct} (base64url).
 * @module backup
 */

import { b64uDecodeExact, b64uEncode } from "./base64url.js";
import { aesGcmDecrypt, aesGcmEncrypt, pbkdf2Sha256, randomBytes, requireBytes } from "./bytes.js";
import { canonical, LABELS, u32, utf8, VERSION } from "./encoding.js";
import { MalformedError, UnsupportedError, WeakKdfError, WrongPasswordError } from "./errors.js";
import { IDENTITY_SECRET_BYTES, importIdentitySecret, requireId } from "./identity.js";
import { checkExactKeys, isPlainObject } from "./shape.js";

export const BACKUP_KDF = "PBKDF2-SHA256";
/** Fewest PBKDF2 iterations accepted when creating or opening a backup. */
export const MIN_ITERATIONS = 600000;
/** Default iteration count for new backups. */
export const DEFAULT_ITERATIONS = 600000;
/** Most iterations accepted, so a hostile server cannot make the client spin for minutes. */
export const MAX_ITERATIONS = 10000000;
const SALT_BYTES = 16;
const IV_BYTES = 12;
const CT_BYTES = IDENTITY_SECRET_BYTES + 16;
const BACKUP_KEYS = Object.freeze(["v", "kdf", "iterations", "salt", "iv", "ct"]);

/**
 * @typedef {object} BackupBlob
 * @property {1} v
 * @property {string} kdf always "PBKDF2-SHA256"
 * @property {number} iterations
 * @property {string} salt base64url, 16 bytes
 * @property {string} iv base64url, 12 bytes
 * @property {string} ct base64url, 80 bytes (64-byte secret + tag)
 */

/**
 * Return the PBKDF2 input for `password`: its NFKC normal form, UTF-8 encoded.
 * @param {string} password
 * @returns {Uint8Array}
 */
export function passwordBytes(password) {
  if (typeof password !== "string" || password.length === 0) {
    throw new TypeError("password must be a non-empty string");
  }
  return utf8(password.normalize("NFKC"));
}

/**
 * Return the associated data binding a backup to its user, version and KDF parameters.
 * @param {string} userId
 * @param {number} iterations
 * @param {Uint8Array} salt
 * @returns {Uint8Array}
 */
export function _backupAd(userId, iterations, salt) {
  return canonical(LABELS.backup, u32(VERSION), userId, BACKUP_KDF, u32(iterations), salt);
}

/**
 * Check an untrusted backup blob's shape and parameters; return its decoded fields.
 * Throw MalformedError, UnsupportedError (version, KDF, too many iterations) or WeakKdfError.
 * @param {unknown} blob
 * @returns {{iterations: number, salt: Uint8Array, iv: Uint8Array, ct: Uint8Array}}
 */
export function checkBackupBlob(blob) {
  if (!isPlainObject(blob)) throw new MalformedError("backup: not an object");
  if (blob.v !== VERSION) throw new UnsupportedError("backup: unsupported version");
  checkExactKeys(blob, BACKUP_KEYS, MalformedError);
  if (blob.kdf !== BACKUP_KDF) throw new UnsupportedError("backup: unsupported KDF");
  const { iterations } = blob;
  if (typeof iterations !== "number" || !Number.isSafeInteger(iterations)) {
    throw new MalformedError("backup: iterations is not an integer");
  }
  if (iterations < MIN_ITERATIONS) throw new WeakKdfError("backup: too few PBKDF2 iterations");
  if (iterations > MAX_ITERATIONS) throw new UnsupportedError("backup: too many iterations");
  return {
    iterations,
    salt: b64uDecodeExact(blob.salt, SALT_BYTES),
    iv: b64uDecodeExact(blob.iv, IV_BYTES),
    ct: b64uDecodeExact(blob.ct, CT_BYTES),
  };
}

/**
 * Encrypt an identity secret with the given salt, IV and iteration count (for test vectors).
 * @param {Uint8Array} secret 64 bytes
 * @param {string} password
 * @param {string} userId
 * @param {{salt: Uint8Array, iv: Uint8Array, iterations: number}} randomness
 * @returns {Promise<BackupBlob>}
 */
export async function _createBackupWithRandomness(secret, password, userId, { salt, iv, iterations }) {
  requireBytes(secret, IDENTITY_SECRET_BYTES, "identity secret");
  requireBytes(salt, SALT_BYTES, "salt");
  requireBytes(iv, IV_BYTES, "iv");
  requireId(userId);
  if (!Number.isSafeInteger(iterations) || iterations < MIN_ITERATIONS || iterations > MAX_ITERATIONS) {
    throw new RangeError(`iterations must be in [${MIN_ITERATIONS}, ${MAX_ITERATIONS}]`);
  }
  const key = await pbkdf2Sha256(passwordBytes(password), salt, iterations);
  const ct = await aesGcmEncrypt(key, iv, secret, _backupAd(userId, iterations, salt));
  key.fill(0);
  return {
    v: VERSION,
    kdf: BACKUP_KDF,
    iterations,
    salt: b64uEncode(salt),
    iv: b64uEncode(iv),
    ct: b64uEncode(ct),
  };
}

/**
 * Encrypt a 64-byte identity secret under `password` with a fresh random salt and IV.
 * @param {Uint8Array} secret
 * @param {string} password
 * @param {string} userId
 * @param {{iterations?: number}} [options]
 * @returns {Promise<BackupBlob>}
 */
export async function createBackup(secret, password, userId, { iterations = DEFAULT_ITERATIONS } = {}) {
  const randomness = { salt: randomBytes(SALT_BYTES), iv: randomBytes(IV_BYTES), iterations };
  return _createBackupWithRandomness(secret, password, userId, randomness);
}

/**
 * Decrypt a backup to the raw 64-byte identity secret. Prefer unlockBackup, which never hands
 * the secret out; the caller must wipe the result.
 * Throw the errors of checkBackupBlob, or WrongPasswordError when AES-GCM authentication fails
 * (wrong password, or a blob made for another user id or altered).
 * @param {unknown} blob
 * @param {string} password
 * @param {string} userId
 * @returns {Promise<Uint8Array>}
 */
export async function _decryptBackupSecret(blob, password, userId) {
  requireId(userId);
  const pw = passwordBytes(password);
  const { iterations, salt, iv, ct } = checkBackupBlob(blob);
  const key = await pbkdf2Sha256(pw, salt, iterations);
  const secret = await aesGcmDecrypt(key, iv, ct, _backupAd(userId, iterations, salt));
  key.fill(0);
  if (secret === null) throw new WrongPasswordError("backup: wrong password");
  return secret;
}

/**
 * Decrypt a backup and import its keys as non-extractable CryptoKeys.
 * @param {unknown} blob
 * @param {string} password
 * @param {string} userId
 * @returns {Promise<import('./identity.js').UnlockedIdentity>}
 */
export async function unlockBackup(blob, password, userId) {
  const secret = await _decryptBackupSecret(blob, password, userId);
  try {
    return await importIdentitySecret(secret, userId);
  } finally {
    secret.fill(0);
  }
}

/**
 * Re-encrypt a backup under a new password (fresh salt and IV). The new iteration count is
 * `options.iterations`, else the larger of the old count and DEFAULT_ITERATIONS.
 * @param {unknown} blob
 * @param {string} oldPassword
 * @param {string} newPassword
 * @param {string} userId
 * @param {{iterations?: number}} [options]
 * @returns {Promise<BackupBlob>}
 */
export async function rewrapBackup(blob, oldPassword, newPassword, userId, options = {}) {
  passwordBytes(newPassword);
  const secret = await _decryptBackupSecret(blob, oldPassword, userId);
  const oldIterations = /** @type {BackupBlob} */ (blob).iterations;
  const iterations = options.iterations ?? Math.max(oldIterations, DEFAULT_ITERATIONS);
  try {
    return await createBackup(secret, newPassword, userId, { iterations });
  } finally {
    secret.fill(0);
  }
}

/**
 * Generate an identity and its backup in one step; the raw secret never leaves this function.
 * @param {string} userId
 * @param {string} password
 * @param {{iterations?: number}} [options]
 * @returns {Promise<import('./identity.js').UnlockedIdentity & {backup: BackupBlob}>}
 */
export async function createIdentityWithBackup(userId, password, options = {}) {
  const secret = randomBytes(IDENTITY_SECRET_BYTES);
  try {
    const unlocked = await importIdentitySecret(secret, userId);
    const backup = await createBackup(secret, password, userId, options);
    return { ...unlocked, backup };
  } finally {
    secret.fill(0);
  }
}
