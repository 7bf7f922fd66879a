/**
 * Shape checks for untrusted JSON-able objects.
 * @module shape
 */

/**
 * Return whether `value` is a plain JSON object (not null, not an array).
 * @param {unknown} value
 * @returns {value is Record<string, unknown>}
 */
export function isPlainObject(value) {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Throw `ErrorClass` unless `obj` has exactly the own keys `keys`.
 * @param {Record<string, unknown>} obj
 * @param {readonly string[]} keys
 * @param {new (message: string) => Error} ErrorClass
 */
export function checkExactKeys(obj, keys, ErrorClass) {
  const actual = Object.keys(obj);
  if (actual.length !== keys.length || !keys.every((k) => Object.hasOwn(obj, k))) {
    throw new ErrorClass(`expected exactly the fields ${keys.join(", ")}`);
  }
}
