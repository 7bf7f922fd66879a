// The E2E password generator and the shipped EFF wordlist.

import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { test } from "node:test";

import { MalformedError } from "../../static/js/crypto/errors.js";
import {
  _generatePasswordWithRandomness,
  _uniformIndex,
  generatePassword,
  isGeneratedForm,
  MIN_PASSWORD_BITS,
  normalizePassphrase,
  parseWordlist,
  unlockCandidates,
  WORD_SEPARATOR,
} from "../../static/js/crypto/password.js";

const WORDLIST = new URL("../../static/e2e/eff_large_wordlist.txt", import.meta.url);
const text = await readFile(WORDLIST, "utf8");
const words = parseWordlist(text);

test("the shipped wordlist is the EFF large list: 7776 distinct lowercase words", () => {
  assert.equal(words.length, 7776);
  assert.equal(new Set(words).size, 7776);
  assert.equal(words[0], "abacus");
  assert.equal(words.at(-1), "zoom");
});

test("parseWordlist rejects lists of the wrong size, duplicates and odd lines", () => {
  assert.throws(() => parseWordlist(words.slice(1).join("\n")), MalformedError);
  assert.throws(() => parseWordlist([...words.slice(1), "zoom"].join("\n")), MalformedError);
  assert.throws(() => parseWordlist(`11111\t${text}`), MalformedError);
});

test("a generated password is 10 words of the list joined by single spaces (>= 128 bits)", () => {
  const password = generatePassword(words);
  const parts = password.split(WORD_SEPARATOR);
  assert.equal(parts.length, 10);
  for (const word of parts) assert.ok(words.includes(word), word);
  assert.ok(10 * Math.log2(words.length) >= MIN_PASSWORD_BITS);
  assert.notEqual(generatePassword(words), password);
});

test("the generator refuses settings below 128 bits", () => {
  assert.throws(() => generatePassword(words, 9), RangeError);
  assert.throws(() => generatePassword(words.slice(0, 1000)), RangeError);
});

test("rejection sampling discards draws at or above the largest multiple of n", () => {
  const limit = 2 ** 32 - (2 ** 32 % 7776);
  const draws = [2 ** 32 - 1, limit, limit - 1];
  assert.equal(
    _uniformIndex(7776, () => draws.shift()),
    (limit - 1) % 7776,
  );
  assert.equal(draws.length, 0);
});

test("the injected-randomness generator maps each accepted draw to words[x % n]", () => {
  const draws = [0, 7775, 7776, 2 ** 32 - 1, 1, 2, 3, 4, 5, 6, 7];
  const password = _generatePasswordWithRandomness(words, () => draws.shift());
  assert.equal(password, "abacus zoom abacus abdomen abdominal abide abiding ability ablaze able");
  assert.equal(draws.length, 0);
});

test("normalizePassphrase lower-cases ASCII, folds white space runs to one space and trims", () => {
  assert.equal(normalizePassphrase("  Abacus  zoom\t\nT-Shirt\u00a0 "), "abacus zoom t-shirt");
  assert.equal(normalizePassphrase("abacus zoom"), "abacus zoom");
  assert.equal(normalizePassphrase("\uff21bacus"), "abacus");
  assert.equal(normalizePassphrase("\u00c1bacus"), "\u00c1bacus");
});

test("a generated passphrase is its own normal form", () => {
  const password = generatePassword(words);
  assert.equal(normalizePassphrase(password), password);
  assert.ok(isGeneratedForm(password, words));
});

test("unlockCandidates tries the exact input first and the normal form only for list words", () => {
  assert.deepEqual(unlockCandidates("Abacus  zoom", words), ["Abacus  zoom", "abacus zoom"]);
  assert.deepEqual(unlockCandidates("abacus zoom", words), ["abacus zoom"]);
  assert.deepEqual(unlockCandidates("My Own  Secret", words), ["My Own  Secret"]);
  assert.deepEqual(unlockCandidates("   ", words), ["   "]);
});
