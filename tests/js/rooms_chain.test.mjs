// The browser's chain signer (static/js/e2e/rooms_chain.js): the `ts` it signs entries with is this
// device's clock, but never before the entry it follows, so a clock running behind still makes
// entries the chain accepts (docs/PROTOCOL.md §15.1, §15.5 step 2).

import assert from "node:assert/strict";
import { test } from "node:test";

import { b64uDecode } from "../../static/js/crypto/base64url.js";
import { generateIdentity } from "../../static/js/crypto/identity.js";
import { generateRoomKey } from "../../static/js/crypto/roomkeys.js";
import { signEntry, TS_SKEW_MS, verifyChain } from "../../static/js/crypto/roomstate.js";
import { entryTime, RoomChain } from "../../static/js/e2e/rooms_chain.js";

const ROOM = "a3c4e1f2-5b6d-4e7f-8a9b-0c1d2e3f4a5b";

test("entryTime is the clock, or the previous ts when the clock is behind it", () => {
  assert.equal(entryTime(null, 5000), 5000);
  assert.equal(entryTime(4000, 5000), 5000);
  assert.equal(entryTime(9000, 5000), 9000);
  const before = Date.now();
  const now = entryTime(null);
  assert.ok(now >= before && now <= Date.now());
});

test("the genesis is signed now; entries after a head dated ahead of this clock take its ts", async () => {
  const me = await generateIdentity("1");
  const session = { keys: { signingKey: me.signingKey, publicIdentity: me.publicIdentity } };
  const chain = new RoomChain({ userId: 1 });
  const key = generateRoomKey();
  const members = new Map([[1, me.publicIdentity]]);
  const before = Date.now();
  const genesis = await chain.genesis(ROOM, key, members, {}, session);
  assert.ok(genesis.ts >= before && genesis.ts <= Date.now(), "the genesis is signed now");
  // Another member's clock (and the server's) run an hour fast: the head is dated ahead of this
  // device's clock, beyond the skew a later entry may go back.
  const ahead = Date.now() + 6 * TS_SKEW_MS;
  const fast = await signEntry({
    roomId: ROOM,
    index: 0,
    prev: null,
    type: "genesis",
    author: "1",
    ts: ahead,
    body: genesis.body,
    signingKey: me.signingKey,
    signerPublicKey: b64uDecode(me.publicIdentity.ed25519),
  });
  const state = { uid: ROOM, entries: [fast], chain: await verifyChain([fast], { roomId: ROOM }) };
  const items = [
    { type: "policy", body: { share_history: false } },
    { type: "policy", body: { share_history: true } },
  ];
  const signed = await chain.sign(state, items, session);
  assert.deepEqual(
    signed.map((e) => e.ts),
    [ahead, ahead],
  );
  const after = await verifyChain(signed, { roomId: ROOM, state: state.chain });
  assert.equal(after.length, 3);
});
