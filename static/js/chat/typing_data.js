// Typing (no DOM): who is typing in the open room, and when this tab tells the others that
// its person types. Ephemeral: nothing is stored (docs/ARCHITECTURE.md "Typing").

export const TYPING_SHOWN_MS = 6000; // forget a typist not heard from for this long
export const TYPING_REPEAT_MS = 3000; // while typing, say so again this often (server: 2 s)
export const TYPING_IDLE_MS = 5000; // this long without a keystroke: stopped

/** The line under the messages for typists' ``names`` ("" for nobody). */
export function typingText(names) {
  if (!names.length) return "";
  if (names.length === 1) return `${names[0]} is typing…`;
  if (names.length === 2) return `${names[0]} and ${names[1]} are typing…`;
  return "Several people are typing…";
}

/** The other people typing in the open room, each forgotten TYPING_SHOWN_MS after their last
 * "started" unless heard again. ``onChange()`` runs when someone starts or stops, not when a
 * typist is only heard again. */
export class Typists {
  constructor({ onChange = () => {}, timers = globalThis } = {}) {
    this.onChange = onChange;
    this.timers = timers;
    this.timeouts = new Map(); // user id -> timer, in the order they started
  }

  started(userId) {
    const id = Number(userId);
    const known = this.timeouts.has(id);
    if (known) this.timers.clearTimeout(this.timeouts.get(id));
    this.timeouts.set(
      id,
      this.timers.setTimeout(() => this.stopped(id), TYPING_SHOWN_MS),
    );
    if (!known) this.onChange();
  }

  stopped(userId) {
    const id = Number(userId);
    if (!this.timeouts.has(id)) return;
    this.timers.clearTimeout(this.timeouts.get(id));
    this.timeouts.delete(id);
    this.onChange();
  }

  /** A typing event from the server ({user_id, typing}). */
  heard(event) {
    if (event.typing) this.started(event.user_id);
    else this.stopped(event.user_id);
  }

  ids() {
    return [...this.timeouts.keys()];
  }
}

/** This tab's typing: ``send(typing)`` says "started" on input at most every
 * TYPING_REPEAT_MS while there is text, and "stopped" once, on ``stop()`` (sent, blurred),
 * when the text is emptied or after TYPING_IDLE_MS without input. */
export class TypingSender {
  constructor({ send, timers = globalThis, now = () => Date.now() }) {
    this.send = send;
    this.timers = timers;
    this.now = now;
    this.active = false;
    this.lastSent = 0;
    this.idle = null;
  }

  input(hasText) {
    if (!hasText) {
      this.stop();
      return;
    }
    if (!this.active || this.now() - this.lastSent >= TYPING_REPEAT_MS) {
      this.active = true;
      this.lastSent = this.now();
      this.send(true);
    }
    this.timers.clearTimeout(this.idle);
    this.idle = this.timers.setTimeout(() => this.stop(), TYPING_IDLE_MS);
  }

  stop() {
    this.timers.clearTimeout(this.idle);
    this.idle = null;
    if (!this.active) return;
    this.active = false;
    this.send(false);
  }
}
