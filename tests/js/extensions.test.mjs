// The chat app's extension registry (static/js/chat/extensions.js) and how dispatch.js hands
// events to it: the plaintext defaults, the sealed set of points, and the order handlers run in
// (docs/ARCHITECTURE.md "Browser extension points").
import { test } from "node:test";
import assert from "node:assert/strict";

import { createExtensions } from "../../static/js/chat/extensions.js";
import { dispatch } from "../../static/js/chat/dispatch.js";

const plain = { id: 1, body: "hi", deleted: false };

test("with nothing installed a message shows its body, and a deleted one a placeholder", () => {
  const ext = createExtensions();
  assert.deepEqual(ext.messageBody(plain), { text: "hi", note: false });
  assert.deepEqual(ext.messageBody({ ...plain, deleted: true }), { text: "This message was deleted", note: true });
  assert.equal(ext.messageBadge(plain, ext.messageBody(plain)), null);
  assert.equal(ext.editableText(plain), "hi");
});

test("with nothing installed the key icons follow the server's encrypted flag", () => {
  const ext = createExtensions();
  assert.equal(ext.sidebarEncrypted({ encrypted: true }), true);
  assert.equal(ext.sidebarEncrypted({ encrypted: false }), false);
  assert.equal(ext.headerEncrypted({ room: { encrypted: false } }), false);
});

test("the plaintext room hooks never gate a send and draw a page as it is", async () => {
  const hooks = createExtensions().attachRoom({});
  assert.equal(await hooks.mustEncrypt(), false);
  assert.equal(hooks.handles({ encrypted: true }), false);
  const drawn = [];
  await hooks.render(
    [plain, { ...plain, id: 2 }],
    (m) => drawn.push(m.id),
    () => drawn.push("after"),
  );
  assert.deepEqual(drawn, [1, 2, "after"]);
});

test("a misspelt extension point throws instead of being silently ignored", () => {
  const ext = createExtensions();
  assert.throws(() => {
    ext.messageBodies = () => null;
  }, TypeError);
  assert.throws(() => {
    ext.roomInfo.editField = () => [];
  }, TypeError);
});

test("an installed point can build on the plaintext one it replaces", () => {
  const ext = createExtensions();
  const before = ext.messageBody;
  ext.messageBody = (m) => (m.secret ? { text: "secret", note: true } : before(m));
  assert.deepEqual(ext.messageBody(plain), { text: "hi", note: false });
  assert.deepEqual(ext.messageBody({ secret: true }), { text: "secret", note: true });
});

/** An ``app`` for dispatch() that records what chat did. */
function fakeApp(log) {
  return {
    userId: 1,
    rooms: { remove: () => log.push("rooms.remove") },
    room: { memberRemoved: (roomId, userId) => log.push(`room.memberRemoved ${roomId} ${userId}`) },
    reconnected: () => log.push("reconnected"),
  };
}

test("an event chat knows reaches chat first, then the handlers registered for its type", () => {
  const log = [];
  const ext = createExtensions();
  ext.onEvent("member.removed", (event, app) => log.push(`ext ${event.user_id} ${app.userId}`));
  dispatch({ type: "member.removed", room_id: 5, user_id: 7 }, fakeApp(log), ext);
  assert.deepEqual(log, ["room.memberRemoved 5 7", "ext 7 1"]);
});

test("an extension's event reaches only its handlers, in the order they were registered", () => {
  const log = [];
  const ext = createExtensions();
  ext.onEvent("e2e.key_rotated", () => log.push("first"));
  ext.onEvent("e2e.key_rotated", () => log.push("second"));
  ext.onEvent("e2e.envelope", () => log.push("wrong type"));
  dispatch({ type: "e2e.key_rotated", room_id: 5 }, fakeApp(log), ext);
  assert.deepEqual(log, ["first", "second"]);
});

test("an event nobody knows is ignored", () => {
  const log = [];
  dispatch({ type: "something.new" }, fakeApp(log), createExtensions());
  assert.deepEqual(log, []);
});

test("boot and connection handlers get what chat passes, in order", () => {
  const log = [];
  const ext = createExtensions();
  ext.onBoot((app) => log.push(`boot ${app.userId}`));
  ext.onConnected(({ reconnect }) => log.push(`connected ${reconnect}`));
  ext.booted({ userId: 3 });
  ext.connected({ reconnect: false });
  ext.connected({ reconnect: true });
  assert.deepEqual(log, ["boot 3", "connected false", "connected true"]);
});
