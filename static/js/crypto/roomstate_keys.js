/**
 * Room key commitments and proofs of the room-state chain (docs/PROTOCOL.md §15.4): a key entry
 * commits to its key, and proves that its author held the previous epoch's key.
 * @module roomstate_keys
 */

import { hkdfSha256, hmacSha256, requireBytes } from "./bytes.js";
import { canonical, LABELS, u32, VERSION } from "./encoding.js";
import { requireId } from "./identity.js";
import { parseKeyId, ROOM_KEY_BYTES } from "./roomkeys.js";

const ZERO_SALT = new Uint8Array(32);

/**
 * Return the 32-byte commitment to room key `key` of `keyId` (§15.4).
 * @param {{roomId: string, keyId: string, key: Uint8Array}} options
 * @returns {Promise<Uint8Array>}
 */
export async function keyCommitment({ roomId, keyId, key }) {
  requireId(roomId, "room id");
  requireBytes(key, ROOM_KEY_BYTES, "room key");
  const kid = parseKeyId(keyId);
  const info = canonical(LABELS.keyCommitKdf, u32(VERSION), roomId, kid);
  const commitKey = await hkdfSha256(key, ZERO_SALT, info);
  try {
    return await hmacSha256(commitKey, canonical(LABELS.keyCommit, u32(VERSION), roomId, kid));
  } finally {
    commitKey.fill(0);
  }
}

/**
 * @typedef {object} KeyProofOptions
 * @property {string} roomId the room's uid
 * @property {number} epoch the new key's epoch
 * @property {string} previousKeyId key id of epoch - 1
 * @property {Uint8Array} previousKey the room key of epoch - 1
 * @property {string} keyId the new key's id
 * @property {Uint8Array} commit the new key's commitment
 * @property {string} author who introduces the new key
 */

/**
 * Return the 32-byte proof that `author` held the previous epoch's key (§15.4).
 * @param {KeyProofOptions} options
 * @returns {Promise<Uint8Array>}
 */
export async function keyProof({ roomId, epoch, previousKeyId, previousKey, keyId, commit, author }) {
  requireId(roomId, "room id");
  requireId(author, "author id");
  requireBytes(previousKey, ROOM_KEY_BYTES, "previous room key");
  requireBytes(commit, 32, "commit");
  const previousKid = parseKeyId(previousKeyId);
  const kid = parseKeyId(keyId);
  const info = canonical(LABELS.keyProofKdf, u32(VERSION), roomId, previousKid);
  const proofKey = await hkdfSha256(previousKey, ZERO_SALT, info);
  const data = canonical(LABELS.keyProof, u32(VERSION), roomId, u32(epoch), previousKid, kid, commit, author);
  try {
    return await hmacSha256(proofKey, data);
  } finally {
    proofKey.fill(0);
  }
}
