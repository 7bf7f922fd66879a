// What to tell the user when an E2E identity step (set up, unlock, change password, reset)
// fails. Crypto errors carry a stable `code` and developer messages; server errors (ApiError)
// carry a message written for users. No DOM here.

const CRYPTO_MESSAGES = {
  wrong_password: "That is not your encryption password. Check it and try again (it is not your login password).",
  weak_kdf:
    "Your key backup on the server is protected too weakly, so it was refused. It may have been tampered with: tell your administrator.",
  unsupported:
    "Your key backup on the server is in a format this version of Keyroom does not accept, so it cannot be opened.",
  malformed: "Your key backup on the server is damaged, so it cannot be opened.",
};

/** Return a sentence for the user about ``error``. */
export function identityErrorMessage(error) {
  if (CRYPTO_MESSAGES[error?.code]) return CRYPTO_MESSAGES[error.code];
  if (error?.name === "ApiError" || error?.name === "Error") {
    return error.message || "Something went wrong. Try again.";
  }
  // A WebCrypto or storage failure (e.g. private browsing without IndexedDB).
  return `This browser could not do that (${error?.name || "error"}). Try again, or use another browser.`;
}

/** Whether ``error`` is the server refusing the login password (missing, wrong, or too many
 * wrong tries): shown on the login password field, whose value stays for another try. */
export function isLoginPasswordError(error) {
  return error?.code === "login_password_required" || error?.code === "too_many_attempts";
}

/** Whether ``error`` means the password given was wrong (the user should simply retry). */
export function isWrongPassword(error) {
  return error?.code === "wrong_password";
}
