// Identities, fingerprints and password-protected key backups.

import assert from "node:assert/strict";
import { test } from "node:test";

import {
  _decryptBackupSecret,
  checkBackupBlob,
  createBackup,
  createIdentityWithBackup,
  MIN_ITERATIONS,
  rewrapBackup,
  unlockBackup,
} from "../../static/js/crypto/backup.js";
import { b64uDecode } from "../../static/js/crypto/base64url.js";
import { BadSignatureError, MalformedError, WeakKdfError, WrongPasswordError } from "../../static/js/crypto/errors.js";
import {
  fingerprint,
  formatSafetyNumber,
  generateIdentity,
  importIdentitySecret,
  safetyNumber,
  verifyPublicIdentity,
} from "../../static/js/crypto/identity.js";

const assertLocked = (unlocked) => {
  assert.equal(unlocked.signingKey.extractable, false);
  assert.equal(unlocked.agreementKey.extractable, false);
  assert.deepEqual(unlocked.signingKey.usages, ["sign"]);
  assert.deepEqual(unlocked.agreementKey.usages, ["deriveBits"]);
  assert.equal(unlocked.signingKey.algorithm.name, "Ed25519");
  assert.equal(unlocked.agreementKey.algorithm.name, "X25519");
};

const alice = await generateIdentity("42");

test("generateIdentity gives locked keys, a 64-byte secret and a valid identity", async () => {
  assertLocked(alice);
  assert.equal(alice.secret.length, 64);
  const verified = await verifyPublicIdentity(alice.publicIdentity, "42");
  assert.equal(verified.signPublicKey.length, 32);
  assert.equal(verified.dhPublicKey.length, 32);
  assert.deepEqual(Object.keys(alice.publicIdentity).sort(), ["ed25519", "sig", "user", "v", "x25519"]);
});

test("the identity signature really is checked (a swapped X25519 key is refused)", async () => {
  const bob = await generateIdentity("42");
  const forged = { ...alice.publicIdentity, x25519: bob.publicIdentity.x25519 };
  await assert.rejects(verifyPublicIdentity(forged, "42"), BadSignatureError);
});

test("importing the same secret twice gives the same public identity (deterministic)", async () => {
  const again = await importIdentitySecret(alice.secret, "42");
  assert.deepEqual(again.publicIdentity, alice.publicIdentity);
});

test("the safety number is 12 groups of 5 digits and depends on the user id", async () => {
  const verified = await verifyPublicIdentity(alice.publicIdentity, "42");
  const number = await safetyNumber(verified);
  assert.match(number, /^\d{5}( \d{5}){11}$/);
  const other = await fingerprint({ ...verified, userId: "43" });
  assert.notEqual(formatSafetyNumber(other), number);
});

test("formatSafetyNumber reads the fingerprint as a big-endian integer mod 10^60", () => {
  assert.equal(formatSafetyNumber(new Uint8Array(32)), Array(12).fill("00000").join(" "));
  const one = new Uint8Array(32);
  one[31] = 1;
  assert.equal(formatSafetyNumber(one), `${Array(11).fill("00000").join(" ")} 00001`);
  const max = formatSafetyNumber(new Uint8Array(32).fill(0xff));
  const expected = ((1n << 256n) - 1n) % 10n ** 60n;
  assert.equal(max.replaceAll(" ", ""), expected.toString().padStart(60, "0"));
});

test("a backup unlocks to non-extractable keys and the same public identity", async () => {
  const blob = await createBackup(alice.secret, "correct horse", "42");
  assert.equal(blob.iterations, 600000);
  assert.equal(b64uDecode(blob.salt).length, 16);
  assert.equal(b64uDecode(blob.iv).length, 12);
  const unlocked = await unlockBackup(blob, "correct horse", "42");
  assertLocked(unlocked);
  assert.deepEqual(unlocked.publicIdentity, alice.publicIdentity);
  await assert.rejects(unlockBackup(blob, "correct horsE", "42"), WrongPasswordError);
  await assert.rejects(unlockBackup(blob, "correct horse", "43"), WrongPasswordError);
});

test("two backups of the same secret use fresh salts and IVs", async () => {
  const a = await createBackup(alice.secret, "pw", "42");
  const b = await createBackup(alice.secret, "pw", "42");
  assert.notEqual(a.salt, b.salt);
  assert.notEqual(a.iv, b.iv);
});

test("the password is NFKC-normalised before PBKDF2", async () => {
  const blob = await createBackup(alice.secret, "caf\u00e9 \ufb01", "42");
  const unlocked = await unlockBackup(blob, "cafe\u0301 fi", "42");
  assert.deepEqual(unlocked.publicIdentity, alice.publicIdentity);
});

test("no backup below 600000 iterations, and no empty password", async () => {
  await assert.rejects(createBackup(alice.secret, "pw", "42", { iterations: MIN_ITERATIONS - 1 }), RangeError);
  await assert.rejects(createBackup(alice.secret, "", "42"), TypeError);
});

test("rewrapBackup re-encrypts under the new password with a fresh salt and IV", async () => {
  const blob = await createBackup(alice.secret, "old pw", "42");
  const rewrapped = await rewrapBackup(blob, "old pw", "new pw", "42");
  assert.notEqual(rewrapped.salt, blob.salt);
  assert.notEqual(rewrapped.iv, blob.iv);
  assert.deepEqual((await unlockBackup(rewrapped, "new pw", "42")).publicIdentity, alice.publicIdentity);
  await assert.rejects(unlockBackup(rewrapped, "old pw", "42"), WrongPasswordError);
  await assert.rejects(rewrapBackup(blob, "wrong", "new pw", "42"), WrongPasswordError);
});

test("rewrapBackup keeps a stronger iteration count", async () => {
  const blob = await createBackup(alice.secret, "old pw", "42", { iterations: 700000 });
  const rewrapped = await rewrapBackup(blob, "old pw", "new pw", "42");
  assert.equal(rewrapped.iterations, 700000);
});

test("createIdentityWithBackup never returns the raw secret", async () => {
  const made = await createIdentityWithBackup("7", "pw");
  assert.deepEqual(Object.keys(made).sort(), ["agreementKey", "backup", "publicIdentity", "signingKey"]);
  assertLocked(made);
  const secret = await _decryptBackupSecret(made.backup, "pw", "7");
  assert.deepEqual((await importIdentitySecret(secret, "7")).publicIdentity, made.publicIdentity);
});

test("checkBackupBlob refuses weak and malformed blobs before any key derivation", async () => {
  const blob = await createBackup(alice.secret, "pw", "42");
  assert.throws(() => checkBackupBlob({ ...blob, iterations: 100000 }), WeakKdfError);
  assert.throws(() => checkBackupBlob({ ...blob, salt: blob.iv }), MalformedError);
  assert.throws(() => checkBackupBlob(JSON.stringify(blob)), MalformedError);
});
