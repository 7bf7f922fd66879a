// Loaded on every logged-out page (log in, sign up: templates/base.html). Whoever logs in next
// on this device may be someone else, so no E2E secret of a previous user may stay here, even
// if their logout never ran its wipe (a closed tab, an expired session). What each user's
// device trusts (pins, known-encrypted rooms: store.js) stays, so a server that ends the
// session cannot reset trust on first use (docs/SECURITY.md, attack 14).
import { wipeAllStores } from "./store.js";

wipeAllStores().finally(() => {
  // For tests and styles: the wipe has finished.
  document.documentElement.dataset.e2eWiped = "true";
});
