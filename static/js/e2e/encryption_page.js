// Entry point of My Account -> Encryption (templates/e2e/encryption.html): whether E2E is on
// for the user, their safety number, "Change encryption password" and "Reset encryption keys".
// The banner, the dialogs and the logout wipe come from boot.js (also started by
// js/pages/account.js; starting twice is harmless). Encryption passwords typed here never leave
// the browser: only the re-encrypted key backup is sent, with the login password, which the
// server checks (a session cookie alone must not replace the backup).

import { byId, setMessage } from "../lib/dom.js";
import { currentSession, e2eControls, e2eDialogs, startE2E } from "./boot.js";
import { identityErrorMessage, isLoginPasswordError, isWrongPassword } from "./identity_errors.js";
import { copyText } from "./password_dialogs_ui.js";
import { safetyNumberOf } from "./pins.js";
import { sessionEvents } from "./session.js";

/** The rule for a password of the user's own choosing (explained next to the field). */
export const OWN_PASSWORD_MIN_LENGTH = 16;
export const OWN_PASSWORD_MIN_DISTINCT = 8;

/** Return why ``password`` is not acceptable as a new E2E password, or "" if it is. */
export function ownPasswordProblem(password) {
  const chars = [...password];
  if (chars.length < OWN_PASSWORD_MIN_LENGTH) {
    return `Use at least ${OWN_PASSWORD_MIN_LENGTH} characters (this one has ${chars.length}).`;
  }
  if (new Set(chars).size < OWN_PASSWORD_MIN_DISTINCT) {
    return `Use at least ${OWN_PASSWORD_MIN_DISTINCT} different characters: repeated ones are easy to guess.`;
  }
  return "";
}

const root = byId("encryption-page");

function setText(node, text) {
  // Re-setting the same text would make screen readers repeat it.
  if (node.textContent !== text) node.textContent = text;
}

function fieldError(input, node, message) {
  setMessage(node, message);
  input.setAttribute("aria-invalid", message ? "true" : "false");
}

// State and safety number -------------------------------------------------------------------

const STATUS = {
  none: "End-to-end encryption is on. Your encryption keys are being made in this browser…",
  locked:
    "End-to-end encryption is on, but your keys are locked on this device. Enter your encryption password to read and send encrypted messages here.",
  unlocked: "End-to-end encryption is on. Your encryption keys are unlocked on this device.",
  unsaved:
    "End-to-end encryption is on and your keys are unlocked on this device, but you have not confirmed yet that you saved your encryption password.",
};

let shownIdentity = null;

async function showSafetyNumber(session) {
  const identity = session.identity;
  if (!identity || identity === shownIdentity) return;
  shownIdentity = identity;
  const number = byId("e2e-safety-number");
  try {
    const digits = await safetyNumberOf(identity, session.userId);
    if (shownIdentity !== identity) return;
    number.replaceChildren(
      ...digits.split(" ").map((group) => Object.assign(document.createElement("span"), { textContent: group })),
    );
    number.setAttribute("aria-label", digits);
  } catch {
    number.textContent = "Your published keys do not check out. Reset your encryption keys.";
  }
}

function render(session) {
  const state = session.state;
  root.setAttribute("aria-busy", "false");
  root.dataset.state = state;
  const on = state !== "disabled";
  const hasKeys = state === "locked" || state === "unlocked";
  byId("e2e-disabled-note").hidden = on;
  byId("e2e-status-section").hidden = !on;
  byId("e2e-safety-section").hidden = !hasKeys;
  byId("e2e-change-section").hidden = !hasKeys;
  byId("e2e-reset-section").hidden = !hasKeys;
  if (!on) return;
  const unsaved = state === "unlocked" && !session.passwordSaved;
  setText(byId("e2e-status"), unsaved ? STATUS.unsaved : STATUS[state]);
  byId("e2e-status").classList.toggle("e2e-state-on", state === "unlocked" && !unsaved);
  byId("e2e-status-unlock").hidden = state !== "locked";
  byId("e2e-status-show-password").hidden = !(state === "unlocked" && !session.passwordSaved);
  if (hasKeys) showSafetyNumber(session);
}

// Change encryption password ----------------------------------------------------------------

function initChangePassword(session) {
  const controls = e2eControls();
  const form = byId("e2e-change-form");
  const current = byId("e2e-change-current");
  const currentError = byId("e2e-change-current-error");
  const generatedPanel = byId("e2e-generated-panel");
  const generatedValue = byId("e2e-generated-value");
  const generatedCopied = byId("e2e-generated-copied");
  const generatedSaved = byId("e2e-generated-saved");
  const generatedSavedError = byId("e2e-generated-saved-error");
  const ownPanel = byId("e2e-own-panel");
  const own = byId("e2e-change-new");
  const ownError = byId("e2e-change-new-error");
  const repeat = byId("e2e-change-repeat");
  const repeatError = byId("e2e-change-repeat-error");
  const login = byId("e2e-change-login");
  const loginError = byId("e2e-change-login-error");
  const formError = byId("e2e-change-error");
  const status = byId("e2e-change-status");
  const useGenerated = () => byId("e2e-new-generated").checked;
  // Right after a change the form shows no new password at all (issue 9, defect 2): a fresh one
  // shown next to "changed" would be taken for the one just saved. Touching the form again
  // starts a new change.
  let justChanged = false;

  async function regenerate() {
    setMessage(generatedCopied, "");
    generatedSaved.checked = false;
    try {
      generatedValue.textContent = await controls.generatePassword();
    } catch (error) {
      generatedValue.textContent = "";
      setMessage(formError, identityErrorMessage(error));
    }
  }

  function showKind() {
    generatedPanel.hidden = justChanged || !useGenerated();
    ownPanel.hidden = justChanged || useGenerated();
    if (!justChanged && useGenerated() && !generatedValue.textContent) regenerate();
  }

  function startAgain() {
    if (!justChanged) return;
    justChanged = false;
    showKind();
  }

  function clearErrors() {
    setMessage(formError, "");
    fieldError(current, currentError, "");
    fieldError(own, ownError, "");
    fieldError(repeat, repeatError, "");
    fieldError(login, loginError, "");
    fieldError(generatedSaved, generatedSavedError, "");
  }

  for (const radio of form.querySelectorAll("input[name='e2e-new-kind']")) {
    radio.addEventListener("change", () => {
      justChanged = false;
      showKind();
    });
  }
  byId("e2e-generated-copy").addEventListener("click", () =>
    copyText(generatedValue.textContent, generatedValue, generatedCopied),
  );
  byId("e2e-generated-again").addEventListener("click", regenerate);
  byId("e2e-change-forgot").addEventListener("click", () => e2eDialogs()?.reset());
  for (const input of [current, own, repeat, generatedSaved, login]) {
    input.addEventListener("input", () => {
      clearErrors();
      setMessage(status, "");
      startAgain();
    });
  }

  /** Return the new password, or null after showing what is wrong (focus on the field). */
  function newPassword(currentValue) {
    if (useGenerated()) {
      const value = generatedValue.textContent;
      if (!value) {
        setMessage(formError, "The generated password is not ready yet. Try again in a moment.");
        return null;
      }
      if (!generatedSaved.checked) {
        fieldError(generatedSaved, generatedSavedError, "Save the new password first, then tick this box.");
        generatedSaved.focus();
        return null;
      }
      return value;
    }
    const value = own.value.trim();
    const problem = ownPasswordProblem(value);
    if (problem) {
      fieldError(own, ownError, problem);
      own.focus();
      return null;
    }
    if (value === currentValue) {
      fieldError(own, ownError, "That is your current password. Choose a different one.");
      own.focus();
      return null;
    }
    if (repeat.value.trim() !== value) {
      fieldError(repeat, repeatError, "The two new passwords are not the same.");
      repeat.focus();
      return null;
    }
    return value;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors();
    setMessage(status, "");
    status.classList.remove("e2e-success");
    const currentValue = current.value.trim();
    if (!currentValue) {
      fieldError(current, currentError, "Enter your current encryption password.");
      current.focus();
      return;
    }
    const next = newPassword(currentValue);
    if (next === null) return;
    // Not trimmed: it is compared with the login password exactly as the user set it.
    const loginValue = login.value;
    if (!loginValue) {
      fieldError(login, loginError, "Enter your login password to confirm the change.");
      login.focus();
      return;
    }
    form.setAttribute("aria-busy", "true");
    for (const button of form.querySelectorAll("button")) button.disabled = true;
    setMessage(status, "Changing your encryption password…");
    try {
      await controls.changePassword(currentValue, next, loginValue, { generated: useGenerated() });
      form.reset();
      generatedValue.textContent = "";
      justChanged = true;
      showKind();
      status.classList.add("e2e-success");
      setMessage(
        status,
        "Done: your encryption password is changed to the one you saved. New devices now need the new password; where your keys are already unlocked nothing changes.",
      );
    } catch (error) {
      setMessage(status, "");
      if (isWrongPassword(error)) {
        fieldError(current, currentError, "That is not your current encryption password. Check it and try again.");
        current.focus();
        current.select();
      } else if (isLoginPasswordError(error)) {
        // Everything typed stays; only the login password is to be fixed.
        fieldError(login, loginError, identityErrorMessage(error));
        login.focus();
        login.select();
      } else {
        setMessage(formError, identityErrorMessage(error));
      }
    } finally {
      form.setAttribute("aria-busy", "false");
      for (const button of form.querySelectorAll("button")) button.disabled = false;
    }
  });

  sessionEvents.addEventListener("change", () => {
    if (session.state === "locked" || session.state === "unlocked") showKind();
  });
  showKind();
}

// Start ---------------------------------------------------------------------------------------

function main() {
  if (!root) return;
  startE2E();
  const session = currentSession();
  if (!session) return;
  const dialogs = e2eDialogs();
  byId("e2e-status-unlock").addEventListener("click", () => dialogs?.unlock());
  byId("e2e-status-show-password").addEventListener("click", () => dialogs?.showPassword());
  byId("e2e-reset-open").addEventListener("click", () => dialogs?.reset());
  // The session announces its first state (and every later one) with a "change".
  let wired = false;
  sessionEvents.addEventListener("change", () => {
    render(session);
    if (!wired && (session.state === "locked" || session.state === "unlocked")) {
      wired = true;
      initChangePassword(session);
    }
  });
}

main();
