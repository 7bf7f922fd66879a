// The transcript checks of static/js/e2e/transcript.js (docs/PROTOCOL.md §9.1): rollback,
// replay, withheld messages within a fully loaded range only, tombstones against server
// deletions, clock skew, and the sender's counter.

import assert from "node:assert/strict";
import { test } from "node:test";

import {
  changeFields,
  createTranscript,
  noteOwnCounter,
  noteResult,
  noteRow,
  readPayload,
  reserveCounter,
  setCoverage,
  TRANSCRIPT_TEXTS,
  verdicts,
  withheldText,
} from "../../static/js/e2e/transcript.js";

const T0 = Date.parse("2026-12-01T10:00:00Z");
const PYM = { id: 7, name: "Py Member" };

/** A server row: seq, rev (defaults to seq), sender, client_id, times. */
function row(
  seq,
  {
    rev = seq,
    sender = PYM,
    clientId = `c-${seq}`,
    deleted = false,
    payload = {},
    at = T0 + seq * 1000,
    editedAt = null,
  } = {},
) {
  return {
    id: seq * 10,
    seq,
    rev,
    kind: "text",
    client_id: clientId,
    sender,
    deleted,
    payload,
    created_at: new Date(at).toISOString(),
    edited_at: editedAt === null ? null : new Date(editedAt).toISOString(),
  };
}

/** A verified decrypt result with transcript fields. */
function verified(fields) {
  return { verified: true, text: "hi", deleted: false, rev: 0, ts: null, ctr: null, ...fields };
}

/** Feed rows (each [message, result]) and return the verdicts. */
function judge(entries, { low = 1, high = 1000, userId = 1 } = {}) {
  const state = createTranscript({ userId });
  for (const [message, result] of entries) {
    noteRow(state, message);
    if (result) noteResult(state, message, result);
  }
  setCoverage(state, low, high);
  return { state, out: verdicts(state) };
}

test("readPayload reads text, tombstones and the transcript fields, and refuses bad ones", () => {
  const content = (text) => ({ v: 1, text, format: "markdown", mentions: [], mention_all: false });
  assert.deepEqual(readPayload({ text: "a", rev: 0, ts: 5, ctr: 1 }), {
    text: "a",
    deleted: false,
    rev: 0,
    ts: 5,
    ctr: 1,
    content: content("a"),
  });
  assert.deepEqual(readPayload({ text: "old format" }), {
    text: "old format",
    deleted: false,
    rev: null,
    ts: null,
    ctr: null,
    content: content("old format"),
  });
  assert.deepEqual(readPayload({ deleted: true, rev: 2, ts: 9, ctr: 3 }), {
    text: null,
    deleted: true,
    rev: 2,
    ts: 9,
    ctr: 3,
  });
  for (const bad of [
    null,
    [],
    { rev: 0 },
    { text: 1 },
    { text: "a", ctr: 0 },
    { text: "a", rev: -1 },
    { text: "a", ts: 1.5 },
    { deleted: false },
    { deleted: true, text: "a" },
    { text: "a", ctr: "2" },
  ]) {
    assert.equal(readPayload(bad), null, JSON.stringify(bad));
  }
});

test("an older rev than one already seen is shown as rolled back, with the newer text kept", () => {
  const original = row(1, { rev: 1 });
  const edited = { ...original, rev: 2 };
  const rolledBack = { ...original, rev: 3 };
  const { out } = judge([
    [original, verified({ text: "v1", rev: 0, ctr: 1 })],
    [edited, verified({ text: "v2", rev: 1, ctr: 1 })],
    [rolledBack, verified({ text: "v1", rev: 0, ctr: 1 })],
  ]);
  const verdict = out.get(original.id);
  assert.equal(verdict.rolledBack, true);
  assert.equal(verdict.shown.text, "v2");
  assert.deepEqual(verdict.after, [TRANSCRIPT_TEXTS.rolledBack]);
});

test("a normal edit is not a rollback", () => {
  const original = row(1, { rev: 1 });
  const { out } = judge([
    [original, verified({ text: "v1", rev: 0, ctr: 1 })],
    [{ ...original, rev: 2 }, verified({ text: "v2", rev: 1, ctr: 1 })],
  ]);
  assert.equal(out.get(original.id).rolledBack, false);
  assert.deepEqual(out.get(original.id).after, []);
});

test("a second row with a message id already seen is dropped as a replay, whichever loads first", () => {
  const first = row(1, { clientId: "same" });
  const copy = row(5, { clientId: "same" });
  // The newest page is decrypted first: the copy is known before the original.
  const { out } = judge([
    [copy, verified({ ctr: 1 })],
    [first, verified({ ctr: 1 })],
  ]);
  assert.equal(out.get(copy.id).replayOf, first.id);
  assert.equal(out.get(first.id).replayOf, null);
});

test("a second row with a (sender, ctr) already seen is dropped as a replay", () => {
  const { out } = judge([
    [row(1), verified({ ctr: 1 })],
    [row(2), verified({ ctr: 2 })],
    [row(3), verified({ ctr: 2 })],
  ]);
  assert.equal(out.get(30).replayOf, 20);
  assert.equal(out.get(20).replayOf, null);
});

test("the same counter from two senders is no replay", () => {
  const { out } = judge([
    [row(1), verified({ ctr: 1 })],
    [row(2, { sender: { id: 8, name: "Bob" } }), verified({ ctr: 1 })],
  ]);
  assert.equal(out.get(20).replayOf, null);
});

test("a gap in a sender's counter within the loaded range says how many were withheld", () => {
  const { out } = judge([
    [row(1), verified({ ctr: 1 })],
    [row(2), verified({ ctr: 2 })],
    [row(3), verified({ ctr: 5 })],
  ]);
  assert.deepEqual(out.get(30).before, [withheldText(2, "Py Member")]);
  assert.equal(withheldText(2, "Py Member"), "2 messages from Py Member were withheld");
  assert.equal(withheldText(1, "Py Member"), "1 message from Py Member was withheld");
  assert.deepEqual(out.get(20).before, []);
});

test("from the start of the room a sender's first counter must be 1", () => {
  const { out } = judge([[row(2), verified({ ctr: 2 })]], { low: 1 });
  assert.deepEqual(out.get(20).before, [withheldText(1, "Py Member")]);
});

test("no gap is reported across a page boundary", () => {
  // Rows 10-12 are loaded; the page does not have what came before seq 10.
  const { out } = judge(
    [
      [row(10), verified({ ctr: 7 })],
      [row(11), verified({ ctr: 8 })],
      [row(12), verified({ ctr: 9 })],
    ],
    { low: 10, high: 12 },
  );
  for (const verdict of out.values()) assert.deepEqual(verdict.before, []);
});

test("no gap is reported for rows outside the loaded range", () => {
  // Row 20 arrived beyond what the page knows to be complete (a lost event, resync pending).
  const { out } = judge(
    [
      [row(10), verified({ ctr: 1 })],
      [row(20), verified({ ctr: 4 })],
    ],
    { low: 1, high: 15 },
  );
  assert.deepEqual(out.get(200).before, []);
});

test("a row whose counter is unknown yet may account for a missing value", () => {
  const { out } = judge([
    [row(1), verified({ ctr: 1 })],
    [row(2), null], // still decrypting
    [row(3), { error: "no_key", final: false }],
    [row(4), verified({ ctr: 4 })],
  ]);
  assert.deepEqual(out.get(40).before, []);
});

test('a valid signed tombstone is "Message deleted"', () => {
  const gone = row(2, { deleted: true });
  const { out } = judge([
    [row(1), verified({ ctr: 1 })],
    [gone, verified({ text: null, deleted: true, rev: 1, ctr: 2 })],
  ]);
  assert.equal(out.get(gone.id).deleted, true);
  assert.equal(out.get(gone.id).removed, false);
});

test('a row the server marks deleted without a tombstone is "Removed by the server"', () => {
  const kept = row(2, { deleted: true }); // old ciphertext still there, not a tombstone
  const stripped = row(3, { deleted: true, payload: null });
  const garbage = row(4, { deleted: true });
  const { out } = judge([
    [row(1), verified({ ctr: 1 })],
    [kept, verified({ text: "secret", ctr: 2 })],
    [stripped, null],
    [garbage, { error: "bad_signature", final: true }],
  ]);
  for (const message of [kept, stripped, garbage]) {
    assert.equal(out.get(message.id).removed, true, message.seq);
    assert.equal(out.get(message.id).deleted, false);
  }
});

test("a plaintext message deleted before encryption began is not a server removal", () => {
  const plain = row(1, { deleted: true, payload: null });
  const { out } = judge([
    [plain, null],
    [row(2), verified({ ctr: 1 })],
  ]);
  assert.equal(out.get(plain.id).removed, false);
});

test("a sender time more than 10 minutes from the server's is flagged, a small one is not", () => {
  const late = row(1, { at: T0 });
  const fine = row(2, { at: T0 });
  const edited = row(3, { at: T0, editedAt: T0 + 3_600_000 });
  const { out } = judge([
    [late, verified({ ts: T0 - 11 * 60_000, ctr: 1 })],
    [fine, verified({ ts: T0 + 9 * 60_000, ctr: 2 })],
    [edited, verified({ ts: T0 + 3_600_000, rev: 1, ctr: 3 })],
  ]);
  assert.deepEqual(out.get(late.id).after, [TRANSCRIPT_TEXTS.skew]);
  assert.deepEqual(out.get(fine.id).after, []);
  assert.deepEqual(out.get(edited.id).after, []);
});

test("the next own counter follows the highest own one seen, and a retry keeps its counter", () => {
  const me = { id: 1, name: "Me" };
  const { state } = judge([
    [row(1, { sender: me }), verified({ ctr: 4 })],
    [row(2), verified({ ctr: 9 })], // someone else's
  ]);
  assert.equal(reserveCounter(state, "new-a"), 5);
  assert.equal(reserveCounter(state, "new-a"), 5);
  assert.equal(reserveCounter(state, "new-b"), 6);
  noteOwnCounter(state, 20);
  assert.equal(reserveCounter(state, "new-c"), 21);
  assert.deepEqual(changeFields(state, 10), { rev: 1, ctr: 4 });
});
