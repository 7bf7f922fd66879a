// The browser's E2E storage: one IndexedDB database per user on this device.
// Holds only what WebCrypto cannot export (non-extractable CryptoKeys) and public data:
//   identity  "self" -> {signingKey, agreementKey (non-extractable), publicIdentity, generation}
//   pins      userId -> {userId, identity, fingerprint, firstSeen, verified, changed}
//   rooms     roomId -> {roomId, encrypted: true, since}   (rooms known as encrypted: attack 9)
//   pending   "password" -> {iv, ct} and "wrap" -> non-extractable AES key: the generated E2E
//             password until the user confirms they saved it (so a reload can show it again).
// Nothing secret ever goes to web storage, cookies or URLs (E2EE.md, attack 8).

const PREFIX = "keyroom-e2e-";
const VERSION = 1;
const STORES = ["identity", "pins", "rooms", "pending"];

function promised(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function openDatabase(userId) {
  const request = indexedDB.open(`${PREFIX}${userId}`, VERSION);
  request.onupgradeneeded = () => {
    for (const name of STORES) {
      if (!request.result.objectStoreNames.contains(name)) request.result.createObjectStore(name);
    }
  };
  return promised(request).then((db) => {
    // Let a wipe (logout in another tab, or another user logging in) delete the database
    // instead of waiting forever on this open connection.
    db.onversionchange = () => db.close();
    return db;
  });
}

/** A user's E2E store: small async get/put/delete/all per object store. */
export class Store {
  constructor(db) {
    this.db = db;
  }

  static async open(userId) {
    return new Store(await openDatabase(String(userId)));
  }

  async get(store, key) {
    return promised(this.db.transaction(store).objectStore(store).get(String(key)));
  }

  async put(store, key, value) {
    const tx = this.db.transaction(store, "readwrite");
    tx.objectStore(store).put(value, String(key));
    return new Promise((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
    });
  }

  async delete(store, key) {
    const tx = this.db.transaction(store, "readwrite");
    tx.objectStore(store).delete(String(key));
    return new Promise((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
    });
  }

  async all(store) {
    return promised(this.db.transaction(store).objectStore(store).getAll());
  }

  close() {
    this.db.close();
  }
}

/** Delete every Keyroom E2E database on this device (logout, or another user logging in). */
export async function wipeAllStores() {
  const databases = indexedDB.databases ? await indexedDB.databases() : [];
  await Promise.all(
    databases
      .filter((info) => info.name && info.name.startsWith(PREFIX))
      .map((info) => promised(indexedDB.deleteDatabase(info.name)).catch(() => undefined)),
  );
}

/** Keep the generated password until it is confirmed, encrypted under a non-extractable key. */
export async function savePendingPassword(store, password) {
  const wrap = await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, [
    "encrypt",
    "decrypt",
  ]);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv },
    wrap,
    new TextEncoder().encode(password),
  );
  await store.put("pending", "wrap", wrap);
  await store.put("pending", "password", { iv, ct: new Uint8Array(ct) });
}

/** Return the pending (unconfirmed) generated password, or null. */
export async function loadPendingPassword(store) {
  const [wrap, sealed] = await Promise.all([
    store.get("pending", "wrap"),
    store.get("pending", "password"),
  ]);
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
