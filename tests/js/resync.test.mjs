// chat/resync.js: one catch-up at a time, full pages advance, failures back off.
import assert from "node:assert/strict";
import { test } from "node:test";

import { MessageStore } from "../../static/js/chat/messages_data.js";
import { RESYNC_BATCH, RETRY_FIRST_MS, RETRY_MAX_MS, Resync } from "../../static/js/chat/resync.js";

function fakeTimers() {
  const timers = {
    queue: [],
    setTimeout: (fn, ms) => timers.queue.push({ fn, ms }) && timers.queue.length,
    clearTimeout: () => {},
  };
  return timers;
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

function message(rev) {
  return { id: rev, seq: rev, rev };
}

test("a full page advances past its last rev, so a room far behind is caught up, not asked again", async () => {
  const store = new MessageStore();
  store.initialLoaded = true;
  const asked = [];
  // 600 changes whose revs have holes (older revs of edited messages are gone): 2, 4, 6 ...
  const revs = Array.from({ length: 600 }, (_, i) => 2 * (i + 1));
  const resync = new Resync({
    store,
    fetchChanges: async (afterRev) => {
      asked.push(afterRev);
      if (asked.length > 5) throw new Error("asked again and again");
      const messages = revs
        .filter((rev) => rev > afterRev)
        .slice(0, RESYNC_BATCH)
        .map(message);
      return { messages, last_seq: 1200 };
    },
    receive: (m) => store.apply(m),
    timers: fakeTimers(),
  });
  resync.request();
  await settle();
  await settle();
  assert.deepEqual(asked, [0, 1000]);
  assert.equal(store.maxRev, 1200);
});

test("a trigger during a resync runs it once more afterwards, not in parallel", async () => {
  const store = new MessageStore();
  let inFlight = 0;
  let most = 0;
  let calls = 0;
  let release;
  const resync = new Resync({
    store,
    fetchChanges: async () => {
      calls += 1;
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => (release = resolve));
      inFlight -= 1;
      return { messages: [], last_seq: 0 };
    },
    receive: () => {},
    timers: fakeTimers(),
  });
  resync.request();
  resync.request();
  resync.request();
  release();
  await settle();
  release();
  await settle();
  assert.equal(calls, 2);
  assert.equal(most, 1);
});

test("failures back off: triggers wait for the retry, the wait doubles up to a cap, a reconnect goes at once", async () => {
  const store = new MessageStore();
  const timers = fakeTimers();
  let calls = 0;
  let failing = true;
  let caughtUp = 0;
  const resync = new Resync({
    store,
    fetchChanges: async () => {
      calls += 1;
      if (failing) throw Object.assign(new Error("502"), { status: 502 });
      return { messages: [], last_seq: 0 };
    },
    receive: () => {},
    caughtUp: () => (caughtUp += 1),
    timers,
  });
  resync.request();
  await settle();
  assert.equal(calls, 1);
  assert.deepEqual(
    timers.queue.map((t) => t.ms),
    [RETRY_FIRST_MS],
  );
  resync.request(); // a digest or gap meanwhile: waits for the retry
  await settle();
  assert.equal(calls, 1);
  for (let i = 0; i < 8; i += 1) {
    timers.queue.at(-1).fn();
    await settle();
  }
  assert.equal(calls, 9);
  const waits = timers.queue.map((t) => t.ms);
  assert.deepEqual(waits.slice(0, 5), [1000, 2000, 4000, 8000, 16000]);
  assert.equal(Math.max(...waits), RETRY_MAX_MS);
  failing = false;
  resync.request({ now: true }); // the socket reconnected
  await settle();
  assert.equal(calls, 10);
  assert.equal(caughtUp, 1);
  assert.equal(resync.failures, 0);
});

test("a room that is gone (404) is reported once, with no retry", async () => {
  const timers = fakeTimers();
  let gone = 0;
  const resync = new Resync({
    store: new MessageStore(),
    fetchChanges: async () => {
      throw Object.assign(new Error("not found"), { status: 404 });
    },
    receive: () => {},
    gone: () => (gone += 1),
    timers,
  });
  resync.request();
  await settle();
  assert.equal(gone, 1);
  assert.equal(timers.queue.length, 0);
});
