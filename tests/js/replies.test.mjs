// Replies in the browser (docs/PROTOCOL.md "Message content", reply_to): the reference a reply
// carries, reading it back, matching it against the message a page has, and the quote's
// excerpt (chat/content.js).

import assert from "node:assert/strict";
import { test } from "node:test";

import { answers, excerpt, replyOf, replyReference } from "../../static/js/chat/content.js";

const target = { id: 41, seq: 7, client_id: "0b6f7b1e-3c43-4d0e-9a43-5d1f2a3b4c5d", sender: { id: 3 } };
const ref = { id: "41", seq: 7, client_id: target.client_id, sender: "3" };

test("a reply's reference names the message by id, number, uuid and sender", () => {
  assert.deepEqual(replyReference(target), ref);
});

test("replyOf reads a well-formed reference and nothing else", () => {
  assert.deepEqual(replyOf({ reply_to: ref }), ref);
  for (const bad of [
    null,
    "41",
    [],
    { ...ref, id: 41 },
    { ...ref, id: "4x" },
    { ...ref, seq: 0 },
    { ...ref, seq: "7" },
    { ...ref, client_id: undefined },
    { ...ref, sender: 3 },
  ]) {
    assert.equal(replyOf({ reply_to: bad }), null, JSON.stringify(bad));
  }
  assert.equal(replyOf(null), null);
});

test("a reference answers only the message with all four facts", () => {
  assert.equal(answers(ref, target), true);
  assert.equal(answers(ref, { ...target, id: 42 }), false);
  assert.equal(answers(ref, { ...target, seq: 8 }), false);
  assert.equal(answers(ref, { ...target, client_id: "another" }), false);
  assert.equal(answers(ref, { ...target, sender: { id: 4 } }), false);
});

test("the excerpt is one line, cut with an ellipsis", () => {
  assert.equal(excerpt("  lunch\n\nat   noon? "), "lunch at noon?");
  assert.equal(excerpt("x".repeat(130)), `${"x".repeat(119)}…`);
  assert.equal([...excerpt("😀".repeat(200))].length, 120); // code points, not UTF-16 units
});
