// The message list of the open room (DOM only): draws confirmed and pending messages, keeps
// the scroll position, and turns clicks on message actions into callbacks. What a message
// shows comes from the extension points (extensions.js): messageBody ({text, note}; encrypted
// messages add ``verified``, ``failed`` or ``pending``: e2e/plugin.js), messageBadge,
// editableText and decorateMessage. Consecutive messages of one sender are grouped
// (grouping.js: the later ones get .msg-continued, their name and time kept for screen
// readers); the "New messages" divider sits above the first unread message of the open.
// A message's text is its content (content.js: message.content in plaintext rooms, messageBody's
// ``content`` from e2e in encrypted ones), drawn one way by markdown_ui.js; pending sends too.

import { contentOf, replyOf, textContent } from "./content.js";
import { continuesGroup } from "./grouping.js";
import { renderContent } from "./markdown_ui.js";
import { fullTime, shortTime } from "./time.js";
import { avatar, botTag } from "../lib/avatar.js";
import { el, icon, iconButton, setMessage } from "../lib/dom.js";

const NEAR_BOTTOM_PX = 80;

export class MessageListUI {
  /** ``handlers``: onEdit(message) → opens the editor, onSaveEdit(message, body, picks) →
   * Promise, mentionsFor(input) → an "@" autocomplete on an editor (mention_ui.js),
   * onDelete(message), onRetry(clientId), onEditPending(clientId), onDiscard(clientId),
   * member(userId) → the room member {id, username, name} or null (mentions are drawn for
   * members only), onReply(message), quote(ref) → what a reply's quote shows of the message
   * ``ref`` names: {state: "shown", sender, text} | {state: "loading" | "gone" | "unreadable"},
   * onJumpTo(seq) (a click on a quote).
   * ``extensions``: the page's extension registry. */
  constructor({ list, scroller, announcer, jumpButton, userId, handlers, extensions }) {
    this.extensions = extensions;
    this.list = list;
    this.scroller = scroller;
    this.announcer = announcer;
    this.jumpButton = jumpButton;
    this.userId = userId;
    this.handlers = handlers;
    this.items = new Map(); // message id -> li
    this.pendingItems = new Map(); // client_id -> li
    this.divider = null; // the "New messages" <li>, above the first unread message
    this.stuckToBottom = true;
    // Rows of an older history page are drawn with their text as written and formatted when
    // they come within a screen of the view (formatDeferred): a page of 1,000 costs the
    // formatting of what can be seen, not of all of it.
    this.deferred = new WeakMap(); // body element -> content still to format
    this.quoteRefs = new WeakMap(); // a reply's quote button -> the reference it shows
    this.nearView = new IntersectionObserver((entries) => this.formatEntries(entries), {
      root: scroller,
      rootMargin: "100% 0px",
    });
    scroller.addEventListener("scroll", () => {
      this.stuckToBottom = this.nearBottom();
      if (this.stuckToBottom) this.jumpButton.hidden = true;
    });
    // When the view shrinks (the composer grows, a banner appears, the keyboard opens), a
    // reader at the bottom stays at the bottom.
    new ResizeObserver(() => {
      if (this.stuckToBottom) this.scrollToBottom();
    }).observe(scroller);
    jumpButton.addEventListener("click", () => {
      this.scrollToBottom();
      this.jumpButton.hidden = true;
    });
    // Keyboard: the list is one tab stop (roving tabindex: the active message has tabindex 0,
    // by default the newest); Up/Down/Home/End move between messages, Tab (or Enter) goes into
    // the focused message's buttons. Buttons of messages that do not hold focus are out of the
    // tab order, so Shift+Tab from the composer does not walk every Edit and Delete.
    this.active = null;
    list.addEventListener("keydown", (event) => this.onKeydown(event));
    list.addEventListener("focusin", (event) => {
      const item = this.itemOf(event.target);
      if (!item) return;
      this.setActive(item);
      this.setTabbable(item, true);
    });
    list.addEventListener("focusout", (event) => {
      const item = this.itemOf(event.target);
      if (item && !item.contains(event.relatedTarget)) this.setTabbable(item, false);
      // Leaving the list: the next visit starts at the newest message.
      if (!list.contains(event.relatedTarget)) {
        this.active = null;
        this.refreshTabStop();
      }
    });
  }

  // Keyboard --------------------------------------------------------------------------------

  /** The message rows in order (confirmed, system and pending). */
  rows() {
    return [...this.list.children].filter((node) => node.matches("li.msg"));
  }

  itemOf(node) {
    const item = node instanceof Element ? node.closest("li.msg") : null;
    return item && item.parentElement === this.list ? item : null;
  }

  setActive(item) {
    if (this.active === item) return;
    if (this.active) this.active.tabIndex = -1;
    this.active = item;
    item.tabIndex = 0;
  }

  /** Let ``item``'s buttons (and an open editor) take Tab, or take them out of the tab order. */
  setTabbable(item, on) {
    for (const node of item.querySelectorAll("button, a[href], textarea, input, select")) {
      node.tabIndex = on ? 0 : -1;
    }
  }

  /** Keep exactly one row in the tab order: the active one, else the newest. */
  refreshTabStop() {
    const rows = this.rows();
    if (!this.active || !this.active.isConnected) this.active = rows.at(-1) || null;
    for (const row of rows) {
      row.tabIndex = row === this.active ? 0 : -1;
      if (!row.contains(document.activeElement)) this.setTabbable(row, false);
    }
    // The scroller is a tab stop only while there is no message to stop on.
    this.scroller.tabIndex = rows.length ? -1 : 0;
  }

  onKeydown(event) {
    const item = this.itemOf(event.target);
    if (!item || event.target !== item || event.altKey || event.ctrlKey || event.metaKey) return;
    const rows = this.rows();
    const at = rows.indexOf(item);
    let next;
    if (event.key === "ArrowUp") next = rows[at - 1];
    else if (event.key === "ArrowDown") next = rows[at + 1];
    else if (event.key === "Home") next = rows[0];
    else if (event.key === "End") next = rows.at(-1);
    else if (event.key === "Enter") {
      const button = item.querySelector(".msg-actions button, .msg-failed-actions button, button, a[href]");
      if (!button) return;
      event.preventDefault();
      this.setTabbable(item, true);
      button.focus();
      return;
    } else return;
    event.preventDefault();
    if (!next) return;
    this.setActive(next);
    next.focus({ preventScroll: true });
    next.scrollIntoView({ block: "nearest" });
  }

  /** Open the editor on one's newest editable message (Up in an empty composer); return
   * whether there was one. Escape or saving goes back to ``returnFocus``. */
  editLast(returnFocus) {
    const idOf = new Map([...this.items].map(([id, item]) => [item, id]));
    for (const item of this.rows().reverse()) {
      if (!item.matches(".msg-mine:not(.msg-pending):not(.msg-deleted)") || !idOf.has(item)) continue;
      const message = this.handlers.current(idOf.get(item));
      if (!message || message.deleted || this.extensions.editableText(message) === null) continue;
      item.scrollIntoView({ block: "nearest" });
      this.openEditor(message, { returnFocus });
      return true;
    }
    return false;
  }

  nearBottom() {
    const s = this.scroller;
    return s.scrollHeight - s.scrollTop - s.clientHeight < NEAR_BOTTOM_PX;
  }

  scrollToBottom() {
    this.scroller.scrollTop = this.scroller.scrollHeight;
  }

  /** Put a confirmed message in place (before ``next``, the message that follows it). */
  upsert(message, next) {
    const fresh = this.render(message);
    const old = this.items.get(message.id);
    if (old) {
      if (old.querySelector(".msg-editor")) return; // do not yank an open editor; it refreshes on close
      old.replaceWith(fresh);
    } else {
      const anchor = (next && this.items.get(next.id)) || this.list.querySelector(".msg-pending");
      this.list.insertBefore(fresh, anchor || null);
    }
    this.items.set(message.id, fresh);
    if (this.active === old) this.active = fresh;
    this.regroupAround(fresh);
    this.refreshTabStop();
    return fresh;
  }

  /** Insert an older page at the top without moving what the reader is looking at. */
  prependOlder(messages) {
    const fromBottom = this.scroller.scrollHeight - this.scroller.scrollTop;
    const fragment = document.createDocumentFragment();
    const added = [];
    for (const message of messages) {
      if (this.items.has(message.id)) continue;
      const item = this.render(message, { deferContent: true });
      this.items.set(message.id, item);
      fragment.append(item);
      added.push(item);
    }
    this.list.prepend(fragment);
    for (const item of added) this.regroupAround(item);
    this.refreshTabStop();
    this.scroller.scrollTop = this.scroller.scrollHeight - fromBottom;
    // What is already in view is formatted before the next paint; the rest as it comes near.
    const view = this.scroller.getBoundingClientRect();
    const near = added.filter((item) => {
      const box = item.getBoundingClientRect();
      return box.bottom >= view.top - view.height && box.top <= view.bottom + view.height;
    });
    for (const item of near) this.formatDeferred(item);
    for (const item of added) if (item.querySelector(".msg-unformatted")) this.nearView.observe(item);
  }

  formatEntries(entries) {
    for (const entry of entries) {
      if (!entry.isIntersecting) continue;
      this.nearView.unobserve(entry.target);
      this.formatDeferred(entry.target);
    }
  }

  /** Format the deferred body of ``item``, if it has one (prependOlder). */
  formatDeferred(item) {
    const body = item.querySelector(".msg-unformatted");
    const content = body && this.deferred.get(body);
    if (!content) return;
    this.deferred.delete(body);
    body.classList.remove("msg-unformatted");
    body.replaceChildren(...renderContent(content, { mentionNames: this.mentionNames(content) }));
  }

  /** A message from someone else arrived: keep the reader at the bottom or offer a jump. */
  arrived(message, { wasNearBottom }) {
    if (wasNearBottom) this.scrollToBottom();
    else this.jumpButton.hidden = false;
    const shown = this.extensions.messageBody(message);
    // One not readable yet is announced by its extension once it is (e2e/rooms_ui.js).
    if (message.sender.id !== this.userId && message.kind === "text" && !shown.pending) {
      this.announcer.textContent = `${message.sender.name}: ${shown.text.slice(0, 200)}`;
    }
  }

  /** Return the row of ``message``. ``deferContent``: draw its content as written, to be
   * formatted when it comes near the view (formatDeferred). */
  render(message, { deferContent = false } = {}) {
    if (message.kind === "system") {
      return el(
        "li",
        {
          class: "msg msg-system",
          id: `msg-${message.seq}`,
          tabindex: "-1",
          dataset: { id: message.id, seq: message.seq, kind: "system" },
        },
        el("p", { class: "msg-body", text: message.body }),
        this.timeNode(message.created_at),
      );
    }
    const mine = message.sender.id === this.userId;
    const shown = this.extensions.messageBody(message);
    const { text, note, failed, pending } = shown;
    const content = contentOf(message, shown);
    const dataset = {
      id: message.id,
      seq: message.seq,
      ...groupData(message.sender.id, Date.parse(message.created_at)),
    };
    const item = el(
      "li",
      {
        class: `msg${mine ? " msg-mine" : ""}${message.deleted ? " msg-deleted" : ""}`,
        id: `msg-${message.seq}`,
        tabindex: "-1",
        dataset,
      },
      el(
        "div",
        { class: "msg-head" },
        avatar(message.sender, { className: "msg-avatar" }),
        el("span", { class: "msg-sender", text: message.sender.name }),
        botTag(message.sender),
        // Two members with one display name: their usernames tell them apart.
        this.handlers.sharesName?.(message.sender)
          ? el("span", { class: "msg-sender-username", text: `@${message.sender.username}` })
          : null,
        this.extensions.messageBadge(message, shown),
        this.timeNode(message.created_at),
        message.edited_at && !message.deleted
          ? el("span", { class: "msg-edited", title: fullTime(message.edited_at), text: "(edited)" })
          : null,
      ),
      replyOf(content) ? this.quoteNode(replyOf(content)) : null,
      content
        ? this.contentBody(content, { defer: deferContent })
        : el(
            "p",
            {
              class: `msg-body${note ? " msg-note" : ""}${failed ? " msg-e2e-failed" : ""}${pending ? " msg-e2e-pending" : ""}`,
            },
            failed ? icon("alert") : null,
            text,
          ),
    );
    if (!message.deleted) {
      const editable = mine && this.extensions.editableText(message) !== null;
      item.append(
        el(
          "div",
          { class: "msg-actions" },
          content && this.handlers.onReply
            ? iconButton("reply", "Reply", { onclick: () => this.handlers.onReply(message) })
            : null,
          editable ? iconButton("edit", "Edit message", { onclick: () => this.openEditor(message) }) : null,
          mine ? iconButton("trash", "Delete message", { onclick: () => this.handlers.onDelete(message) }) : null,
        ),
      );
    }
    this.extensions.decorateMessage(item, message, shown); // e.g. transcript warnings (e2e)
    return item;
  }

  /** The quote above a reply: who wrote the message it answers and the start of it, as this
   * page has that message (never as the reply claims); a click goes to it. */
  quoteNode(ref) {
    const quote = this.handlers.quote?.(ref) || { state: "loading" };
    const shown = quote.state === "shown";
    const text = shown
      ? quote.text
      : {
          loading: "Loading the message this answers…",
          gone: "The message this answers was deleted or is not in this room.",
          unreadable: "The message this answers cannot be shown on this device.",
        }[quote.state];
    const node = el(
      "button",
      {
        type: "button",
        class: `msg-reply${shown ? "" : " msg-reply-missing"}`,
        dataset: { replySeq: String(ref.seq) },
        "aria-label": shown ? `Reply to ${quote.sender}: ${quote.text}. Go to that message.` : text,
        onclick: () => this.handlers.onJumpTo?.(ref.seq),
      },
      icon("reply"),
      shown ? el("span", { class: "msg-reply-sender", text: quote.sender }) : null,
      el("span", { class: "msg-reply-text", text }),
    );
    this.quoteRefs.set(node, ref);
    return node;
  }

  /** Draw again the quotes of the messages numbered ``seqs`` (they were drawn, changed or
   * fetched), or all quotes. */
  refreshQuotes(seqs = null) {
    for (const node of this.list.querySelectorAll("button.msg-reply")) {
      const ref = this.quoteRefs.get(node);
      if (!ref || (seqs && !seqs.has(ref.seq))) continue;
      const fresh = this.quoteNode(ref);
      fresh.tabIndex = node.tabIndex;
      node.replaceWith(fresh);
    }
  }

  /** The body of a message showing ``content`` (formatted, its mentions highlighted). */
  contentBody(content, { defer = false } = {}) {
    if (defer) {
      const body = el("div", { class: "msg-body msg-content msg-unformatted", text: content.text });
      this.deferred.set(body, content);
      return body;
    }
    return el(
      "div",
      { class: "msg-body msg-content" },
      renderContent(content, { mentionNames: this.mentionNames(content) }),
    );
  }

  /** The usernames (lower-cased) of the members ``content`` mentions: {self} for each. */
  mentionNames(content) {
    const names = new Map();
    for (const userId of content.mentions) {
      const member = this.handlers.member?.(userId);
      if (member?.username) names.set(member.username.toLowerCase(), { self: Number(userId) === this.userId });
    }
    return names;
  }

  timeNode(iso) {
    return el("time", { class: "msg-time", datetime: iso, title: fullTime(iso), text: shortTime(iso) });
  }

  /** The buttons under a pending send: Retry (if ``retry``), Edit and Discard. */
  pendingActions(pending, { retry }) {
    const button = (text, onclick) => el("button", { type: "button", class: "button small", text, onclick });
    return el(
      "div",
      { class: "msg-failed-actions" },
      retry ? button("Retry", () => this.handlers.onRetry(pending.client_id)) : null,
      button("Edit", () => this.handlers.onEditPending(pending.client_id)),
      button("Discard", () => this.handlers.onDiscard(pending.client_id)),
    );
  }

  /** Replace a message's text by an inline editor (Enter saves, Escape cancels). */
  openEditor(message, { returnFocus = null } = {}) {
    const item = this.items.get(message.id);
    if (!item || item.querySelector(".msg-editor")) return;
    const body = item.querySelector(".msg-body");
    const inputId = `edit-${message.id}`;
    const input = el("textarea", { id: inputId, class: "msg-editor-input", rows: "2" });
    input.value = this.extensions.editableText(message) ?? message.body;
    const error = el("p", { class: "form-error", role: "alert", hidden: true });
    const box = el("div", { class: "msg-editor-box" }, input);
    let mentions = null; // the "@" autocomplete, mounted once the editor is in the page
    const close = () => {
      mentions?.destroy();
      const current = this.handlers.current(message.id) || message;
      const fresh = this.render(current);
      item.replaceWith(fresh);
      this.items.set(message.id, fresh);
      if (this.active === item) this.active = fresh;
      this.regroupAround(fresh);
      this.refreshTabStop();
      if (returnFocus) returnFocus.focus();
      else fresh.querySelector(".msg-actions button")?.focus();
    };
    const save = async () => {
      setMessage(error, "");
      form.classList.add("busy");
      try {
        await this.handlers.onSaveEdit(message, input.value, mentions?.picks());
        close();
      } catch (err) {
        setMessage(error, err.message);
        input.focus();
      } finally {
        form.classList.remove("busy");
      }
    };
    const form = el(
      "form",
      { class: "msg-editor", novalidate: true },
      el("label", { for: inputId, class: "visually-hidden", text: "Edit message" }),
      box,
      error,
      el(
        "div",
        { class: "actions" },
        el("button", { type: "submit", class: "button primary small", text: "Save" }),
        el("button", { type: "button", class: "button small", text: "Cancel", onclick: close }),
        el("span", { class: "hint", text: "Enter to save, Escape to cancel" }),
      ),
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      save();
    });
    input.addEventListener("keydown", (event) => {
      if (mentions?.handleKey(event)) return; // the open "@" list takes its keys first
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        save();
      } else if (event.key === "Escape") {
        event.preventDefault();
        event.stopPropagation();
        close();
      }
    });
    body.replaceWith(form);
    mentions = this.handlers.mentionsFor?.(input) || null;
    item.querySelector(".msg-actions")?.setAttribute("hidden", "");
    input.focus();
    input.setSelectionRange(input.value.length, input.value.length);
  }

  // Pending sends -------------------------------------------------------------------------

  showPending(pending, senderName) {
    const old = this.pendingItems.get(pending.client_id);
    const failed = pending.state === "failed";
    const queued = pending.state === "queued";
    const status = failed ? "Not sent" : queued ? "Will send when reconnected" : "Sending…";
    const item = el(
      "li",
      {
        class: `msg msg-mine msg-pending${failed ? " msg-failed" : ""}${queued ? " msg-queued" : ""}`,
        tabindex: "-1",
        dataset: {
          clientId: pending.client_id,
          ...groupData(this.userId, old ? Number(old.dataset.time) : Date.now()),
        },
      },
      el(
        "div",
        { class: "msg-head" },
        avatar({ id: this.userId, name: senderName }, { className: "msg-avatar" }),
        el("span", { class: "msg-sender", text: senderName }),
        el("span", { class: "msg-status", text: status }),
      ),
      replyOf(pending.content) ? this.quoteNode(replyOf(pending.content)) : null,
      this.contentBody(pending.content || textContent(pending.body)),
    );
    // A queued message goes by itself: only a way to take it back. A failed one may be retried.
    if (queued) item.append(this.pendingActions(pending, { retry: false }));
    if (failed) {
      item.append(
        el("p", { class: "msg-error", role: "alert" }, icon("alert"), el("span", { text: pending.error })),
        this.pendingActions(pending, { retry: pending.retryable }),
      );
    }
    const hadFocus = Boolean(old?.contains(document.activeElement));
    if (old) old.replaceWith(item);
    else this.list.append(item);
    this.pendingItems.set(pending.client_id, item);
    if (this.active === old) this.active = item;
    this.regroupAround(item);
    this.refreshTabStop();
    if (hadFocus) item.focus({ preventScroll: true });
    // The reason it failed must not end up under the composer, out of sight.
    if (failed) item.scrollIntoView({ block: "nearest" });
  }

  removePending(clientId) {
    const item = this.pendingItems.get(clientId);
    const next = item?.nextElementSibling;
    item?.remove();
    this.pendingItems.delete(clientId);
    if (next) this.regroupAround(next);
    this.refreshTabStop();
  }

  // Grouping and the unread divider ---------------------------------------------------------

  /** Mark ``row`` and the row after it as starting or continuing a sender's group (a row's
   * group depends only on the row above it: a system line or the divider breaks groups). */
  regroupAround(row) {
    for (const node of [row, row?.nextElementSibling]) {
      if (!node?.matches("li.msg")) continue;
      node.classList.toggle("msg-continued", continuesGroup(groupFacts(node.previousElementSibling), groupFacts(node)));
    }
  }

  /** Put the "New messages" divider above the message ``seq``; return whether it is there. */
  showUnreadDivider(seq) {
    const row = this.list.querySelector(`#msg-${Number(seq)}`);
    if (!row) return false;
    this.divider?.remove();
    this.divider = el(
      "li",
      { class: "unread-divider", dataset: { seq: String(seq) } },
      el(
        "div",
        { class: "unread-divider-line", role: "separator", "aria-label": "New messages" },
        el("span", { text: "New messages" }),
      ),
    );
    row.before(this.divider);
    this.regroupAround(row);
    return true;
  }

  removeUnreadDivider() {
    const next = this.divider?.nextElementSibling;
    this.divider?.remove();
    this.divider = null;
    if (next) this.regroupAround(next);
  }

  /** Scroll so that the divider is at the top of the view (where reading goes on). */
  scrollToDivider() {
    if (!this.divider) return false;
    const top = this.divider.getBoundingClientRect().top - this.scroller.getBoundingClientRect().top;
    this.scroller.scrollTop += top;
    this.stuckToBottom = this.nearBottom();
    return true;
  }

  /** Scroll to a message, mark it and move focus to it (a search result link). */
  highlight(seq) {
    const item = this.list.querySelector(`#msg-${Number(seq)}`);
    if (!item) return false;
    item.classList.add("msg-highlight");
    item.scrollIntoView({ block: "center" });
    item.focus({ preventScroll: true });
    return true;
  }
}

/** The dataset of a message row that grouping reads (never the text: encrypted rooms group
 * the same way). */
function groupData(senderId, time) {
  return { kind: "text", sender: String(senderId), time: String(time) };
}

function groupFacts(row) {
  if (!row?.matches("li.msg")) return null;
  return { kind: row.dataset.kind, sender: row.dataset.sender, time: Number(row.dataset.time) };
}
