// Membership attestations: a key holder signs (room, key id, attester, member); round trips,
// binding to every context field, and typed failures.

import assert from "node:assert/strict";
import { test } from "node:test";

import { b64uDecode, b64uEncode } from "../../static/js/crypto/base64url.js";
import { ed25519Sign } from "../../static/js/crypto/bytes.js";
import { canonical, LABELS, u32 } from "../../static/js/crypto/encoding.js";
import { BadSignatureError, TamperedError, UnsupportedError } from "../../static/js/crypto/errors.js";
import { generateIdentity, verifyPublicIdentity } from "../../static/js/crypto/identity.js";
import * as api from "../../static/js/crypto/index.js";
import {
  _membershipSignedBytes,
  checkMembershipWire,
  signMembership,
  verifyMembership,
} from "../../static/js/crypto/membership.js";
import { generateRoomKey } from "../../static/js/crypto/roomkeys.js";

const alice = await generateIdentity("42");
const mallory = await generateIdentity("99");
const alicePub = await verifyPublicIdentity(alice.publicIdentity, "42");
const malloryPub = await verifyPublicIdentity(mallory.publicIdentity, "99");
const ROOM = "a3c4e1f2-5b6d-4e7f-8a9b-0c1d2e3f4a5b";
const OTHER_ROOM = "b3c4e1f2-5b6d-4e7f-8a9b-0c1d2e3f4a5b";
const epoch = generateRoomKey();
const nextEpoch = generateRoomKey();

const aliceAttestsBob = (over = {}) =>
  signMembership({
    roomId: ROOM,
    keyId: epoch.keyId,
    attesterId: "42",
    memberId: "7",
    signingKey: alice.signingKey,
    ...over,
  });

const verifyBob = (wire, over = {}) =>
  verifyMembership(wire, {
    roomId: ROOM,
    attesterId: "42",
    memberId: "7",
    attesterSignPublicKey: alicePub.signPublicKey,
    ...over,
  });

test("an attestation is exactly {v, kid, sig} and verifies to its key id", async () => {
  const wire = await aliceAttestsBob();
  assert.deepEqual(Object.keys(wire).sort(), ["kid", "sig", "v"]);
  assert.equal(wire.v, 1);
  assert.equal(wire.kid, epoch.keyId);
  assert.equal(b64uDecode(wire.sig).length, 64);
  assert.deepEqual(await verifyBob(wire), { keyId: epoch.keyId });
});

test("the same inputs give the same attestation (Ed25519 is deterministic)", async () => {
  assert.deepEqual(await aliceAttestsBob(), await aliceAttestsBob());
});

test("the signed bytes are the canonical encoding under the membership label", () => {
  const kid = b64uDecode(epoch.keyId);
  const ctx = { roomId: ROOM, keyId: kid, attesterId: "42", memberId: "7" };
  assert.equal(LABELS.membership, "keyroom/v1/membership");
  assert.deepEqual(_membershipSignedBytes(ctx), canonical("keyroom/v1/membership", u32(1), ROOM, kid, "42", "7"));
});

test("the signature binds room, key id, attester and member", async () => {
  const wire = await aliceAttestsBob();
  const cases = [
    ["another room", {}, { roomId: OTHER_ROOM }],
    ["another member", {}, { memberId: "8" }],
    ["another attester id", {}, { attesterId: "99" }],
    ["attester and member swapped", {}, { attesterId: "7", memberId: "42" }],
    ["another key id", { kid: nextEpoch.keyId }, {}],
    ["a flipped signature bit", { sig: flipFirstBit(wire.sig) }, {}],
  ];
  for (const [what, wireOver, ctxOver] of cases) {
    await assert.rejects(verifyBob({ ...wire, ...wireOver }, ctxOver), BadSignatureError, what);
  }
});

test("an attestation checks only against the named attester's pinned key", async () => {
  const wire = await aliceAttestsBob();
  await assert.rejects(verifyBob(wire, { attesterSignPublicKey: malloryPub.signPublicKey }), BadSignatureError);
  await assert.rejects(
    verifyBob(wire, { attesterId: "99", attesterSignPublicKey: malloryPub.signPublicKey }),
    BadSignatureError,
  );
});

test("a non-holder cannot attest in the name of a key holder", async () => {
  const forged = await aliceAttestsBob({ signingKey: mallory.signingKey });
  await assert.rejects(verifyBob(forged), BadSignatureError);
  // Mallory's attestation is valid only as Mallory's, whom clients do not know as a key holder.
  assert.deepEqual(
    await verifyBob(await aliceAttestsBob({ attesterId: "99", signingKey: mallory.signingKey }), {
      attesterId: "99",
      attesterSignPublicKey: malloryPub.signPublicKey,
    }),
    { keyId: epoch.keyId },
  );
});

test("a signature over the same fields under another label is refused", async () => {
  const kid = b64uDecode(epoch.keyId);
  const wire = await aliceAttestsBob();
  for (const label of [LABELS.envelopeAd, LABELS.messageAd]) {
    const bytes = canonical(label, u32(1), ROOM, kid, "42", "7");
    const sig = b64uEncode(await ed25519Sign(alice.signingKey, bytes));
    await assert.rejects(verifyBob({ ...wire, sig }), BadSignatureError, label);
  }
});

test("wrong shapes are tampered, other versions unsupported", async () => {
  const wire = await aliceAttestsBob();
  const { v: _v, ...noVersion } = wire;
  const { sig: _sig, ...noSig } = wire;
  const tampered = [
    null,
    "membership",
    [wire],
    new Map(Object.entries(wire)),
    { ...wire, member: "7" },
    noSig,
    { ...wire, kid: b64uEncode(new Uint8Array(15)) },
    { ...wire, kid: b64uEncode(new Uint8Array(17)) },
    { ...wire, kid: 42 },
    { ...wire, sig: b64uEncode(new Uint8Array(63)) },
    { ...wire, sig: `${wire.sig}==` },
    { ...wire, sig: `${wire.sig.slice(0, -1)}*` },
  ];
  for (const bad of tampered) {
    await assert.rejects(verifyBob(bad), TamperedError, JSON.stringify(bad));
    assert.throws(() => checkMembershipWire(bad), TamperedError);
  }
  for (const bad of [{ ...wire, v: 2 }, { ...wire, v: "1" }, { ...wire, v: true }, noVersion]) {
    await assert.rejects(verifyBob(bad), UnsupportedError, JSON.stringify(bad));
    assert.throws(() => checkMembershipWire(bad), UnsupportedError);
  }
});

test("invalid context ids are tampered, checked before the signature", async () => {
  const wire = await aliceAttestsBob();
  const ids = ["", "x".repeat(257), "\ud800", 7, null];
  for (const id of ids) {
    for (const key of ["roomId", "attesterId", "memberId"]) {
      await assert.rejects(verifyBob(wire, { [key]: id }), TamperedError, `${key}=${id}`);
    }
  }
});

test("checkMembershipWire returns the decoded key id and signature", async () => {
  const wire = await aliceAttestsBob();
  const parsed = checkMembershipWire(wire);
  assert.equal(parsed.keyId, epoch.keyId);
  assert.deepEqual(parsed.kid, b64uDecode(epoch.keyId));
  assert.deepEqual(parsed.sig, b64uDecode(wire.sig));
});

test("wrong arguments from our own code are TypeErrors", async () => {
  await assert.rejects(aliceAttestsBob({ roomId: "" }), TypeError);
  await assert.rejects(aliceAttestsBob({ memberId: 7 }), TypeError);
  await assert.rejects(aliceAttestsBob({ attesterId: undefined }), TypeError);
  await assert.rejects(aliceAttestsBob({ keyId: "short" }), TypeError);
  const wire = await aliceAttestsBob();
  await assert.rejects(verifyBob(wire, { attesterSignPublicKey: alicePub.signPublicKey.slice(0, 31) }), TypeError);
});

test("the entry point exports the membership API", () => {
  assert.equal(api.signMembership, signMembership);
  assert.equal(api.verifyMembership, verifyMembership);
  assert.equal(api.checkMembershipWire, checkMembershipWire);
});

function flipFirstBit(text) {
  const bytes = b64uDecode(text);
  bytes[0] ^= 1;
  return b64uEncode(bytes);
}
