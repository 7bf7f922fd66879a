// The signed-in user's E2E state on this page: the admin switch, the user's own identity and,
// once unlocked, its non-extractable private keys (from this device's store). No DOM here:
// banner_ui.js, the dialogs and the Encryption page drive it and listen to `sessionEvents`.
import {
  createIdentityWithBackup,
  generatePassword,
  normalizePassphrase,
  parseWordlist,
  rewrapBackup,
  unlockCandidates,
  unlockBackup,
  WrongPasswordError,
} from "../crypto/index.js";
import * as api from "./api.js";
import { clearPendingPassword, loadPendingPassword, savePendingPassword, Store, wipeAllStores } from "./store.js";

/** Fired as "change" whenever `session.state` or the settings change. */
export const sessionEvents = new EventTarget();
// The "identity" record of keys made by setUp whose publishing was not yet seen answered.
const UNPUBLISHED = "unpublished";

let wordlist = null;

/** Fetch the shipped EFF wordlist once (static/e2e/eff_large_wordlist.txt). */
export async function loadWordlist(url) {
  if (!wordlist) {
    const response = await fetch(url, { credentials: "same-origin" });
    if (!response.ok) throw new Error("Could not load the password word list.");
    wordlist = parseWordlist(await response.text());
  }
  return wordlist;
}

/** Run ``attempt(password)`` with each of ``unlockCandidates(typed)`` until one is not a wrong
 * password: the exact input first, then (a generated passphrase typed on a phone: a capital,
 * a double space) its normal form. docs/PROTOCOL.md, section 5. */
async function withTypedPassword(typed, url, attempt) {
  const candidates = unlockCandidates(typed, await loadWordlist(url));
  for (const [i, password] of candidates.entries()) {
    try {
      return await attempt(password);
    } catch (error) {
      if (!(error instanceof WrongPasswordError) || i === candidates.length - 1) throw error;
    }
  }
}

function sameIdentity(a, b) {
  return Boolean(a && b) && a.ed25519 === b.ed25519 && a.x25519 === b.x25519;
}

/**
 * The E2E session. `state` is one of:
 *   "disabled"  the administrator has not enabled E2E
 *   "none"      enabled, and this user has no keys yet (the browser generates them)
 *   "locked"    the user has keys, but not on this device: the E2E password unlocks them
 *   "unlocked"  private keys are available here (`keys`)
 *
 * A browser never deletes its keys because the server says so (docs/SECURITY.md, attack 16). When the
 * server shows no identity, or another one than the keys kept here, `claim` says so and the
 * keys stay until the user answers on this device:
 *   {kind: "no_identity"}                       the server lost or hid the identity: never
 *                                               replaced by new keys without asking
 *   {kind: "other_identity", identity, generation, updatedAt, rejected}
 *                                               a reset on another device, or a substitution:
 *                                               `useNewKeys()` or `rejectClaim()`
 */
export class Session {
  constructor(userId, wordlistUrl) {
    this.userId = Number(userId);
    this.wordlistUrl = wordlistUrl;
    this.state = "disabled";
    this.settings = { enabled: false };
    this.identity = null; // the published public identity
    this.generation = 0;
    this.passwordSaved = true;
    this.keys = null; // {signingKey, agreementKey, publicIdentity}
    this.store = null;
    this.claim = null; // what the server claims that this device did not do (see above)
    this.updatedAt = null; // the server's time of its identity's last change (its claim)
  }

  async load() {
    this.store = this.store || (await Store.open(this.userId));
    const state = await api.getState();
    if (!(await this.store.get("identity", "self"))) await this.#resumeSetUp(state);
    this.settings = state.settings;
    this.identity = state.identity;
    this.generation = state.generation;
    this.passwordSaved = state.password_saved;
    this.updatedAt = state.updated_at || null;
    const local = await this.store.get("identity", "self");
    const rejected = this.claim?.rejected && sameIdentity(this.claim.identity, this.identity);
    this.claim = null;
    this.keys = local || null;
    if (local && this.settings.enabled && !this.identity) {
      // The server says this user has no keys, yet this device has them: it lost or hid the
      // identity. Keep the keys; never make new ones over them without the user asking.
      this.claim = { kind: "no_identity" };
    } else if (local && this.identity && !sameIdentity(local.publicIdentity, this.identity)) {
      // A reset on another device, or a server substituting the identity: only the user can
      // tell. The keys stay until they answer (useNewKeys / rejectClaim).
      this.claim = {
        kind: "other_identity",
        identity: this.identity,
        generation: this.generation,
        updatedAt: this.updatedAt,
        rejected: Boolean(rejected),
      };
    }
    if (this.passwordSaved && !this.claim) await clearPendingPassword(this.store);
    this.#settle();
    return this;
  }

  #settle() {
    const before = this.state;
    if (!this.settings.enabled) this.state = "disabled";
    else if (this.claim)
      this.state = "unlocked"; // the keys kept here, while the user decides
    else if (!this.identity) this.state = "none";
    else this.state = this.keys ? "unlocked" : "locked";
    sessionEvents.dispatchEvent(new CustomEvent("change", { detail: { before, state: this.state } }));
  }

  /** Apply settings pushed live (e2e.settings) without reloading. */
  applySettings(settings) {
    this.settings = settings;
    this.#settle();
  }

  /** Apply the user's own state pushed live from another device (e2e.state). */
  async applyState({ generation, password_saved: saved }) {
    this.passwordSaved = saved;
    if (saved && this.store) await clearPendingPassword(this.store);
    if (generation !== this.generation) return this.load();
    this.#settle();
    return this;
  }

  async #remember(unlocked, generation) {
    this.keys = {
      signingKey: unlocked.signingKey,
      agreementKey: unlocked.agreementKey,
      publicIdentity: unlocked.publicIdentity,
      generation,
    };
    await this.store.put("identity", "self", this.keys);
  }

  /** Accept the server's other identity ("Use the new keys"): drop the keys kept here (they
   * are no longer this user's identity) and lock; the password of the new backup unlocks. */
  async useNewKeys() {
    if (this.claim?.kind !== "other_identity") return;
    await this.store.delete("identity", "self");
    await clearPendingPassword(this.store);
    this.keys = null;
    this.claim = null;
    this.#settle();
  }

  /** Refuse the server's other identity ("This wasn't me"): keep the keys and the state; the
   * claim stays, marked rejected, so a persistent warning can say what the server claims. */
  rejectClaim() {
    if (this.claim?.kind !== "other_identity") return;
    this.claim = { ...this.claim, rejected: true };
    this.#settle();
  }

  /** Make this user's first keys with a generated password; return the password. */
  async setUp() {
    const password = generatePassword(await loadWordlist(this.wordlistUrl));
    const made = await createIdentityWithBackup(String(this.userId), password);
    // Kept on this device before the server hears of them: a page left between the publish and
    // its answer (a click, a reload) must not leave an identity on the server whose keys and
    // password no device has. The next load finishes the job (#resumeSetUp).
    await this.store.put("identity", UNPUBLISHED, { ...made });
    await savePendingPassword(this.store, password);
    const published = await api.publishIdentity(made.publicIdentity, made.backup);
    await this.#remember(made, published.generation);
    await this.store.delete("identity", UNPUBLISHED);
    this.identity = made.publicIdentity;
    this.generation = published.generation;
    this.passwordSaved = false;
    this.#settle();
    return password;
  }

  /** Finish a first set-up that a page left half-way (setUp): keys made and kept here, whose
   * publishing this device never saw answered. If the server has them, they are this user's
   * keys; if it has none, publish them now; if it has other keys (another device was first),
   * these never served anyone and are dropped with their password. */
  async #resumeSetUp(state) {
    const made = await this.store.get("identity", UNPUBLISHED);
    if (!made) return;
    if (state.identity && sameIdentity(made.publicIdentity, state.identity)) {
      await this.#remember(made, state.generation);
    } else if (!state.identity && state.settings.enabled) {
      try {
        const published = await api.publishIdentity(made.publicIdentity, made.backup);
        await this.#remember(made, published.generation);
        state.identity = made.publicIdentity;
        state.generation = published.generation;
        state.password_saved = false;
      } catch (error) {
        if (error?.code !== "identity_exists") throw error; // try again on the next load
        return this.#resumeSetUp(await api.getState());
      }
    } else if (state.identity) {
      await clearPendingPassword(this.store);
    } else {
      return; // E2E is off: keep them for when it is on again
    }
    await this.store.delete("identity", UNPUBLISHED);
  }

  /** The generated password not yet confirmed as saved (this device only), or null. */
  pendingPassword() {
    return loadPendingPassword(this.store);
  }

  /** Record that the user saved the password: the banner goes on every device. */
  async confirmSaved() {
    await api.confirmPasswordSaved();
    await clearPendingPassword(this.store);
    this.passwordSaved = true;
    this.#settle();
  }

  /** Unlock the keys on this device; throws WrongPasswordError for a wrong password. */
  async unlock(password) {
    if (this.claim) throw new Error("Answer the question about your encryption keys first.");
    const { backup, generation } = await api.getBackup();
    const unlocked = await withTypedPassword(password.trim(), this.wordlistUrl, (candidate) =>
      unlockBackup(backup, candidate, String(this.userId)),
    );
    if (!sameIdentity(unlocked.publicIdentity, this.identity)) {
      throw new Error("The keys in your backup do not match your published identity.");
    }
    await this.#remember(unlocked, generation);
    this.#settle();
  }

  /** Replace the E2E password; the identity stays, so rooms keep working. The server checks
   * ``loginPassword`` (the user's login password) before it takes the new backup. A generated
   * ``next`` ({generated: true}) is stored in normal form; one of the user's own is kept exact. */
  async changePassword(current, next, loginPassword, { generated = false } = {}) {
    const { backup } = await api.getBackup();
    const stored = generated ? normalizePassphrase(next) : next.trim();
    const rewrapped = await withTypedPassword(current.trim(), this.wordlistUrl, (candidate) =>
      rewrapBackup(backup, candidate, stored, String(this.userId)),
    );
    await api.replaceBackup(rewrapped, loginPassword);
    await clearPendingPassword(this.store);
    this.passwordSaved = true;
    this.#settle();
  }

  /** Generate a fresh password from the word list (for "use a generated password"). */
  async generatePassword() {
    return generatePassword(await loadWordlist(this.wordlistUrl));
  }

  /** Replace the identity with a new one and a new generated password; return the password.
   * The server checks ``loginPassword`` (the user's login password) first. */
  async reset(loginPassword) {
    if (this.claim) throw new Error("Answer the question about your encryption keys first.");
    const password = await this.generatePassword();
    const made = await createIdentityWithBackup(String(this.userId), password);
    const result = await api.resetIdentity(made.publicIdentity, made.backup, loginPassword);
    await this.#remember(made, result.generation);
    await savePendingPassword(this.store, password);
    this.identity = made.publicIdentity;
    this.generation = result.generation;
    this.passwordSaved = false;
    this.#settle();
    return password;
  }
}

/** Forget every key on this device (called before logging out). What this device trusts
 * (pins, known-encrypted rooms) stays: store.js. */
export async function forgetDevice(session) {
  if (session && session.store) session.store.close();
  await wipeAllStores();
}
