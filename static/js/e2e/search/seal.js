// Encryption at rest of the device's search index (docs/PROTOCOL.md §17): every record is
// AES-256-GCM under one non-extractable key of this device, bound to its record name, padded
// to whole KiB. Pure WebCrypto (no DOM, no IndexedDB), so Node tests it as it is.

const AD_LABEL = "keyroom/v1/search-index";
const PAD = 1024; // plaintext lengths are rounded up to this (sizes tell less)
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/** Return a new AES-256-GCM key that cannot be exported (it is used where it is stored). */
export function createIndexKey() {
  return crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
}

function additionalData(name) {
  return encoder.encode(`${AD_LABEL}\u0000${name}`);
}

/** Return the JSON of ``value`` as bytes: a 4-byte length, the UTF-8 text, zeros to a whole KiB. */
export function padJson(value) {
  const text = encoder.encode(JSON.stringify(value));
  const size = Math.ceil((text.length + 4) / PAD) * PAD;
  const out = new Uint8Array(size);
  new DataView(out.buffer).setUint32(0, text.length);
  out.set(text, 4);
  return out;
}

/** Return the value padJson() wrapped; throw on a malformed length. */
export function unpadJson(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getUint32(0);
  if (length > bytes.length - 4) throw new Error("bad padding");
  return JSON.parse(decoder.decode(bytes.subarray(4, 4 + length)));
}

/** Seal ``value`` as the record ``name``: {v: 1, iv, ct} (bytes only; no plaintext field). */
export async function sealRecord(key, name, value) {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: additionalData(name) },
    key,
    padJson(value),
  );
  return { v: 1, iv, ct: new Uint8Array(ct) };
}

/** Return the value sealed as the record ``name``; throw if it was changed, moved to another
 * name, or sealed under another key. */
export async function openRecord(key, name, sealed) {
  if (!sealed || sealed.v !== 1 || !(sealed.iv instanceof Uint8Array) || !(sealed.ct instanceof Uint8Array)) {
    throw new Error("not a sealed search record");
  }
  const plain = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: sealed.iv, additionalData: additionalData(name) },
    key,
    sealed.ct,
  );
  return unpadJson(new Uint8Array(plain));
}
