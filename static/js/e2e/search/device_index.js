// The device's index of decrypted messages (docs/ARCHITECTURE.md "Search in encrypted rooms"):
// the documents (docs.js) of every message this page decrypted and verified, in blocks of a
// room, written back as sealed records (index_store.js) a moment after they change. One per
// page, made by plugin.js with the page's RoomsEngine; search.js queries it.
//
// Events on `index.events`: "change" {roomId, doc} (added or replaced) | {roomId, removed: id}
// | {roomId, dropped: true}; "stored" {pending} after a write-back (``pending``: whether more
// changes wait to be written).

import {
  applyDoc,
  blockName,
  blockOf,
  docFrom,
  parseName,
  restoreBlock,
  roomState,
  roomStateName,
  serialiseBlock,
} from "./docs.js";

const FLUSH_MS = 100; // changes written together

export class DeviceIndex {
  /** ``openRecords()``: resolves to the sealed records (index_store.js SealedRecords.open, or a
   * stand-in with get/put/delete/names in tests). */
  constructor(openRecords) {
    this.events = new EventTarget();
    this.blocks = new Map(); // "room:block" -> Promise<Map id -> doc>
    this.dirty = new Set(); // "room:block" to write back
    this.timer = null;
    this.writing = Promise.resolve();
    this.records = null;
    this.ready = Promise.resolve()
      .then(openRecords)
      .then((records) => {
        this.records = records;
      })
      .catch(() => {
        this.records = null; // no IndexedDB here: nothing is kept
      });
  }

  #emit(detail) {
    this.events.dispatchEvent(new CustomEvent("change", { detail }));
  }

  /** Return the documents of a block (loaded once per page). */
  #block(roomId, block) {
    const tag = `${roomId}:${block}`;
    if (!this.blocks.has(tag)) {
      this.blocks.set(
        tag,
        this.ready.then(async () => {
          const value = await this.records?.get(blockName(roomId, block)).catch(() => null);
          if (!value) return new Map();
          try {
            return restoreBlock(value, roomId, block);
          } catch {
            return new Map(); // a malformed record: rewritten on the next change
          }
        }),
      );
    }
    return this.blocks.get(tag);
  }

  #changed(roomId, block) {
    this.dirty.add(`${roomId}:${block}`);
    this.events.dispatchEvent(new CustomEvent("stored", { detail: { pending: true } }));
    if (!this.timer) this.timer = setTimeout(() => this.flush(), FLUSH_MS);
  }

  /** Take in a message's decryption (rooms_messages.js reports every one): index its text, or
   * take it out of the index when it was deleted. */
  async note(message, result) {
    if (!message?.encrypted || message.kind !== "text") return;
    const roomId = Number(message.room_id);
    const block = blockOf(message.seq);
    const doc = docFrom(message, result);
    if (doc) {
      const docs = await this.#block(roomId, block);
      if (!applyDoc(docs, doc)) return;
      this.#changed(roomId, block);
      this.#emit({ roomId, doc });
    } else if (message.deleted || result?.deleted) {
      await this.remove(roomId, message.seq, message.id);
    }
  }

  /** Take message ``messageId`` (at ``seq``) out of the index. */
  async remove(roomId, seq, messageId) {
    const block = blockOf(seq);
    const docs = await this.#block(Number(roomId), block);
    if (!docs.delete(Number(messageId))) return;
    this.#changed(Number(roomId), block);
    this.#emit({ roomId: Number(roomId), removed: Number(messageId) });
  }

  /** Write the changed blocks back now (also called by the timer). */
  flush() {
    clearTimeout(this.timer);
    this.timer = null;
    const tags = [...this.dirty];
    this.dirty.clear();
    this.writing = this.writing.then(async () => {
      if (!this.records) return;
      for (const tag of tags) {
        const [roomId, block] = tag.split(":").map(Number);
        const docs = await this.blocks.get(tag);
        if (!docs) continue;
        const name = blockName(roomId, block);
        try {
          if (docs.size) await this.records.put(name, serialiseBlock(roomId, block, docs.values()));
          else await this.records.delete(name);
        } catch {
          // The database went away (logout in another tab wiped it): nothing more to keep.
        }
      }
      this.events.dispatchEvent(new CustomEvent("stored", { detail: { pending: this.dirty.size > 0 } }));
    });
    return this.writing;
  }

  /** Return every document of the index: Map id -> doc (for search.js, once per page). */
  async loadAll() {
    await this.ready;
    const names = (await this.records?.names().catch(() => [])) || [];
    const all = new Map();
    for (const name of names) {
      const parsed = parseName(String(name));
      if (parsed?.kind !== "block") continue;
      for (const [id, doc] of await this.#block(parsed.roomId, parsed.block)) all.set(id, doc);
    }
    return all;
  }

  /** Return a room's stored state (docs.js roomState: backfill range, running). */
  async roomState(roomId) {
    await this.ready;
    return roomState(await this.records?.get(roomStateName(roomId)).catch(() => null));
  }

  async setRoomState(roomId, state) {
    await this.ready;
    await this.records?.put(roomStateName(roomId), roomState(state));
  }

  /** Drop a room from the index: its blocks and its state. */
  async dropRoom(roomId) {
    const id = Number(roomId);
    await this.flush();
    const names = (await this.records?.names().catch(() => [])) || [];
    for (const name of names) {
      const parsed = parseName(String(name));
      if (parsed?.roomId === id) await this.records.delete(String(name)).catch(() => undefined);
    }
    for (const tag of [...this.blocks.keys()]) {
      if (Number(tag.split(":")[0]) === id) this.blocks.delete(tag);
    }
    this.#emit({ roomId: id, dropped: true });
  }
}
