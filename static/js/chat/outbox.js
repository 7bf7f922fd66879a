// Outgoing changes of the open room: sends with a pending state (client_id made once, reused
// on retry: the server dedupes), edits and deletes. Nothing the user typed is ever dropped: a
// failed send stays on screen with Retry/Edit/Discard, or goes back into the composer.
// The room's extension hooks (view.hooks: extensions.js attachRoom) gate a send: when
// mustEncrypt() says so, the text goes through hooks.send() (E2E: encrypted and signed,
// e2e/plugin.js) and plaintext never goes; a message the hooks handle() is edited and deleted
// through them.

import { deleteMessage, editMessage, postMessage } from "./api.js";
import { messageLength } from "./composer_ui.js";
import { contentOf, editedContent, textContent } from "./content.js";
import { newClientId } from "./ids.js";
import { isTransient } from "./socket.js";
import { showBanner } from "../lib/banners_ui.js";
import { confirmDialog } from "../lib/modal.js";

/** Whether ``error`` means there is no connection now (as opposed to a refusal or a crash). */
function isOffline(error) {
  return ["not_connected", "disconnected", "network", "timeout"].includes(error?.code);
}

export class Outbox {
  /** ``view``: the RoomView (room, store, ui, composer, hooks, extensions, command(), receive()). */
  constructor(view) {
    this.view = view;
  }

  /** Send ``text``; ``content``: its content object with the mentions (content.js), if any. */
  send(text, content = null) {
    const pending = this.view.store.addPending(newClientId(), text);
    pending.content = content || textContent(text);
    this.view.statusAfterLoad();
    this.view.ui.showPending(pending, this.view.config.user.name);
    this.view.ui.scrollToBottom();
    this.deliver(pending);
  }

  /** Send (or resend: same client_id, the server dedupes) a pending message. */
  async deliver(pending) {
    pending.state = "sending";
    pending.error = "";
    this.view.ui.showPending(pending, this.view.config.user.name);
    // The content alone: the server stores its text as the body (for search).
    const data = { client_id: pending.client_id, content: pending.content };
    const roomId = this.view.room.id;
    try {
      const reply = (await this.view.hooks.mustEncrypt())
        ? await this.view.hooks.send(pending)
        : await this.view.command({ type: "message.send", room_id: roomId, ...data }, () => postMessage(roomId, data));
      if (reply.message) this.view.receive(reply.message, { stream: false });
    } catch (error) {
      if (!this.view.store.getPending(pending.client_id)) return; // confirmed meanwhile
      // No connection: the row says it will go when the connection is back (retryFailed()
      // after the resync), not "Not sent", which is kept for real failures.
      pending.state = isOffline(error) ? "queued" : "failed";
      pending.error = error.message;
      // Waits an extension marks retryable (E2E: keys locked, key not shared yet) are retried
      // when it calls retryFailed().
      pending.retryable = isTransient(error) || error.retryable === true;
      if (error.code === "rate_limited") {
        pending.error = `Sending too fast: trying again in ${error.retryAfter} s.`;
        setTimeout(() => this.retry(pending.client_id), error.retryAfter * 1000);
      }
      if (!pending.retryable && this.view.composer.isEmpty()) {
        // It cannot go as it is: give the text back to the composer with the reason.
        this.discard(pending.client_id);
        this.view.composer.restore(pending.body, error.message);
        return;
      }
      this.view.ui.showPending(pending, this.view.config.user.name);
    }
  }

  retry(clientId) {
    const pending = this.view.store.getPending(clientId);
    if (pending) this.deliver(pending);
  }

  editPending(clientId) {
    const pending = this.view.store.getPending(clientId);
    if (!pending) return;
    this.discard(clientId);
    const draft = this.view.composer.input.value.trim();
    this.view.composer.restore(draft ? `${pending.body}\n${draft}` : pending.body, "");
  }

  discard(clientId) {
    this.view.store.dropPending(clientId);
    this.view.ui.removePending(clientId);
    this.view.statusAfterLoad();
  }

  /** Save an edit of ``message`` to ``body``; ``picks``: the people picked in the editor's
   * "@" autocomplete (mention_ui.js picks()). */
  async saveEdit(message, body, picks = {}) {
    const text = body.trim();
    const max = this.view.config.message_max_chars;
    if (!text) throw new Error("A message cannot be empty. To remove it, delete it.");
    if (messageLength(text) > max) {
      throw new Error(`A message can be at most ${max} characters; this one has ${messageLength(text)}.`);
    }
    // The edit keeps the mentions still written in it (and every other field of the content).
    const usernameOf = (userId) => this.view.room.room.members.find((m) => String(m.id) === String(userId))?.username;
    if (this.view.hooks.handles(message)) {
      if (text === this.view.extensions.editableText(message)) return;
      const shown = this.view.extensions.messageBody(message);
      const content = editedContent(contentOf(message, shown), text, usernameOf, picks);
      const reply = await this.view.hooks.edit(message, content);
      if (reply.message) this.view.receive(reply.message, { stream: false });
      return;
    }
    if (await this.view.hooks.mustEncrypt()) {
      throw new Error("Messages sent before encryption was turned on cannot be edited.");
    }
    if (text === message.body) return;
    const content = editedContent(contentOf(message), text, usernameOf, picks);
    const reply = await this.view.command({ type: "message.edit", message_id: message.id, content }, () =>
      editMessage(message.id, content),
    );
    if (reply.message) this.view.receive(reply.message, { stream: false });
  }

  async confirmDelete(message) {
    const ok = await confirmDialog({
      title: "Delete this message?",
      text: "Everyone in the room will see that a message was deleted. This cannot be undone.",
      confirmLabel: "Delete",
    });
    if (!ok) return;
    try {
      // E2E: an encrypted message is replaced by the sender's signed tombstone (e2e/plugin.js).
      const reply = this.view.hooks.handles(message)
        ? await this.view.hooks.remove(message)
        : await this.view.command({ type: "message.delete", message_id: message.id }, () => deleteMessage(message.id));
      if (reply.message) this.view.receive(reply.message, { stream: false });
      // Keep focus in the list, on the placeholder left behind.
      document.getElementById(`msg-${message.seq}`)?.focus({ preventScroll: true });
    } catch (error) {
      showBanner({ id: "delete", tone: "error", text: `The message was not deleted: ${error.message}` });
    }
  }

  /** Resend what failed for a reason a retry can fix (after a reconnect). */
  retryFailed() {
    for (const pending of this.view.store.retryablePending()) this.deliver(pending);
  }
}
