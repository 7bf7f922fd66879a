// chat/presence_data.js: the states of the people one shares rooms with, from the snapshot and
// the changes, and when a tab says it is active or idle.
import assert from "node:assert/strict";
import { test } from "node:test";

import { PresenceReporter, PresenceStore, presenceLabel } from "../../static/js/chat/presence_data.js";

function fakeClock() {
  const clock = {
    now: 0,
    next: 1,
    timers: new Map(),
    setTimeout: (fn, ms) => {
      const id = clock.next++;
      clock.timers.set(id, { fn, at: clock.now + ms });
      return id;
    },
    clearTimeout: (id) => clock.timers.delete(id),
    advance(ms) {
      const until = clock.now + ms;
      for (;;) {
        const due = [...clock.timers].filter(([, t]) => t.at <= until).sort((a, b) => a[1].at - b[1].at)[0];
        if (!due) break;
        clock.timers.delete(due[0]);
        clock.now = due[1].at;
        due[1].fn();
      }
      clock.now = until;
    },
  };
  return clock;
}

function reporter(idleMs = 1000) {
  const clock = fakeClock();
  const sent = [];
  const r = new PresenceReporter({ send: (s) => sent.push(s), idleMs, timers: clock, now: () => clock.now });
  return { clock, sent, r };
}

test("labels say the state in words, and appearing offline for oneself", () => {
  assert.equal(presenceLabel("online"), "online");
  assert.equal(presenceLabel("away"), "away");
  assert.equal(presenceLabel("nonsense"), "offline");
  assert.equal(presenceLabel("online", { appearOffline: true }), "online, appearing offline");
});

test("a snapshot replaces every state; anyone not in it is offline", () => {
  const store = new PresenceStore({ userId: 1 });
  store.heard({ type: "presence", user_id: 5, state: "online" });
  store.heard({ type: "presence.snapshot", users: { 2: "online", 3: "away", 4: "offline" } });
  assert.deepEqual(
    [2, 3, 4, 5].map((id) => store.stateOf(id)),
    ["online", "away", "offline", "offline"],
  );
});

test("changes are told to subscribers once; the same state heard again is not a change", () => {
  const store = new PresenceStore({ userId: 1 });
  let calls = 0;
  store.subscribe(() => calls++);
  assert.equal(store.heard({ type: "presence", user_id: 2, state: "online" }), true);
  assert.equal(store.heard({ type: "presence", user_id: 2, state: "online" }), false);
  store.heard({ type: "presence", user_id: 2, state: "away" });
  store.heard({ type: "presence", user_id: 2, state: "offline" });
  store.heard({ type: "presence", user_id: 2, state: "offline" });
  store.heard({ type: "presence.snapshot", users: {} });
  assert.equal(calls, 3);
});

test("one's own state comes from presence.self, not from what others see", () => {
  const store = new PresenceStore({ userId: 1 });
  store.heard({ type: "presence.snapshot", users: {}, self: { user_id: 1, state: "online", appear_offline: true } });
  store.heard({ type: "presence", user_id: 1, state: "offline" });
  assert.equal(store.stateOf(1), "online");
  assert.equal(store.labelOf(1), "online, appearing offline");
  store.heard({ type: "presence.self", user_id: 1, state: "away", appear_offline: false });
  assert.equal(store.labelOf(1), "away");
});

test("a tab says active when its socket opens, idle after the delay without input", () => {
  const { clock, sent, r } = reporter();
  r.connected();
  assert.deepEqual(sent, ["active"]);
  clock.advance(600);
  r.input(); // the delay starts again
  clock.advance(600);
  assert.deepEqual(sent, ["active"]);
  clock.advance(500);
  assert.deepEqual(sent, ["active", "idle"]);
  clock.advance(5000);
  assert.deepEqual(sent, ["active", "idle"]);
});

test("input after idle says active once; a reconnect says the current state again", () => {
  const { clock, sent, r } = reporter();
  r.connected();
  clock.advance(1000);
  r.input();
  r.input();
  assert.deepEqual(sent, ["active", "idle", "active"]);
  clock.advance(1000);
  r.connected(); // idle tab reconnecting: still idle
  assert.deepEqual(sent, ["active", "idle", "active", "idle", "idle"]);
});
