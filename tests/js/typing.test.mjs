// chat/typing_data.js: the typing line's text, typists forgotten after silence, and when a tab
// says it starts or stops typing.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  TYPING_IDLE_MS,
  TYPING_REPEAT_MS,
  TYPING_SHOWN_MS,
  Typists,
  TypingSender,
  typingText,
} from "../../static/js/chat/typing_data.js";

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
      clock.now += ms;
      for (const [id, timer] of [...clock.timers]) {
        if (timer.at <= clock.now && clock.timers.has(id)) {
          clock.timers.delete(id);
          timer.fn();
        }
      }
    },
  };
  return clock;
}

test("the line names one or two typists and counts more as several", () => {
  assert.equal(typingText([]), "");
  assert.equal(typingText(["Amy"]), "Amy is typing…");
  assert.equal(typingText(["Amy", "Bob"]), "Amy and Bob are typing…");
  assert.equal(typingText(["Amy", "Bob", "Cy"]), "Several people are typing…");
});

test("a typist is forgotten after silence, on stop, and changes are reported once", () => {
  const clock = fakeClock();
  let changes = 0;
  const typists = new Typists({ onChange: () => (changes += 1), timers: clock });
  typists.heard({ user_id: 2, typing: true });
  typists.heard({ user_id: 3, typing: true });
  assert.deepEqual(typists.ids(), [2, 3]);
  assert.equal(changes, 2);
  clock.advance(TYPING_SHOWN_MS - 100);
  typists.heard({ user_id: 2, typing: true }); // heard again: kept, no change reported
  assert.equal(changes, 2);
  clock.advance(200);
  assert.deepEqual(typists.ids(), [2], "3 went silent");
  typists.heard({ user_id: 2, typing: false });
  assert.deepEqual(typists.ids(), []);
  assert.equal(changes, 4);
  typists.stopped(2); // already gone: nothing to report
  assert.equal(changes, 4);
});

test("a tab says it types at most every few seconds and stops once, on send or silence", () => {
  const clock = fakeClock();
  const sent = [];
  const sender = new TypingSender({ send: (t) => sent.push(t), timers: clock, now: () => clock.now });
  for (let i = 0; i < 10; i += 1) {
    sender.input(true);
    clock.advance(100);
  }
  assert.deepEqual(sent, [true], "one start for a burst of keystrokes");
  clock.advance(TYPING_REPEAT_MS);
  sender.input(true);
  assert.deepEqual(sent, [true, true], "repeated while typing goes on");
  sender.stop();
  sender.stop();
  assert.deepEqual(sent, [true, true, false], "one stop");
  sender.input(true);
  clock.advance(TYPING_IDLE_MS);
  assert.deepEqual(sent.slice(3), [true, false], "silence stops it");
  sender.input(false);
  assert.equal(sent.length, 5, "emptying a composer that was not typing sends nothing");
});
