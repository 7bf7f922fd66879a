// Shared pieces of the encrypted-rooms engine (no DOM): one room's crypto state, its errors and
// texts, and the session helpers (boot.js). The events it reports are on engine.events
// (rooms_engine.js).

import * as boot from "./boot.js";

/** Placeholder texts by failure (rooms_ui.js shows them in place of the message). */
export const FAILURE_TEXTS = {
  no_key: "Waiting for a member to come online to share the key",
  locked: "Unlock encryption to read this message",
  bad_signature: "Signature invalid",
  tampered: "Message was tampered with",
  unsupported: "Message was tampered with",
  malformed: "Message was tampered with",
  key_changed: "Sender's key changed",
  not_member: "Not from a member: the room's signed record never had this sender",
  no_chain: "Cannot be checked: this room's signed record of members and keys is not trusted",
};

export const PLAINTEXT_REFUSED = "This room was end-to-end encrypted; Keyroom will not send it in plain text";

/** An E2E step that failed for a reason the user can act on. ``retryable``: sending again
 * later may work (the key arrives, the keys get unlocked). */
export class E2EError extends Error {
  constructor(message, code, { retryable = false } = {}) {
    super(message);
    this.name = "E2EError";
    this.code = code;
    this.retryable = retryable;
  }
}

export const { currentSession, setTrustHeadCheck, whenUnlocked } = boot;

/** Resolve once the page's E2E session has read its first state (boot.js; idempotent). */
export function sessionSettled() {
  return boot.startE2E ? boot.startE2E().catch(() => null) : Promise.resolve(currentSession());
}

/** The signed-in session if its private keys are available on this device, else null. */
export function sessionWithKeys() {
  const session = currentSession();
  return session?.keys ? session : null;
}

/** Return the unlocked session, or throw an E2EError saying what to do. */
export function requireKeys() {
  const session = sessionWithKeys();
  if (session) return session;
  if (currentSession()?.state === "none") {
    throw new E2EError("Your encryption keys are still being set up. Try again in a moment.", "e2e_none", {
      retryable: true,
    });
  }
  throw new E2EError(
    "Your encryption keys are locked on this device. Unlock them with your encryption password (the banner at the top of the page), then try again.",
    "e2e_locked",
    { retryable: true },
  );
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Let the page render and handle input between batches. */
export const yieldToPage = () => new Promise((resolve) => setTimeout(resolve, 0));

/** Return a fresh room uid (crypto.randomUUID, or a v4 UUID on a non-secure context). */
export function randomUid() {
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** One room's crypto state on this page. Members, their identities and the current key come
 * from ``chain`` (the verified room-state chain, rooms_chain.js); the server's word is kept
 * only for what it may decide (whether a rotation is due, who is still in the room). */
export class RoomState {
  constructor(roomId) {
    this.roomId = roomId;
    this.uid = null; // the room id every signature and AD uses (pinned on this device)
    this.serverEncrypted = false;
    this.entries = []; // the chain's entries as verified on this page
    this.hashes = []; // their hashes (base64url), index for index
    this.chain = null; // the verified chain state (roomstate.js), or null
    this.chainTrouble = null; // why the server's chain is refused: fork, rollback, invalid, missing
    this.chainLoading = null; // Promise of the running chain load (they run one at a time)
    this.rotationDue = false; // the server says someone left (or the schedule says so)
    this.keys = new Map(); // key id -> Uint8Array (memory only, never stored)
    this.members = null; // Set of member ids, as the server lists them (can only remove people)
    this.refused = new Set(); // "kid:sender" of envelopes refused (counted once each)
    this.loaded = null; // Promise of the first load
    this.loading = null;
    this.loadedWithKeys = false;
    this.serving = null; // Promise of a running share-on-need pass
    this.serveAgain = false;
  }

  get currentKeyId() {
    return this.chain?.currentKeyId || null;
  }

  get shareHistory() {
    return this.chain ? this.chain.shareHistory : true;
  }

  epochOf(keyId) {
    return this.chain?.keys.get(keyId)?.epoch || 0;
  }

  holdsAny() {
    return this.keys.size > 0;
  }

  /** The people who may receive this room's keys: members of the verified chain who are still
   * in the room as the server lists it (the server can take people out, never add them). */
  keyRecipients() {
    if (!this.chain) return new Set();
    const chainMembers = [...this.chain.members.keys()].map(Number);
    return new Set(chainMembers.filter((id) => !this.members || this.members.has(id)));
  }
}
