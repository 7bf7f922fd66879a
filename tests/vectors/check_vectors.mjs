// Check a vector file with the JS implementation: re-derive every positive vector from its
// inputs (injected randomness) and open it again; require each negative vector to fail with
// exactly the expected error class. Shared by tests/js (Node) and tests/browser (Chromium).

import { readContent } from "../../static/js/chat/content.js";
import { _createBackupWithRandomness, _decryptBackupSecret, unlockBackup } from "../../static/js/crypto/backup.js";
import { b64uDecode, b64uEncode } from "../../static/js/crypto/base64url.js";
import { sha256 } from "../../static/js/crypto/bytes.js";
import { canonical, u32 } from "../../static/js/crypto/encoding.js";
import { _sealEnvelopeWithRandomness, openEnvelope } from "../../static/js/crypto/envelope.js";
import { ERRORS_BY_CODE } from "../../static/js/crypto/errors.js";
import {
  fingerprint,
  importIdentitySecret,
  safetyNumber,
  verifyPublicIdentity,
} from "../../static/js/crypto/identity.js";
import { _membershipSignedBytes, signMembership, verifyMembership } from "../../static/js/crypto/membership.js";
import {
  _encryptMessageWithRandomness,
  decryptMessage,
  decryptMessageBytes,
  encodePayload,
} from "../../static/js/crypto/message.js";
import {
  _generatePasswordWithRandomness,
  normalizePassphrase,
  parseWordlist,
  unlockCandidates,
} from "../../static/js/crypto/password.js";
import {
  _sealTrustRecordWithIv,
  _trustRecordKey,
  canonicalJson,
  openTrustRecord,
} from "../../static/js/crypto/trustrecord.js";
import { entryHash, entrySignedBytes, keyCommitment, keyProof, verifyChain } from "../../static/js/crypto/roomstate.js";

const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
const fromHex = (text) => Uint8Array.from(text.match(/../g) ?? [], (h) => parseInt(h, 16));

function deepEqual(a, b) {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
}

function assertEqual(actual, expected, what) {
  if (!deepEqual(actual, expected)) {
    throw new Error(`${what}: got ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`);
  }
}

async function expectError(code, fn) {
  const Expected = ERRORS_BY_CODE[code];
  if (!Expected) throw new Error(`unknown expected error code ${code}`);
  try {
    await fn();
  } catch (e) {
    if (e?.constructor === Expected) return;
    throw new Error(`expected ${Expected.name}, got ${e?.name}: ${e?.message}`, { cause: e });
  }
  throw new Error(`expected ${Expected.name}, but it succeeded`);
}

async function identities(doc) {
  const out = {};
  for (const [name, f] of Object.entries(doc.identities ?? {})) {
    const unlocked = await importIdentitySecret(fromHex(f.secret_hex), f.user_id);
    assertEqual(unlocked.publicIdentity, f.public_identity, `identity ${name}`);
    const verified = await verifyPublicIdentity(f.public_identity, f.user_id);
    out[name] = { ...unlocked, ...verified };
  }
  return out;
}

const field = (f) => ("u32" in f ? u32(f.u32) : "str" in f ? f.str : fromHex(f.hex));

/**
 * Return the vector form of a verified room-state chain state (the fields both implementations
 * compare; docs/PROTOCOL.md §15.5).
 * @param {import('../../static/js/crypto/roomstate.js').ChainState} state
 * @returns {object}
 */
export function chainStateVector(state) {
  return {
    members: Object.fromEntries([...state.members].map(([u, i]) => [u, i ? i.ed25519 : null])),
    joined: Object.fromEntries(state.joined),
    epoch: state.epoch,
    current_key_id: state.currentKeyId,
    share_history: state.shareHistory,
    starter: state.starter,
    length: state.length,
    head: state.head === null ? null : b64uEncode(state.head),
    proven: Object.fromEntries([...state.keys].map(([kid, r]) => [kid, r.proven])),
    started_ts: state.startedTs,
    head_ts: state.headTs,
  };
}

const roomKeyMap = (keys) => new Map(Object.entries(keys).map(([kid, k]) => [kid, b64uDecode(k)]));

/** @type {Record<string, (doc: any, env: any) => Promise<Array<[string, () => Promise<void>]>>>} */
const CHECKS = {
  async encoding(doc) {
    return doc.vectors.map((v) => [
      v.name,
      async () => {
        assertEqual(hex(canonical(v.label, ...v.fields.map(field))), v.expected_hex, "encoding");
      },
    ]);
  },

  async base64url(doc) {
    return [
      ...doc.valid.map((v) => [
        `valid ${JSON.stringify(v.text)}`,
        async () => {
          assertEqual(b64uEncode(fromHex(v.hex)), v.text, "encode");
          assertEqual(hex(b64uDecode(v.text)), v.hex, "decode");
        },
      ]),
      ...doc.invalid.map((v) => [
        `invalid ${JSON.stringify(v.text)}`,
        () => expectError(v.expect_error, () => b64uDecode(v.text)),
      ]),
    ];
  },

  async identity(doc) {
    return [
      ...doc.valid.map((v) => [
        v.name,
        async () => {
          const unlocked = await importIdentitySecret(fromHex(v.secret_hex), v.user_id);
          assertEqual(unlocked.publicIdentity, v.public_identity, "public identity");
          const verified = await verifyPublicIdentity(v.public_identity, v.user_id);
          assertEqual(hex(await fingerprint(verified)), v.fingerprint_hex, "fingerprint");
          assertEqual(await safetyNumber(verified), v.safety_number, "safety number");
        },
      ]),
      ...doc.invalid.map((v) => [
        v.name,
        () => expectError(v.expect_error, () => verifyPublicIdentity(v.public_identity, v.user_id)),
      ]),
    ];
  },

  async backup(doc) {
    return [
      ...doc.valid.map((v) => [
        v.name,
        async () => {
          const randomness = {
            salt: fromHex(v.salt_hex),
            iv: fromHex(v.iv_hex),
            iterations: v.iterations,
          };
          const secret = fromHex(v.secret_hex);
          const blob = await _createBackupWithRandomness(secret, v.password, v.user_id, randomness);
          assertEqual(blob, v.blob, "backup blob");
          const opened = await _decryptBackupSecret(v.blob, v.unlock_password, v.user_id);
          assertEqual(hex(opened), v.secret_hex, "decrypted secret");
          const unlocked = await unlockBackup(v.blob, v.unlock_password, v.user_id);
          assertEqual(unlocked.publicIdentity, v.public_identity, "unlocked identity");
        },
      ]),
      ...doc.invalid.map((v) => [
        v.name,
        () => expectError(v.expect_error, () => unlockBackup(v.blob, v.password, v.user_id)),
      ]),
    ];
  },

  async password(doc, env) {
    const words = parseWordlist(new TextDecoder().decode(env.wordlistBytes));
    return [
      [
        "wordlist",
        async () => {
          assertEqual(hex(await sha256(env.wordlistBytes)), doc.wordlist_sha256, "sha256");
          assertEqual(words.length, doc.wordlist_size, "size");
        },
      ],
      ...doc.vectors.map((v) => [
        v.name,
        async () => {
          let i = 0;
          const next = () => {
            if (i >= v.u32s.length) throw new Error("ran out of u32s");
            return v.u32s[i++];
          };
          assertEqual(_generatePasswordWithRandomness(words, next, v.count), v.expected, "password");
          assertEqual(i, v.u32s.length, "u32s consumed");
        },
      ]),
      ...(doc.normalize ?? []).map((v) => [
        `normalize: ${v.name}`,
        async () => {
          assertEqual(normalizePassphrase(v.typed), v.normalized, "normalized");
          assertEqual(JSON.stringify(unlockCandidates(v.typed, words)), JSON.stringify(v.candidates), "candidates");
        },
      ]),
    ];
  },

  async envelope(doc) {
    const ids = await identities(doc);
    return [
      ...doc.valid.map((v) => [
        v.name,
        async () => {
          const envelope = await _sealEnvelopeWithRandomness(fromHex(v.room_key_hex), {
            roomId: v.room_id,
            keyId: v.key_id,
            senderId: v.sender_id,
            recipientId: v.recipient_id,
            recipientDhPublicKey: ids[v.recipient].dhPublicKey,
            signingKey: ids.sender.signingKey,
            ephemeralSecret: fromHex(v.ephemeral_secret_hex),
            iv: fromHex(v.iv_hex),
          });
          assertEqual(envelope, v.envelope, "envelope");
          const opened = await openEnvelope(v.envelope, {
            roomId: v.room_id,
            senderId: v.sender_id,
            recipientId: v.recipient_id,
            senderSignPublicKey: ids.sender.signPublicKey,
            recipientAgreementKey: ids[v.recipient].agreementKey,
            recipientDhPublicKey: ids[v.recipient].dhPublicKey,
          });
          assertEqual(opened.keyId, v.key_id, "key id");
          assertEqual(hex(opened.key), v.room_key_hex, "room key");
        },
      ]),
      ...doc.invalid.map((v) => [
        v.name,
        () =>
          expectError(v.expect_error, () =>
            openEnvelope(v.envelope, {
              roomId: v.room_id,
              senderId: v.sender_id,
              recipientId: v.recipient_id,
              senderSignPublicKey: ids[v.sender].signPublicKey,
              recipientAgreementKey: ids[v.recipient].agreementKey,
              recipientDhPublicKey: ids[v.recipient].dhPublicKey,
            }),
          ),
      ]),
    ];
  },

  async message(doc) {
    const ids = await identities(doc);
    const keyMap = (keys) => new Map(Object.entries(keys).map(([kid, k]) => [kid, fromHex(k)]));
    return [
      ...doc.valid.map((v) => [
        v.name,
        async () => {
          assertEqual(hex(encodePayload(v.payload)), v.plaintext_hex, "payload JSON");
          const wire = await _encryptMessageWithRandomness(fromHex(v.plaintext_hex), {
            roomId: v.room_id,
            keyId: v.key_id,
            roomKey: fromHex(v.room_key_hex),
            senderId: v.sender_id,
            messageId: v.message_id,
            signingKey: ids.alice.signingKey,
            iv: fromHex(v.iv_hex),
          });
          assertEqual(wire, v.wire, "wire");
          const options = {
            roomId: v.room_id,
            senderId: v.sender_id,
            messageId: v.message_id,
            senderSignPublicKey: ids.alice.signPublicKey,
            keys: keyMap({ [v.key_id]: v.room_key_hex }),
          };
          assertEqual(hex(await decryptMessageBytes(v.wire, options)), v.plaintext_hex, "bytes");
          assertEqual(await decryptMessage(v.wire, options), v.payload, "payload");
          // A content payload (PROTOCOL.md "Message content") reads as its content, every key
          // of a later version kept; rev/ts/ctr are the transcript's, not the content's.
          if (v.payload.v !== undefined) {
            const { rev: _rev, ts: _ts, ctr: _ctr, ...content } = v.payload;
            assertEqual(readContent(content), content, "content");
          }
        },
      ]),
      ...doc.invalid.map((v) => [
        v.name,
        () =>
          expectError(v.expect_error, () =>
            decryptMessage(v.wire, {
              roomId: v.room_id,
              senderId: v.sender_id,
              messageId: v.message_id,
              senderSignPublicKey: ids[v.sender].signPublicKey,
              keys: keyMap(v.keys),
            }),
          ),
      ]),
    ];
  },
  async membership(doc) {
    const ids = await identities(doc);
    return [
      ...doc.valid.map((v) => [
        v.name,
        async () => {
          const ctx = { roomId: v.room_id, attesterId: v.attester_id, memberId: v.member_id };
          const signed = _membershipSignedBytes({ ...ctx, keyId: b64uDecode(v.key_id) });
          assertEqual(hex(signed), v.signed_hex, "signed bytes");
          const wire = await signMembership({
            ...ctx,
            keyId: v.key_id,
            signingKey: ids[v.attester].signingKey,
          });
          assertEqual(wire, v.membership, "membership");
          const verified = await verifyMembership(v.membership, {
            ...ctx,
            attesterSignPublicKey: ids[v.attester].signPublicKey,
          });
          assertEqual(verified, { keyId: v.key_id }, "verified");
        },
      ]),
      ...doc.invalid.map((v) => [
        v.name,
        () =>
          expectError(v.expect_error, () =>
            verifyMembership(v.membership, {
              roomId: v.room_id,
              attesterId: v.attester_id,
              memberId: v.member_id,
              attesterSignPublicKey: ids[v.attester].signPublicKey,
            }),
          ),
      ]),
    ];
  },
  async trustrecord(doc) {
    const ids = await identities(doc);
    const keysOf = (name) => ({
      signPublicKey: ids[name].signPublicKey,
      agreementKey: ids[name].agreementKey,
      dhPublicKey: ids[name].dhPublicKey,
    });
    return [
      ...doc.valid.map((v) => [
        v.name,
        async () => {
          const own = keysOf(v.owner);
          const key = await _trustRecordKey(own.agreementKey, own.dhPublicKey, v.user_id);
          assertEqual(hex(key), v.key_hex, "record key");
          assertEqual(hex(new TextEncoder().encode(canonicalJson(v.state))), v.plaintext_hex, "plaintext");
          const record = await _sealTrustRecordWithIv(
            v.state,
            { ...own, userId: v.user_id, version: v.version, signingKey: ids[v.owner].signingKey },
            fromHex(v.iv_hex),
          );
          assertEqual(record, v.record, "record");
          const opened = await openTrustRecord(v.record, {
            ...own,
            userId: v.user_id,
            minVersion: v.version,
          });
          assertEqual(opened, { version: v.version, state: v.state }, "opened");
        },
      ]),
      ...doc.invalid.map((v) => [
        v.name,
        () =>
          expectError(v.expect_error, () =>
            openTrustRecord(v.record, {
              ...keysOf(v.owner),
              userId: v.user_id,
              minVersion: v.min_version,
            }),
          ),
      ]),
    ];
  },
};

CHECKS.roomstate = async (doc) => [
  ...doc.positive.map((v) => [
    v.name,
    async () => {
      const signed = v.entries.map((e) => b64uEncode(entrySignedBytes(v.room_id, e)));
      assertEqual(signed, v.signed, "signed bytes");
      const hashes = [];
      for (const e of v.entries) hashes.push(b64uEncode(await entryHash(v.room_id, e)));
      assertEqual(hashes, v.hashes, "hashes");
      const state = await verifyChain(v.entries, { roomId: v.room_id, keys: roomKeyMap(v.keys) });
      assertEqual(chainStateVector(state), v.state, "state");
    },
  ]),
  ...doc.commitments.map((v, i) => [
    `commitment ${i}`,
    async () => {
      const commit = await keyCommitment({
        roomId: v.room_id,
        keyId: v.key_id,
        key: b64uDecode(v.key),
      });
      assertEqual(b64uEncode(commit), v.commit, "commit");
    },
  ]),
  ...doc.proofs.map((v, i) => [
    `proof ${i}`,
    async () => {
      const proof = await keyProof({
        roomId: v.room_id,
        epoch: v.epoch,
        previousKeyId: v.previous_key_id,
        previousKey: b64uDecode(v.previous_key),
        keyId: v.key_id,
        commit: b64uDecode(v.commit),
        author: v.author,
      });
      assertEqual(b64uEncode(proof), v.proof, "proof");
    },
  ]),
  ...doc.negative.map((v) => [
    v.name,
    () => expectError(v.expect_error, () => verifyChain(v.entries, { roomId: v.room_id, keys: roomKeyMap(v.keys) })),
  ]),
];

/**
 * Return [name, run] pairs checking one vector file; `run` throws on failure.
 * @param {any} doc parsed vector file
 * @param {{wordlistBytes: Uint8Array}} env
 * @returns {Promise<Array<[string, () => Promise<void>]>>}
 */
export async function vectorChecks(doc, env) {
  const make = Object.hasOwn(CHECKS, doc.kind) ? CHECKS[doc.kind] : undefined;
  if (!make) throw new Error(`unknown vector kind ${doc.kind}`);
  return make(doc, env);
}

/** The vector files every generator writes. */
export const VECTOR_FILES = Object.freeze([
  "encoding.json",
  "base64url.json",
  "identity.json",
  "backup.json",
  "password.json",
  "envelope.json",
  "message.json",
  "membership.json",
  "trustrecord.json",
  "roomstate.json",
]);

/**
 * Vector files added after the first release of the other generator: a set may not have them yet
 * (the checks skip a missing one; the JS set always has them).
 */
export const NEWER_VECTOR_FILES = Object.freeze(["roomstate.json"]);
