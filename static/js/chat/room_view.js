// The open room: loads history (newest page, older pages on scroll-up, up to a linked
// message), applies incoming messages, read marks, membership changes and resync. Outgoing
// changes go through outbox.js. Socket events reach it through dispatch.js. Extensions hook in
// through ``this.hooks`` (extensions.js attachRoom; E2E decrypts what is drawn and encrypts
// what is sent) and the points passed on to the message list, header and info panel.

import { joinRoom, listChanges, listMessages, markRead } from "./api.js";
import { Resync } from "./resync.js";
import { ComposerUI } from "./composer_ui.js";
import { answers, buildContent, contentOf, excerpt } from "./content.js";
import { mountMentionAutocomplete } from "./mention_ui.js";
import { MessageStore } from "./messages_data.js";
import { MessageListUI } from "./messages_ui.js";
import { Outbox } from "./outbox.js";
import { mountReplyBar } from "./reply_ui.js";
import { CurrentRoom } from "./room_data.js";
import { initRoomHeader } from "./room_header_ui.js";
import { initRoomInfo } from "./room_info_ui.js";
import { Typists, TypingSender } from "./typing_data.js";
import { mountTypingIndicator } from "./typing_ui.js";
import { showBanner } from "../lib/banners_ui.js";
import { byId, el, setMessage } from "../lib/dom.js";

const REORDER_WINDOW_MS = 400; // how long a hole in the stream may wait for a late event
const MAX_PAGES_TO_TARGET = 200;
const MAX_PAGES_TO_UNREAD = 20;

export class RoomView {
  constructor({ config, socket, rooms, extensions, presence = null }) {
    this.config = config;
    this.presence = presence; // PresenceStore (presence_data.js): dots in the member list
    this.extensions = extensions;
    this.userId = config.user.id;
    this.socket = socket;
    this.rooms = rooms;
    this.room = new CurrentRoom(config.room, { userId: this.userId, isAdmin: config.is_admin });
    this.store = new MessageStore();
    this.outbox = new Outbox(this);
    this.status = byId("history-status");
    this.scroller = byId("message-scroller");
    this.sentinel = byId("history-sentinel");
    this.loadingOlder = false;
    this.resyncer = new Resync({
      fetchChanges: (afterRev) => listChanges(this.room.id, afterRev),
      store: this.store,
      receive: (message) => this.receive(message),
      caughtUp: () => {
        this.outbox.retryFailed();
        this.markRead();
      },
      gone: () => this.left(this.room.id),
    });
    this.gapTimer = null; // the reorder window after a hole in the stream (gapSeen)
    this.holesChecked = 0; // reorder windows closed so far
    this.readSent = 0;
    const target = Number(new URLSearchParams(window.location.search).get("m"));
    this.targetSeq = Number.isInteger(target) && target > 0 ? target : null;
    // Where this member had read up to when the room opened: the "New messages" divider goes
    // above the first message after it and stays until the room is left or opened again.
    const lastRead = config.room.last_read_seq;
    this.lastReadAtOpen = Number.isInteger(lastRead) ? lastRead : null;

    this.ui = new MessageListUI({
      list: byId("message-list"),
      scroller: this.scroller,
      announcer: byId("message-announcer"),
      jumpButton: byId("jump-latest"),
      userId: this.userId,
      extensions,
      handlers: {
        current: (id) => this.store.get(id),
        sharesName: (sender) => this.room.sharesName(sender),
        member: (userId) => this.room.room.members.find((m) => String(m.id) === String(userId)) || null,
        onSaveEdit: (message, body, picks) => this.outbox.saveEdit(message, body, picks),
        mentionsFor: (input) =>
          mountMentionAutocomplete(input, { room: this.room, userId: this.userId, idPrefix: `${input.id}-mention` }),
        onDelete: (message) => this.outbox.confirmDelete(message),
        onRetry: (clientId) => this.outbox.retry(clientId),
        onEditPending: (clientId) => this.outbox.editPending(clientId),
        onDiscard: (clientId) => this.outbox.discard(clientId),
        onReply: (message) => this.startReply(message),
        quote: (ref) => this.quote(ref),
        onJumpTo: (seq) => this.jumpTo(seq),
      },
    });
    this.quoted = new Map(); // seq -> a message outside the loaded history that a reply quotes
    this.fetchingQuoted = new Set(); // seqs being fetched for a quote
    this.replyBar = mountReplyBar(byId("composer-reply"), { input: byId("composer-input") });
    this.composer = new ComposerUI({
      form: byId("composer"),
      input: byId("composer-input"),
      counter: byId("composer-counter"),
      error: byId("composer-error"),
      maxChars: config.message_max_chars,
      onSend: (text, content) => {
        this.typingSender.stop();
        const replyTo = this.replyBar.take();
        this.outbox.send(text, replyTo ? { ...(content || buildContent(text)), reply_to: replyTo } : content);
      },
      onEditLast: () => this.ui.editLast(byId("composer-input")),
      mentions: mountMentionAutocomplete(byId("composer-input"), { room: this.room, userId: this.userId }),
    });
    this.initTyping();
    initRoomHeader(this.room, extensions);
    initRoomInfo({ room: this.room, rooms: this.rooms, userId: this.userId, extensions, presence });
    // E2E: decrypts what is drawn, encrypts what is sent (outbox.js).
    this.hooks = extensions.attachRoom(this);
    this.room.subscribe(() => this.showFooter());
    byId("join-button").addEventListener("click", () => this.join());
    document.addEventListener("visibilitychange", () => this.markRead());
  }

  /** Typing, both ways: this tab's (composer input, blur, send) and the others' line. */
  initTyping() {
    this.typists = new Typists({ onChange: () => this.typingLine.update() });
    this.typingLine = mountTypingIndicator(byId("typing-indicator"), {
      typists: this.typists,
      nameOf: (userId) => this.room.room.members.find((m) => Number(m.id) === userId)?.name || "Someone",
    });
    this.typingSender = new TypingSender({
      send: (typing) => {
        if (this.room.isMember) this.socket.notify({ type: "typing", room_id: this.room.id, typing });
      },
    });
    const input = byId("composer-input");
    input.addEventListener("input", () => this.typingSender.input(Boolean(input.value.trim())));
    input.addEventListener("blur", () => this.typingSender.stop());
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "hidden") this.typingSender.stop();
    });
  }

  /** A typing event from the socket (never this user's own: the server skips them). */
  typing(event) {
    if (event.room_id !== this.room.id || event.user_id === this.userId) return;
    this.typists.heard(event);
  }

  start() {
    this.showFooter();
    this.loadNewest();
    // Ready to type on a desktop; on a touch screen focus would pop up the keyboard unasked.
    const finePointer = window.matchMedia("(pointer: fine)").matches;
    if (this.room.isMember && !this.targetSeq && finePointer) this.composer.focus();
  }

  /** Whether this user is looking at ``roomId`` now (its new messages are read on arrival). */
  isReading(roomId) {
    return roomId === this.room.id && this.room.isMember && document.visibilityState === "visible";
  }

  showFooter() {
    const member = this.room.isMember;
    this.composer.show(member);
    byId("join-bar").hidden = member || this.room.kind !== "channel";
    byId("left-bar").hidden = member || this.room.kind === "channel";
  }

  /** Send a command over the socket, or over HTTP while the socket is down. */
  command(socketCommand, viaHttp) {
    return this.socket.isOpen() ? this.socket.send(socketCommand) : viaHttp();
  }

  // History ---------------------------------------------------------------------------------

  setStatus(text, { retry = null } = {}) {
    this.status.replaceChildren(
      text,
      retry ? el("button", { type: "button", class: "button small", text: "Try again", onclick: retry }) : "",
    );
    this.status.hidden = !text;
  }

  statusAfterLoad() {
    if (!this.store.initialLoaded || this.loadingOlder) return;
    if (this.store.hasMore) this.setStatus("");
    else if (this.store.newestSeq()) this.setStatus(`This is the beginning of ${this.room.title}.`);
    else if (!this.store.pending.size) this.setStatus("No messages yet. Say hello!");
    else this.setStatus("");
  }

  async loadNewest() {
    // If the socket was subscribed before this request, the page and the events overlap and
    // nothing falls between them; otherwise resync once both are there.
    const subscribedBefore = this.socket.isOpen();
    this.setStatus("Loading messages…");
    this.scroller.setAttribute("aria-busy", "true");
    let page;
    try {
      page = await listMessages(this.room.id);
    } catch (error) {
      this.setStatus(`Could not load messages: ${error.message}`, { retry: () => this.loadNewest() });
      this.scroller.setAttribute("aria-busy", "false");
      return;
    }
    this.store.notePage(page, { newest: true });
    const fresh = page.messages.filter((m) => this.store.apply(m, { stream: false }).change !== "ignored");
    // Encrypted messages are decrypted in batches, newest first, each batch drawn when done.
    await this.hooks.render(
      fresh,
      (message) => this.place(this.store.get(message.id) || message),
      () => this.targetSeq || this.ui.scrollToBottom(),
    );
    this.store.initialLoaded = true;
    this.statusAfterLoad();
    const divider = await this.showUnreadDivider();
    if (this.targetSeq) await this.showTarget();
    else if (!divider || !this.ui.scrollToDivider()) this.ui.scrollToBottom();
    this.scroller.setAttribute("aria-busy", "false");
    this.observeHistory();
    if (!subscribedBefore && this.socket.isOpen()) this.resync();
    this.markRead();
    this.hooks.loaded();
  }

  /** Put the "New messages" divider above the first unread message (loading older pages up to
   * it, within reason); return whether there is one. */
  async showUnreadDivider() {
    if (this.lastReadAtOpen === null) return false;
    let pages = 0;
    const reached = () => this.store.oldestSeq === null || this.store.oldestSeq <= this.lastReadAtOpen + 1;
    while (!reached() && this.store.hasMore && pages < MAX_PAGES_TO_UNREAD) {
      pages += 1;
      if (!(await this.loadOlder())) break;
    }
    const seq = this.store.firstUnread(this.lastReadAtOpen, this.userId);
    return seq !== null && this.ui.showUnreadDivider(seq);
  }

  async showTarget() {
    let pages = 0;
    while (!this.store.getBySeq(this.targetSeq) && this.store.hasMore && pages < MAX_PAGES_TO_TARGET) {
      pages += 1;
      if (!(await this.loadOlder())) break;
    }
    if (!this.ui.highlight(this.targetSeq)) {
      this.ui.scrollToBottom();
      showBanner({ id: "target", tone: "warning", text: "That message is no longer in this room." });
    }
  }

  observeHistory() {
    const observer = new IntersectionObserver(
      async (entries) => {
        if (!entries.some((entry) => entry.isIntersecting)) return;
        await this.loadOlder();
        observer.unobserve(this.sentinel);
        // Observing again reports the current state: load on if the sentinel is still in view.
        if (this.store.hasMore) observer.observe(this.sentinel);
      },
      { root: this.scroller, rootMargin: "300px 0px 0px 0px" },
    );
    if (this.store.hasMore) observer.observe(this.sentinel);
  }

  /** Load the page before the oldest loaded message. Return whether it worked. */
  async loadOlder() {
    if (this.loadingOlder || !this.store.hasMore || this.store.oldestSeq === null) return false;
    this.loadingOlder = true;
    this.setStatus("Loading older messages…");
    this.scroller.setAttribute("aria-busy", "true");
    try {
      const page = await listMessages(this.room.id, { before: this.store.oldestSeq });
      await this.hooks.prepare(page.messages);
      this.store.notePage(page);
      const older = [];
      for (const message of page.messages) {
        const result = this.store.apply(message, { stream: false });
        if (result.change === "added") older.push(message);
        else if (result.change === "updated") this.place(message);
      }
      this.ui.prependOlder(older);
      this.ui.refreshQuotes(new Set(older.map((m) => m.seq)));
      this.loadingOlder = false;
      this.statusAfterLoad();
      return true;
    } catch (error) {
      this.setStatus(`Could not load older messages: ${error.message}`, {
        retry: () => this.loadOlder(),
      });
      return false;
    } finally {
      this.loadingOlder = false;
      this.scroller.setAttribute("aria-busy", "false");
    }
  }

  place(message) {
    let next = this.store.following(message.seq);
    // Anchor on a drawn message (some of a page may still be decrypting).
    while (next && !this.ui.items.has(next.id)) next = this.store.following(next.seq);
    this.ui.upsert(message, next);
    this.hooks.placed(message);
    this.ui.refreshQuotes(new Set([message.seq])); // replies to it show what it says now
  }

  // Replies -----------------------------------------------------------------------------------

  /** Answer ``message`` with the next send (the "Reply" button). */
  startReply(message) {
    const quote = this.quoteOf(message);
    if (quote.state === "shown") this.replyBar.start(message, quote);
  }

  /** What the quote of a reply to ``ref`` shows (messages_ui.js quoteNode): always this
   * page's own copy of that message, decrypted here in an encrypted room, and only if it is
   * the message the reply names (``answers``); one outside the loaded history is fetched. */
  quote(ref) {
    const target = this.store.getBySeq(ref.seq) || this.quoted.get(ref.seq);
    if (!target) {
      this.fetchQuoted(ref.seq);
      return { state: "loading" };
    }
    return answers(ref, target) ? this.quoteOf(target) : { state: "gone" };
  }

  /** What a quote of ``target`` (a message as this page has it) shows: its sender and the
   * start of its text, or why not. */
  quoteOf(target) {
    if (target.deleted || target.kind !== "text") return { state: "gone" };
    const shown = this.extensions.messageBody(target);
    if (shown.pending) return { state: "loading" };
    const content = contentOf(target, shown);
    if (!content) return { state: "unreadable" };
    return { state: "shown", sender: target.sender.name, text: excerpt(content.text) };
  }

  /** Fetch the message numbered ``seq`` for a quote (once), make it readable (E2E decrypts
   * it) and draw the quotes of it again. */
  async fetchQuoted(seq) {
    if (this.fetchingQuoted.has(seq)) return;
    this.fetchingQuoted.add(seq);
    try {
      const page = await listMessages(this.room.id, { before: seq + 1 });
      const target = page.messages.find((m) => m.seq === seq);
      if (target) {
        await this.hooks.readable([target]);
        this.quoted.set(seq, target);
      } else {
        this.quoted.set(seq, { seq, kind: "gone", deleted: true });
      }
    } catch {
      this.fetchingQuoted.delete(seq); // try again on the next draw
      return;
    }
    this.ui.refreshQuotes(new Set([seq]));
  }

  /** Go to the message numbered ``seq`` (a quote was clicked), loading older history up to it. */
  async jumpTo(seq) {
    let pages = 0;
    while (!this.store.getBySeq(seq) && this.store.hasMore && pages < MAX_PAGES_TO_TARGET) {
      pages += 1;
      if (!(await this.loadOlder())) break;
    }
    for (const row of this.ui.list.querySelectorAll(".msg-highlight")) row.classList.remove("msg-highlight");
    if (!this.ui.highlight(seq)) {
      showBanner({ id: "target", tone: "warning", text: "That message is no longer in this room." });
    }
  }

  // Incoming --------------------------------------------------------------------------------

  /** Take a message from an event, a resync or a command reply (``stream`` false). */
  receive(message, { stream = true } = {}) {
    if (message.room_id !== this.room.id) return;
    const wasNearBottom = this.ui.nearBottom();
    const result = this.store.apply(message, { stream });
    if (result.gap) this.gapSeen();
    if (result.change === "ignored") return;
    if (result.confirmedPending) this.ui.removePending(result.confirmedPending);
    this.place(message);
    if (result.change === "added") {
      if (message.sender) this.typists.stopped(message.sender.id); // their message came: done
      this.statusAfterLoad();
      this.hooks.arrived(message);
      this.ui.arrived(message, { wasNearBottom: wasNearBottom || message.sender.id === this.userId });
      this.markRead();
    }
  }

  /** The stream has a hole: wait a moment for the missing event (events of one room can
   * arrive out of order from two server processes), then resync if it is still missing. One
   * wait at a time; the resync itself is one at a time too. */
  gapSeen() {
    if (this.gapTimer) return;
    this.gapTimer = setTimeout(() => {
      this.gapTimer = null;
      this.holesChecked += 1;
      // Counted on <html data-holes-checked>, for tests waiting for a window to close.
      document.documentElement.dataset.holesChecked = String(this.holesChecked);
      if (this.store.hasGap()) this.resync();
    }, REORDER_WINDOW_MS);
  }

  /** A digest from the server ({room id: latest revision}): resync if this room is behind
   * (an event was lost on the way, and nothing followed it that would show the gap). */
  digest(rooms) {
    const latest = rooms[String(this.room.id)];
    if (this.store.initialLoaded && latest > this.store.maxRev) this.resync();
  }

  /** The socket (re)connected: catch up on what the channel layer may have dropped. */
  connected() {
    if (this.store.initialLoaded) this.resync({ now: true });
  }

  /** Catch up on the room's changes (chat/resync.js: one at a time, backing off on failure);
   * ``now``: start even while a retry waits (the socket just reconnected). */
  resync({ now = false } = {}) {
    this.resyncer.request({ now });
  }

  markRead() {
    if (!this.isReading(this.room.id)) return;
    this.rooms.clearUnread(this.room.id);
    const seq = this.store.newestSeq();
    if (seq <= this.readSent) return;
    this.readSent = seq;
    this.command({ type: "room.read", room_id: this.room.id, seq }, () => markRead(this.room.id, seq)).catch(() => {
      this.readSent = 0;
    });
  }

  roomUpdated(room) {
    if (room.id === this.room.id) this.room.set(room);
  }

  memberAdded(roomId, user) {
    if (roomId === this.room.id) this.room.addMember(user);
  }

  memberRemoved(roomId, userId) {
    if (roomId !== this.room.id) return;
    this.typists.stopped(userId);
    this.room.removeMember(userId);
  }

  /** This user was added to (or joined) a room. */
  joined(room) {
    if (room.id !== this.room.id) return;
    this.room.set(room, { forViewer: true });
    this.resync();
  }

  /** This user left or was removed from a room. */
  left(roomId) {
    if (roomId !== this.room.id) return;
    this.ui.removeUnreadDivider();
    this.room.setMember(false);
    this.room.removeMember(this.userId);
  }

  async join() {
    const error = byId("join-error");
    setMessage(error, "");
    try {
      const data = await joinRoom(this.room.id);
      this.room.set(data.room, { forViewer: true });
      this.rooms.add(data.room);
      this.composer.focus();
      this.resync();
    } catch (err) {
      setMessage(error, err.message);
    }
  }
}
