// The signed room-state chain (docs/PROTOCOL.md §15): entry round trips, each verification rule
// of §15.5 with its error code, the state after a realistic chain, proofs, and continuation.

import assert from "node:assert/strict";
import { test } from "node:test";

import { b64uDecode, b64uEncode } from "../../static/js/crypto/base64url.js";
import { sha256 } from "../../static/js/crypto/bytes.js";
import { canonical, LABELS, u32 } from "../../static/js/crypto/encoding.js";
import {
  BadChainError,
  BadSignatureError,
  ERRORS_BY_CODE,
  KeyroomCryptoError,
  TamperedError,
  UnsupportedError,
} from "../../static/js/crypto/errors.js";
import { generateIdentity } from "../../static/js/crypto/identity.js";
import * as api from "../../static/js/crypto/index.js";
import { generateRoomKey } from "../../static/js/crypto/roomkeys.js";
import {
  checkEntryWire,
  copyChainState,
  entryHash,
  entrySignedBytes,
  keyCommitment,
  keyProof,
  memberIdent,
  signEntry,
  TS_SKEW_MS,
  verifyChain,
} from "../../static/js/crypto/roomstate.js";

const ROOM = "a3c4e1f2-5b6d-4e7f-8a9b-0c1d2e3f4a5b";
// 2026-03-04T00:00:00Z: the genesis's ts; each later entry is a second after the one before.
const T0 = 1772582400000;
const OTHER_ROOM = "b3c4e1f2-5b6d-4e7f-8a9b-0c1d2e3f4a5b";

async function person(user) {
  const identity = await generateIdentity(user);
  identity.secret.fill(0);
  return {
    user,
    ...identity,
    signerPublicKey: b64uDecode(identity.publicIdentity.ed25519),
  };
}

const alice = await person("1");
const bob = await person("2");
const bobNew = await person("2");
const carol = await person("3");
const dave = await person("4");
const mallory = await person("9");
const k1 = generateRoomKey();
const k2 = generateRoomKey();
const k3 = generateRoomKey();

const member = (p, identity = p.publicIdentity) => ({ user: p.user, ...memberIdent(identity) });
const commitOf = async (k, roomId = ROOM) => b64uEncode(await keyCommitment({ roomId, ...k }));

/** Return a key body for `k` at `epoch`, proven with `prevKey`, by `author`. */
async function keyBody(epoch, k, prevKey, author = alice.user) {
  const commit = await commitOf(k);
  const proof = await keyProof({
    roomId: ROOM,
    epoch,
    previousKeyId: prevKey.keyId,
    previousKey: prevKey.key,
    keyId: k.keyId,
    commit: b64uDecode(commit),
    author,
  });
  return { epoch, key_id: k.keyId, commit, proof: b64uEncode(proof) };
}

async function genesisBody(members = [member(alice), member(bob), member(carol, null)]) {
  return { key_id: k1.keyId, commit: await commitOf(k1), share_history: false, members };
}

/** Sign an entry that follows `chain` (unless `over` says otherwise), by `by`. */
async function sign(chain, type, by, body, over = {}) {
  const index = over.index ?? chain.length;
  let prev = index === 0 ? null : await entryHash(ROOM, chain[chain.length - 1]);
  if ("prev" in over) prev = over.prev;
  return signEntry({
    roomId: over.roomId ?? ROOM,
    index,
    prev,
    type,
    author: over.author ?? by.user,
    ts: "ts" in over ? over.ts : chain.length ? chain[chain.length - 1].ts + 1000 : T0,
    body,
    signingKey: by.signingKey,
    signerPublicKey: by.signerPublicKey,
  });
}
const append = async (chain, ...args) => [...chain, await sign(chain, ...args)];

const genesis = await append([], "genesis", alice, await genesisBody());
const keys1 = new Map([[k1.keyId, k1.key]]);

/** The realistic chain: every entry type, with an identity change and a re-added member. */
async function realisticChain() {
  let chain = genesis;
  chain = await append(chain, "member_added", alice, member(dave));
  chain = await append(chain, "identity", alice, member(carol));
  chain = await append(chain, "member_removed", bob, { user: dave.user });
  chain = await append(chain, "key", alice, await keyBody(2, k2, k1));
  chain = await append(chain, "policy", carol, { share_history: true });
  chain = await append(chain, "identity", carol, member(bobNew));
  chain = await append(chain, "member_added", bobNew, member(dave));
  return chain;
}
const realistic = await realisticChain();

const verify = (entries, options = {}) => verifyChain(entries, { roomId: ROOM, ...options });

/** Assert that verifying `entries` fails with exactly `ErrorClass`. */
async function refused(entries, ErrorClass, options = {}) {
  await assert.rejects(verify(entries, options), (e) => e.constructor === ErrorClass);
}

/** Return a comparable snapshot of a state (maps as entries, bytes as base64url). */
function snapshot(state) {
  const ident = (i) => (i ? [i.ed25519, i.x25519, i.sig] : null);
  return JSON.stringify({
    members: [...state.members].map(([u, i]) => [u, ident(i)]),
    identities: [...state.identities].map(([u, list]) => [u, list.map(ident)]),
    joined: [...state.joined],
    keys: [...state.keys].map(([kid, r]) => [kid, { ...r, commit: b64uEncode(r.commit) }]),
    rest: [state.epoch, state.currentKeyId, state.shareHistory, state.starter, state.length],
    ts: [state.startedTs, state.headTs],
    head: state.head && b64uEncode(state.head),
  });
}

// --- round trips and shape ---------------------------------------------------------------

test("a signed entry has exactly the wire members and parses back to its fields", async () => {
  const wire = genesis[0];
  assert.deepEqual(Object.keys(wire).sort(), ["author", "body", "index", "prev", "sig", "signer", "ts", "type", "v"]);
  assert.equal(wire.v, 1);
  assert.equal(wire.ts, T0);
  assert.equal(wire.prev, "");
  assert.equal(wire.signer, alice.publicIdentity.ed25519);
  const parsed = checkEntryWire(wire);
  assert.equal(parsed.index, 0);
  assert.equal(parsed.prev, null);
  assert.equal(parsed.type, "genesis");
  assert.equal(parsed.author, "1");
  assert.equal(parsed.ts, T0);
  assert.equal(parsed.sig.length, 64);
  assert.equal(parsed.body.keyId, k1.keyId);
  assert.deepEqual(
    parsed.body.members.map((m) => [m.user, m.ident?.ed25519 ?? null]),
    [
      ["1", alice.publicIdentity.ed25519],
      ["2", bob.publicIdentity.ed25519],
      ["3", null],
    ],
  );
});

test("the next entry links to the hash of the one before it", async () => {
  const hash = await entryHash(ROOM, realistic[0]);
  assert.equal(hash.length, 32);
  assert.equal(realistic[1].prev, b64uEncode(hash));
  const signed = entrySignedBytes(ROOM, realistic[0]);
  const sig = b64uDecode(genesis[0].sig);
  const expected = await sha256(canonical(LABELS.roomStateHash, signed, sig));
  assert.deepEqual(hash, expected);
});

test("the signed bytes follow §15.2 for a member_removed entry", async () => {
  const wire = realistic[3];
  const body = canonical(`${LABELS.roomStateBody}member_removed`, "4");
  const expected = canonical(
    LABELS.roomState,
    u32(1),
    ROOM,
    u32(3),
    b64uDecode(wire.prev),
    "member_removed",
    "2",
    new Uint8Array([0, 0, 1, 0x9c, 0xb6, 0x24, 0xfb, 0xb8]), // u64(T0 + 3 s), big-endian
    bob.signerPublicKey,
    body,
  );
  assert.deepEqual(entrySignedBytes(ROOM, wire), expected);
});

test("the signed bytes and the hash depend on the room uid", async () => {
  assert.notDeepEqual(entrySignedBytes(ROOM, genesis[0]), entrySignedBytes(OTHER_ROOM, genesis[0]));
  assert.notDeepEqual(await entryHash(ROOM, genesis[0]), await entryHash(OTHER_ROOM, genesis[0]));
});

test("signEntry refuses a body that does not have its type’s shape (TypeError)", async () => {
  await assert.rejects(sign([], "genesis", alice, { ...(await genesisBody()), x: 1 }), TypeError);
  await assert.rejects(sign(genesis, "identity", alice, member(dave, null)), TypeError);
  await assert.rejects(sign(genesis, "policy", alice, { share_history: 1 }), TypeError);
});

test("signEntry refuses a ts that is not an integer from 0 to 2^53 - 1 (TypeError)", async () => {
  const body = await genesisBody();
  for (const ts of [-1, 2 ** 53, 1.5, true, String(T0), null, undefined, 2n]) {
    await assert.rejects(sign([], "genesis", alice, body, { ts }), TypeError, String(ts));
  }
  const latest = await sign([], "genesis", alice, body, { ts: 2 ** 53 - 1 });
  assert.equal((await verify([latest])).startedTs, 2 ** 53 - 1);
});

test("checkEntryWire: version first (unsupported), then any other shape fault (tampered)", () => {
  const wire = genesis[0];
  assert.throws(() => checkEntryWire({ ...wire, v: 2 }), UnsupportedError);
  assert.throws(() => checkEntryWire({ ...wire, v: 2, extra: 1 }), UnsupportedError);
  assert.throws(() => checkEntryWire({ ...wire, v: true }), UnsupportedError);
  for (const bad of [
    null,
    [wire],
    { ...wire, extra: 1 },
    { ...wire, index: true },
    { ...wire, index: 2 ** 32 },
    { ...wire, index: 1.5 },
    { ...wire, ts: undefined },
    { ...wire, ts: -1 },
    { ...wire, ts: 2 ** 53 },
    { ...wire, ts: T0 + 0.5 },
    { ...wire, ts: false },
    { ...wire, ts: String(T0) },
    { ...wire, ts: null },
    { ...wire, prev: b64uEncode(new Uint8Array(31)) },
    { ...wire, type: "Genesis" },
    { ...wire, author: "" },
    { ...wire, signer: `${wire.signer}==` },
    { ...wire, sig: wire.sig.slice(0, -2) },
    { ...wire, body: [] },
    { ...wire, body: { ...wire.body, members: [] } },
    { ...wire, body: { ...wire.body, share_history: "true" } },
  ]) {
    assert.throws(() => checkEntryWire(bad), TamperedError, JSON.stringify(bad)?.slice(0, 80));
  }
});

test("genesis members must be sorted by UTF-8 bytes, not by UTF-16 code units", async () => {
  const tilde = await person("～"); // UTF-8 ef bd 9e
  const smile = await person("😀"); // UTF-8 f0 9f 98 80, but UTF-16 d83d sorts first
  const ok = await append([], "genesis", smile, await genesisBody([member(tilde), member(smile)]));
  assert.equal((await verify(ok)).members.size, 2);
  const reversed = [...ok[0].body.members].reverse();
  const utf16Order = { ...ok[0], body: { ...ok[0].body, members: reversed } };
  assert.throws(() => checkEntryWire(utf16Order), TamperedError);
});

test("memberIdent takes the three key fields of a public identity, or three empty strings", () => {
  const { ed25519, x25519, sig } = alice.publicIdentity;
  assert.deepEqual(memberIdent(alice.publicIdentity), { ed25519, x25519, sig });
  assert.deepEqual(memberIdent(null), { ed25519: "", x25519: "", sig: "" });
});

test("roomstate is exported from index.js and bad_chain is a typed error", () => {
  for (const name of ["signEntry", "checkEntryWire", "entryHash", "verifyChain", "keyProof"]) {
    assert.equal(typeof api[name], "function", name);
  }
  assert.equal(ERRORS_BY_CODE.bad_chain, BadChainError);
  assert.ok(new BadChainError("x") instanceof KeyroomCryptoError);
  assert.equal(new BadChainError("x").code, "bad_chain");
});

// --- commitment and proof ----------------------------------------------------------------

test("a key commitment binds the key, its key id and the room", async () => {
  const base = await commitOf(k1);
  assert.equal(b64uDecode(base).length, 32);
  assert.equal(await commitOf(k1), base);
  assert.notEqual(await commitOf({ keyId: k1.keyId, key: k2.key }), base);
  assert.notEqual(await commitOf({ keyId: k2.keyId, key: k1.key }), base);
  assert.notEqual(await commitOf(k1, OTHER_ROOM), base);
});

test("a key proof binds every field it lists", async () => {
  const args = {
    roomId: ROOM,
    epoch: 2,
    previousKeyId: k1.keyId,
    previousKey: k1.key,
    keyId: k2.keyId,
    commit: b64uDecode(await commitOf(k2)),
    author: "1",
  };
  const base = b64uEncode(await keyProof(args));
  for (const change of [
    { roomId: OTHER_ROOM },
    { epoch: 3 },
    { previousKeyId: k3.keyId },
    { previousKey: k3.key },
    { keyId: k3.keyId },
    { commit: new Uint8Array(32) },
    { author: "2" },
  ]) {
    const proof = b64uEncode(await keyProof({ ...args, ...change }));
    assert.notEqual(proof, base, Object.keys(change)[0]);
  }
});

// --- §15.5, one rule at a time -----------------------------------------------------------

test("rule 1: a malformed entry is tampered, a version 2 entry unsupported", async () => {
  const extra = { ...realistic[1], body: { ...realistic[1].body, x: 1 } };
  await refused([...genesis, extra], TamperedError);
  await refused([{ ...genesis[0], v: 2 }], UnsupportedError);
  await refused({ 0: genesis[0] }, TamperedError);
});

test("rule 2: an entry whose index is not its position is refused", async () => {
  const skipped = await append(genesis, "member_added", alice, member(dave), { index: 2 });
  await refused(skipped, BadChainError);
  await refused([realistic[0], realistic[2]], BadChainError);
});

test("rule 2: an entry whose prev is not the hash of the entry before is refused", async () => {
  const otherHash = await entryHash(ROOM, realistic[1]);
  await refused(await append(genesis, "member_added", alice, member(dave), { prev: otherHash }), BadChainError);
  const noPrev = await append(genesis, "member_added", alice, member(dave), { prev: null });
  await refused(noPrev, BadChainError);
  const prevAtZero = await append([], "genesis", alice, await genesisBody(), { prev: otherHash });
  await refused(prevAtZero, BadChainError);
});

test("rule 2: a ts may be up to ten minutes before the previous entry’s, no further", async () => {
  assert.equal(TS_SKEW_MS, 10 * 60 * 1000);
  const later = await append(
    genesis,
    "member_removed",
    alice,
    { user: bob.user },
    {
      ts: T0 + TS_SKEW_MS,
    },
  );
  const atSkew = await append(later, "member_added", alice, member(bob), { ts: T0 });
  const state = await verify(atSkew);
  assert.deepEqual([state.startedTs, state.headTs], [T0, T0]);
  const beyond = await append(later, "member_added", alice, member(bob), { ts: T0 - 1 });
  await refused(beyond, BadChainError);
  // Continuing from a state compares with that state's head ts.
  await refused([beyond[2]], BadChainError, { state: await verify(later) });
});

test("rule 2: a genesis may carry any valid ts, and the ts is signed", async () => {
  const zero = await append([], "genesis", alice, await genesisBody(), { ts: 0 });
  assert.equal((await verify(zero)).startedTs, 0);
  await refused([{ ...genesis[0], ts: T0 + 1 }], BadSignatureError);
});

test("rule 3: a genesis is at index 0 and only there", async () => {
  await refused(await append(genesis, "genesis", alice, await genesisBody()), BadChainError);
  await refused(await append([], "member_added", alice, member(dave)), BadChainError);
});

test("rule 4: an author who is not a current member is refused (also once removed)", async () => {
  await refused(await append(genesis, "member_added", mallory, member(mallory)), BadChainError);
  const removed = await append(genesis, "member_removed", alice, { user: bob.user });
  await refused(await append(removed, "policy", bob, { share_history: true }), BadChainError);
});

test("rule 4: an author without an identity is refused", async () => {
  const policy = { share_history: true };
  const asCarol = await append(genesis, "policy", mallory, policy, { author: "3" });
  await refused(asCarol, BadChainError);
  const noKeys = [member(alice, null), member(bob)];
  await refused(await append([], "genesis", alice, await genesisBody(noKeys)), BadChainError);
});

test("rule 1: a genesis whose author is not in its members is tampered (§15.1)", async () => {
  const members = genesis[0].body.members.slice(1);
  await refused([{ ...genesis[0], body: { ...genesis[0].body, members } }], TamperedError);
  await assert.rejects(sign([], "genesis", alice, await genesisBody(members)), TypeError);
});

test("rule 4: a signer other than the author's recorded key is refused", async () => {
  await refused(await append(genesis, "policy", mallory, { share_history: true }, { author: "1" }), BadChainError);
  // After bob's identity changes, his old key no longer speaks for him.
  const changed = await append(genesis, "identity", alice, member(bobNew));
  await refused(await append(changed, "policy", bob, { share_history: true }), BadChainError);
  const byNewKey = await append(changed, "policy", bobNew, { share_history: true });
  assert.equal((await verify(byNewKey)).length, 3);
});

test("rule 5: an entry whose signature does not verify is bad_signature", async () => {
  const good = realistic[1];
  const sig = b64uDecode(good.sig);
  sig[3] ^= 1;
  await refused([...genesis, { ...good, sig: b64uEncode(sig) }], BadSignatureError);
  await refused([...genesis, { ...good, body: { ...good.body, user: "5" } }], BadSignatureError);
  const otherRoom = await append([], "genesis", alice, await genesisBody(), { roomId: OTHER_ROOM });
  await refused(otherRoom, BadSignatureError);
});

test("rule 6: a member identity that does not verify for its user is refused", async () => {
  const forged = { ...member(bob), sig: member(carol).sig };
  await refused(await append([], "genesis", alice, await genesisBody([member(alice), forged])), BadChainError);
  const moved = { ...member(dave), user: "5" };
  await refused(await append(genesis, "member_added", alice, moved), BadChainError);
  const badNew = { ...member(bobNew), sig: forged.sig };
  await refused(await append(genesis, "identity", alice, badNew), BadChainError);
});

test("rule 6: member_added of a current member is refused", async () => {
  await refused(await append(genesis, "member_added", alice, member(bob)), BadChainError);
});

test("rule 6: member_removed of a non-member is refused", async () => {
  await refused(await append(genesis, "member_removed", alice, { user: dave.user }), BadChainError);
});

test("rule 6: a key must be for the current epoch + 1", async () => {
  await refused(await append(genesis, "key", alice, await keyBody(3, k2, k1)), BadChainError);
  await refused(await append(genesis, "key", alice, await keyBody(1, k2, k1)), BadChainError);
});

test("rule 6: a key id that already appeared in the chain is refused", async () => {
  await refused(await append(genesis, "key", alice, await keyBody(2, k1, k1)), BadChainError);
  const two = await append(genesis, "key", alice, await keyBody(2, k2, k1));
  await refused(await append(two, "key", alice, await keyBody(3, k1, k2)), BadChainError);
});

test("rule 6: a wrong proof is refused when the verifier holds the previous key", async () => {
  const wrong = await append(genesis, "key", alice, await keyBody(2, k2, k3));
  await refused(wrong, BadChainError, { keys: keys1 });
  const otherAuthor = await append(genesis, "key", alice, await keyBody(2, k2, k1, bob.user));
  await refused(otherAuthor, BadChainError, { keys: keys1 });
});

test("rule 6: an identity entry must change the identity of another current member", async () => {
  await refused(await append(genesis, "identity", alice, member(bob)), BadChainError);
  await refused(await append(genesis, "identity", bob, member(bobNew)), BadChainError);
  await refused(await append(genesis, "identity", alice, member(dave)), BadChainError);
});

// --- the state ----------------------------------------------------------------------------

test("the state after a realistic chain records members, identities, epochs and keys", async () => {
  const state = await verify(realistic, { keys: keys1 });
  const ed = (p) => p.publicIdentity.ed25519;
  assert.deepEqual(
    [...state.members].map(([u, i]) => [u, i.ed25519]),
    [
      ["1", ed(alice)],
      ["2", ed(bobNew)],
      ["3", ed(carol)],
      ["4", ed(dave)],
    ],
  );
  assert.deepEqual(state.members.get("3").dhPublicKey, b64uDecode(carol.publicIdentity.x25519));
  assert.deepEqual(state.members.get("2").signPublicKey, bobNew.signerPublicKey);
  assert.deepEqual(
    state.identities.get("2").map((i) => i.ed25519),
    [ed(bob), ed(bobNew)],
  );
  assert.deepEqual(
    state.identities.get("4").map((i) => i.ed25519),
    [ed(dave)],
  );
  assert.deepEqual(Object.fromEntries(state.joined), { 1: 1, 2: 1, 3: 1, 4: 2 });
  assert.equal(state.epoch, 2);
  assert.equal(state.currentKeyId, k2.keyId);
  assert.deepEqual(
    [...state.keys].map(([kid, r]) => [kid, r.epoch, r.author, r.index, r.proven]),
    [
      [k1.keyId, 1, "1", 0, true],
      [k2.keyId, 2, "1", 4, true],
    ],
  );
  assert.equal(b64uEncode(state.keys.get(k2.keyId).commit), await commitOf(k2));
  assert.equal(state.shareHistory, true);
  assert.equal(state.starter, "1");
  assert.equal(state.length, 8);
  assert.deepEqual(state.head, await entryHash(ROOM, realistic[7]));
  assert.deepEqual([state.startedTs, state.headTs], [T0, T0 + 7000]);
});

test("a member without an identity is recorded as null until an identity entry", async () => {
  const state = await verify(genesis);
  assert.equal(state.members.get("3"), null);
  assert.equal(state.identities.has("3"), false);
  const after = await verify(realistic.slice(0, 3));
  assert.equal(after.members.get("3").ed25519, carol.publicIdentity.ed25519);
});

test("a removed member leaves members but keeps its recorded identities", async () => {
  const state = await verify(realistic.slice(0, 4));
  assert.equal(state.members.has("4"), false);
  assert.deepEqual(
    state.identities.get("4").map((i) => i.ed25519),
    [dave.publicIdentity.ed25519],
  );
});

test("proofs are checked only when the previous key is held", async () => {
  const wrong = await append(genesis, "key", alice, await keyBody(2, k2, k3));
  const unchecked = await verify(wrong);
  assert.equal(unchecked.keys.get(k2.keyId).proven, false);
  // Holding only the new key (not the previous one) checks nothing either.
  const newOnly = await verify(wrong, { keys: new Map([[k2.keyId, k2.key]]) });
  assert.equal(newOnly.keys.get(k2.keyId).proven, false);
  await refused(wrong, BadChainError, { keys: keys1 });
  const right = await verify(realistic.slice(0, 5), { keys: keys1 });
  assert.equal(right.keys.get(k2.keyId).proven, true);
});

test("an empty list gives the empty state", async () => {
  const state = await verify([]);
  assert.equal(state.length, 0);
  assert.equal(state.head, null);
  assert.deepEqual([state.startedTs, state.headTs], [null, null]);
  assert.equal(state.members.size, 0);
  assert.equal(state.epoch, 0);
});

// --- continuation -------------------------------------------------------------------------

test("continuing from a state gives the same state as verifying the whole chain", async () => {
  const first = await verify(realistic.slice(0, 3), { keys: keys1 });
  const before = snapshot(first);
  const rest = await verify(realistic.slice(3), { keys: keys1, state: first });
  assert.equal(snapshot(rest), snapshot(await verify(realistic, { keys: keys1 })));
  assert.equal(snapshot(first), before, "the input state is not mutated");
});

test("a continuation must start at state.length", async () => {
  const first = await verify(realistic.slice(0, 3));
  await refused(realistic.slice(4), BadChainError, { state: first });
  await refused(realistic.slice(2), BadChainError, { state: first });
});

test("a failed continuation leaves the input state untouched", async () => {
  const first = await verify(realistic.slice(0, 3));
  const before = snapshot(first);
  const bad = await append(realistic.slice(0, 3), "member_added", alice, member(bob));
  await refused([bad.at(-1)], BadChainError, { state: first });
  await refused([realistic[3], { ...realistic[4], sig: realistic[3].sig }], BadSignatureError, {
    state: first,
  });
  assert.equal(snapshot(first), before);
});

test("copyChainState returns a state whose changes do not reach the original", async () => {
  const state = await verify(realistic);
  const before = snapshot(state);
  const copy = copyChainState(state);
  assert.equal(snapshot(copy), before);
  copy.members.delete("1");
  copy.identities.get("2").push(null);
  copy.joined.set("9", 5);
  copy.keys.get(k1.keyId).commit.fill(0);
  copy.head.fill(0);
  assert.equal(snapshot(state), before);
});

test("a genesis of 500 members verifies, each identity bound to its user", async () => {
  const people = [];
  for (let i = 0; i < 500; i++) people.push(await person(`u${String(i).padStart(3, "0")}`));
  const members = people.map((p) => member(p));
  const big = await append([], "genesis", people[0], await genesisBody(members));
  const state = await verify(big);
  assert.equal(state.members.size, 500);
  assert.equal(state.members.get("u499").ed25519, people[499].publicIdentity.ed25519);
  const swapped = members.map((m, i) => (i === 250 ? { ...members[251], user: m.user } : m));
  await refused(await append([], "genesis", people[0], await genesisBody(swapped)), BadChainError);
});
