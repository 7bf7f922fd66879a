// The browser's E2E storage: two IndexedDB databases per user on this device.
//
// Secrets ("keyroom-e2e-secrets-<user>"), wiped on logout and on every logged-out page:
//   identity  "self" -> {signingKey, agreementKey (non-extractable), publicIdentity, generation}
//   pending   "password" -> {iv, ct} and "wrap" -> non-extractable AES key: the generated E2E
//             password until the user confirms they saved it (so a reload can show it again).
// Search ("keyroom-e2e-search-<user>"), in the secrets area (same prefix: wiped with them):
//   keys      "index" -> the non-extractable AES-GCM key the search index is sealed under
//   records   name -> {v, iv, ct}: the index's sealed records (search/index_store.js)
// Trust ("keyroom-trust-<user>"), kept across logouts, reloads and forced logouts (docs/SECURITY.md,
// attack 14): a malicious server that ends the session must not reset what this device knows.
//   pins      userId -> {userId, identity, fingerprint, firstSeen, verified, changed, history}
//             (`history`: the earlier accepted generations, oldest first: pins.js)
//   rooms     roomId -> {roomId, uid, encrypted: true, since, head, ...}  (attack 9; fields this
//             module does not know are kept as they are)
//   trust     "record" -> {seen}: the newest trust record version seen (trust_sync.js)
// The trust database holds only public data; nothing secret ever goes to web storage, cookies
// or URLs (docs/SECURITY.md, attack 8). `Store` hides the split: each object store lives in one of them.

const SECRETS_PREFIX = "keyroom-e2e-";
const SECRETS_NAME = "keyroom-e2e-secrets-";
const TRUST_NAME = "keyroom-trust-";
const SEARCH_NAME = "keyroom-e2e-search-";
const SECRETS_VERSION = 1;
const TRUST_VERSION = 1;
const SECRET_STORES = ["identity", "pending"];
const TRUST_STORES = ["pins", "rooms", "trust"];

/** Fired as "change" with detail {store, key} after a write to a trust object store. */
export const trustStoreEvents = new EventTarget();

function promised(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function openDatabase(name, version, stores) {
  const request = indexedDB.open(name, version);
  request.onupgradeneeded = () => {
    for (const store of stores) {
      if (!request.result.objectStoreNames.contains(store)) request.result.createObjectStore(store);
    }
  };
  return promised(request).then((db) => {
    // Let a wipe (logout in another tab, or another user logging in) delete the database
    // instead of waiting forever on this open connection.
    db.onversionchange = () => db.close();
    return db;
  });
}

function completed(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
  });
}

/** A user's E2E store: small async get/put/delete/all per object store (either database). */
export class Store {
  constructor(secrets, trust, userId) {
    this.secrets = secrets;
    this.trust = trust;
    this.userId = userId;
  }

  static async open(userId) {
    const id = String(userId);
    const [secrets, trust] = await Promise.all([
      openDatabase(`${SECRETS_NAME}${id}`, SECRETS_VERSION, SECRET_STORES),
      openDatabase(`${TRUST_NAME}${id}`, TRUST_VERSION, TRUST_STORES),
    ]);
    const store = new Store(secrets, trust, id);
    await migrateLegacy(store, id).catch(() => undefined);
    return store;
  }

  #db(store) {
    if (SECRET_STORES.includes(store)) return this.secrets;
    if (TRUST_STORES.includes(store)) return this.trust;
    throw new Error(`unknown E2E object store ${store}`);
  }

  #changed(store, key) {
    if (TRUST_STORES.includes(store) && store !== "trust") {
      trustStoreEvents.dispatchEvent(
        new CustomEvent("change", { detail: { store, key: String(key), userId: this.userId } }),
      );
    }
  }

  async get(store, key) {
    return promised(this.#db(store).transaction(store).objectStore(store).get(String(key)));
  }

  async put(store, key, value) {
    const tx = this.#db(store).transaction(store, "readwrite");
    tx.objectStore(store).put(value, String(key));
    await completed(tx);
    this.#changed(store, key);
  }

  async delete(store, key) {
    const tx = this.#db(store).transaction(store, "readwrite");
    tx.objectStore(store).delete(String(key));
    await completed(tx);
    this.#changed(store, key);
  }

  async all(store) {
    return promised(this.#db(store).transaction(store).objectStore(store).getAll());
  }

  close() {
    this.secrets.close();
    this.trust.close();
  }
}

/** Move what an earlier version kept in one database ("keyroom-e2e-<user>": keys, pending
 * password, pins, rooms) into the two databases, without overwriting anything, then delete it. */
async function migrateLegacy(store, userId) {
  const name = `${SECRETS_PREFIX}${userId}`;
  const databases = indexedDB.databases ? await indexedDB.databases() : [];
  if (!databases.some((info) => info.name === name)) return;
  const legacy = await promised(indexedDB.open(name));
  try {
    for (const storeName of [...SECRET_STORES, "pins", "rooms"]) {
      if (!legacy.objectStoreNames.contains(storeName)) continue;
      const source = legacy.transaction(storeName).objectStore(storeName);
      const [keys, values] = await Promise.all([promised(source.getAllKeys()), promised(source.getAll())]);
      for (const [i, key] of keys.entries()) {
        if ((await store.get(storeName, key)) === undefined) await store.put(storeName, key, values[i]);
      }
    }
  } finally {
    legacy.close();
  }
  await promised(indexedDB.deleteDatabase(name));
}

/** Open the user's search-index database (search/index_store.js). Its name starts like the
 * secrets databases', so wipeAllStores() deletes it with them (logout, logged-out pages). */
export function openSearchDatabase(userId) {
  return openDatabase(`${SEARCH_NAME}${String(userId)}`, 1, ["keys", "records"]);
}

/** Delete every Keyroom E2E secrets database on this device (logout, or a logged-out page):
 * private keys, pending passwords and the search index. The trust databases stay (attack 14). Databases named
 * "keyroom-e2e-<user>" of earlier versions, which mixed both, are deleted too. */
export async function wipeAllStores() {
  const databases = indexedDB.databases ? await indexedDB.databases() : [];
  await Promise.all(
    databases
      .filter((info) => info.name && info.name.startsWith(SECRETS_PREFIX))
      .map((info) => promised(indexedDB.deleteDatabase(info.name)).catch(() => undefined)),
  );
}

/** Keep the generated password until it is confirmed, encrypted under a non-extractable key. */
export async function savePendingPassword(store, password) {
  const wrap = await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = await crypto.subtle.encrypt({ name: "AES-GCM", iv }, wrap, new TextEncoder().encode(password));
  await store.put("pending", "wrap", wrap);
  await store.put("pending", "password", { iv, ct: new Uint8Array(ct) });
}

/** Return the pending (unconfirmed) generated password, or null. */
export async function loadPendingPassword(store) {
  const [wrap, sealed] = await Promise.all([store.get("pending", "wrap"), store.get("pending", "password")]);
  if (!wrap || !sealed) return null;
  try {
    const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: sealed.iv }, wrap, sealed.ct);
    return new TextDecoder().decode(plain);
  } catch {
    return null;
  }
}

export async function clearPendingPassword(store) {
  await store.delete("pending", "password");
  await store.delete("pending", "wrap");
}
