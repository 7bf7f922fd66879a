// Room keys, key envelopes and messages, round trips and typed failures.

import assert from "node:assert/strict";
import { test } from "node:test";

import { BadSignatureError, NoKeyError, TamperedError, UnsupportedError } from "../../static/js/crypto/errors.js";
import { checkEnvelopeWire, openEnvelope, sealEnvelope } from "../../static/js/crypto/envelope.js";
import { generateIdentity, verifyPublicIdentity } from "../../static/js/crypto/identity.js";
import { checkMessageWire, decryptMessage, encryptMessage } from "../../static/js/crypto/message.js";
import { generateRoomKey, parseKeyId } from "../../static/js/crypto/roomkeys.js";

const alice = await generateIdentity("42");
const bob = await generateIdentity("7");
const alicePub = await verifyPublicIdentity(alice.publicIdentity, "42");
const bobPub = await verifyPublicIdentity(bob.publicIdentity, "7");
const room = generateRoomKey();

test("a room key is 32 random bytes with a 16-byte base64url key id", () => {
  assert.equal(room.key.length, 32);
  assert.equal(room.keyId.length, 22);
  assert.equal(parseKeyId(room.keyId).length, 16);
  const other = generateRoomKey();
  assert.notEqual(other.keyId, room.keyId);
  assert.notDeepEqual(other.key, room.key);
  assert.throws(() => parseKeyId("short"), TypeError);
});

const sealToBob = () =>
  sealEnvelope(room.key, {
    roomId: "12",
    keyId: room.keyId,
    senderId: "42",
    recipientId: "7",
    recipientDhPublicKey: bobPub.dhPublicKey,
    signingKey: alice.signingKey,
  });

const bobOpens = (envelope, over = {}) =>
  openEnvelope(envelope, {
    roomId: "12",
    senderId: "42",
    recipientId: "7",
    senderSignPublicKey: alicePub.signPublicKey,
    recipientAgreementKey: bob.agreementKey,
    recipientDhPublicKey: bobPub.dhPublicKey,
    ...over,
  });

test("an envelope opens to the room key for its recipient only", async () => {
  const envelope = await sealToBob();
  const opened = await bobOpens(envelope);
  assert.equal(opened.keyId, room.keyId);
  assert.deepEqual(opened.key, room.key);
  await assert.rejects(
    bobOpens(envelope, {
      recipientId: "42",
      recipientAgreementKey: alice.agreementKey,
      recipientDhPublicKey: alicePub.dhPublicKey,
    }),
    BadSignatureError,
  );
});

test("each envelope uses a fresh ephemeral key and IV", async () => {
  const a = await sealToBob();
  const b = await sealToBob();
  assert.notEqual(a.eph, b.eph);
  assert.notEqual(a.iv, b.iv);
});

test("an envelope signed by anyone but the pinned sender is refused", async () => {
  const mallory = await generateIdentity("42");
  const forged = await sealEnvelope(room.key, {
    roomId: "12",
    keyId: room.keyId,
    senderId: "42",
    recipientId: "7",
    recipientDhPublicKey: bobPub.dhPublicKey,
    signingKey: mallory.signingKey,
  });
  await assert.rejects(bobOpens(forged), BadSignatureError);
});

test("envelope shape errors are typed", async () => {
  const envelope = await sealToBob();
  assert.throws(() => checkEnvelopeWire({ ...envelope, v: 2 }), UnsupportedError);
  assert.throws(() => checkEnvelopeWire({ ...envelope, ct: envelope.iv }), TamperedError);
  assert.throws(() => checkEnvelopeWire([]), TamperedError);
});

const messageId = "0b6c1a52-7f51-4e86-9d2e-6f1f7d3c2a10";
const send = (payload, over = {}) =>
  encryptMessage(payload, {
    roomId: "12",
    keyId: room.keyId,
    roomKey: room.key,
    senderId: "42",
    messageId,
    signingKey: alice.signingKey,
    ...over,
  });
const read = (wire, over = {}) =>
  decryptMessage(wire, {
    roomId: "12",
    senderId: "42",
    messageId,
    senderSignPublicKey: alicePub.signPublicKey,
    keys: new Map([[room.keyId, room.key]]),
    ...over,
  });

test("a message round-trips its JSON payload", async () => {
  const payload = { text: "héllo 🔐", reply_to: null };
  const wire = await send(payload);
  assert.deepEqual(Object.keys(wire), ["v", "kid", "iv", "ct", "sig"]);
  assert.deepEqual(await read(wire), payload);
});

test("two encryptions of the same message use different IVs", async () => {
  const a = await send({ text: "same" });
  const b = await send({ text: "same" });
  assert.notEqual(a.iv, b.iv);
  assert.notEqual(a.ct, b.ct);
});

test("keys may be looked up by an async function", async () => {
  const wire = await send({ text: "x" });
  const keys = async (kid) => (kid === room.keyId ? room.key : undefined);
  assert.deepEqual(await read(wire, { keys }), { text: "x" });
  await assert.rejects(read(wire, { keys: async () => undefined }), NoKeyError);
});

test("a message is bound to its room, sender and id", async () => {
  const wire = await send({ text: "x" });
  await assert.rejects(read(wire, { roomId: "13" }), BadSignatureError);
  await assert.rejects(read(wire, { senderId: "7" }), BadSignatureError);
  await assert.rejects(read(wire, { messageId: messageId.replace("0b", "0c") }), BadSignatureError);
  await assert.rejects(read(wire, { senderSignPublicKey: bobPub.signPublicKey }), BadSignatureError);
  await assert.rejects(read(wire, { keys: new Map() }), NoKeyError);
});

test("encryptMessage refuses non-object payloads and non-UUID message ids", async () => {
  await assert.rejects(send(["x"]), TypeError);
  await assert.rejects(send({ text: "x" }, { messageId: "nope" }), TypeError);
});

test("message shape errors are typed", async () => {
  const wire = await send({ text: "x" });
  assert.throws(() => checkMessageWire({ ...wire, v: 0 }), UnsupportedError);
  assert.throws(() => checkMessageWire({ ...wire, sig: wire.iv }), TamperedError);
  assert.throws(() => checkMessageWire("wire"), TamperedError);
});
