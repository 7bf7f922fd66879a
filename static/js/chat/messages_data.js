// The open room's messages (no DOM): confirmed messages by id and seq, the client's pending
// sends by client_id, and the bookkeeping for history pages and resync.

export class MessageStore {
  constructor() {
    this.byId = new Map();
    this.seqs = []; // sorted seqs of confirmed messages
    this.bySeq = new Map();
    this.pending = new Map(); // client_id -> {client_id, body, state, error, retryable}
    // Every change in a room (new, edit, delete) takes the room's next rev, and the socket
    // forwards each one, so the stream of revs is gapless unless the channel layer dropped an
    // event. maxRev is the end of the gapless stream seen so far; resync asks for what follows.
    this.maxRev = 0;
    // Stream revs that arrived past a hole (out of order: two server processes can deliver one
    // room's events in a different order). When the hole fills, maxRev moves over them; a hole
    // that stays is a lost event (RoomView resyncs after a short reorder window).
    this.ahead = new Set();
    this.oldestSeq = null; // oldest loaded seq; older messages come with history pages
    this.hasMore = true;
    this.initialLoaded = false;
  }

  get(messageId) {
    return this.byId.get(messageId) || null;
  }

  getBySeq(seq) {
    return this.bySeq.get(seq) || null;
  }

  newestSeq() {
    return this.seqs.length ? this.seqs[this.seqs.length - 1] : 0;
  }

  /** Return the seq of the first unread message after ``lastReadSeq`` (another person's text
   * message, not deleted), or null. */
  firstUnread(lastReadSeq, userId) {
    for (const seq of this.seqs) {
      if (seq <= lastReadSeq) continue;
      const message = this.bySeq.get(seq);
      if (message.kind === "text" && message.sender.id !== userId && !message.deleted) return seq;
    }
    return null;
  }

  noteRev(rev) {
    if (Number.isFinite(rev) && rev > this.maxRev) this.maxRev = rev;
    for (const seen of this.ahead) if (seen <= this.maxRev) this.ahead.delete(seen);
    while (this.ahead.delete(this.maxRev + 1)) this.maxRev += 1;
  }

  /** Whether the stream has a hole: a rev after maxRev arrived, one before it did not. */
  hasGap() {
    return this.ahead.size > 0;
  }

  /** Return the confirmed message that follows ``seq`` (for ordered insertion), or null. */
  following(seq) {
    let lo = 0;
    let hi = this.seqs.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.seqs[mid] <= seq) lo = mid + 1;
      else hi = mid;
    }
    return lo < this.seqs.length ? this.bySeq.get(this.seqs[lo]) : null;
  }

  /** Take a message from the server. ``stream`` is true for socket events and resync results
   * (they advance maxRev), false for history pages and command replies (they may skip ahead).
   * Return {change: "added"|"updated"|"ignored", message, confirmedPending, gap}, where ``gap``
   * says that the stream has a hole now (a rev is missing: late, or lost). */
  apply(message, { stream = true } = {}) {
    if (stream) {
      // Past a hole, maxRev stays at its start so that a resync asks for the missing part.
      if (this.initialLoaded && message.rev > this.maxRev + 1) this.ahead.add(message.rev);
      else this.noteRev(message.rev);
    }
    const result = this.#apply(message);
    result.gap = this.hasGap();
    return result;
  }

  #apply(message) {
    const known = this.byId.get(message.id);
    if (known) {
      if (message.rev <= known.rev) return { change: "ignored", message: known };
      this.byId.set(message.id, message);
      this.bySeq.set(message.seq, message);
      return { change: "updated", message, confirmedPending: null };
    }
    if (this.initialLoaded && this.hasMore && message.seq < this.oldestSeq) {
      // Older than the loaded window: its history page will bring its current state.
      return { change: "ignored", message };
    }
    this.byId.set(message.id, message);
    this.bySeq.set(message.seq, message);
    const at = this.following(message.seq);
    const index = at ? this.seqs.indexOf(at.seq) : this.seqs.length;
    this.seqs.splice(index, 0, message.seq);
    if (this.oldestSeq === null || message.seq < this.oldestSeq) this.oldestSeq = message.seq;
    const confirmedPending = this.pending.has(message.client_id) ? message.client_id : null;
    if (confirmedPending) this.pending.delete(confirmedPending);
    return { change: "added", message, confirmedPending };
  }

  /** Record a history page's paging facts (call before applying its messages). The newest page
   * is a snapshot of the room at ``last_seq``: every change up to it is reflected in it or in
   * the older pages still to load, so the stream may continue from there. */
  notePage({ messages, has_more: hasMore, last_seq: lastSeq }, { newest = false } = {}) {
    this.hasMore = Boolean(hasMore);
    if (newest) {
      this.noteRev(lastSeq);
      for (const message of messages) this.noteRev(message.rev);
    }
    if (messages.length && (this.oldestSeq === null || messages[0].seq < this.oldestSeq)) {
      this.oldestSeq = messages[0].seq;
    }
  }

  addPending(clientId, body) {
    const pending = { client_id: clientId, body, state: "sending", error: "", retryable: false };
    this.pending.set(clientId, pending);
    return pending;
  }

  getPending(clientId) {
    return this.pending.get(clientId) || null;
  }

  dropPending(clientId) {
    this.pending.delete(clientId);
  }

  /** Pending sends that failed for a reason a retry can fix (e.g. the connection dropped). */
  retryablePending() {
    return [...this.pending.values()].filter((p) => (p.state === "failed" || p.state === "queued") && p.retryable);
  }
}
