// The pure parts of the device's search of encrypted rooms: encryption at rest (seal.js), the
// documents and blocks (docs.js), the index over a stand-in store (device_index.js), the
// backfill's coverage (search.js extendCoverage) and the merged ranking (chat/search_rank.js).
import { test } from "node:test";
import assert from "node:assert/strict";

import { createIndexKey, openRecord, padJson, sealRecord, unpadJson } from "../../static/js/e2e/search/seal.js";
import {
  applyDoc,
  blockName,
  docFrom,
  parseName,
  restoreBlock,
  roomState,
  serialiseBlock,
} from "../../static/js/e2e/search/docs.js";
import { DeviceIndex } from "../../static/js/e2e/search/device_index.js";
import { passes, rankTogether, readFilters } from "../../static/js/chat/search_rank.js";

const message = (id, text, extra = {}) => ({
  id,
  room_id: 7,
  seq: id,
  rev: 0,
  kind: "text",
  encrypted: true,
  deleted: false,
  created_at: "2026-03-04T10:00:00Z",
  sender: { id: 3, name: "Pym" },
  ...extra,
});
const verified = (text) => ({ verified: true, deleted: false, text });

test("a sealed record opens only under its key and its name, and holds no plaintext", async () => {
  const key = await createIndexKey();
  assert.equal(key.extractable, false);
  const sealed = await sealRecord(key, "b:7:0", { docs: [{ text: "pelican" }] });
  assert.deepEqual(Object.keys(sealed).sort(), ["ct", "iv", "v"]);
  assert.ok(!Buffer.from(sealed.ct).toString("latin1").includes("pelican"));
  assert.deepEqual(await openRecord(key, "b:7:0", sealed), { docs: [{ text: "pelican" }] });
  await assert.rejects(openRecord(key, "b:8:0", sealed)); // moved to another record
  await assert.rejects(openRecord(await createIndexKey(), "b:7:0", sealed)); // another key
  const flipped = { ...sealed, ct: sealed.ct.slice() };
  flipped.ct[3] ^= 1;
  await assert.rejects(openRecord(key, "b:7:0", flipped));
});

test("sizes are padded to whole KiB", () => {
  assert.equal(padJson("a").length, 1024);
  assert.equal(padJson("x".repeat(1021)).length, 2048);
  assert.equal(unpadJson(padJson({ a: "é" })).a, "é");
});

test("a message becomes a document only when verified with text", () => {
  const doc = docFrom(message(5, "x"), verified("  hello there "));
  assert.deepEqual(doc, {
    id: 5,
    room: 7,
    sender: 3,
    senderName: "Pym",
    seq: 5,
    rev: 0,
    ts: Date.parse("2026-03-04T10:00:00Z"),
    text: "hello there",
  });
  assert.equal(docFrom(message(5), { error: "no_key" }), null);
  assert.equal(docFrom(message(5), { verified: true, deleted: true, text: null }), null);
  assert.equal(docFrom(message(5, "x", { deleted: true }), verified("hi")), null);
});

test("blocks round-trip and refuse what is not theirs", () => {
  const docs = new Map();
  applyDoc(docs, docFrom(message(3), verified("three")));
  applyDoc(docs, docFrom(message(1), verified("one")));
  const value = serialiseBlock(7, 0, docs.values());
  assert.deepEqual(
    value.docs.map((d) => d.seq),
    [1, 3],
  );
  assert.deepEqual([...restoreBlock(JSON.parse(JSON.stringify(value)), 7, 0).keys()], [1, 3]);
  assert.throws(() => restoreBlock(value, 8, 0));
  assert.throws(() => restoreBlock({ ...value, docs: [{ ...value.docs[0], seq: 999 }] }, 7, 0));
  assert.throws(() => restoreBlock({ ...value, docs: [{ id: 1 }] }, 7, 0));
  assert.deepEqual(parseName(blockName(7, 2)), { kind: "block", roomId: 7, block: 2 });
  assert.deepEqual(roomState({ v: 1, low: 5, high: 2 }), { v: 1, low: null, high: null, running: false });
});

test("an older revision never replaces a newer one", () => {
  const docs = new Map();
  assert.ok(applyDoc(docs, docFrom(message(1, "", { rev: 2 }), verified("edited"))));
  assert.ok(!applyDoc(docs, docFrom(message(1, "", { rev: 0 }), verified("first"))));
  assert.equal(docs.get(1).text, "edited");
});

/** A stand-in for SealedRecords: what put() stores, JSON-copied. */
function memoryRecords() {
  const map = new Map();
  return {
    map,
    names: async () => [...map.keys()],
    get: async (name) => (map.has(name) ? JSON.parse(map.get(name)) : null),
    put: async (name, value) => void map.set(name, JSON.stringify(value)),
    delete: async (name) => void map.delete(name),
  };
}

test("the index keeps decrypted messages, re-indexes edits, drops deletions and rooms", async () => {
  const records = memoryRecords();
  const index = new DeviceIndex(() => records);
  await index.note(message(1), verified("first words"));
  await index.note(message(300), verified("another block"));
  await index.note(message(1, "", { rev: 1 }), verified("edited words"));
  await index.flush();
  assert.deepEqual([...records.map.keys()].sort(), ["b:7:0", "b:7:1"]);
  const again = new DeviceIndex(() => records); // a new page
  const all = await again.loadAll();
  assert.equal(all.get(1).text, "edited words");
  await again.note(message(1, "", { rev: 2, deleted: true }), { verified: true, deleted: true, text: null });
  await again.flush();
  assert.deepEqual([...records.map.keys()], ["b:7:1"]);
  await again.setRoomState(7, { v: 1, low: 1, high: 300, running: true });
  await again.dropRoom(7);
  assert.equal(records.map.size, 0);
});

test("results of both sources rank together: one scorer, newer first on a tie, unmatched last", () => {
  const items = [
    { key: "s:1", source: "server", text: "pelican", ts: 1 },
    { key: "d:2", source: "device", text: "a pelican among many other words here", ts: 5 },
    { key: "s:5", source: "server", text: "xxpelicanxx", ts: 99 }, // the server's substring match
    { key: "d:4", source: "device", text: "pelican", ts: 2 },
  ];
  assert.deepEqual(
    rankTogether("pelican", items).map((item) => item.key),
    ["d:4", "s:1", "d:2", "s:5"],
  );
});

test("filters read the form and pass results like the server's", () => {
  const filters = readFilters({ room: "7", person: "", from: "2026-03-04", to: "2026-03-04" });
  assert.deepEqual(filters, {
    room: 7,
    person: null,
    from: Date.parse("2026-03-04T00:00:00Z"),
    to: Date.parse("2026-03-05T00:00:00Z") - 1,
  });
  const at = (iso) => ({ room: 7, sender: 3, ts: Date.parse(iso) });
  assert.ok(passes(at("2026-03-04T23:59:59Z"), filters));
  assert.ok(!passes(at("2026-03-05T00:00:00Z"), filters));
  assert.ok(!passes({ ...at("2026-03-04T10:00:00Z"), room: 8 }, filters));
  assert.deepEqual(readFilters({ room: "x", from: "yesterday" }), { room: null, person: null, from: null, to: null });
});
