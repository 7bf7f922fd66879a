// Presence (no DOM): who is online, away or offline among the people this user shares a room
// with, and this tab's own state, active or idle (docs/ARCHITECTURE.md "Presence"). Ephemeral:
// the server keeps it in its cache, never in the database; the browser gets a snapshot each
// time its socket opens and the changes after it.

export const PRESENCE_IDLE_MS = 300_000; // the default; the page's config says the server's
export const PRESENCE_STATES = ["online", "away", "offline"];

/** What to say of a person's ``state`` (screen readers, tooltips): never colour alone. */
export function presenceLabel(state, { appearOffline = false } = {}) {
  const known = PRESENCE_STATES.includes(state) ? state : "offline";
  return appearOffline ? `${known}, appearing offline` : known;
}

/** The states of the people the server lets this user see, and the user's own. ``onChange``
 * subscribers run when a state changes, not when the same state is heard again. */
export class PresenceStore {
  constructor({ userId }) {
    this.userId = Number(userId);
    this.states = new Map(); // user id -> "online" | "away" (offline: absent)
    this.self = { state: "offline", appearOffline: false };
    this.listeners = new Set();
  }

  subscribe(listener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit() {
    for (const listener of this.listeners) listener(this);
  }

  /** Return a person's state: "online", "away" or "offline" (anyone not heard of). */
  stateOf(userId) {
    const id = Number(userId);
    if (id === this.userId) return this.self.state;
    return this.states.get(id) || "offline";
  }

  /** Return what to say of a person (the user themself: "…, appearing offline" if so). */
  labelOf(userId) {
    const mine = Number(userId) === this.userId;
    return presenceLabel(this.stateOf(userId), { appearOffline: mine && this.self.appearOffline });
  }

  /** A server event: presence.snapshot (replaces all), presence (one person) or
   * presence.self (this user's own state). Return whether anything changed. */
  heard(event) {
    let changed = false;
    if (event.type === "presence.snapshot") {
      const states = new Map();
      for (const [id, state] of Object.entries(event.users || {})) {
        if (state !== "offline") states.set(Number(id), state);
      }
      changed = !sameStates(states, this.states);
      this.states = states;
      if (event.self) changed = this.setSelf(event.self) || changed;
    } else if (event.type === "presence.self") {
      changed = this.setSelf(event);
    } else if (event.type === "presence") {
      const id = Number(event.user_id); // this user's own: stateOf keeps presence.self's
      const before = this.stateOf(id);
      if (event.state === "offline") this.states.delete(id);
      else this.states.set(id, event.state);
      changed = before !== this.stateOf(id);
    }
    if (changed) this.emit();
    return changed;
  }

  setSelf({ state, appear_offline: appearOffline }) {
    const next = { state: state || "offline", appearOffline: Boolean(appearOffline) };
    const changed = next.state !== this.self.state || next.appearOffline !== this.self.appearOffline;
    this.self = next;
    return changed;
  }
}

function sameStates(a, b) {
  if (a.size !== b.size) return false;
  for (const [id, state] of a) if (b.get(id) !== state) return false;
  return true;
}

/** This tab's state: ``send(state)`` says "active" each time the socket opens (``connected``)
 * and on the first input after being idle, and "idle" once after ``idleMs`` without input
 * (a hidden tab gets none). ``input()`` is cheap: it only notes the time. */
export class PresenceReporter {
  constructor({ send, idleMs = PRESENCE_IDLE_MS, timers = globalThis, now = () => Date.now() }) {
    this.send = send;
    this.idleMs = idleMs;
    this.timers = timers;
    this.now = now;
    this.state = "active";
    this.lastInput = now();
    this.timer = null;
  }

  /** The socket (re)opened: tell the server this tab's state (its first presence frame). */
  connected() {
    this.send(this.state);
    this.schedule();
  }

  /** The person did something in this tab (a key, the pointer, focus, the tab shown). */
  input() {
    this.lastInput = this.now();
    if (this.state === "idle") {
      this.state = "active";
      this.send("active");
      this.schedule();
    } else if (this.timer === null) {
      this.schedule();
    }
  }

  schedule() {
    this.timers.clearTimeout(this.timer);
    const left = Math.max(0, this.lastInput + this.idleMs - this.now());
    this.timer = this.timers.setTimeout(() => this.check(), left);
  }

  check() {
    this.timer = null;
    if (this.state === "idle") return;
    if (this.now() - this.lastInput >= this.idleMs) {
      this.state = "idle";
      this.send("idle");
      return;
    }
    this.schedule(); // there was input since: wait for the rest
  }

  stop() {
    this.timers.clearTimeout(this.timer);
    this.timer = null;
  }
}
