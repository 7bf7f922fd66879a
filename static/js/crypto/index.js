/**
 * Keyroom's pure E2EE layer (WebCrypto, no DOM): see docs/PROTOCOL.md for the byte formats.
 * @module crypto
 */

export * from "./errors.js";
export { b64uDecode, b64uEncode } from "./base64url.js";
export { canonical, LABELS, u32, utf8, VERSION, isValidId, isValidMessageId } from "./encoding.js";
export {
  IDENTITY_SECRET_BYTES,
  importIdentitySecret,
  generateIdentity,
  verifyPublicIdentity,
  fingerprint,
  formatSafetyNumber,
  safetyNumber,
} from "./identity.js";
export {
  BACKUP_KDF,
  MIN_ITERATIONS,
  DEFAULT_ITERATIONS,
  MAX_ITERATIONS,
  passwordBytes,
  checkBackupBlob,
  createBackup,
  unlockBackup,
  rewrapBackup,
  createIdentityWithBackup,
} from "./backup.js";
export {
  PASSWORD_WORDS,
  WORD_SEPARATOR,
  MIN_PASSWORD_BITS,
  parseWordlist,
  generatePassword,
  normalizePassphrase,
  isGeneratedForm,
  unlockCandidates,
} from "./password.js";
export { ROOM_KEY_BYTES, KEY_ID_BYTES, generateRoomKey, parseKeyId } from "./roomkeys.js";
export { sealEnvelope, checkEnvelopeWire, openEnvelope } from "./envelope.js";
export { signMembership, checkMembershipWire, verifyMembership } from "./membership.js";
export {
  encodePayload,
  decodePayload,
  encryptMessage,
  checkMessageWire,
  decryptMessageBytes,
  decryptMessage,
} from "./message.js";
export {
  MAX_TRUST_STATE_BYTES,
  MAX_TRUST_VERSION,
  canonicalJson,
  sealTrustRecord,
  checkTrustRecordWire,
  openTrustRecord,
} from "./trustrecord.js";
export {
  ENTRY_TYPES,
  MAX_GENESIS_MEMBERS,
  TS_SKEW_MS,
  checkEntryWire,
  entrySignedBytes,
  entryHash,
  memberIdent,
  signEntry,
  keyCommitment,
  keyProof,
  copyChainState,
  verifyChain,
} from "./roomstate.js";
