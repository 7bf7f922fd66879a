/**
 * Typed errors of the Keyroom crypto layer. Every failure caused by untrusted input is one of
 * these; `code` is the stable string the UI switches on. Programming errors (a wrong argument
 * type from our own code) are plain TypeError/RangeError instead. Messages never hold secrets.
 * @module errors
 */

export class KeyroomCryptoError extends Error {
  /** @type {string} */
  static code = "error";

  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = new.target.name;
    /** @type {string} */
    this.code = /** @type {typeof KeyroomCryptoError} */ (new.target).code;
  }
}

/** An identity or backup object does not have the exact expected shape. */
export class MalformedError extends KeyroomCryptoError {
  static code = "malformed";
}

/** Any format version, KDF or parameter this implementation does not accept. */
export class UnsupportedError extends KeyroomCryptoError {
  static code = "unsupported";
}

/** A backup's PBKDF2 iteration count is below the 600,000 minimum. */
export class WeakKdfError extends KeyroomCryptoError {
  static code = "weak_kdf";
}

/** A backup failed AES-GCM authentication: wrong password (or a changed user id/ciphertext). */
export class WrongPasswordError extends KeyroomCryptoError {
  static code = "wrong_password";
}

/** A signature did not verify against the given (pinned) Ed25519 public key. */
export class BadSignatureError extends KeyroomCryptoError {
  static code = "bad_signature";
}

/** A message or envelope is malformed, or failed AES-GCM authentication. */
export class TamperedError extends KeyroomCryptoError {
  static code = "tampered";
}

/** A message names a room key id the reader does not hold. */
export class NoKeyError extends KeyroomCryptoError {
  static code = "no_key";
}

/** A trust record is older than the newest one this device has seen (server rollback). */
export class RollbackError extends KeyroomCryptoError {
  static code = "rollback";
}

/**
 * A room-state chain entry is out of order, forked, signed by someone the chain does not allow,
 * or breaks one of its type's rules (docs/PROTOCOL.md §15.5).
 */
export class BadChainError extends KeyroomCryptoError {
  static code = "bad_chain";
}

/** Error classes by their `code`. */
export const ERRORS_BY_CODE = Object.freeze({
  malformed: MalformedError,
  unsupported: UnsupportedError,
  weak_kdf: WeakKdfError,
  wrong_password: WrongPasswordError,
  bad_signature: BadSignatureError,
  tampered: TamperedError,
  no_key: NoKeyError,
  rollback: RollbackError,
  bad_chain: BadChainError,
});
