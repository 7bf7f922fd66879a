/**
 * Membership attestations: a room key holder (the attester) signs that a user is a member of a
 * room for one key epoch. Clients seal a room key only to a member attested by someone they know
 * holds that key (docs/PROTOCOL.md, "Membership attestation").
 * Wire: {v: 1, kid, sig} (base64url); room, attester and member ids come from context.
 * @module membership
 */

import { b64uDecodeExact, b64uEncode } from "./base64url.js";
import { ed25519Sign, ed25519Verify, requireBytes } from "./bytes.js";
import { canonical, isValidId, LABELS, u32, VERSION } from "./encoding.js";
import { BadSignatureError, TamperedError, UnsupportedError } from "./errors.js";
import { requireId } from "./identity.js";
import { parseKeyId } from "./roomkeys.js";
import { checkExactKeys, isPlainObject } from "./shape.js";

const MEMBERSHIP_KEYS = Object.freeze(["v", "kid", "sig"]);

/**
 * @typedef {{v: 1, kid: string, sig: string}} MembershipWire
 * @typedef {object} MembershipContext
 * @property {string} roomId the room's uid
 * @property {Uint8Array} keyId the decoded 16-byte key id
 * @property {string} attesterId
 * @property {string} memberId
 */

/**
 * Return the bytes the attester signs.
 * @param {MembershipContext} ctx
 * @returns {Uint8Array}
 */
export function _membershipSignedBytes({ roomId, keyId, attesterId, memberId }) {
  return canonical(LABELS.membership, u32(VERSION), roomId, keyId, attesterId, memberId);
}

/**
 * @typedef {object} SignMembershipOptions
 * @property {string} roomId the room's uid
 * @property {string} keyId base64url key id of the room key epoch the attester holds
 * @property {string} attesterId the signer's own user id
 * @property {string} memberId the user attested as a member
 * @property {CryptoKey} signingKey the attester's Ed25519 private key
 */

/**
 * Sign that `memberId` is a member of `roomId` for key epoch `keyId` (Ed25519: deterministic).
 * @param {SignMembershipOptions} options
 * @returns {Promise<MembershipWire>}
 */
export async function signMembership({ roomId, keyId, attesterId, memberId, signingKey }) {
  requireId(roomId, "room id");
  requireId(attesterId, "attester id");
  requireId(memberId, "member id");
  const ctx = { roomId, keyId: parseKeyId(keyId), attesterId, memberId };
  const sig = await ed25519Sign(signingKey, _membershipSignedBytes(ctx));
  return { v: VERSION, kid: keyId, sig: b64uEncode(sig) };
}

/**
 * Check an untrusted attestation's shape; return its decoded fields.
 * Throw UnsupportedError (version) or TamperedError (anything else).
 * @param {unknown} wire
 * @returns {{keyId: string, kid: Uint8Array, sig: Uint8Array}}
 */
export function checkMembershipWire(wire) {
  if (!isPlainObject(wire)) throw new TamperedError("membership: not an object");
  if (wire.v !== VERSION) throw new UnsupportedError("membership: unsupported version");
  checkExactKeys(wire, MEMBERSHIP_KEYS, TamperedError);
  return {
    keyId: /** @type {string} */ (wire.kid),
    kid: parseKeyId(wire.kid, TamperedError),
    sig: b64uDecodeExact(wire.sig, 64, TamperedError),
  };
}

/**
 * @typedef {object} VerifyMembershipOptions
 * @property {string} roomId the room's uid
 * @property {string} attesterId
 * @property {string} memberId
 * @property {Uint8Array} attesterSignPublicKey the attester's pinned Ed25519 public key
 */

/**
 * Verify an attestation against the attester's pinned key; return the key id it names.
 * Throw UnsupportedError (version), TamperedError (shape, sizes, invalid context ids) or
 * BadSignatureError (any other room, key id, attester, member or key).
 * @param {unknown} wire
 * @param {VerifyMembershipOptions} options
 * @returns {Promise<{keyId: string}>}
 */
export async function verifyMembership(wire, options) {
  const { roomId, attesterId, memberId, attesterSignPublicKey } = options;
  requireBytes(attesterSignPublicKey, 32, "attester Ed25519 public key");
  const parsed = checkMembershipWire(wire);
  if (![roomId, attesterId, memberId].every(isValidId)) {
    throw new TamperedError("membership: invalid room or user id");
  }
  const signed = _membershipSignedBytes({ roomId, keyId: parsed.kid, attesterId, memberId });
  if (!(await ed25519Verify(attesterSignPublicKey, parsed.sig, signed))) {
    throw new BadSignatureError("membership: bad signature");
  }
  return { keyId: parsed.keyId };
}
