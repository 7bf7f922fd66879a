// Loaded on every logged-out page (log in, sign up: templates/base.html). Whoever logs in next
// on this device may be someone else, so no E2E database of a previous user may stay here,
// even if their logout never ran its wipe (a closed tab, an expired session).
import { wipeAllStores } from "./store.js";

wipeAllStores().finally(() => {
  // For tests and styles: the wipe has finished.
  document.documentElement.dataset.e2eWiped = "true";
});
