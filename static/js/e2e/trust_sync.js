// The trust record on the server (docs/PROTOCOL.md §16; docs/SECURITY.md attack 14): once the keys are
// unlocked, fetch this user's record, refuse one older than the newest version this device has
// seen (a visible warning), merge it into the trust database (trust_merge.js), and write a newer
// record back, debounced, whenever the local trust changes (store.js trustStoreEvents).
//
// The record key and signature come from the user's own identity only, so the server can
// neither read nor change the record; all it can do is withhold it or serve an old one, and
// this device notices the latter. After a reset the next record is signed by the new identity
// and carries over what this device knew (the local trust database survives the reset).
//
// <html data-e2e-trust="..."> tells tests and styles where it stands: "pending" (a local change
// is not on the server yet), "synced" (the server holds what this device knows), "warning"
// (something was refused or failed; a banner says what).

import { openTrustRecord, sealTrustRecord, verifyPublicIdentity } from "../crypto/index.js";
import { removeBanner, showBanner } from "../lib/banners_ui.js";
import * as api from "./api.js";
import { pinEvents } from "./pins.js";
import { trustStoreEvents } from "./store.js";
import { mergeTrustState, toTrustState } from "./trust_merge.js";

const WRITE_DELAY_MS = 400;
const META_KEY = "record";

const NOTICES = {
  room_uid:
    "Your other device knew one of your encrypted rooms under another identity. Keyroom keeps the one this device saw first.",
  room_head:
    "Your other device saw another history for one of your encrypted rooms. Keyroom keeps the one this device verified.",
};

function mark(status) {
  if (document.documentElement.dataset.e2eTrust !== "warning") {
    document.documentElement.dataset.e2eTrust = status;
  }
}

function warn(id, text) {
  document.documentElement.dataset.e2eTrust = "warning";
  showBanner({ id: `e2e-trust-${id}`, tone: "error", text });
}

/** Keeps the server's trust record and this device's trust database in step for one Session. */
export class TrustSync {
  constructor(session, { extendsHead } = {}) {
    this.session = session;
    this.extendsHead = extendsHead;
    this.timer = null;
    this.running = null;
    this.again = false;
    this.quiet = false; // writing a merge: not a local change to send back
    this.serverVersion = 0;
    this.dirty = false;
    this.lastKeys = null;
    this.retries = 0;
  }

  start() {
    trustStoreEvents.addEventListener("change", ({ detail }) => {
      if (this.quiet || detail.userId !== String(this.session.userId)) return;
      this.dirty = true;
      this.schedule();
    });
    return this;
  }

  /** Sync when usable keys appear (unlocked here, or new ones after a reset). */
  sessionChanged() {
    const keys = this.#keys();
    const tag = keys ? `${keys.publicIdentity?.ed25519}` : null;
    if (tag === this.lastKeys) return;
    this.lastKeys = tag;
    if (keys) this.sync();
  }

  /** The keys that seal this user's record, or null while they are not usable here. */
  #keys() {
    const { session } = this;
    if (session.state !== "unlocked" || !session.keys || session.claim) return null;
    return session.keys;
  }

  schedule() {
    if (!this.#keys()) return;
    mark("pending");
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.sync();
    }, WRITE_DELAY_MS);
  }

  /** Fetch, merge and (when this device knows more) write back; one run at a time. */
  sync() {
    mark("pending");
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.#run()
      .catch(() => warn("sync", "Could not save what this device trusts to your account. Keyroom tries again later."))
      .finally(() => {
        this.running = null;
        if (this.again) {
          this.again = false;
          this.sync();
        } else if (!this.timer && !this.dirty) {
          mark("synced");
        }
      });
    return this.running;
  }

  async #run() {
    const keys = this.#keys();
    if (!keys) return;
    const { store, userId } = this.session;
    const me = String(userId);
    const own = await verifyPublicIdentity(keys.publicIdentity, me);
    const meta = (await store.get("trust", META_KEY)) || { seen: 0 };
    const served = await api.getTrustRecord();
    this.serverVersion = Number(served.version) || 0;
    let ahead = this.dirty || !served.record;
    if (served.record) {
      try {
        const opened = await openTrustRecord(served.record, {
          userId: me,
          signPublicKey: own.signPublicKey,
          agreementKey: keys.agreementKey,
          dhPublicKey: own.dhPublicKey,
          minVersion: meta.seen,
        });
        ahead = (await this.#merge(opened.state)) || ahead;
        meta.seen = Math.max(meta.seen, opened.version);
        await store.put("trust", META_KEY, meta);
        removeBanner("e2e-trust-rollback");
      } catch (error) {
        if (error?.code === "rollback") {
          warn(
            "rollback",
            `The server sent an older copy of your trust record (version ${served.record.version}; this device has seen version ${meta.seen}). Keyroom ignored it and keeps what this device knows.`,
          );
        } else if (error?.code !== "bad_signature") {
          // bad_signature: a record of an earlier identity (a reset): replaced below.
          warn("record", "The trust record the server sent could not be opened. Keyroom ignored it.");
        }
        ahead = true;
      }
    }
    if (ahead) await this.#write(keys, own, meta);
  }

  /** Merge a verified record's state into the trust database; return whether this device
   * knows something the record lacks. */
  async #merge(state) {
    const { store } = this.session;
    const local = { pins: await store.all("pins"), rooms: await store.all("rooms") };
    const merged = mergeTrustState(local, state, { extendsHead: this.extendsHead });
    this.quiet = true;
    try {
      for (const pin of merged.pins) await store.put("pins", pin.userId, pin);
      for (const room of merged.rooms) await store.put("rooms", room.roomId, room);
    } finally {
      this.quiet = false;
    }
    for (const notice of merged.notices) {
      if (notice.kind === "pin_changed") {
        const pin = await store.get("pins", notice.userId);
        pinEvents.dispatchEvent(
          new CustomEvent("keychanged", {
            detail: {
              userId: notice.userId,
              pinned: notice.pinned,
              current: notice.current,
              verified: Boolean(pin?.verified),
            },
          }),
        );
      } else {
        warn(notice.kind, NOTICES[notice.kind]);
      }
    }
    return merged.ahead;
  }

  async #write(keys, own, meta) {
    const { store, userId } = this.session;
    const state = toTrustState(userId, await store.all("pins"), await store.all("rooms"));
    const version = Math.max(meta.seen, this.serverVersion) + 1;
    this.dirty = false;
    const record = await sealTrustRecord(state, {
      userId: String(userId),
      version,
      signingKey: keys.signingKey,
      agreementKey: keys.agreementKey,
      dhPublicKey: own.dhPublicKey,
    });
    try {
      await api.putTrustRecord(record);
    } catch (error) {
      this.dirty = true;
      // Another device wrote first: read its record (next run) and write on top of it, a few
      // times at most (a server refusing every version must not keep this page busy).
      if (error?.code === "stale_version" && this.retries < 3) {
        this.retries += 1;
        this.again = true;
        return;
      }
      throw error;
    }
    this.retries = 0;
    this.serverVersion = version;
    meta.seen = version;
    await store.put("trust", META_KEY, meta);
  }
}
