// The message list of the open room (DOM only): draws confirmed and pending messages, keeps
// the scroll position, and turns clicks on message actions into callbacks. What a message
// shows comes from the extension points (extensions.js): messageBody ({text, note}; encrypted
// messages add ``verified``, ``failed`` or ``pending``: e2e/plugin.js), messageBadge,
// editableText and decorateMessage.

import { fullTime, shortTime } from "./time.js";
import { el, icon, iconButton, setMessage } from "../lib/dom.js";

const NEAR_BOTTOM_PX = 80;

export class MessageListUI {
  /** ``handlers``: onEdit(message) → opens the editor, onSaveEdit(message, body) → Promise,
   * onDelete(message), onRetry(clientId), onEditPending(clientId), onDiscard(clientId).
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
    this.stuckToBottom = true;
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
    return fresh;
  }

  /** Insert an older page at the top without moving what the reader is looking at. */
  prependOlder(messages) {
    const fromBottom = this.scroller.scrollHeight - this.scroller.scrollTop;
    const fragment = document.createDocumentFragment();
    for (const message of messages) {
      if (this.items.has(message.id)) continue;
      const item = this.render(message);
      this.items.set(message.id, item);
      fragment.append(item);
    }
    this.list.prepend(fragment);
    this.scroller.scrollTop = this.scroller.scrollHeight - fromBottom;
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

  render(message) {
    if (message.kind === "system") {
      return el(
        "li",
        { class: "msg msg-system", id: `msg-${message.seq}`, tabindex: "-1", dataset: { id: message.id, seq: message.seq } },
        el("p", { class: "msg-body", text: message.body }),
        this.timeNode(message.created_at),
      );
    }
    const mine = message.sender.id === this.userId;
    const shown = this.extensions.messageBody(message);
    const { text, note, failed, pending } = shown;
    const dataset = { id: message.id, seq: message.seq };
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
        el("span", { class: "msg-sender", text: message.sender.name }),
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
      el(
        "p",
        { class: `msg-body${note ? " msg-note" : ""}${failed ? " msg-e2e-failed" : ""}${pending ? " msg-e2e-pending" : ""}` },
        failed ? icon("alert") : null,
        text,
      ),
    );
    if (mine && !message.deleted) {
      item.append(
        el(
          "div",
          { class: "msg-actions" },
          this.extensions.editableText(message) === null
            ? null
            : iconButton("edit", "Edit message", { onclick: () => this.openEditor(message) }),
          iconButton("trash", "Delete message", { onclick: () => this.handlers.onDelete(message) }),
        ),
      );
    }
    this.extensions.decorateMessage(item, message, shown); // e.g. transcript warnings (e2e)
    return item;
  }

  timeNode(iso) {
    return el("time", { class: "msg-time", datetime: iso, title: fullTime(iso), text: shortTime(iso) });
  }

  /** Replace a message's text by an inline editor (Enter saves, Escape cancels). */
  openEditor(message) {
    const item = this.items.get(message.id);
    if (!item || item.querySelector(".msg-editor")) return;
    const body = item.querySelector(".msg-body");
    const inputId = `edit-${message.id}`;
    const input = el("textarea", { id: inputId, class: "msg-editor-input", rows: "2" });
    input.value = this.extensions.editableText(message) ?? message.body;
    const error = el("p", { class: "form-error", role: "alert", hidden: true });
    const close = () => {
      const current = this.handlers.current(message.id) || message;
      const fresh = this.render(current);
      item.replaceWith(fresh);
      this.items.set(message.id, fresh);
      fresh.querySelector(".msg-actions button")?.focus();
    };
    const save = async () => {
      setMessage(error, "");
      form.classList.add("busy");
      try {
        await this.handlers.onSaveEdit(message, input.value);
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
      input,
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
    item.querySelector(".msg-actions")?.setAttribute("hidden", "");
    input.focus();
    input.setSelectionRange(input.value.length, input.value.length);
  }

  // Pending sends -------------------------------------------------------------------------

  showPending(pending, senderName) {
    const old = this.pendingItems.get(pending.client_id);
    const item = el(
      "li",
      {
        class: `msg msg-mine msg-pending${pending.state === "failed" ? " msg-failed" : ""}`,
        dataset: { clientId: pending.client_id },
      },
      el(
        "div",
        { class: "msg-head" },
        el("span", { class: "msg-sender", text: senderName }),
        el("span", { class: "msg-status", text: pending.state === "failed" ? "Not sent" : "Sending…" }),
      ),
      el("p", { class: "msg-body", text: pending.body }),
    );
    if (pending.state === "failed") {
      item.append(
        el("p", { class: "msg-error", role: "alert" }, icon("alert"), el("span", { text: pending.error })),
        el(
          "div",
          { class: "msg-failed-actions" },
          pending.retryable
            ? el("button", { type: "button", class: "button small", text: "Retry", onclick: () => this.handlers.onRetry(pending.client_id) })
            : null,
          el("button", { type: "button", class: "button small", text: "Edit", onclick: () => this.handlers.onEditPending(pending.client_id) }),
          el("button", { type: "button", class: "button small", text: "Discard", onclick: () => this.handlers.onDiscard(pending.client_id) }),
        ),
      );
    }
    if (old) old.replaceWith(item);
    else this.list.append(item);
    this.pendingItems.set(pending.client_id, item);
  }

  removePending(clientId) {
    this.pendingItems.get(clientId)?.remove();
    this.pendingItems.delete(clientId);
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
