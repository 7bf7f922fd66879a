// The composer: Enter sends, Shift+Enter adds a line, a counter near the length limit, an
// error line, and a "Formatting" toggle showing the Markdown a message may use (markdown_ui.js
// draws it). It never clears what was typed unless the message was handed on.

import { el, setMessage } from "../lib/dom.js";

// What the formatting help shows: [what to type, what it gives].
export const FORMATTING_HELP = [
  ["**bold**", "bold"],
  ["_italic_", "italic"],
  ["~~strike~~", "strikethrough"],
  ["`code`", "inline code"],
  ["```code block```", "a code block (on lines of their own)"],
  ["> quote", "a quote"],
  ["- list", "a list (or 1. for numbers)"],
  ["[text](https://…)", "a link; addresses starting with http(s) become links by themselves"],
  ["Shift+Enter", "a new line"],
];

/** Add the "Formatting" toggle (a button with aria-expanded; Escape on it closes the help) to
 * ``meta`` (the composer's hint line) and its help after it. Return the button. */
export function mountFormattingHelp(meta) {
  const helpId = "composer-formatting-help";
  const help = el(
    "div",
    { id: helpId, class: "formatting-help", hidden: true },
    el("p", { class: "formatting-help-title", text: "Formatting" }),
    el(
      "dl",
      {},
      FORMATTING_HELP.map(([syntax, result]) =>
        el("div", {}, el("dt", {}, el("code", { text: syntax })), el("dd", { text: result })),
      ),
    ),
  );
  const button = el("button", {
    type: "button",
    class: "link-button formatting-toggle",
    "aria-expanded": "false",
    "aria-controls": helpId,
    text: "Formatting",
    onclick: () => {
      const open = help.hidden;
      help.hidden = !open;
      button.setAttribute("aria-expanded", String(open));
    },
  });
  meta.append(button);
  meta.after(help);
  button.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || help.hidden) return;
    help.hidden = true;
    button.setAttribute("aria-expanded", "false");
  });
  return button;
}

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
    const meta = form.querySelector(".composer-meta");
    if (meta) this.formattingButton = mountFormattingHelp(meta);
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
