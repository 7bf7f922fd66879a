// Message grouping (static/js/chat/grouping.js) and avatars (static/js/lib/avatar.js): pure rules.
import { test } from "node:test";
import assert from "node:assert/strict";

import { GROUP_WINDOW_MS, continuesGroup } from "../../static/js/chat/grouping.js";
import { AVATAR_COLOURS, avatarColour, initials } from "../../static/js/lib/avatar.js";

const at = (iso) => new Date(iso).getTime();
const msg = (sender, time, kind = "text") => ({ sender, time, kind });

test("one sender within the window continues the group", () => {
  const t = at("2026-03-02T10:00:00");
  assert.equal(continuesGroup(msg(1, t), msg(1, t + GROUP_WINDOW_MS)), true);
});

test("another sender, a longer pause, a system line or no previous row start a group", () => {
  const t = at("2026-03-02T10:00:00");
  assert.equal(continuesGroup(msg(1, t), msg(2, t + 1000)), false);
  assert.equal(continuesGroup(msg(1, t), msg(1, t + GROUP_WINDOW_MS + 1)), false);
  assert.equal(continuesGroup(msg(1, t, "system"), msg(1, t + 1000)), false);
  assert.equal(continuesGroup(msg(1, t), msg(1, t + 1000, "system")), false);
  assert.equal(continuesGroup(null, msg(1, t)), false);
  assert.equal(continuesGroup(msg(1, t + 1000), msg(1, t)), false);
});

test("a day change starts a group even within the window", () => {
  const before = at("2026-03-02T23:58:00");
  assert.equal(continuesGroup(msg(1, before), msg(1, at("2026-03-03T00:01:00"))), false);
});

test("avatar colours are deterministic, in range and spread over neighbouring ids", () => {
  const colours = Array.from({ length: 10 }, (_, i) => avatarColour(i + 1));
  assert.deepEqual(
    colours,
    Array.from({ length: 10 }, (_, i) => avatarColour(i + 1)),
  );
  for (const c of colours) assert.ok(c >= 0 && c < AVATAR_COLOURS);
  assert.ok(new Set(colours).size >= 6, `too few colours: ${colours}`);
});

test("initials come from the first and last words", () => {
  assert.equal(initials("Ann Archer"), "AA");
  assert.equal(initials("bob"), "B");
  assert.equal(initials("  María  de la Cruz "), "MC");
  assert.equal(initials(""), "?");
});
