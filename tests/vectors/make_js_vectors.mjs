// Write the JS-made crypto test vectors to tests/vectors/js/*.json.
//
// Mirrors tests/vectors/make_py_vectors.py with its own fixed inputs: everything normally random
// is derived from a name, so running this again gives the same files. The Python suite checks
// these files (and this script's --stdout output, live); the JS suite re-derives them.
//
//   node tests/vectors/make_js_vectors.mjs            # write tests/vectors/js/*.json
//   node tests/vectors/make_js_vectors.mjs --stdout   # print all files as one JSON object

import { mkdir, readFile, writeFile } from "node:fs/promises";
import { pathToFileURL } from "node:url";

import { _createBackupWithRandomness } from "../../static/js/crypto/backup.js";
import { b64uDecode, b64uEncode } from "../../static/js/crypto/base64url.js";
import { aesGcmEncrypt, concatBytes, ed25519Sign, sha256, x25519 } from "../../static/js/crypto/bytes.js";
import { canonical, LABELS, u32, utf8 } from "../../static/js/crypto/encoding.js";
import {
  _envelopeAd,
  _envelopeKey,
  _envelopeSignedBytes,
  _sealEnvelopeWithRandomness,
} from "../../static/js/crypto/envelope.js";
import {
  fingerprint,
  importIdentitySecret,
  safetyNumber,
  verifyPublicIdentity,
} from "../../static/js/crypto/identity.js";
import { _membershipSignedBytes, signMembership } from "../../static/js/crypto/membership.js";
import { _encryptMessageWithRandomness, encodePayload } from "../../static/js/crypto/message.js";
import {
  _generatePasswordWithRandomness,
  normalizePassphrase,
  parseWordlist,
  unlockCandidates,
} from "../../static/js/crypto/password.js";
import {
  _sealTrustRecordWithIv,
  _trustRecordAd,
  _trustRecordKey,
  _trustRecordSignedBytes,
  canonicalJson,
} from "../../static/js/crypto/trustrecord.js";
import {
  TS_SKEW_MS,
  entryHash,
  entrySignedBytes,
  keyCommitment,
  keyProof,
  memberIdent,
  signEntry,
  verifyChain,
} from "../../static/js/crypto/roomstate.js";

import { chainStateVector } from "./check_vectors.mjs";

const GENERATOR = "js";
const OUT_DIR = new URL("./js/", import.meta.url);
const WORDLIST = new URL("../../static/e2e/eff_large_wordlist.txt", import.meta.url);

const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
const fromHex = (text) => Uint8Array.from(text.match(/../g) ?? [], (h) => parseInt(h, 16));
const without = (obj, key) => Object.fromEntries(Object.entries(obj).filter(([k]) => k !== key));

/** Return `n` bytes derived from `label` (SHA-256 counter mode): fixed test randomness. */
async function det(label, n) {
  const parts = [];
  for (let i = 0; parts.length * 32 < n; i++) {
    parts.push(await sha256(utf8(`keyroom-vectors/${GENERATOR}/${label}/${i}`)));
  }
  return concatBytes(...parts).slice(0, n);
}

async function detUuid(label) {
  const h = hex(await det(label, 16));
  const parts = [h.slice(0, 8), h.slice(8, 12), `4${h.slice(13, 16)}`, `a${h.slice(17, 20)}`];
  return [...parts, h.slice(20, 32)].join("-");
}

/** Return base64url `text` with one bit of byte `index` flipped. */
function flip(text, index = 0) {
  const data = b64uDecode(text);
  data[index] ^= 0x01;
  return b64uEncode(data);
}

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
/** Return base64url `text` (of a partial final group) with a padding bit set. */
const nonCanonical = (text) => text.slice(0, -1) + B64[B64.indexOf(text.at(-1)) | 1];

const doc = (kind, body) => ({ generator: GENERATOR, kind, ...body });

async function encodingVectors() {
  const kid = await det("encoding/kid", 16);
  const cases = [
    ["label only", "keyroom/v1/envelope-kdf", []],
    [
      "message associated data",
      "keyroom/v1/message-ad",
      [{ u32: 1 }, { str: "12" }, { hex: hex(kid) }, { str: "42" }, { str: await detUuid("encoding/uuid") }],
    ],
    ["empty and unicode", "keyroom/v1/test", [{ str: "" }, { str: "héllo 🔐" }, { hex: "" }]],
    ["split a|bc", "keyroom/v1/test", [{ str: "a" }, { str: "bc" }]],
    ["split ab|c", "keyroom/v1/test", [{ str: "ab" }, { str: "c" }]],
    ["u32 extremes", "keyroom/v1/test", [{ u32: 0 }, { u32: 4294967295 }, { u32: 600000 }]],
  ];
  const vectors = cases.map(([name, label, fields]) => {
    const raw = fields.map((f) => ("u32" in f ? u32(f.u32) : "str" in f ? f.str : fromHex(f.hex)));
    return { name, label, fields, expected_hex: hex(canonical(label, ...raw)) };
  });
  return doc("encoding", { vectors });
}

async function base64urlVectors() {
  const samples = [
    new Uint8Array(0),
    Uint8Array.of(0),
    Uint8Array.of(0xff),
    Uint8Array.of(0xfb, 0xff),
    Uint8Array.of(0xfb, 0xff, 0xbf),
    await det("b64/5", 5),
    await det("b64/32", 32),
  ];
  const valid = samples.map((s) => ({ hex: hex(s), text: b64uEncode(s) }));
  const badTexts = ["A", "AA==", "AB", "AAB", "A+/A", "AA AA", "AAAA\n", "ÀAAA", 5, null];
  const invalid = badTexts.map((text) => ({ text, expect_error: "malformed" }));
  return doc("base64url", { valid, invalid });
}

async function identityFixture(name, userId) {
  const secret = await det(`identity/${name}`, 64);
  const { publicIdentity } = await importIdentitySecret(secret, userId);
  return { user_id: userId, secret_hex: hex(secret), public_identity: publicIdentity };
}

async function identityVectors() {
  const valid = [];
  for (const [name, userId] of [
    ["alice", "42"],
    ["bob", "7"],
    ["unicode", "ünï-💬"],
  ]) {
    const fixture = await identityFixture(name, userId);
    const verified = await verifyPublicIdentity(fixture.public_identity, userId);
    valid.push({
      ...fixture,
      name,
      fingerprint_hex: hex(await fingerprint(verified)),
      safety_number: await safetyNumber(verified),
    });
  }
  const alice = valid[0].public_identity;
  const bob = valid[1].public_identity;
  const bad = (name, userId, obj, error) => ({
    name,
    user_id: userId,
    public_identity: obj,
    expect_error: error,
  });
  const shortKey = b64uEncode(b64uDecode(alice.ed25519).slice(0, 31));
  const invalid = [
    bad("flipped signature bit", "42", { ...alice, sig: flip(alice.sig) }, "bad_signature"),
    bad("checked as another user", "43", alice, "bad_signature"),
    bad("user field rewritten", "43", { ...alice, user: "43" }, "bad_signature"),
    bad("x25519 key swapped", "42", { ...alice, x25519: bob.x25519 }, "bad_signature"),
    bad("ed25519 key swapped", "42", { ...alice, ed25519: bob.ed25519 }, "bad_signature"),
    bad("version 2", "42", { ...alice, v: 2 }, "unsupported"),
    bad("version as string", "42", { ...alice, v: "1" }, "unsupported"),
    bad("extra field", "42", { ...alice, note: "hi" }, "malformed"),
    bad("missing signature", "42", without(alice, "sig"), "malformed"),
    bad("short ed25519 key", "42", { ...alice, ed25519: shortKey }, "malformed"),
    bad("padded base64", "42", { ...alice, sig: `${alice.sig}==` }, "malformed"),
    bad("empty user id", "42", { ...alice, user: "" }, "malformed"),
    bad("not an object", "42", [alice], "malformed"),
  ];
  return doc("identity", { valid, invalid });
}

async function backupVectors() {
  const cases = [
    ["ascii password", "42", "abacus zoom t-shirt yo-yo drop-down felt-tip zoology a b c", null],
    // NFKC: fullwidth letters, the "fi" ligature and a decomposed e + acute all normalise.
    ["nfkc password", "7", "\uff30\uff41\uff53\uff53 \ufb01ne caf\u00e9", "Pass fine cafe\u0301"],
  ];
  const valid = [];
  for (const [i, [name, userId, password, unlockPassword]] of cases.entries()) {
    const secret = await det(`backup/${name}/secret`, 64);
    const salt = await det(`backup/${name}/salt`, 16);
    const iv = await det(`backup/${name}/iv`, 12);
    const iterations = 600000 + i;
    const blob = await _createBackupWithRandomness(secret, password, userId, {
      salt,
      iv,
      iterations,
    });
    valid.push({
      name,
      user_id: userId,
      password,
      unlock_password: unlockPassword ?? password,
      secret_hex: hex(secret),
      salt_hex: hex(salt),
      iv_hex: hex(iv),
      iterations,
      blob,
      public_identity: (await importIdentitySecret(secret, userId)).publicIdentity,
    });
  }
  const { blob, password: pw } = valid[0];
  const shortCt = b64uEncode(b64uDecode(blob.ct).slice(0, 79));
  const bad = (name, obj, error, { password = pw, user = "42" } = {}) => ({
    name,
    user_id: user,
    password,
    blob: obj,
    expect_error: error,
  });
  const invalid = [
    bad("wrong password", blob, "wrong_password", { password: `${pw}x` }),
    bad("another user's id", blob, "wrong_password", { user: "43" }),
    bad("flipped ciphertext bit", { ...blob, ct: flip(blob.ct, 5) }, "wrong_password"),
    bad("changed salt", { ...blob, salt: flip(blob.salt) }, "wrong_password"),
    bad("599999 iterations", { ...blob, iterations: 599999 }, "weak_kdf"),
    bad("100000 iterations", { ...blob, iterations: 100000 }, "weak_kdf"),
    bad("1000 iterations", { ...blob, iterations: 1000 }, "weak_kdf"),
    bad("absurd iterations", { ...blob, iterations: 10000001 }, "unsupported"),
    bad("iterations as string", { ...blob, iterations: "600000" }, "malformed"),
    bad("fractional iterations", { ...blob, iterations: 600000.5 }, "malformed"),
    bad("version 2", { ...blob, v: 2 }, "unsupported"),
    bad("PBKDF2-SHA1", { ...blob, kdf: "PBKDF2-SHA1" }, "unsupported"),
    bad("argon2id", { ...blob, kdf: "argon2id" }, "unsupported"),
    bad("8-byte salt", { ...blob, salt: b64uEncode(await det("backup/salt8", 8)) }, "malformed"),
    bad("16-byte iv", { ...blob, iv: b64uEncode(await det("backup/iv16", 16)) }, "malformed"),
    bad("truncated ciphertext", { ...blob, ct: shortCt }, "malformed"),
    bad("missing iv", without(blob, "iv"), "malformed"),
    bad("extra field", { ...blob, hint: "pet name" }, "malformed"),
    bad("null", null, "malformed"),
  ];
  return doc("backup", { valid, invalid });
}

// How a generated passphrase (or another password) may arrive from a keyboard: the same list is
// in make_py_vectors.py.
const PASSPHRASE_TYPINGS = [
  ["generated, as shown", "abacus zoom t-shirt yo-yo"],
  ["capital first word", "Abacus zoom t-shirt yo-yo"],
  ["double space and surrounding space", "  abacus  zoom t-shirt\tyo-yo \n"],
  ["no-break and ideographic spaces", "abacus\u00a0zoom\u3000t-shirt\u2009yo-yo"],
  ["all capitals, full width", "\uff21\uff22\uff21\uff23\uff35\uff33 ZOOM"],
  ["not all list words", "Abacus zoom hunter2"],
  ["own password with capitals", "Tr0ub4dor  & Three"],
  ["non-ASCII capital kept", "\u00c1bacus zoom"],
  ["only spaces", "   "],
];

async function passwordVectors() {
  const text = await readFile(WORDLIST, "utf8");
  const words = parseWordlist(text);
  const limit = 2 ** 32 - (2 ** 32 % words.length);
  const edge = [0, 7775, 7776, limit - 1, limit, 2 ** 32 - 1, 1, 2 ** 31, 123456789, 3e9, 42, 5000];
  const draws = await det("password/random", 4 * 12);
  const view = new DataView(draws.buffer);
  const randomU32s = Array.from({ length: 12 }, (_, i) => view.getUint32(4 * i, false));
  const vectors = [];
  for (const [name, u32s] of [
    ["edges and rejections", edge],
    ["random draws", randomU32s],
  ]) {
    let consumed = 0;
    const expected = _generatePasswordWithRandomness(words, () => u32s[consumed++], 10);
    vectors.push({ name, u32s: u32s.slice(0, consumed), count: 10, expected });
  }
  const wordlistSha = hex(await sha256(new Uint8Array(await readFile(WORDLIST))));
  const normalize = PASSPHRASE_TYPINGS.map(([name, typed]) => ({
    name,
    typed,
    normalized: normalizePassphrase(typed),
    candidates: unlockCandidates(typed, words),
  }));
  return doc("password", {
    wordlist_sha256: wordlistSha,
    wordlist_size: words.length,
    vectors,
    normalize,
  });
}

async function fixtures(prefix, entries) {
  const ids = {};
  const unlocked = {};
  const verified = {};
  for (const [name, userId] of entries) {
    ids[name] = await identityFixture(`${prefix}/${name}`, userId);
    unlocked[name] = await importIdentitySecret(fromHex(ids[name].secret_hex), userId);
    verified[name] = await verifyPublicIdentity(ids[name].public_identity, userId);
  }
  return { ids, unlocked, verified };
}

async function envelopeVectors() {
  const { ids, unlocked, verified } = await fixtures("envelope", [
    ["sender", "42"],
    ["recipient", "7"],
    ["other", "99"],
  ]);
  const roomKey = await det("envelope/room-key", 32);
  const keyId = b64uEncode(await det("envelope/kid", 16));
  const valid = [];
  for (const [label, recipient, roomId] of [
    ["basic", "recipient", "12"],
    ["to self", "sender", "3"],
  ]) {
    const ephemeralSecret = await det(`envelope/${label}/eph`, 32);
    const iv = await det(`envelope/${label}/iv`, 12);
    const envelope = await _sealEnvelopeWithRandomness(roomKey, {
      roomId,
      keyId,
      senderId: "42",
      recipientId: ids[recipient].user_id,
      recipientDhPublicKey: verified[recipient].dhPublicKey,
      signingKey: unlocked.sender.signingKey,
      ephemeralSecret,
      iv,
    });
    valid.push({
      name: label,
      room_id: roomId,
      key_id: keyId,
      room_key_hex: hex(roomKey),
      sender_id: "42",
      recipient_id: ids[recipient].user_id,
      recipient,
      ephemeral_secret_hex: hex(ephemeralSecret),
      iv_hex: hex(iv),
      envelope,
    });
  }
  const env = valid[0].envelope;
  const recipientDh = verified.recipient.dhPublicKey;
  const kid = b64uDecode(keyId);
  const iv = b64uDecode(env.iv);
  const eph = b64uDecode(env.eph);

  /** Return an envelope the real sender signed although its ciphertext cannot open. */
  const signedGarbage = async (ephKey, ct) => {
    const ctx = { roomId: "12", keyId: kid, senderId: "42", recipientId: "7" };
    const signed = _envelopeSignedBytes(ctx, recipientDh, ephKey, iv, ct);
    const sig = await ed25519Sign(unlocked.sender.signingKey, signed);
    return { ...env, eph: b64uEncode(ephKey), ct: b64uEncode(ct), sig: b64uEncode(sig) };
  };
  // Same key derivation as the real envelope, but the AD names room 13.
  const shared = await x25519(unlocked.recipient.agreementKey, eph);
  const key = await _envelopeKey(shared, eph, recipientDh);
  const wrongAd = _envelopeAd({ roomId: "13", keyId: kid, senderId: "42", recipientId: "7" });
  const ctWrongAd = await aesGcmEncrypt(key, iv, roomKey, wrongAd);

  const bad = (name, obj, error, ctx = {}) => ({
    name,
    envelope: obj,
    room_id: "12",
    sender_id: "42",
    recipient_id: "7",
    sender: "sender",
    recipient: "recipient",
    ...ctx,
    expect_error: error,
  });
  const invalid = [
    bad("opened as another room", env, "bad_signature", { room_id: "13" }),
    bad("claimed by another sender id", env, "bad_signature", { sender_id: "99" }),
    bad("checked with another sender's key", env, "bad_signature", { sender: "other" }),
    bad("opened by another user", env, "bad_signature", { recipient: "other", recipient_id: "99" }),
    bad("recipient id changed", env, "bad_signature", { recipient_id: "99" }),
    bad("flipped ciphertext bit", { ...env, ct: flip(env.ct) }, "bad_signature"),
    bad("flipped ephemeral key bit", { ...env, eph: flip(env.eph) }, "bad_signature"),
    bad("key id changed", { ...env, kid: b64uEncode(await det("other-kid", 16)) }, "bad_signature"),
    bad("signed but wrong associated data", await signedGarbage(eph, ctWrongAd), "tampered"),
    bad("signed low-order ephemeral key", await signedGarbage(new Uint8Array(32), b64uDecode(env.ct)), "tampered"),
    bad("version 2", { ...env, v: 2 }, "unsupported"),
    bad("extra field", { ...env, room: "12" }, "tampered"),
    bad("short iv", { ...env, iv: b64uEncode(await det("short-iv", 8)) }, "tampered"),
    bad("bad base64 signature", { ...env, sig: `${env.sig.slice(0, -1)}*` }, "tampered"),
    bad("not an object", "envelope", "tampered"),
    bad("empty room id", env, "tampered", { room_id: "" }),
  ];
  return doc("envelope", { identities: ids, valid, invalid });
}

const CONTENT_PAYLOAD = {
  v: 1,
  text: "**hi** @bob, see https://example.com/a?b=1\n> quoted",
  format: "markdown",
  mentions: ["7"],
  mention_all: false,
  x_later: { kept: true, n: [1, 2] },
  rev: 0,
  ts: 1764583380000,
  ctr: 2,
};

async function messageVectors() {
  const { ids, unlocked } = await fixtures("message", [
    ["alice", "42"],
    ["mallory", "99"],
  ]);
  const kid1 = b64uEncode(await det("message/kid1", 16));
  const kid2 = b64uEncode(await det("message/kid2", 16));
  const key1 = await det("message/key1", 32);
  const key2 = await det("message/key2", 32);

  const encrypt = async (label, plaintext, over = {}) =>
    _encryptMessageWithRandomness(plaintext, {
      roomId: "12",
      keyId: kid1,
      roomKey: key1,
      senderId: "42",
      messageId: await detUuid(`message/${label}/id`),
      signingKey: unlocked.alice.signingKey,
      iv: await det(`message/${label}/iv`, 12),
      ...over,
    });

  const payloads = [
    ["plain text", { text: "hello" }, kid1, key1],
    ["unicode and escapes", { text: 'héllo 🔐 "quoted"\n\ttab \\ /' }, kid1, key1],
    ["reply in second epoch", { text: "ok", reply_to: await detUuid("reply") }, kid2, key2],
    // The transcript fields of §9.1: a new message, an edit of it, its tombstone.
    ["transcript fields", { text: "hi", rev: 0, ts: 1764583200000, ctr: 1 }, kid1, key1],
    ["edit with transcript fields", { text: "hi!", rev: 1, ts: 1764583260000, ctr: 1 }, kid2, key2],
    ["tombstone", { deleted: true, rev: 2, ts: 1764583320000, ctr: 1 }, kid2, key2],
    // The message content model (PROTOCOL.md "Message content") with a key of a later version,
    // which readers keep.
    ["content payload", CONTENT_PAYLOAD, kid1, key1],
  ];
  const valid = [];
  for (const [label, payload, kid, key] of payloads) {
    const plaintext = encodePayload(payload);
    valid.push({
      name: label,
      room_id: "12",
      key_id: kid,
      room_key_hex: hex(key),
      sender_id: "42",
      message_id: await detUuid(`message/${label}/id`),
      payload,
      plaintext_hex: hex(plaintext),
      iv_hex: hex(await det(`message/${label}/iv`, 12)),
      wire: await encrypt(label, plaintext, { keyId: kid, roomKey: key }),
    });
  }
  const { wire, message_id: mid } = valid[0];
  const allKeys = { [kid1]: hex(key1), [kid2]: hex(key2) };
  const bad = (name, obj, error, ctx = {}) => ({
    name,
    wire: obj,
    room_id: "12",
    sender_id: "42",
    message_id: mid,
    sender: "alice",
    keys: allKeys,
    ...ctx,
    expect_error: error,
  });
  const signed = (label, plaintext, over = {}) => encrypt(label, plaintext, { messageId: mid, ...over });
  const forged = await signed("forged", utf8('{"text":"pay mallory"}'), {
    signingKey: unlocked.mallory.signingKey,
  });
  const badUtf8 = concatBytes(utf8('{"text":"'), Uint8Array.of(0xff), utf8('"}'));
  const invalid = [
    bad("flipped ciphertext bit", { ...wire, ct: flip(wire.ct) }, "bad_signature"),
    bad("flipped iv bit", { ...wire, iv: flip(wire.iv) }, "bad_signature"),
    bad("replayed into another room", wire, "bad_signature", { room_id: "13" }),
    bad("claimed by another sender", wire, "bad_signature", { sender_id: "99" }),
    bad("checked with another sender's key", wire, "bad_signature", { sender: "mallory" }),
    bad("forged by another member", forged, "bad_signature"),
    bad("message id swapped", wire, "bad_signature", { message_id: await detUuid("other-id") }),
    bad("key id swapped to another epoch", { ...wire, kid: kid2 }, "bad_signature"),
    bad(
      "unknown key id and bad signature",
      { ...wire, kid: b64uEncode(await det("unknown-kid", 16)) },
      "bad_signature",
      { keys: {} },
    ),
    bad("unknown key id", wire, "no_key", { keys: { [kid2]: hex(key2) } }),
    bad(
      "signed with the wrong key under this id",
      await signed("wrong-key", utf8('{"text":"x"}'), { roomKey: key2 }),
      "tampered",
    ),
    bad("signed payload not JSON", await signed("not-json", utf8("not json")), "tampered"),
    bad("signed payload a JSON array", await signed("array", utf8("[1,2]")), "tampered"),
    bad("signed payload invalid UTF-8", await signed("bad-utf8", badUtf8), "tampered"),
    bad("version 2", { ...wire, v: 2 }, "unsupported"),
    bad("version missing", without(wire, "v"), "unsupported"),
    bad("extra field", { ...wire, room: "12" }, "tampered"),
    bad("missing signature", without(wire, "sig"), "tampered"),
    bad("ciphertext shorter than a tag", { ...wire, ct: b64uEncode(utf8("12345678")) }, "tampered"),
    bad("non-canonical base64 signature", { ...wire, sig: nonCanonical(wire.sig) }, "tampered"),
    bad("not an object", null, "tampered"),
    bad("message id not a UUID", wire, "tampered", { message_id: "NOT-A-UUID" }),
  ];
  return doc("message", { identities: ids, valid, invalid });
}

async function membershipVectors() {
  const { ids, unlocked } = await fixtures("membership", [
    ["attester", "42"],
    ["other", "99"],
  ]);
  const kid1 = b64uEncode(await det("membership/kid1", 16));
  const kid2 = b64uEncode(await det("membership/kid2", 16));
  const room1 = await detUuid("membership/room1");
  const room2 = await detUuid("membership/room2");
  const cases = [
    ["basic", room1, kid1, "42", "7"],
    ["unicode member id, second epoch", room2, kid2, "42", "ünï-💬"],
  ];
  const valid = [];
  for (const [name, roomId, keyId, attesterId, memberId] of cases) {
    const signed = _membershipSignedBytes({
      roomId,
      keyId: b64uDecode(keyId),
      attesterId,
      memberId,
    });
    const membership = await signMembership({
      roomId,
      keyId,
      attesterId,
      memberId,
      signingKey: unlocked.attester.signingKey,
    });
    valid.push({
      name,
      room_id: roomId,
      key_id: keyId,
      attester_id: attesterId,
      member_id: memberId,
      attester: "attester",
      signed_hex: hex(signed),
      membership,
    });
  }
  const att = valid[0].membership;
  const forged = await signMembership({
    roomId: room1,
    keyId: kid1,
    attesterId: "42",
    memberId: "7",
    signingKey: unlocked.other.signingKey,
  });
  // The same field list as the envelope AD, signed under that label: domain separation.
  const otherLabel = canonical(LABELS.envelopeAd, u32(1), room1, b64uDecode(kid1), "42", "7");
  const crossLabel = {
    ...att,
    sig: b64uEncode(await ed25519Sign(unlocked.attester.signingKey, otherLabel)),
  };
  const shortKid = b64uEncode(await det("membership/kid15", 15));
  const bad = (name, obj, error, ctx = {}) => ({
    name,
    membership: obj,
    room_id: room1,
    attester_id: "42",
    member_id: "7",
    attester: "attester",
    ...ctx,
    expect_error: error,
  });
  const invalid = [
    bad("flipped signature bit", { ...att, sig: flip(att.sig, 7) }, "bad_signature"),
    bad("verified for another room", att, "bad_signature", { room_id: room2 }),
    bad("verified for another member", att, "bad_signature", { member_id: "8" }),
    bad("claimed by another attester id", att, "bad_signature", { attester_id: "99" }),
    bad("checked with another attester's key", att, "bad_signature", {
      attester: "other",
      attester_id: "99",
    }),
    bad("forged by a non-holder", forged, "bad_signature"),
    bad("key id changed", { ...att, kid: kid2 }, "bad_signature"),
    bad("envelope-ad label signed instead", crossLabel, "bad_signature"),
    bad("version 2", { ...att, v: 2 }, "unsupported"),
    bad("version as string", { ...att, v: "1" }, "unsupported"),
    bad("version missing", without(att, "v"), "unsupported"),
    bad("extra field", { ...att, member: "7" }, "tampered"),
    bad("missing signature", without(att, "sig"), "tampered"),
    bad("15-byte key id", { ...att, kid: shortKid }, "tampered"),
    bad("truncated signature", { ...att, sig: att.sig.slice(0, -4) }, "tampered"),
    bad("non-canonical base64 signature", { ...att, sig: nonCanonical(att.sig) }, "tampered"),
    bad("padded base64 key id", { ...att, kid: `${att.kid}==` }, "tampered"),
    bad("not an object", [att], "tampered"),
    bad("null", null, "tampered"),
    bad("empty member id", att, "tampered", { member_id: "" }),
  ];
  return doc("membership", { identities: ids, valid, invalid });
}

async function roomstateVectors() {
  const people = {};
  for (const [name, user] of [
    ["alice", "1"],
    ["bob", "2"],
    ["bob2", "2"],
    ["carol", "3"],
    ["dave", "4"],
    ["mallory", "9"],
    ["tilde", "～"],
    ["smile", "😀"],
  ]) {
    const secret = await det(`roomstate/identity/${name}`, 64);
    const unlocked = await importIdentitySecret(secret, user);
    const pub = unlocked.publicIdentity;
    people[name] = { ...unlocked, user, signerPublicKey: b64uDecode(pub.ed25519) };
  }
  const { alice, bob, bob2, carol, dave, mallory } = people;
  const member = (p, ident = p.publicIdentity) => ({ user: p.user, ...memberIdent(ident) });
  const roomId = await detUuid("roomstate/room");
  const otherRoom = await detUuid("roomstate/other-room");
  const roomKeys = {};
  for (const name of ["k1", "k2", "k3"]) {
    roomKeys[name] = {
      keyId: b64uEncode(await det(`roomstate/${name}/id`, 16)),
      key: await det(`roomstate/${name}/key`, 32),
    };
  }
  const { k1, k2, k3 } = roomKeys;
  const commit = async (k) => b64uEncode(await keyCommitment({ roomId, ...k }));
  const proof = async (epoch, prevKey, k, author) =>
    b64uEncode(
      await keyProof({
        roomId,
        epoch,
        previousKeyId: prevKey.keyId,
        previousKey: prevKey.key,
        keyId: k.keyId,
        commit: b64uDecode(await commit(k)),
        author,
      }),
    );

  // 2026-03-04T12:00:00Z, the genesis's ts; each later entry a minute after the one before.
  const T0 = 1772625600000;
  /** Sign an entry at the end of `chain` (or as `over` says) by `by`. */
  const sign = async (chain, type, by, body, over = {}) => {
    const index = over.index ?? chain.length;
    const prev = "prev" in over ? over.prev : index === 0 ? null : await entryHash(roomId, chain[chain.length - 1]);
    return signEntry({
      roomId: over.roomId ?? roomId,
      index,
      prev,
      type,
      author: over.author ?? by.user,
      ts: over.ts ?? (chain.length ? chain[chain.length - 1].ts + 60000 : T0),
      body,
      signingKey: by.signingKey,
      signerPublicKey: by.signerPublicKey,
    });
  };
  const append = async (chain, ...args) => [...chain, await sign(chain, ...args)];

  const genesisBody = async (members) => ({
    key_id: k1.keyId,
    commit: await commit(k1),
    share_history: false,
    members,
  });
  const genesisMembers = [member(alice), member(bob), member(carol, null)];
  let chain = await append([], "genesis", alice, await genesisBody(genesisMembers));
  const afterGenesis = chain;
  chain = await append(chain, "member_added", alice, member(dave));
  chain = await append(chain, "identity", alice, member(carol));
  chain = await append(chain, "member_removed", bob, { user: dave.user });
  const beforeKey = chain;
  chain = await append(chain, "key", alice, {
    epoch: 2,
    key_id: k2.keyId,
    commit: await commit(k2),
    proof: await proof(2, k1, k2, alice.user),
  });
  chain = await append(chain, "policy", carol, { share_history: true });
  chain = await append(chain, "identity", carol, member(bob2));
  chain = await append(chain, "member_added", bob2, member(dave));
  // Exactly the allowed skew before the entry it follows: accepted (§15.5 step 2).
  const skewed = { ts: chain[chain.length - 1].ts - TS_SKEW_MS };
  chain = await append(chain, "policy", alice, { share_history: false }, skewed);
  const full = chain;

  const keysOf = (...ks) => Object.fromEntries(ks.map((k) => [k.keyId, b64uEncode(k.key)]));
  const keyMap = (keys) => new Map(Object.entries(keys).map(([kid, k]) => [kid, b64uDecode(k)]));
  const positive = [];
  const addPositive = async (name, entries, keys) => {
    const state = await verifyChain(entries, { roomId, keys: keyMap(keys) });
    positive.push({
      name,
      room_id: roomId,
      keys,
      entries,
      signed: entries.map((e) => b64uEncode(entrySignedBytes(roomId, e))),
      hashes: await Promise.all(entries.map(async (e) => b64uEncode(await entryHash(roomId, e)))),
      state: chainStateVector(state),
    });
  };
  await addPositive("every entry type, previous key held", full, keysOf(k1));
  await addPositive("every entry type, no keys held (epoch 2 unproven)", full, {});
  const wrongProof = await append(beforeKey, "key", alice, {
    epoch: 2,
    key_id: k2.keyId,
    commit: await commit(k2),
    proof: await proof(2, k3, k2, alice.user),
  });
  await addPositive("a wrong proof passes when the previous key is not held", wrongProof, {});
  const unicode = [people.tilde, people.smile, mallory, alice].map((p) => member(p));
  // UTF-8 byte order: "1" < "9" < "～" (ef bd 9e) < "😀" (f0 9f 98 80); UTF-16 order differs.
  const sortedUnicode = [unicode[3], unicode[2], unicode[0], unicode[1]];
  const unicodeGenesis = await append([], "genesis", people.smile, {
    ...(await genesisBody(sortedUnicode)),
    share_history: true,
  });
  await addPositive("genesis members sorted by UTF-8 bytes", unicodeGenesis, {});

  const commitments = [];
  for (const k of [k1, k2, k3]) {
    const c = await commit(k);
    commitments.push({ room_id: roomId, key_id: k.keyId, key: b64uEncode(k.key), commit: c });
  }
  commitments.push({
    room_id: otherRoom,
    key_id: k1.keyId,
    key: b64uEncode(k1.key),
    commit: b64uEncode(await keyCommitment({ roomId: otherRoom, ...k1 })),
  });
  const proofs = [];
  for (const [epoch, prev, k, author, room] of [
    [2, k1, k2, alice.user, roomId],
    [3, k2, k3, "😀", roomId],
    [2, k1, k2, alice.user, otherRoom],
  ]) {
    const c = b64uEncode(await keyCommitment({ roomId: room, ...k }));
    const p = await keyProof({
      roomId: room,
      epoch,
      previousKeyId: prev.keyId,
      previousKey: prev.key,
      keyId: k.keyId,
      commit: b64uDecode(c),
      author,
    });
    proofs.push({
      room_id: room,
      epoch,
      previous_key_id: prev.keyId,
      previous_key: b64uEncode(prev.key),
      key_id: k.keyId,
      commit: c,
      author,
      proof: b64uEncode(p),
    });
  }

  const g = afterGenesis;
  const negative = [];
  const bad = (name, entries, error, keys = {}) =>
    negative.push({ name, room_id: roomId, keys, entries, expect_error: error });
  const addMallory = member(mallory);
  bad("wrong index", await append(g, "member_added", alice, addMallory, { index: 2 }), "bad_chain");
  bad(
    "wrong prev",
    await append(g, "member_added", alice, addMallory, {
      prev: await det("roomstate/wrong-prev", 32),
    }),
    "bad_chain",
  );
  bad("empty prev after index 0", await append(g, "member_added", alice, addMallory, { prev: null }), "bad_chain");
  bad(
    "prev non-empty at index 0",
    await append([], "genesis", alice, await genesisBody(genesisMembers), {
      prev: await det("roomstate/wrong-prev", 32),
    }),
    "bad_chain",
  );
  bad("genesis at index 1", await append(g, "genesis", alice, await genesisBody(genesisMembers)), "bad_chain");
  bad("non-genesis at index 0", await append([], "member_added", alice, addMallory), "bad_chain");
  bad("author not a member", await append(g, "member_added", mallory, member(dave)), "bad_chain");
  bad(
    "author without an identity",
    await append(g, "member_added", mallory, member(dave), { author: carol.user }),
    "bad_chain",
  );
  bad(
    "signer not the author's key",
    await append(g, "member_added", mallory, member(dave), { author: alice.user }),
    "bad_chain",
  );
  const good = await sign(g, "member_added", alice, member(dave));
  bad("bad signature", [...g, { ...good, sig: flip(good.sig, 5) }], "bad_signature");
  bad(
    "signature over another room",
    await append(g, "member_added", alice, member(dave), { roomId: otherRoom }),
    "bad_signature",
  );
  bad("member_added of a member", await append(g, "member_added", alice, member(bob)), "bad_chain");
  bad(
    "member_added with an identity made for another user",
    await append(g, "member_added", alice, { ...member(dave), user: "5" }),
    "bad_chain",
  );
  bad("member_removed of a non-member", await append(g, "member_removed", alice, { user: mallory.user }), "bad_chain");
  const keyBody = async (epoch, k, prevKey = k1) => ({
    epoch,
    key_id: k.keyId,
    commit: await commit(k),
    proof: await proof(epoch, prevKey, k, alice.user),
  });
  bad("key epoch skipped", await append(g, "key", alice, await keyBody(3, k2)), "bad_chain");
  bad("key epoch repeated", await append(g, "key", alice, await keyBody(1, k2)), "bad_chain");
  bad("key id reused", await append(g, "key", alice, await keyBody(2, k1)), "bad_chain");
  bad("bad proof with the previous key held", wrongProof, "bad_chain", keysOf(k1));
  bad("identity unchanged", await append(g, "identity", alice, member(bob)), "bad_chain");
  bad("identity by the user themself", await append(g, "identity", bob, member(bob2)), "bad_chain");
  bad("identity of a non-member", await append(g, "identity", alice, member(dave)), "bad_chain");
  bad(
    "identity with a bad self-signature",
    await append(g, "identity", alice, { ...member(bob2), sig: flip(bob2.publicIdentity.sig, 3) }),
    "bad_chain",
  );
  // Shape failures come first (step 1), so these are signed entries altered afterwards.
  const identityEntry = await sign(g, "identity", alice, member(bob2));
  const withBody = (wire, body) => ({ ...wire, body: { ...wire.body, ...body } });
  bad("identity entry without an identity", [...g, withBody(identityEntry, memberIdent(null))], "tampered");
  const gm = g[0].body.members;
  bad("genesis members unsorted", [withBody(g[0], { members: [gm[1], gm[0], gm[2]] })], "tampered");
  bad("genesis members duplicated", [withBody(g[0], { members: [gm[0], gm[0]] })], "tampered");
  bad("genesis author not in members", [withBody(g[0], { members: [gm[1], gm[2]] })], "tampered");
  bad(
    "genesis author without an identity",
    await append([], "genesis", alice, await genesisBody([member(alice, null), member(bob)])),
    "bad_chain",
  );
  bad(
    "genesis member with a bad self-signature",
    await append(
      [],
      "genesis",
      alice,
      await genesisBody([member(alice), { ...member(bob), sig: flip(bob.publicIdentity.sig, 9) }, member(carol, null)]),
    ),
    "bad_chain",
  );
  bad(
    "genesis member with a partial identity",
    [withBody(g[0], { members: [gm[0], { ...gm[1], sig: "" }, gm[2]] })],
    "tampered",
  );
  bad("extra member in the entry", [{ ...g[0], extra: 1 }], "tampered");
  bad("extra member in the body", [{ ...g[0], body: { ...g[0].body, extra: 1 } }], "tampered");
  bad("unknown entry type", [{ ...g[0], type: "genesis2" }], "tampered");
  bad("index is a boolean", [{ ...g[0], index: false }], "tampered");
  const { ts: _ts, ...withoutTs } = g[0];
  bad("entry without ts", [withoutTs], "tampered");
  bad("ts is a float", [{ ...g[0], ts: T0 + 0.25 }], "tampered");
  bad("ts is a boolean", [{ ...g[0], ts: false }], "tampered");
  bad("ts is a string", [{ ...g[0], ts: String(T0) }], "tampered");
  bad("ts is negative", [{ ...g[0], ts: -1 }], "tampered");
  bad("ts is 2^53", [{ ...g[0], ts: 2 ** 53 }], "tampered");
  bad("ts is null", [{ ...g[0], ts: null }], "tampered");
  bad(
    "ts further back than the skew",
    await append(g, "member_added", alice, member(dave), { ts: T0 - TS_SKEW_MS - 1 }),
    "bad_chain",
  );
  bad("ts changed after signing", [...g, { ...good, ts: good.ts + 1 }], "bad_signature");
  bad("share_history is an integer", [withBody(g[0], { share_history: 0 })], "tampered");
  bad("version 2", [{ ...g[0], v: 2 }], "unsupported");

  return doc("roomstate", { positive, commitments, proofs, negative });
}

/** Return a trust state with one pin of two generations and one known-encrypted room. */
function trustState(userId, pinned, roomUid) {
  const generations = [
    {
      identity: pinned.first.public_identity,
      fingerprint: "first-fp",
      first_seen: 1700000000000,
      accepted_at: null,
    },
    {
      identity: pinned.second.public_identity,
      fingerprint: "second-fp",
      first_seen: 1700000500000,
      accepted_at: 1700000600000,
    },
  ];
  return {
    v: 1,
    user: userId,
    pins: [{ user: "7", generations, verified: "second-fp" }],
    rooms: [
      { room: "12", uid: roomUid, since: 1700000000123, head: null },
      {
        room: "13",
        uid: null,
        since: 1700000000456,
        head: { index: 3, hash: "héad 🔐" },
        opaque: { kept: true },
      },
    ],
  };
}

async function trustrecordVectors() {
  const { ids, unlocked, verified } = await fixtures("trustrecord", [
    ["owner", "42"],
    ["other", "99"],
    ["unicode", "ünï-💬"],
  ]);
  const pinned = {
    first: await identityFixture("trustrecord/pinned-first", "7"),
    second: await identityFixture("trustrecord/pinned-second", "7"),
  };
  const cases = [
    ["basic", "owner", 1, trustState("42", pinned, await detUuid("trustrecord/room"))],
    ["unicode user, empty state", "unicode", 4294967295, { ...trustState("ünï-💬", pinned, ""), pins: [], rooms: [] }],
  ];
  const keysOf = (name) => ({
    signingKey: unlocked[name].signingKey,
    agreementKey: unlocked[name].agreementKey,
    dhPublicKey: verified[name].dhPublicKey,
  });
  const valid = [];
  for (const [name, owner, version, state] of cases) {
    const userId = ids[owner].user_id;
    const iv = await det(`trustrecord/${name}/iv`, 12);
    const own = keysOf(owner);
    const record = await _sealTrustRecordWithIv(state, { ...own, userId, version }, iv);
    valid.push({
      name,
      user_id: userId,
      owner,
      version,
      iv_hex: hex(iv),
      key_hex: hex(await _trustRecordKey(own.agreementKey, own.dhPublicKey, userId)),
      plaintext_hex: hex(utf8(canonicalJson(state))),
      state,
      record,
    });
  }
  const rec = valid[0].record;
  const state = valid[0].state;
  const owner = keysOf("owner");
  /** Return a record the owner signed over `plaintext` sealed under `key`. */
  const signedRaw = async (label, plaintext, key) => {
    const iv = await det(`trustrecord/${label}/iv`, 12);
    const ct = await aesGcmEncrypt(key, iv, plaintext, _trustRecordAd("42", 2));
    const sig = await ed25519Sign(owner.signingKey, _trustRecordSignedBytes("42", 2, iv, ct));
    return { v: 1, version: 2, iv: b64uEncode(iv), ct: b64uEncode(ct), sig: b64uEncode(sig) };
  };
  const ownKey = await _trustRecordKey(owner.agreementKey, owner.dhPublicKey, "42");
  const other = keysOf("other");
  const otherKey = await _trustRecordKey(other.agreementKey, other.dhPublicKey, "42");
  const otherUserState = utf8(canonicalJson({ ...state, user: "99" }));
  const bad = (name, obj, error, ctx = {}) => ({
    name,
    record: obj,
    user_id: "42",
    owner: "owner",
    min_version: 0,
    ...ctx,
    expect_error: error,
  });
  const invalid = [
    bad("opened as another user", rec, "bad_signature", { user_id: "99" }),
    bad("checked with another identity", rec, "bad_signature", { owner: "other" }),
    bad("flipped ciphertext bit", { ...rec, ct: flip(rec.ct, 3) }, "bad_signature"),
    bad("flipped iv bit", { ...rec, iv: flip(rec.iv) }, "bad_signature"),
    bad("version counter raised", { ...rec, version: 2 }, "bad_signature"),
    bad("older than the newest seen", rec, "rollback", { min_version: 2 }),
    bad("signed but sealed under another key", await signedRaw("k", utf8("{}"), otherKey), "tampered"),
    bad("signed state of another user", await signedRaw("u", otherUserState, ownKey), "tampered"),
    bad("signed state not JSON", await signedRaw("j", utf8("not json"), ownKey), "tampered"),
    bad("version 2", { ...rec, v: 2 }, "unsupported"),
    bad("version missing", without(rec, "v"), "unsupported"),
    bad("extra field", { ...rec, user: "42" }, "tampered"),
    bad("version counter 0", { ...rec, version: 0 }, "tampered"),
    bad("version counter as string", { ...rec, version: "1" }, "tampered"),
    bad("short iv", { ...rec, iv: b64uEncode(await det("trustrecord/iv8", 8)) }, "tampered"),
    bad("ciphertext shorter than a tag", { ...rec, ct: b64uEncode(utf8("short")) }, "tampered"),
    bad("not an object", [rec], "tampered"),
    bad("empty user id", rec, "tampered", { user_id: "" }),
  ];
  return doc("trustrecord", { identities: ids, valid, invalid });
}

/**
 * Return every vector file's content by file name.
 * @returns {Promise<Record<string, object>>}
 */
export async function buildVectors() {
  return {
    "encoding.json": await encodingVectors(),
    "base64url.json": await base64urlVectors(),
    "identity.json": await identityVectors(),
    "backup.json": await backupVectors(),
    "password.json": await passwordVectors(),
    "envelope.json": await envelopeVectors(),
    "message.json": await messageVectors(),
    "membership.json": await membershipVectors(),
    "trustrecord.json": await trustrecordVectors(),
    "roomstate.json": await roomstateVectors(),
  };
}

async function main() {
  const vectors = await buildVectors();
  if (process.argv.includes("--stdout")) {
    process.stdout.write(`${JSON.stringify(vectors)}\n`);
    return;
  }
  await mkdir(OUT_DIR, { recursive: true });
  for (const [name, content] of Object.entries(vectors)) {
    await writeFile(new URL(name, OUT_DIR), `${JSON.stringify(content, null, 2)}\n`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
