// Mentions and notifications (chat/content.js, chat/notify.js): the content the composer
// makes, and which messages notify whom.

import assert from "node:assert/strict";
import { test } from "node:test";

import { buildContent, contentOf, mentionedNames } from "../../static/js/chat/content.js";
import { isMention, Notifier, shouldNotify } from "../../static/js/chat/notify.js";
import { RoomsStore } from "../../static/js/chat/rooms_data.js";

const bob = 7;

test("a pick counts only while its @username is still in the text", () => {
  const picked = new Map([
    [7, "bob"],
    [9, "cat"],
  ]);
  assert.deepEqual(buildContent("hi @bob!", { picked }), {
    v: 1,
    text: "hi @bob!",
    format: "markdown",
    mentions: ["7"],
    mention_all: false,
  });
  assert.deepEqual(buildContent("hi @cat and @bob", { picked }).mentions, ["7", "9"]);
  assert.deepEqual(buildContent("email bob@bob.example", { picked }).mentions, []);
  assert.equal(buildContent("@here now", { specials: new Set(["here"]) }).mention_all, true);
  assert.equal(buildContent("no longer", { specials: new Set(["here"]) }).mention_all, false);
  assert.deepEqual(mentionedNames("@Ann, @bob. x@y"), ["ann", "bob"]);
});

test("contentOf: the message content, or a plaintext body as content, or the decrypted fields", () => {
  const plain = { kind: "text", body: "hi", encrypted: false };
  assert.deepEqual(contentOf(plain), { v: 1, text: "hi", format: "markdown", mentions: [], mention_all: false });
  const withContent = { ...plain, content: { v: 1, text: "hi @bob", mentions: ["7"], mention_all: false } };
  assert.deepEqual(contentOf(withContent).mentions, ["7"]);
  assert.equal(contentOf({ ...plain, content: { v: 2, text: "x" } }).text, "hi"); // v != 1 refused
  const sealed = { kind: "text", encrypted: true, payload: {} };
  assert.equal(contentOf(sealed), null);
  assert.deepEqual(contentOf(sealed, { text: "secret", mentions: ["7"], verified: true }).mentions, ["7"]);
  assert.equal(contentOf({ ...plain, deleted: true }), null);
});

test("the level decides: all, mentions only (by id or @all where allowed), nothing", () => {
  const mention = { v: 1, text: "@bob", mentions: ["7"], mention_all: false };
  const everyone = { v: 1, text: "@all", mentions: [], mention_all: true };
  const plain = { v: 1, text: "hi", mentions: [], mention_all: false };
  const room = (notify_level, allow = true) => ({ kind: "group", notify_level, allow_mention_all: allow });
  assert.equal(shouldNotify(room("all"), plain, bob), true);
  assert.equal(shouldNotify(room("mentions"), plain, bob), false);
  assert.equal(shouldNotify(room("mentions"), mention, bob), true);
  assert.equal(shouldNotify(room("mentions"), everyone, bob), true);
  assert.equal(shouldNotify(room("mentions", false), everyone, bob), false);
  assert.equal(shouldNotify(room("nothing"), mention, bob), false);
  assert.equal(shouldNotify({ kind: "channel" }, plain, bob), false); // channels: mentions only
  assert.equal(isMention(room("all"), { ...mention, mentions: ["8"] }, bob), false);
});

test("the notifier counts mentions of rooms not being read and notifies as the level says", async () => {
  const shown = [];
  globalThis.Notification = class {
    static permission = "granted";
    constructor(title, options) {
      shown.push([title, options.body]);
    }
  };
  try {
    const rooms = new RoomsStore(
      [
        { id: 1, kind: "group", name: "g", notify_level: "mentions", allow_mention_all: true, unread: 0 },
        { id: 2, kind: "group", name: "h", notify_level: "all", allow_mention_all: true, unread: 0 },
      ],
      { userId: bob },
    );
    const notifier = new Notifier({
      userId: bob,
      rooms,
      extensions: { messageContent: async (m) => m.content },
      isReading: (roomId) => roomId === 2,
    });
    const msg = (roomId, text, mentions, senderId = 3) => ({
      id: Math.random(),
      room_id: roomId,
      seq: 1,
      kind: "text",
      sender: { id: senderId, name: "Ann" },
      content: { v: 1, text, mentions, mention_all: false },
    });
    await notifier.arrived(msg(1, "plain", []));
    await notifier.arrived(msg(1, "hey @bob", ["7"]));
    await notifier.arrived(msg(1, "mine @bob", ["7"], bob));
    await notifier.arrived(msg(2, "open room @bob", ["7"]));
    assert.deepEqual(shown, [["Ann in g", "hey @bob"]]);
    assert.equal(rooms.get(1).mentions, 1);
    assert.equal(rooms.get(2).mentions || 0, 0);
    rooms.incrementUnread(1);
    rooms.incrementUnread(2);
    assert.equal(rooms.totalUnread(), 2);
    rooms.clearUnread(1);
    assert.equal(rooms.get(1).mentions, 0);
  } finally {
    delete globalThis.Notification;
  }
});
