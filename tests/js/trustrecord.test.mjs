// Trust records (PROTOCOL §16): sealed to and signed by the user's own identity, versioned; and
// the merge of a record's state into a device's trust database (static/js/e2e/trust_merge.js).

import assert from "node:assert/strict";
import { test } from "node:test";

import { b64uDecode, b64uEncode } from "../../static/js/crypto/base64url.js";
import { BadSignatureError, RollbackError, TamperedError } from "../../static/js/crypto/errors.js";
import { generateIdentity, verifyPublicIdentity } from "../../static/js/crypto/identity.js";
import * as api from "../../static/js/crypto/index.js";
import { canonicalJson, openTrustRecord, sealTrustRecord } from "../../static/js/crypto/trustrecord.js";
import { mergeTrustState, plaintextSendDecision, toTrustState } from "../../static/js/e2e/trust_merge.js";

const owner = await generateIdentity("42");
const ownerPub = await verifyPublicIdentity(owner.publicIdentity, "42");
const other = await generateIdentity("42");
const otherPub = await verifyPublicIdentity(other.publicIdentity, "42");
const keys = {
  signingKey: owner.signingKey,
  agreementKey: owner.agreementKey,
  dhPublicKey: ownerPub.dhPublicKey,
  signPublicKey: ownerPub.signPublicKey,
};
const STATE = { v: 1, user: "42", pins: [], rooms: [{ room: "12", uid: "u", since: 1, head: null }] };

const seal = (version, state = STATE) => sealTrustRecord(state, { ...keys, userId: "42", version });
const open = (record, options = {}) => openTrustRecord(record, { ...keys, userId: "42", ...options });

test("index exports the trust record API", () => {
  for (const name of ["sealTrustRecord", "openTrustRecord", "checkTrustRecordWire", "canonicalJson"]) {
    assert.equal(typeof api[name], "function", name);
  }
});

test("a record opens to its state and version for its owner", async () => {
  assert.deepEqual(await open(await seal(7), { minVersion: 7 }), { version: 7, state: STATE });
});

test("two seals of one state differ (random IV) and both open", async () => {
  const [a, b] = [await seal(1), await seal(1)];
  assert.notEqual(a.iv, b.iv);
  assert.deepEqual((await open(b)).state, STATE);
});

test("another user id, another identity or a changed byte fail the signature", async () => {
  const record = await seal(3);
  await assert.rejects(open(record, { userId: "43" }), BadSignatureError);
  await assert.rejects(open(record, { signPublicKey: otherPub.signPublicKey }), BadSignatureError);
  const ct = b64uDecode(record.ct);
  ct[0] ^= 1;
  await assert.rejects(open({ ...record, ct: b64uEncode(ct) }), BadSignatureError);
  await assert.rejects(open({ ...record, version: 4 }), BadSignatureError);
});

test("a record older than the newest seen is a rollback; the same version is not", async () => {
  const record = await seal(3);
  await assert.rejects(open(record, { minVersion: 4 }), RollbackError);
  assert.equal((await open(record, { minVersion: 3 })).version, 3);
});

test("a state of another user is refused when sealing", async () => {
  await assert.rejects(seal(1, { ...STATE, user: "43" }), TamperedError);
});

test("canonical JSON sorts keys and refuses floats", () => {
  assert.equal(canonicalJson({ b: 1, a: [true, null, "é"] }), '{"a":[true,null,"é"],"b":1}');
  assert.throws(() => canonicalJson({ a: 1.5 }), TypeError);
});

// The merge -----------------------------------------------------------------------------------

const ID = (n) => ({ v: 1, user: "7", ed25519: `ed${n}`, x25519: `x${n}`, sig: "s" });
const pin = (n, extra = {}) => ({
  userId: 7,
  identity: ID(n),
  fingerprint: `fp${n}`,
  firstSeen: 100 * n,
  verified: false,
  changed: null,
  history: [],
  ...extra,
});
const room = (extra = {}) => ({ roomId: 12, uid: "u12", encrypted: true, since: 5, head: null, ...extra });
const stateOf = (pins, rooms = []) => toTrustState("42", pins, rooms);

test("a device without trust takes the record whole", () => {
  const remote = stateOf([pin(1, { verified: true })], [room({ head: { index: 2, hash: "h" } })]);
  const merged = mergeTrustState({ pins: [], rooms: [] }, remote);
  assert.equal(merged.pins[0].verified, true);
  assert.deepEqual(merged.pins[0].identity, ID(1));
  assert.deepEqual(merged.rooms[0], room({ head: { index: 2, hash: "h" } }));
  assert.equal(merged.ahead, false);
});

test("a change accepted on another device (generations extend these) is taken", () => {
  const accepted = pin(2, { history: [{ identity: ID(1), fingerprint: "fp1", firstSeen: 100, acceptedAt: null }] });
  const merged = mergeTrustState({ pins: [pin(1)], rooms: [] }, stateOf([accepted]));
  assert.deepEqual(merged.pins[0].identity, ID(2));
  assert.equal(merged.pins[0].history.length, 1);
  assert.deepEqual(merged.notices, []);
});

test("a conflicting pin is never silently replaced: the one seen first stays, with a notice", () => {
  // This device pinned 3 just now; the record (an older device) pinned 1 long before.
  const merged = mergeTrustState({ pins: [pin(3)], rooms: [] }, stateOf([pin(1)]));
  assert.deepEqual(merged.pins[0].identity, ID(1));
  assert.deepEqual(merged.pins[0].changed.identity, ID(3));
  assert.equal(merged.notices[0].kind, "pin_changed");
  assert.equal(merged.ahead, true);
  // The other way round: the local pin was first, it stays and the record's is the notice.
  const kept = mergeTrustState({ pins: [pin(1)], rooms: [] }, stateOf([pin(3)]));
  assert.deepEqual(kept.pins[0].identity, ID(1));
  assert.deepEqual(kept.pins[0].changed.identity, ID(3));
});

test("verified marks are kept from either side, for the same fingerprint only", () => {
  const merged = mergeTrustState({ pins: [pin(1)], rooms: [] }, stateOf([pin(1, { verified: true })]));
  assert.equal(merged.pins[0].verified, true);
  const local = mergeTrustState({ pins: [pin(1, { verified: true })], rooms: [] }, stateOf([pin(1)]));
  assert.deepEqual(local.pins, []);
  assert.equal(local.ahead, true);
});

test("known rooms are a union; a uid is never replaced", () => {
  const remote = stateOf([], [room({ roomId: 13, uid: "u13" }), room({ uid: "other" })]);
  const merged = mergeTrustState({ pins: [], rooms: [room()] }, remote);
  assert.deepEqual(
    merged.rooms.map((r) => r.roomId),
    [13],
  );
  assert.deepEqual(merged.notices, [{ kind: "room_uid", roomId: 12 }]);
});

test("a higher head wins only when it extends the local one; otherwise the local stays, flagged", () => {
  const local = { pins: [], rooms: [room({ head: { index: 1, hash: "a" } })] };
  const remote = stateOf([], [room({ head: { index: 4, hash: "d" } })]);
  const unsure = mergeTrustState(local, remote);
  assert.deepEqual(unsure.rooms, []);
  assert.equal(unsure.notices[0].kind, "room_head");
  const extends_ = mergeTrustState(local, remote, { extendsHead: () => true });
  assert.deepEqual(extends_.rooms[0].head, { index: 4, hash: "d" });
  assert.deepEqual(extends_.notices, []);
});

test("fields the merge does not know are kept both ways", () => {
  const remote = stateOf([], [room({ keySenders: { a: "7" } })]);
  assert.deepEqual(remote.rooms[0].keySenders, { a: "7" });
  const merged = mergeTrustState({ pins: [], rooms: [] }, remote);
  assert.deepEqual(merged.rooms[0].keySenders, { a: "7" });
});

test("a locked device sends no plaintext to a private room it cannot place yet", () => {
  const base = { kind: "group", known: false, locked: true, recordMerged: false };
  assert.deepEqual(plaintextSendDecision(base), { allow: false, reason: "locked_unknown" });
  assert.equal(plaintextSendDecision({ ...base, kind: "dm" }).allow, false);
  assert.equal(plaintextSendDecision({ ...base, recordMerged: true }).allow, true);
  assert.equal(plaintextSendDecision({ ...base, locked: false }).allow, true);
  assert.equal(plaintextSendDecision({ ...base, kind: "channel" }).allow, true);
  assert.equal(plaintextSendDecision({ ...base, known: true, locked: false }).allow, false);
});
