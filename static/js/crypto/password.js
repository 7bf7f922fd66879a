/**
 * E2E password generator: words drawn uniformly (rejection sampling over 32-bit random values)
 * from a word list, joined by single spaces (some EFF words contain hyphens, so a hyphen would
 * not be a safe separator). With the EFF large list (7776 words), 10 words give ~129.2 bits.
 * A generated passphrase typed on a phone (a capital first word, a double space) is forgiven by
 * normalizePassphrase / unlockCandidates (docs/PROTOCOL.md, section 5).
 * @module password
 */

import { MalformedError } from "./errors.js";

export const PASSWORD_WORDS = 10;
export const WORD_SEPARATOR = " ";
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
  if (typeof text !== "string") throw new MalformedError("wordlist: not text");
  const words = text.endsWith("\n") ? text.slice(0, -1).split("\n") : text.split("\n");
  if (!words.every((w) => WORD_RE.test(w))) throw new MalformedError("wordlist: bad word");
  if (new Set(words).size !== words.length) throw new MalformedError("wordlist: duplicate words");
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
    if (!Number.isInteger(x) || x < 0 || x >= 2 ** 32) throw new RangeError("not a u32");
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
  if (!Array.isArray(words) || words.some((w) => typeof w !== "string" || !WORD_RE.test(w))) {
    throw new TypeError("words must be an array of lowercase words");
  }
  if (new Set(words).size !== words.length) throw new TypeError("words must be distinct");
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

// Every white space character of Unicode (White_Space=yes) and the zero width no-break space,
// spelled out so that JS and Python (e2e/crypto/password.py) agree on the same set.
const WHITE_SPACE_RUN = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]+/gu;

/**
 * Return the normal form of a generated passphrase as someone may have typed it: NFKC, ASCII
 * capitals to lower case, every run of white space to one space, no surrounding space.
 * Generated passphrases are already in this form, so normalising one changes nothing.
 * @param {string} text
 * @returns {string}
 */
export function normalizePassphrase(text) {
  if (typeof text !== "string") throw new TypeError("passphrase must be a string");
  return text
    .normalize("NFKC")
    .replace(/[A-Z]+/g, (upper) => upper.toLowerCase())
    .replace(WHITE_SPACE_RUN, " ")
    .trim();
}

/**
 * Return true if `text` is in normal form and every word of it is one of `words`: the shape
 * of a generated passphrase.
 * @param {string} text
 * @param {ReadonlySet<string> | readonly string[]} words
 * @returns {boolean}
 */
export function isGeneratedForm(text, words) {
  const known = words instanceof Set ? words : new Set(words);
  return text !== "" && normalizePassphrase(text) === text && text.split(WORD_SEPARATOR).every((w) => known.has(w));
}

/**
 * Return the passwords to try, in order, to unlock a backup with what the user typed: the
 * exact input first; then its normal form, only if that differs and has the shape of a
 * generated passphrase (a password of the user's own choosing is only ever taken exactly).
 * @param {string} typed
 * @param {ReadonlySet<string> | readonly string[]} words
 * @returns {string[]}
 */
export function unlockCandidates(typed, words) {
  const normal = normalizePassphrase(typed);
  return normal !== typed && isGeneratedForm(normal, words) ? [typed, normal] : [typed];
}
