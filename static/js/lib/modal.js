// Modal dialogs shared by the chat and E2E UIs. It depends on no other UI module, so any module
// can use it without a cycle in the module graph (the static files' hashed names need none).
// (No word "import" in a comment above an import: collectstatic's rewrite would start there.)
import { byId } from "./dom.js";

/** Open ``dialog`` modally and focus ``focus`` (else its first field). */
export function openModal(dialog, focus = null) {
  if (dialog.open) return;
  dialog.showModal();
  (focus || dialog.querySelector("input, textarea, select, button:not([data-close-dialog])"))?.focus();
}

/** Ask a yes/no question in the page's confirm dialog; resolve true if confirmed. */
export function confirmDialog({ title, text, confirmLabel = "OK", danger = true }) {
  const dialog = byId("confirm-dialog");
  byId("confirm-title").textContent = title;
  byId("confirm-text").textContent = text;
  const ok = byId("confirm-ok");
  ok.textContent = confirmLabel;
  ok.classList.toggle("danger", danger);
  ok.classList.toggle("primary", !danger);
  dialog.returnValue = "";
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
    openModal(dialog, byId("confirm-cancel"));
  });
}
