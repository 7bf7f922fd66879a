// The search page's side of the device index (docs/ARCHITECTURE.md "Search in encrypted
// rooms"): plugin.js hands createDeviceSearch() to chat as the `deviceSearch` extension point
// (chat/search_ui.js draws it). The query runs here, over a MiniSearch index built in memory
// from the sealed records; it never goes to the server. "Index older messages" fetches history
// pages with the chat API, decrypts them with the page's RoomsEngine (which indexes whatever it
// decrypts) and stores how far it got, so it resumes after a reload.

import { listMessages } from "../../chat/api.js";
import { messageIndex, passes, SEARCH_OPTIONS } from "../../chat/search_rank.js";
import { e2eDialogs } from "../boot.js";
import { sessionEvents } from "../session.js";
import { currentSession, sessionSettled, sessionWithKeys, yieldToPage } from "../rooms_state.js";

const MAX_RESULTS = 200;

/** Return the searchable form of a document (MiniSearch's id is the message id). */
const entry = (doc) => ({ id: doc.id, text: doc.text });

/** Return the backfill coverage after a page ``low..high`` of a walk from the newest message
 * down: ``walk`` is this run's range, ``old`` the range stored before it (or null). Pure. */
export function extendCoverage(walk, old, low) {
  const next = { low: Math.min(walk.low, low), high: walk.high };
  if (old && next.low <= old.high + 1) {
    return { walk: { low: Math.min(next.low, old.low), high: Math.max(next.high, old.high) }, old: null, jumped: true };
  }
  return { walk: next, old, jumped: false };
}

/**
 * The device search of this page: ``engine`` (RoomsEngine) decrypts, ``index`` (DeviceIndex)
 * holds what it decrypted. Returns the `deviceSearch` extension point (chat/extensions.js).
 */
export function createDeviceSearch(engine, index) {
  let built = null; // Promise of {mini, docs}
  const running = new Map(); // room id -> Promise of a backfill
  const watchers = new Set();
  const changed = () => {
    for (const watcher of watchers) watcher();
  };

  const build = () => {
    if (!built) {
      built = index.loadAll().then(async (docs) => {
        const mini = messageIndex();
        // In slices, so a large index is never one long task.
        const all = [...docs.values()];
        for (let from = 0; from < all.length; from += 500) {
          mini.addAll(all.slice(from, from + 500).map(entry));
          if (from + 500 < all.length) await yieldToPage();
        }
        return { mini, docs };
      });
      // Keep it current with what this page decrypts from now on.
      index.events.addEventListener("change", ({ detail }) => {
        built.then(({ mini, docs }) => {
          if (detail.doc) {
            if (docs.has(detail.doc.id)) mini.discard(detail.doc.id);
            docs.set(detail.doc.id, detail.doc);
            mini.add(entry(detail.doc));
          } else if (detail.removed !== undefined && docs.has(detail.removed)) {
            docs.delete(detail.removed);
            mini.discard(detail.removed);
          } else if (detail.dropped) {
            for (const doc of [...docs.values()]) {
              if (doc.room === detail.roomId) {
                docs.delete(doc.id);
                mini.discard(doc.id);
              }
            }
          }
          changed();
        });
      });
    }
    return built;
  };

  async function status() {
    await sessionSettled();
    if (sessionWithKeys()) return "ready";
    return currentSession()?.state === "locked" ? "locked" : "unavailable";
  }

  /** Decrypt (and so index) the history of a room, newest first, from where it stopped. */
  async function backfill(roomId, onProgress) {
    const id = Number(roomId);
    const stored = await index.roomState(id);
    await index.setRoomState(id, { ...stored, running: true });
    let old = stored.high === null ? null : { low: stored.low, high: stored.high };
    let page = await listMessages(id);
    const top = Number(page.last_seq) || 0;
    let walk = { low: top + 1, high: top };
    for (;;) {
      const messages = page.messages || [];
      await engine.messages.decryptMany(id, messages); // indexed as they decrypt (plugin.js)
      const low = messages.length ? messages[0].seq : 1;
      ({ walk, old } = extendCoverage(walk, old, low));
      const done = !page.has_more || walk.low <= 1;
      await index.setRoomState(id, { v: 1, ...(old || walk), running: !done });
      onProgress?.({ covered: top - walk.low + 1, total: top, done });
      if (done) break;
      await yieldToPage();
      page = await listMessages(id, { before: walk.low });
    }
    await index.flush();
  }

  return {
    status,
    /** Open the unlock dialog (keys locked on this device). */
    unlock: () => e2eDialogs()?.unlock(),
    /** Call ``handler()`` once the keys get unlocked on this page. */
    /** Resolve after the keys get unlocked on this page. */
    onUnlocked(handler) {
      sessionEvents.addEventListener("change", () => {
        if (sessionWithKeys()) handler();
      });
    },
    /** Have ``handler()`` called when the index changes (counts to redraw). */
    onChange(handler) {
      watchers.add(handler);
      return () => watchers.delete(handler);
    },
    /** Resolve to {roomId: {indexed, covered: {low, high} | null, running}} for ``roomIds``. */
    async rooms(roomIds) {
      const { docs } = await build();
      const counts = new Map();
      for (const doc of docs.values()) counts.set(doc.room, (counts.get(doc.room) || 0) + 1);
      const out = {};
      for (const roomId of roomIds.map(Number)) {
        const state = await index.roomState(roomId);
        out[roomId] = {
          indexed: counts.get(roomId) || 0,
          covered: state.high === null ? null : { low: state.low, high: state.high },
          running: state.running,
        };
      }
      return out;
    },
    /** Resolve to the device's results for ``text`` that pass ``filters`` (chat/search_rank.js
     * readFilters), best first: [{key, source: "device", id, room, seq, sender, senderName, ts,
     * text, score}]. Runs on this device only. */
    async query(text, filters) {
      const { mini, docs } = await build();
      const out = [];
      for (const hit of mini.search(text, SEARCH_OPTIONS)) {
        const doc = docs.get(hit.id);
        if (!doc || !passes(doc, filters)) continue;
        out.push({ key: `d:${doc.id}`, source: "device", ...doc, score: hit.score });
        if (out.length >= MAX_RESULTS) break;
      }
      return out;
    },
    /** Index a room's older messages (see backfill above); one run per room at a time.
     * ``onProgress({covered, total, done})`` after each page. */
    backfill(roomId, onProgress) {
      const id = Number(roomId);
      if (!running.has(id)) {
        running.set(
          id,
          backfill(id, onProgress).finally(() => running.delete(id)),
        );
      }
      return running.get(id);
    },
    /** Forget a room's part of the index on this device. */
    drop: (roomId) => index.dropRoom(roomId),
  };
}
