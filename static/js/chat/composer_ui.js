// The composer: Enter sends, Shift+Enter adds a line, a counter near the length limit, and an
// error line. It never clears what was typed unless the message was handed on.

import { setMessage } from "../lib/dom.js";

const COUNTER_FROM = 0.8; // show the counter from 80% of the limit

/** Return the length the server counts (code points of the stripped text). */
export function messageLength(text) {
  return [...text.trim()].length;
}

export class ComposerUI {
  /** ``onSend(text, content)`` is called with text that passed the local checks and its
   * content object (content.js: the mentions picked with ``mentions``, the "@" autocomplete
   * of mention_ui.js, if given). */
  /** ``onEditLast()`` (Up in an empty composer) opens the editor on one's last message and
   * returns whether there was one. */
  constructor({ form, input, counter, error, maxChars, onSend, onEditLast = () => false, mentions = null }) {
    this.form = form;
    this.input = input;
    this.counter = counter;
    this.error = error;
    this.maxChars = maxChars;
    this.onSend = onSend;
    this.mentions = mentions;
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
    input.addEventListener("keydown", (event) => {
      if (this.mentions?.handleKey(event)) return; // the open "@" list takes its keys first
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.submit();
      } else if (
        event.key === "ArrowUp" &&
        !input.value &&
        !event.shiftKey &&
        !event.altKey &&
        !event.ctrlKey &&
        !event.metaKey &&
        onEditLast()
      ) {
        event.preventDefault();
      }
    });
    input.addEventListener("input", () => {
      this.updateCounter();
      if (!this.error.hidden && messageLength(input.value) <= this.maxChars) this.showError("");
      this.fitHeight();
    });
  }

  show(visible) {
    this.form.hidden = !visible;
  }

  focus() {
    this.input.focus();
  }

  isEmpty() {
    return !this.input.value.trim();
  }

  submit() {
    const text = this.input.value;
    const length = messageLength(text);
    if (!length) {
      // Nothing to send; say so when something (only spaces) was typed, and keep it.
      this.showError(text ? "A message of only spaces cannot be sent. Type some text." : "");
      this.input.focus();
      return;
    }
    if (length > this.maxChars) {
      this.showError(
        `A message can be at most ${this.maxChars} characters; this one has ${length}. Shorten it to send.`,
      );
      this.input.focus();
      return;
    }
    this.showError("");
    const content = this.mentions ? this.mentions.content(text.trim()) : null;
    this.mentions?.reset();
    this.setText("");
    this.onSend(text.trim(), content);
  }

  /** Put text back (a send that cannot succeed as is) with the reason. */
  restore(text, message) {
    this.setText(text);
    this.showError(message);
    this.input.focus();
  }

  setText(text) {
    this.input.value = text;
    this.updateCounter();
    this.fitHeight();
  }

  showError(message) {
    setMessage(this.error, message);
    this.input.setAttribute("aria-invalid", message ? "true" : "false");
  }

  updateCounter() {
    const length = messageLength(this.input.value);
    const show = length >= this.maxChars * COUNTER_FROM;
    this.counter.hidden = !show;
    if (!show) return;
    const left = this.maxChars - length;
    this.counter.classList.toggle("over", left < 0);
    this.counter.textContent =
      left >= 0
        ? `${left} character${left === 1 ? "" : "s"} left`
        : `${-left} character${left === -1 ? "" : "s"} over the limit of ${this.maxChars}`;
  }

  /** Grow with the text where CSS field-sizing is not supported. */
  fitHeight() {
    if (CSS.supports("field-sizing", "content")) return;
    this.input.style.height = "auto";
    this.input.style.height = `${Math.min(this.input.scrollHeight + 2, window.innerHeight * 0.4)}px`;
  }
}
