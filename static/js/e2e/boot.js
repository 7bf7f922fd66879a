// E2E on a logged-in page (the app shell and My Account): starts the Session (session.js),
// makes the user's first keys when E2E is on and they have none, keeps the E2E banner and
// dialogs in step with the session, applies the live e2e.settings / e2e.state events
// (dispatch.js), and wipes this device's keys before logging out.
//
// Other modules get at the keys through two functions:
//   currentSession()  the page's Session (or null before startE2E): .state, .keys, .identity
//   whenUnlocked()    a Promise<Session> that resolves once the private keys are available
// and hear about later changes (locked again after a reset elsewhere, E2E switched off) from
// `sessionEvents` ("change") in session.js.
//
// Every step that reads or changes the session runs one at a time (`serial`): a live event
// arriving in the middle of key generation waits instead of racing it.
//
// When the server shows no identity, or another one than the keys kept here, the keys stay and
// the user is asked (session.js `claim`, key_claim_ui.js; docs/SECURITY.md attack 16). Once unlocked,
// trust_sync.js keeps the encrypted trust record in step with this device's trust database.

import { setCsrfToken } from "../lib/http.js";
import { hideE2EBanner, showE2EBanner } from "./banner_ui.js";
import { identityErrorMessage } from "./identity_errors.js";
import { claimText, initClaimDialog } from "./key_claim_ui.js";
import { initPasswordDialogs } from "./password_dialogs_ui.js";
import { forgetDevice, Session, sessionEvents } from "./session.js";
import { TrustSync } from "./trust_sync.js";

const WIPE_TIMEOUT_MS = 5000;

let config = null;
let session = null;
let started = null;
let dialogs = null;
let claimDialog = null;
let claimAsked = null; // the claim the dialog was last opened for (asked once per page)
let trustSync = null;
let channel = null;
let queue = Promise.resolve();
let leaving = false;
// "loading" (first state not known yet), "ready", "generating", "failed" (setting up the keys
// failed: `failure`), "unreachable" (the state could not be read: `failure`)
let phase = "loading";
let failure = null;
let waiters = [];

// How the trust record's merge learns whether one chain head extends another: the room
// engine, which verifies chains, registers it (setTrustHeadCheck); until then, never.
let headCheck = () => false;

/** Let the room engine answer the trust merge's "does this head extend that one?". */
export function setTrustHeadCheck(check) {
  headCheck = check;
}

/** Return the page's E2E Session, or null if E2E was not started on this page. */
export function currentSession() {
  return session;
}

/** Resolve with the Session once its private keys are available on this device (at once if
 * they are). Never resolves while E2E is off or the keys stay locked. */
export function whenUnlocked() {
  if (session?.state === "unlocked" && session.keys) return Promise.resolve(session);
  return new Promise((resolve) => waiters.push(resolve));
}

function readConfig() {
  const node = document.getElementById("e2e-config");
  if (!node?.dataset.userId) return null;
  return {
    userId: Number(node.dataset.userId),
    csrfToken: node.dataset.csrfToken || "",
    wordlistUrl: node.dataset.wordlistUrl,
    logoutUrl: node.dataset.logoutUrl,
  };
}

/** Run ``task`` after every step queued before it; return its result. */
function serial(task) {
  const run = queue.then(() => (leaving ? undefined : task()));
  queue = run.catch(() => undefined);
  return run;
}

/** Run ``task`` (one at a time), then make the first keys if the user needs them. */
function refresh(task) {
  const run = serial(async () => {
    await task();
    if (phase === "loading" || phase === "unreachable") phase = "ready";
    await ensureKeys();
    render();
  });
  return run.catch((error) => {
    phase = "unreachable";
    failure = error;
    render();
  });
}

/** Hold the setup lock of this browser (other tabs of the same user wait for it). */
function withSetupLock(task) {
  if (!navigator.locks) return task();
  return navigator.locks.request(`keyroom-e2e-setup-${config.userId}`, task);
}

/** Make and publish the user's first keys (inside `serial`). */
async function ensureKeys() {
  if (session.state !== "none" || phase === "failed") return;
  phase = "generating";
  render();
  try {
    await withSetupLock(async () => {
      // Another tab of this browser may have made them while this one waited for the lock.
      await session.load();
      if (session.state === "none") await session.setUp();
    });
    phase = "ready";
    tellOtherTabs("changed");
  } catch (error) {
    if (error?.code === "identity_exists") {
      // Another device made them first: this one unlocks with their password.
      phase = "ready";
      await session.load();
    } else {
      phase = "failed";
      failure = error;
    }
  }
}

function retrySetup() {
  phase = "ready";
  failure = null;
  refresh(() => session.load());
}

function render() {
  if (!session || leaving) return;
  // Also on <html data-e2e="...">, for styles and for tests waiting for a state.
  document.documentElement.dataset.e2e = phase === "loading" ? "loading" : session.state;
  document.documentElement.dataset.e2eClaim = session.claim?.kind || "";
  if (session.state === "disabled") {
    // Off (or not known to be on, if the first read failed): nothing to show.
    dialogs?.closeAll();
    claimDialog?.close();
    hideE2EBanner();
    return;
  }
  if (phase === "loading") return;
  if (session.claim) {
    renderClaim(session.claim);
    return;
  }
  claimDialog?.close();
  if (phase === "unreachable") {
    showE2EBanner({
      tone: "error",
      text: `Could not check your encryption keys. ${identityErrorMessage(failure)}`,
      actions: [{ label: "Try again", onClick: retrySetup }],
    });
    return;
  }
  if (session.state === "none") {
    if (phase === "failed") {
      showE2EBanner({
        tone: "error",
        text: `Could not set up your encryption keys. ${identityErrorMessage(failure)}`,
        actions: [{ label: "Try again", onClick: retrySetup }],
      });
    } else {
      showE2EBanner({ tone: "info", busy: true, text: "Generating your encryption keys…" });
    }
  } else if (session.state === "locked") {
    showE2EBanner({
      tone: "locked",
      text: "Your encryption keys are locked on this device. Enter your encryption password to read encrypted messages here.",
      actions: [{ label: "Enter password", onClick: () => dialogs?.unlock() }],
    });
  } else if (!session.passwordSaved) {
    renderSaveBanner();
  } else {
    hideE2EBanner();
  }
}

/** The server claims no identity, or another one, than the keys kept here (attack 16). */
function renderClaim(claim) {
  if (claim.kind === "no_identity") {
    showE2EBanner({
      tone: "error",
      text: "The server says you have no encryption keys, but this device has them: the server lost or hid your identity. Keyroom keeps the keys here and will not make new ones over them.",
    });
    return;
  }
  const key = `${claim.generation}:${claim.identity?.ed25519}`;
  if (!claim.rejected && claimAsked !== key) {
    claimAsked = key;
    dialogs?.closeAll();
    claimDialog?.open(claim);
  }
  showE2EBanner({
    tone: "error",
    text: claim.rejected
      ? `The server claims your encryption keys were reset on another device; you said this wasn't you. Keyroom keeps using the keys on this device. (${claimText(claim)})`
      : `The server shows other encryption keys for you than the ones on this device. ${claimText(claim)}`,
    actions: claim.rejected ? [] : [{ label: "Review", onClick: () => claimDialog?.open(claim) }],
  });
}

async function renderSaveBanner() {
  const pending = await session.pendingPassword().catch(() => null);
  if (session.state !== "unlocked" || session.passwordSaved || leaving) return;
  showE2EBanner({
    tone: "warning",
    text: pending
      ? "Save your encryption password: you need it to read encrypted messages on your other devices."
      : "Confirm that you saved your encryption password: you need it to read encrypted messages on new devices.",
    actions: [{ label: pending ? "Show password" : "Confirm", onClick: () => dialogs?.showPassword() }],
  });
}

function onSessionChange() {
  trustSync?.sessionChanged();
  if (session.state === "unlocked" && session.keys) {
    const ready = waiters;
    waiters = [];
    for (const resolve of ready) resolve(session);
  }
  render();
}

// What the dialogs and the Encryption page call: each step waits its turn.
const controls = {
  pendingPassword: () => session.pendingPassword(),
  generatePassword: () => session.generatePassword(),
  unlock: (password) => serial(() => session.unlock(password)).then(() => tellOtherTabs("changed")),
  confirmSaved: () => serial(() => session.confirmSaved()),
  changePassword: (current, next, loginPassword, options) =>
    serial(() => session.changePassword(current, next, loginPassword, options)),
  reset: (loginPassword) =>
    serial(() => session.reset(loginPassword)).then((password) => {
      tellOtherTabs("changed");
      return password;
    }),
  useNewKeys: () => serial(() => session.useNewKeys()).then(() => tellOtherTabs("changed")),
  rejectClaim: () => serial(() => session.rejectClaim()),
  // Closed without an answer: the keys and the question stay (the banner's "Review").
  dismissClaim: () => render(),
};

/** The steps the Encryption page offers (each runs in turn with live events). */
export function e2eControls() {
  return controls;
}

/** The E2E dialogs of this page ({showPassword, unlock, forgot, reset, closeAll}) or null. */
export function e2eDialogs() {
  return dialogs;
}

/** Apply a live `e2e.settings` event (the administrator changed the E2E switch). */
export function handleSettingsEvent(event) {
  if (!session || leaving) return;
  refresh(async () => {
    const wasEnabled = session.settings.enabled;
    if (event.settings.enabled && !wasEnabled) {
      // Switched on: read the user's own state afresh (keys may exist from an earlier time).
      phase = "ready";
      await session.load();
    } else {
      session.applySettings(event.settings);
    }
  });
}

/** Apply a live `e2e.state` event (this user's own state changed on another device). */
export function handleStateEvent(event) {
  if (!session || leaving) return;
  refresh(() => session.applyState(event));
}

/** Tell this user's other tabs in this browser (no secrets: only that something changed). */
function tellOtherTabs(type) {
  channel?.postMessage({ type });
}

function listenToOtherTabs() {
  if (!("BroadcastChannel" in window)) return;
  channel = new BroadcastChannel(`keyroom-e2e-${config.userId}`);
  channel.addEventListener("message", ({ data }) => {
    if (leaving) return;
    if (data?.type === "wiped") {
      // Logged out in another tab: drop the keys held by this page too.
      leaving = true;
      dialogs?.closeAll();
      hideE2EBanner();
      window.location.reload();
    } else if (data?.type === "changed") {
      refresh(() => session.load());
    }
  });
}

/** Each time the socket opens (plugin.js, onConnected) it may have missed e2e.* events: read
 * the state again. */
export function socketOpened() {
  if (session) refresh(() => session.load());
}

function isLogoutForm(form) {
  if (!(form instanceof HTMLFormElement) || !config.logoutUrl) return false;
  return new URL(form.getAttribute("action") || "", window.location.href).pathname === config.logoutUrl;
}

function withTimeout(promise, ms) {
  return Promise.race([promise, new Promise((resolve) => setTimeout(resolve, ms))]);
}

/** Logging out wipes this device's E2E databases first; then the form goes on. (If the wipe
 * hangs, the log-in page wipes again: logged_out.js.) */
function interceptLogout() {
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!isLogoutForm(form)) return;
    event.preventDefault();
    if (leaving) return;
    leaving = true;
    for (const button of form.querySelectorAll("button")) button.disabled = true;
    dialogs?.closeAll();
    claimDialog?.close();
    withTimeout(forgetDevice(session), WIPE_TIMEOUT_MS)
      .catch(() => undefined)
      .finally(() => {
        tellOtherTabs("wiped");
        HTMLFormElement.prototype.submit.call(form);
      });
  });
}

/**
 * Start E2E on this page (once; later calls return the same promise). Needs the
 * templates/e2e/dialogs.html include (its #e2e-config). Resolve with the Session once its
 * first state is known, or null on a page without E2E config.
 */
export function startE2E() {
  if (started) return started;
  config = readConfig();
  if (!config) {
    started = Promise.resolve(null);
    return started;
  }
  if (config.csrfToken) setCsrfToken(config.csrfToken);
  session = new Session(config.userId, config.wordlistUrl);
  dialogs = initPasswordDialogs(controls);
  claimDialog = initClaimDialog(controls);
  trustSync = new TrustSync(session, { extendsHead: (...heads) => headCheck(...heads) }).start();
  sessionEvents.addEventListener("change", onSessionChange);
  interceptLogout();
  listenToOtherTabs();
  started = refresh(() => session.load()).then(() => session);
  return started;
}
