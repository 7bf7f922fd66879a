// "Your encryption keys were reset on another device at 10:42. Use the new keys?" (DOM; docs/SECURITY.md
// attack 16): the modal of templates/e2e/dialogs.html (#e2e-claim-dialog, native <dialog> +
// showModal: focus stays inside, Escape closes) asked when the server shows another identity
// than the keys kept on this device. The time is the server's claim and says so. Closing it
// without an answer keeps the keys and the question (the banner's "Review" opens it again).
// The work is done by `controls` (boot.js): useNewKeys(), rejectClaim().

import { byId, setMessage } from "../lib/dom.js";
import { shortTime } from "../chat/time.js";
import { focusMain } from "./banner_ui.js";

/** Return the sentence for a claim: when the server says the keys were reset (its claim). */
export function claimText(claim) {
  const when = claim?.updatedAt ? shortTime(claim.updatedAt) : "";
  const at = when ? ` at ${when} (the time is the server's claim)` : "";
  return `Your encryption keys were reset on another device${at}. Use the new keys?`;
}

/** Wire the dialog; return {open(claim), close()} or null on a page without it. */
export function initClaimDialog(controls) {
  const dialog = byId("e2e-claim-dialog");
  if (!dialog) return null;
  const text = byId("e2e-claim-text");
  const error = byId("e2e-claim-error");
  const accept = byId("e2e-claim-accept");
  const reject = byId("e2e-claim-reject");
  let busy = false;

  function setBusy(value) {
    busy = value;
    dialog.setAttribute("aria-busy", value ? "true" : "false");
    for (const button of dialog.querySelectorAll("button")) button.disabled = value;
  }

  async function answer(step) {
    setBusy(true);
    setMessage(error, "");
    try {
      await step();
      dialog.close("answered");
    } catch (failure) {
      setMessage(error, failure?.message || "That did not work. Try again.");
    } finally {
      setBusy(false);
    }
  }

  accept.addEventListener("click", () => answer(controls.useNewKeys));
  reject.addEventListener("click", () => answer(controls.rejectClaim));
  for (const button of dialog.querySelectorAll("[data-close-dialog]")) {
    button.addEventListener("click", () => {
      if (!busy) dialog.close("cancel");
    });
  }
  dialog.addEventListener("cancel", (event) => {
    if (busy) event.preventDefault();
  });
  dialog.addEventListener("close", () => {
    if (dialog.returnValue !== "answered") controls.dismissClaim();
    setTimeout(() => {
      if (document.activeElement === document.body && !document.querySelector("dialog[open]")) {
        focusMain();
      }
    });
  });

  return {
    open(claim) {
      text.textContent = claimText(claim);
      setMessage(error, "");
      dialog.returnValue = "";
      if (!dialog.open) dialog.showModal();
      // The safe answer has the focus: Enter alone never drops the keys.
      reject.focus();
    },
    close() {
      if (dialog.open) dialog.close("answered");
    },
  };
}
