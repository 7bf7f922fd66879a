// The E2E dialogs of templates/e2e/dialogs.html (native <dialog> + showModal: focus stays
// inside, Escape closes):
//   password  the generated E2E password to save, with Copy and "I have saved it"
//   unlock    enter the E2E password to unlock the keys on this device; "Forgot it?"
//   reset     what a reset means, and the reset itself (then the new password is shown)
// The work is done by `controls` (boot.js); this module only draws. Progress goes to
// role="status" lines, errors to role="alert" ones.

import { byId, setMessage } from "../lib/dom.js";
import { focusMain } from "./banner_ui.js";
import { identityErrorMessage, isLoginPasswordError, isWrongPassword } from "./identity_errors.js";

/** Copy ``text`` to the clipboard and say so in ``status``; if the browser refuses, select
 * the text in ``node`` so the user can copy it by hand. */
export async function copyText(text, node, status) {
  try {
    await navigator.clipboard.writeText(text);
    setMessage(status, "Copied to the clipboard.");
  } catch {
    const range = document.createRange();
    range.selectNodeContents(node);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    setMessage(status, "This browser blocked copying. The password is selected: press Ctrl+C (⌘C on a Mac).");
  }
}

function openDialog(dialog, focus) {
  if (!dialog.open) dialog.showModal();
  focus?.focus();
}

/** Close buttons, backdrop clicks, no closing while a step runs, and a sane focus after. */
function wire(dialog, isBusy) {
  for (const button of dialog.querySelectorAll("[data-close-dialog]")) {
    button.addEventListener("click", () => {
      if (!isBusy()) dialog.close("cancel");
    });
  }
  dialog.addEventListener("click", (event) => {
    if (event.target === dialog && !isBusy()) dialog.close("cancel");
  });
  dialog.addEventListener("cancel", (event) => {
    if (isBusy()) event.preventDefault();
  });
  dialog.addEventListener("close", () => {
    // The opener (a banner button) may be gone by now: do not leave the focus on <body>.
    setTimeout(() => {
      if (document.activeElement === document.body && !document.querySelector("dialog[open]")) {
        focusMain();
      }
    });
  });
}

function setBusy(form, busy) {
  form.classList.toggle("busy", busy);
  form.setAttribute("aria-busy", busy ? "true" : "false");
  for (const button of form.querySelectorAll("button")) button.disabled = busy;
}

/**
 * Wire the dialogs; return {showPassword, unlock, forgot, reset, closeAll}, or null when the
 * page has no E2E dialogs. ``controls``: {pendingPassword(), confirmSaved(), unlock(password),
 * reset(loginPassword) -> new password}.
 */
export function initPasswordDialogs(controls) {
  const passwordDialog = byId("e2e-password-dialog");
  if (!passwordDialog) return null;
  const dialogs = [passwordDialog, byId("e2e-unlock-dialog"), byId("e2e-reset-dialog")];
  const busy = new Set();

  // The generated password ------------------------------------------------------------------
  const passwordForm = byId("e2e-password-form");
  const passwordTitle = byId("e2e-password-title");
  const passwordShown = byId("e2e-password-shown");
  const passwordValue = byId("e2e-password-value");
  const passwordElsewhere = byId("e2e-password-elsewhere");
  const passwordCopied = byId("e2e-password-copied");
  const passwordError = byId("e2e-password-error");
  const copyButton = byId("e2e-password-copy");
  wire(passwordDialog, () => busy.has(passwordDialog));
  passwordDialog.addEventListener("close", () => {
    passwordValue.textContent = "";
    setMessage(passwordCopied, "");
    setMessage(passwordError, "");
  });
  copyButton.addEventListener("click", () => copyText(passwordValue.textContent, passwordValue, passwordCopied));
  passwordForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    setMessage(passwordError, "");
    busy.add(passwordDialog);
    setBusy(passwordForm, true);
    try {
      await controls.confirmSaved();
      busy.delete(passwordDialog);
      passwordDialog.close("saved");
    } catch (error) {
      setMessage(passwordError, identityErrorMessage(error));
    } finally {
      busy.delete(passwordDialog);
      setBusy(passwordForm, false);
    }
  });

  /** Show the password to save: ``password``, else the one pending on this device. */
  async function showPassword({ password = null, fresh = false } = {}) {
    const value = password ?? (await controls.pendingPassword());
    passwordTitle.textContent = fresh ? "Your new encryption password" : "Save your encryption password";
    passwordValue.textContent = value || "";
    passwordShown.hidden = !value;
    passwordElsewhere.hidden = Boolean(value);
    setMessage(passwordCopied, "");
    setMessage(passwordError, "");
    openDialog(passwordDialog, value ? copyButton : byId("e2e-password-saved"));
  }

  // Unlock -------------------------------------------------------------------------------------
  const unlockDialog = byId("e2e-unlock-dialog");
  const unlockForm = byId("e2e-unlock-form");
  const unlockInput = byId("e2e-unlock-password");
  const unlockError = byId("e2e-unlock-error");
  const unlockStatus = byId("e2e-unlock-status");
  const unlockShow = byId("e2e-unlock-show");
  wire(unlockDialog, () => busy.has(unlockDialog));
  const setUnlockError = (message) => {
    setMessage(unlockError, message);
    unlockInput.setAttribute("aria-invalid", message ? "true" : "false");
  };
  unlockShow.addEventListener("change", () => {
    unlockInput.type = unlockShow.checked ? "text" : "password";
  });
  unlockInput.addEventListener("input", () => setUnlockError(""));
  unlockDialog.addEventListener("close", () => {
    unlockForm.reset();
    unlockInput.type = "password";
    setUnlockError("");
    setMessage(unlockStatus, "");
  });
  unlockForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const password = unlockInput.value.trim();
    if (!password) {
      setUnlockError("Enter your encryption password.");
      unlockInput.focus();
      return;
    }
    setUnlockError("");
    setMessage(unlockStatus, "Unlocking your keys…");
    busy.add(unlockDialog);
    setBusy(unlockForm, true);
    // Read-only rather than disabled: the field keeps the focus for another try.
    unlockInput.readOnly = true;
    try {
      await controls.unlock(password);
      setMessage(unlockStatus, "");
      busy.delete(unlockDialog);
      unlockDialog.close("unlocked");
    } catch (error) {
      setMessage(unlockStatus, "");
      setUnlockError(identityErrorMessage(error));
      unlockInput.focus();
      if (isWrongPassword(error)) unlockInput.select();
    } finally {
      busy.delete(unlockDialog);
      unlockInput.readOnly = false;
      setBusy(unlockForm, false);
    }
  });
  byId("e2e-unlock-forgot").addEventListener("click", () => {
    if (busy.has(unlockDialog)) return;
    unlockDialog.close("forgot");
    reset({ forgot: true });
  });

  function unlock() {
    openDialog(unlockDialog, unlockInput);
  }

  // Reset ---------------------------------------------------------------------------------------
  const resetDialog = byId("e2e-reset-dialog");
  const resetForm = byId("e2e-reset-form");
  const resetTitle = byId("e2e-reset-title");
  const resetStatus = byId("e2e-reset-status");
  const resetError = byId("e2e-reset-error");
  const resetLogin = byId("e2e-reset-login");
  const resetLoginError = byId("e2e-reset-login-error");
  const setResetLoginError = (message) => {
    setMessage(resetLoginError, message);
    resetLogin.setAttribute("aria-invalid", message ? "true" : "false");
  };
  wire(resetDialog, () => busy.has(resetDialog));
  resetLogin.addEventListener("input", () => setResetLoginError(""));
  resetDialog.addEventListener("close", () => {
    // The login password is not kept in the page once the dialog is gone.
    resetLogin.value = "";
    setResetLoginError("");
    setMessage(resetStatus, "");
    setMessage(resetError, "");
  });
  byId("e2e-reset-back").addEventListener("click", () => {
    if (busy.has(resetDialog)) return;
    resetDialog.close("back");
    unlock();
  });
  resetForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    setMessage(resetError, "");
    setResetLoginError("");
    const loginPassword = resetLogin.value;
    if (!loginPassword) {
      setResetLoginError("Enter your login password to confirm the reset.");
      resetLogin.focus();
      return;
    }
    setMessage(resetStatus, "Making your new encryption keys…");
    busy.add(resetDialog);
    setBusy(resetForm, true);
    resetLogin.readOnly = true;
    try {
      const password = await controls.reset(loginPassword);
      busy.delete(resetDialog);
      resetDialog.close("reset");
      await showPassword({ password, fresh: true });
    } catch (error) {
      setMessage(resetStatus, "");
      if (isLoginPasswordError(error)) {
        // The typed password stays, selected, for another try.
        setResetLoginError(identityErrorMessage(error));
        resetLogin.readOnly = false;
        resetLogin.focus();
        resetLogin.select();
      } else {
        setMessage(resetError, identityErrorMessage(error));
      }
    } finally {
      busy.delete(resetDialog);
      resetLogin.readOnly = false;
      setBusy(resetForm, false);
    }
  });

  /** Explain a reset and offer it; ``forgot``: reached from "Forgot it?" (with "Back"). */
  function reset({ forgot = false } = {}) {
    const mode = forgot ? "forgot" : "reset";
    resetTitle.textContent = forgot ? "Forgot your encryption password?" : "Reset your encryption keys?";
    for (const node of resetDialog.querySelectorAll("[data-reset-when]")) {
      node.hidden = node.dataset.resetWhen !== mode;
    }
    // The safe choice has the focus: Escape or Enter on it changes nothing.
    openDialog(resetDialog, resetDialog.querySelector(`button[data-reset-when="${mode}"]`));
  }

  /** Close every E2E dialog (E2E was switched off, or the user is leaving). */
  function closeAll() {
    for (const dialog of dialogs) {
      busy.delete(dialog);
      if (dialog.open) dialog.close("cancel");
    }
  }

  return { showPassword, unlock, forgot: () => reset({ forgot: true }), reset, closeAll };
}
