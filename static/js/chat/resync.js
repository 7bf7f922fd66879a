// Catching up on the open room's changes (docs/ARCHITECTURE.md "Ordering and delivery"): one
// resync in flight per room, one more after it when asked meanwhile, and on failure a retry
// that backs off instead of a new request at every trigger. No DOM: RoomView gives it the
// fetch, the store and what to do with each message.

export const RESYNC_BATCH = 500; // the server's limit for ?after_rev=
export const RETRY_FIRST_MS = 1000;
export const RETRY_MAX_MS = 30_000;

export class Resync {
  /**
   * ``fetchChanges(afterRev)`` → Promise of {messages, last_seq} (GET ?after_rev=);
   * ``store``: the room's MessageStore (its ``maxRev``, ``noteRev``); ``receive(message)``:
   * take one change; ``caughtUp()``: after a complete catch-up; ``gone()``: the room is no
   * longer the user's (404). ``timers``: setTimeout/clearTimeout (tests pass fakes).
   */
  constructor({ fetchChanges, store, receive, caughtUp = () => {}, gone = () => {}, timers = globalThis }) {
    Object.assign(this, { fetchChanges, store, receive, caughtUp, gone, timers });
    this.running = false;
    this.again = false;
    this.retry = null; // the timer of a retry after a failure
    this.delay = 0; // the last retry's wait (doubles on each failure in a row)
    this.failures = 0; // failures in a row (for tests and the page's state)
  }

  /** Catch up now, or once more after the resync in flight. While a retry after a failure
   * is waiting, a trigger (a gap, a digest) waits for it; ``now`` (the socket reconnected:
   * the cause has likely passed) starts at once. */
  request({ now = false } = {}) {
    if (this.retry !== null) {
      if (!now) return;
      this.timers.clearTimeout(this.retry);
      this.retry = null;
    }
    if (this.running) {
      this.again = true;
      return;
    }
    this.#run();
  }

  async #run() {
    this.running = true;
    try {
      do {
        this.again = false;
        let batch;
        do {
          const data = await this.fetchChanges(this.store.maxRev);
          batch = data.messages;
          for (const message of batch) this.receive(message);
          // Revs are taken and committed in order (under the room's lock), and a message keeps
          // only its newest rev: a full page holds every change up to its last rev; a short
          // one, every change up to last_seq.
          if (batch.length >= RESYNC_BATCH) this.store.noteRev(batch.at(-1).rev);
          else this.store.noteRev(data.last_seq);
        } while (batch.length >= RESYNC_BATCH);
      } while (this.again);
      this.delay = 0;
      this.failures = 0;
      this.caughtUp();
    } catch (error) {
      if (error?.status === 404) this.gone();
      else this.#retryLater();
    } finally {
      this.running = false;
    }
  }

  #retryLater() {
    this.failures += 1;
    this.delay = Math.min(this.delay ? this.delay * 2 : RETRY_FIRST_MS, RETRY_MAX_MS);
    this.retry = this.timers.setTimeout(() => {
      this.retry = null;
      this.request();
    }, this.delay);
  }

  /** Stop: no retry fires after this. */
  destroy() {
    if (this.retry !== null) this.timers.clearTimeout(this.retry);
    this.retry = null;
  }
}
