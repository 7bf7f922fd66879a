// The message content model in the browser (docs/PROTOCOL.md "Message content"): reading it
// (chat/content.js readContent, contentOf), making it (buildContent, editedContent), and the
// encrypted payload that is the content plus rev/ts/ctr (e2e/rooms_messages.js contentPayload,
// e2e/transcript.js payloadContent).

import assert from "node:assert/strict";
import { test } from "node:test";

import { buildContent, contentOf, editedContent, readContent, textContent } from "../../static/js/chat/content.js";
import { contentPayload } from "../../static/js/e2e/rooms_messages.js";
import { payloadContent, readPayload } from "../../static/js/e2e/transcript.js";

const base = { v: 1, text: "hi", format: "markdown", mentions: [], mention_all: false };

test("readContent accepts version 1 only, with defaults, and keeps unknown keys", () => {
  assert.deepEqual(readContent({ v: 1, text: "hi" }), base);
  assert.deepEqual(readContent({ ...base, reply_to: "x", files: [1] }), { ...base, reply_to: "x", files: [1] });
  assert.equal(readContent({ ...base, format: "plain" }).format, "plain");
  assert.equal(readContent({ ...base, format: "html" }).format, "plain"); // unknown: shown as written
  assert.deepEqual(readContent({ ...base, mentions: ["7", 9, null, {}] }).mentions, ["7", "9"]);
  assert.equal(readContent({ ...base, mention_all: "yes" }).mention_all, false);
  for (const bad of [
    null,
    "hi",
    [],
    { text: "hi" },
    { v: 2, text: "hi" },
    { v: "1", text: "hi" },
    { v: 1 },
    { v: 1, text: 5 },
  ]) {
    assert.equal(readContent(bad), null, JSON.stringify(bad));
  }
});

test("buildContent makes the full object; editedContent keeps what is still written", () => {
  assert.deepEqual(buildContent("hi"), base);
  assert.equal(buildContent("x", { format: "plain" }).format, "plain");
  const previous = { ...base, text: "@bob @cat @all", mentions: ["7", "9"], mention_all: true, reply_to: "r" };
  const names = { 7: "bob", 9: "cat" };
  assert.deepEqual(
    editedContent(previous, "@bob only", (id) => names[id]),
    {
      ...base,
      text: "@bob only",
      mentions: ["7"],
      reply_to: "r",
    },
  );
  assert.equal(editedContent(previous, "@here still", (id) => names[id]).mention_all, true);
  // A mention whose person is not known here (left the room) is dropped, never guessed.
  assert.deepEqual(editedContent(previous, "@bob @cat", (id) => (id === "7" ? "bob" : null)).mentions, ["7"]);
  assert.deepEqual(editedContent(null, "new"), { ...base, text: "new" });
});

test("editedContent adds the people picked in the editor, if still written", () => {
  const previous = { ...base, text: "@bob hi", mentions: ["7"] };
  const names = { 7: "bob" };
  const picks = {
    picked: new Map([
      [9, "cat"],
      [11, "dan"],
    ]),
    specials: new Set(["here"]),
  };
  const edited = editedContent(previous, "@bob @cat @here hi", (id) => names[id], picks);
  assert.deepEqual(edited.mentions, ["7", "9"]); // dan was picked, then deleted again
  assert.equal(edited.mention_all, true);
});

test("contentOf: plaintext reads message.content, encrypted reads messageBody's content", () => {
  const plain = { kind: "text", body: "raw", encrypted: false, content: { ...base, text: "**hi**" } };
  assert.equal(contentOf(plain).text, "**hi**");
  assert.deepEqual(contentOf({ ...plain, content: null }), textContent("raw"));
  const sealed = { kind: "text", encrypted: true, payload: {}, body: "" };
  const decrypted = { ...base, text: "secret", future: 1 };
  assert.deepEqual(contentOf(sealed, { text: "secret", content: decrypted, verified: true }), decrypted);
  assert.equal(contentOf(sealed, { text: "Decrypting…", note: true, pending: true }), null);
  assert.equal(contentOf({ ...plain, kind: "system" }), null);
});

test("the encrypted payload is the content plus rev/ts/ctr, never tombstone fields from content", () => {
  const content = { ...base, text: "@bob **hi**", mentions: ["7"], reply_to: "r" };
  assert.deepEqual(contentPayload(content, "@bob **hi**"), content);
  assert.deepEqual(contentPayload(null, "plain text"), { ...base, text: "plain text" });
  assert.deepEqual(contentPayload("edited"), { ...base, text: "edited" });
  const sneaky = { ...base, deleted: true, rev: 9, ts: 1, ctr: 1 };
  assert.deepEqual(contentPayload(sneaky), base);
});

test("a decrypted payload gives its content; older payloads (no v) still read", () => {
  const payload = { ...base, text: "x", mentions: ["7"], reply_to: "r", rev: 1, ts: 5, ctr: 2 };
  const fields = readPayload(payload);
  assert.deepEqual(fields.content, { ...base, text: "x", mentions: ["7"], reply_to: "r" });
  assert.equal(fields.rev, 1);
  // Written by issue 10's first browsers: v/mentions/mention_all without format.
  assert.deepEqual(payloadContent({ v: 1, text: "@bob", mentions: ["7"], mention_all: true, rev: 0 }), {
    ...base,
    text: "@bob",
    mentions: ["7"],
    mention_all: true,
  });
  // From before the content model: text only.
  assert.deepEqual(payloadContent({ text: "old" }), { ...base, text: "old" });
  // A later version this page cannot read: its text, shown as written.
  assert.deepEqual(payloadContent({ v: 2, text: "new", mentions: ["7"] }), { ...base, text: "new", format: "plain" });
  assert.equal(readPayload({ deleted: true, rev: 2, ts: 1, ctr: 1 }).content, undefined);
});
