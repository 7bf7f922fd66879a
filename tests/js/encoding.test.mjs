// The canonical encoding and strict base64url.

import assert from "node:assert/strict";
import { test } from "node:test";

import { b64uDecode, b64uEncode } from "../../static/js/crypto/base64url.js";
import { randomBytes } from "../../static/js/crypto/bytes.js";
import { canonical, isValidId, isValidMessageId, LABELS, u32, utf8 } from "../../static/js/crypto/encoding.js";
import { MalformedError } from "../../static/js/crypto/errors.js";

const hex = (b) => Buffer.from(b).toString("hex");

test("canonical prefixes the label and every field with a 4-byte big-endian length", () => {
  assert.equal(hex(canonical("ab", "c", Uint8Array.of(1, 2))), "000000026162000000016300000002" + "0102");
});

test("canonical distinguishes field boundaries that plain concatenation would merge", () => {
  assert.notEqual(hex(canonical("l", "a", "bc")), hex(canonical("l", "ab", "c")));
  assert.notEqual(hex(canonical("l", "")), hex(canonical("l")));
});

test("canonical refuses numbers and other non-byte fields", () => {
  assert.throws(() => canonical("l", 1), TypeError);
  assert.throws(() => canonical("l", null), TypeError);
});

test("u32 is 4 big-endian bytes and rejects out-of-range values", () => {
  assert.equal(hex(u32(600000)), "000927c0");
  assert.throws(() => u32(-1), RangeError);
  assert.throws(() => u32(2 ** 32), RangeError);
  assert.throws(() => u32(1.5), RangeError);
});

test("utf8 refuses lone surrogates", () => {
  assert.throws(() => utf8("\ud800"), TypeError);
  assert.equal(hex(utf8("é")), "c3a9");
});

test("every label is distinct and versioned", () => {
  const labels = Object.values(LABELS);
  assert.equal(new Set(labels).size, labels.length);
  for (const label of labels) assert.match(label, /^keyroom\/v1\//);
});

test("ids: non-empty well-formed strings up to 256 bytes; message ids are lowercase UUIDs", () => {
  assert.ok(isValidId("42"));
  assert.ok(!isValidId(""));
  assert.ok(!isValidId(42));
  assert.ok(!isValidId("x".repeat(257)));
  assert.ok(isValidMessageId("123e4567-e89b-42d3-a456-426614174000"));
  assert.ok(!isValidMessageId("123E4567-E89B-42D3-A456-426614174000"));
});

test("base64url round-trips every length without padding", () => {
  for (let n = 0; n < 40; n++) {
    const bytes = randomBytes(n);
    const text = b64uEncode(bytes);
    assert.doesNotMatch(text, /[=+/]/);
    assert.deepEqual(b64uDecode(text), bytes);
    assert.equal(text, Buffer.from(bytes).toString("base64url"));
  }
});

test("base64url decoding rejects padding, foreign characters and non-canonical bits", () => {
  for (const bad of ["AA==", "A", "AB", "A+AA", "A/AA", " AAA", "AAA\n", 7]) {
    assert.throws(() => b64uDecode(bad), MalformedError, String(bad));
  }
});
