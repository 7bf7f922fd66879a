// The search index's storage (docs/PROTOCOL.md §17): the user's "keyroom-e2e-search-<user>"
// IndexedDB database (store.js openSearchDatabase, wiped with the secrets), whose "records"
// hold only sealed values (seal.js) and whose "keys" hold this device's non-extractable
// AES-GCM key. Nothing of the index goes to the server, web storage or a URL.

import { openSearchDatabase } from "../store.js";
import { createIndexKey, openRecord, sealRecord } from "./seal.js";

function promised(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function completed(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

/** Sealed records by name: get/put/delete values, sealed under the device's index key. */
export class SealedRecords {
  constructor(db, key) {
    this.db = db;
    this.key = key;
  }

  /** Open the user's search database, making its key the first time. Records sealed under a
   * lost key (none should exist: the key and records are wiped together) are deleted. */
  static async open(userId) {
    const db = await openSearchDatabase(userId);
    let key = await promised(db.transaction("keys").objectStore("keys").get("index"));
    if (!key) {
      key = await createIndexKey();
      const tx = db.transaction(["keys", "records"], "readwrite");
      tx.objectStore("keys").put(key, "index");
      tx.objectStore("records").clear();
      await completed(tx);
    }
    return new SealedRecords(db, key);
  }

  /** Return every record name. */
  names() {
    return promised(this.db.transaction("records").objectStore("records").getAllKeys());
  }

  /** Return the value of record ``name``, or null if there is none or it does not open (then it
   * is deleted: it was changed on disk, or sealed under another key). */
  async get(name) {
    const sealed = await promised(this.db.transaction("records").objectStore("records").get(name));
    if (!sealed) return null;
    try {
      return await openRecord(this.key, name, sealed);
    } catch {
      await this.delete(name).catch(() => undefined);
      return null;
    }
  }

  /** Seal and store ``value`` as record ``name``. */
  async put(name, value) {
    const sealed = await sealRecord(this.key, name, value);
    const tx = this.db.transaction("records", "readwrite");
    tx.objectStore("records").put(sealed, name);
    await completed(tx);
  }

  async delete(name) {
    const tx = this.db.transaction("records", "readwrite");
    tx.objectStore("records").delete(name);
    await completed(tx);
  }

  close() {
    this.db.close();
  }
}
