// The one WebSocket of the tab: reconnects with backoff, matches acks to commands by ``ref``,
// and reports every server event (plus "hello" marked with ``reconnect``) to ``onEvent``.

export class SocketError extends Error {
  constructor(message, code, retryAfter = 0) {
    super(message);
    this.name = "SocketError";
    this.code = code;
    this.retryAfter = retryAfter; // seconds, with code "rate_limited"
  }
}

const COMMAND_TIMEOUT_MS = 15000;
const PING_EVERY_MS = 25000;
const MAX_BACKOFF_MS = 30000;

function socketUrl(path) {
  const url = new URL(path, window.location.href);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url.href;
}

export class ChatSocket {
  /** ``onEvent(event)`` gets every server event; ``onStatus(status)`` gets "connecting",
   * "open", "closed" or "unauthenticated". */
  constructor(path, { onEvent, onStatus = () => {} }) {
    this.url = socketUrl(path);
    this.onEvent = onEvent;
    this.onStatus = onStatus;
    this.ws = null;
    this.ready = false;
    this.everConnected = false;
    this.attempts = 0;
    this.nextRef = 1;
    this.pending = new Map();
    this.retryTimer = null;
    this.lastSeen = 0;
    this.stopped = false;
  }

  start() {
    window.addEventListener("online", () => this.reconnectNow());
    // A socket can sit "open" on a dead network for a long time: drop it at once, so sends
    // fall back to HTTP (and fail visibly) instead of waiting for an ack that cannot come.
    window.addEventListener("offline", () => this.ws?.close());
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") this.reconnectNow();
    });
    window.addEventListener("pagehide", () => {
      this.stopped = true;
      this.ws?.close();
    });
    setInterval(() => this.keepAlive(), PING_EVERY_MS);
    this.connect();
  }

  /** Whether commands can go over the socket now. */
  isOpen() {
    return this.ready && this.ws?.readyState === WebSocket.OPEN;
  }

  connect() {
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.onStatus("connecting");
    const ws = new WebSocket(this.url);
    this.ws = ws;
    ws.addEventListener("message", (message) => {
      if (ws !== this.ws) return;
      this.lastSeen = Date.now();
      this.handle(message.data);
    });
    ws.addEventListener("close", (close) => {
      if (ws !== this.ws) return;
      this.closed(close.code);
    });
  }

  handle(text) {
    let event;
    try {
      event = JSON.parse(text);
    } catch {
      return;
    }
    if (event.type === "hello") {
      this.ready = true;
      this.attempts = 0;
      const reconnect = this.everConnected;
      this.everConnected = true;
      this.onStatus("open");
      this.onEvent({ ...event, reconnect });
      return;
    }
    if ((event.type === "ack" || event.type === "error") && this.pending.has(event.ref)) {
      const waiter = this.pending.get(event.ref);
      this.pending.delete(event.ref);
      clearTimeout(waiter.timer);
      if (event.type === "ack") waiter.resolve(event);
      else {
        const message = event.message || "The server refused that.";
        waiter.reject(new SocketError(message, event.code, event.retry_after || 0));
      }
      return;
    }
    if (event.type === "ack" || event.type === "error" || event.type === "pong") return;
    this.onEvent(event);
  }

  closed(code) {
    this.ready = false;
    this.ws = null;
    for (const waiter of this.pending.values()) {
      clearTimeout(waiter.timer);
      waiter.reject(new SocketError("The connection dropped before the server answered.", "disconnected"));
    }
    this.pending.clear();
    if (this.stopped) return;
    if (code === 4401) {
      this.onStatus("unauthenticated");
      return;
    }
    this.onStatus("closed");
    const base = Math.min(MAX_BACKOFF_MS, 500 * 2 ** this.attempts);
    this.attempts += 1;
    this.retryTimer = setTimeout(() => this.connect(), base / 2 + Math.random() * (base / 2));
  }

  /** Skip the backoff wait (the network came back, or the tab became visible). */
  reconnectNow() {
    if (this.stopped || this.ws || !this.retryTimer) return;
    this.connect();
  }

  keepAlive() {
    if (!this.isOpen()) return;
    if (Date.now() - this.lastSeen > 2 * PING_EVERY_MS + 5000) {
      // Two pings went unanswered: the connection is dead even if the browser has not noticed.
      this.ws.close();
      return;
    }
    this.ws.send(JSON.stringify({ type: "ping" }));
  }

  /** Send a command that wants no answer (typing): no ref, so the server sends no ack (it still
   * sends an error, which is dropped here). Return whether it went out. */
  notify(command) {
    if (!this.isOpen()) return false;
    this.ws.send(JSON.stringify(command));
    return true;
  }

  /** Send a command; resolve with its ack, reject with a SocketError (``code``, ``message``). */
  send(command) {
    if (!this.isOpen()) {
      return Promise.reject(new SocketError("Not connected to the server.", "not_connected"));
    }
    const ref = String(this.nextRef++);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(ref);
        reject(new SocketError("The server did not answer in time.", "timeout"));
      }, COMMAND_TIMEOUT_MS);
      this.pending.set(ref, { resolve, reject, timer });
      this.ws.send(JSON.stringify({ ...command, ref }));
    });
  }
}

/** Whether a failed command may succeed if sent again (same client_id: the server dedupes).
 * "rate_limited" does after ``error.retryAfter`` seconds. */
const TRANSIENT = ["not_connected", "disconnected", "timeout", "network", "server_error", "rate_limited"];

export function isTransient(error) {
  return TRANSIENT.includes(error?.code);
}
