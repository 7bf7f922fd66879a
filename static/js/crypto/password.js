/**
 * E2E password generator: words drawn uniformly (rejection sampling over 32-bit random values)
 * from a word list, joined by single spaces (some EFF words contain hyphens, so a hyphen would
 * not be a safe separator). With the EFF large list (7776 words), 10 words give ~129.2 bits.
 * @module password
 */

import { MalformedError } from './errors.js';

export const PASSWORD_WORDS = 10;
export const WORD_SEPARATOR = ' ';
/** Least entropy a generated password must carry. */
export const MIN_PASSWORD_BITS = 128;
/** Size of the EFF large wordlist. */
export const EFF_LARGE_WORDLIST_SIZE = 7776;
const WORD_RE = /^[a-z]+(?:-[a-z]+)*$/;

/**
 * Parse the shipped word list file (one lowercase word per line, final newline optional).
 * Throw MalformedError unless it holds exactly 7776 distinct words.
 * @param {string} text
 * @returns {string[]}
 */
export function parseWordlist(text) {
  if (typeof text !== 'string') throw new MalformedError('wordlist: not text');
  const words = text.endsWith('\n') ? text.slice(0, -1).split('\n') : text.split('\n');
  if (!words.every((w) => WORD_RE.test(w))) throw new MalformedError('wordlist: bad word');
  if (new Set(words).size !== words.length) throw new MalformedError('wordlist: duplicate words');
  if (words.length !== EFF_LARGE_WORDLIST_SIZE) {
    throw new MalformedError(`wordlist: expected ${EFF_LARGE_WORDLIST_SIZE} words`);
  }
  return words;
}

/**
 * Return a uniform index in [0, n) from a source of uniform 32-bit integers, rejecting values at
 * or above the largest multiple of n below 2^32.
 * @param {number} n
 * @param {() => number} nextU32
 * @returns {number}
 */
export function _uniformIndex(n, nextU32) {
  const limit = 2 ** 32 - (2 ** 32 % n);
  for (;;) {
    const x = nextU32();
    if (!Number.isInteger(x) || x < 0 || x >= 2 ** 32) throw new RangeError('not a u32');
    if (x < limit) return x % n;
  }
}

/**
 * Generate a password from `words` with an injected source of 32-bit integers (for vectors).
 * Throw RangeError if the result would carry fewer than MIN_PASSWORD_BITS bits.
 * @param {readonly string[]} words distinct words without whitespace
 * @param {() => number} nextU32
 * @param {number} [count]
 * @returns {string}
 */
export function _generatePasswordWithRandomness(words, nextU32, count = PASSWORD_WORDS) {
  if (!Array.isArray(words) || words.some((w) => typeof w !== 'string' || !WORD_RE.test(w))) {
    throw new TypeError('words must be an array of lowercase words');
  }
  if (new Set(words).size !== words.length) throw new TypeError('words must be distinct');
  if (!Number.isInteger(count) || count * Math.log2(words.length) < MIN_PASSWORD_BITS) {
    throw new RangeError(`a password needs at least ${MIN_PASSWORD_BITS} bits`);
  }
  const picked = [];
  for (let i = 0; i < count; i++) picked.push(words[_uniformIndex(words.length, nextU32)]);
  return picked.join(WORD_SEPARATOR);
}

/**
 * Generate a password of `count` words drawn uniformly from `words` with crypto.getRandomValues.
 * @param {readonly string[]} words
 * @param {number} [count]
 * @returns {string}
 */
export function generatePassword(words, count = PASSWORD_WORDS) {
  const buffer = new Uint32Array(1);
  const nextU32 = () => globalThis.crypto.getRandomValues(buffer)[0];
  return _generatePasswordWithRandomness(words, nextU32, count);
}
