// The open room's message store: holes in the stream of revs (late or lost events).
import { test } from "node:test";
import assert from "node:assert/strict";

import { MessageStore } from "../../static/js/chat/messages_data.js";

function loaded(maxRev) {
  const store = new MessageStore();
  store.initialLoaded = true;
  store.hasMore = false;
  store.noteRev(maxRev);
  return store;
}

const message = (rev) => ({ id: rev, seq: rev, rev, room_id: 1, kind: "text", sender: { id: 2 } });

test("events in order leave no hole", () => {
  const store = loaded(3);
  assert.equal(store.apply(message(4)).gap, false);
  assert.equal(store.apply(message(5)).gap, false);
  assert.equal(store.maxRev, 5);
});

test("an event that arrives late fills its hole: no resync is needed", () => {
  const store = loaded(3);
  assert.equal(store.apply(message(5)).gap, true);
  assert.equal(store.maxRev, 3); // a resync now would ask for what follows 3
  assert.equal(store.apply(message(4)).gap, false);
  assert.equal(store.maxRev, 5);
  assert.equal(store.hasGap(), false);
});

test("a lost event keeps its hole until a resync brings it", () => {
  const store = loaded(3);
  store.apply(message(5));
  store.apply(message(6));
  assert.equal(store.hasGap(), true);
  assert.equal(store.maxRev, 3);
  store.apply(message(4)); // the resync's answer, then its last_seq
  store.noteRev(6);
  assert.equal(store.hasGap(), false);
  assert.equal(store.maxRev, 6);
});
