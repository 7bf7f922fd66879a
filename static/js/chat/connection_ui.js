// The "Reconnecting…" banner (#connection-banner) and <html data-connection>, from the socket's status.

import { showBanner } from "../lib/banners_ui.js";

/** Reflect the socket state: a "Reconnecting…" banner while the connection is down. */
export function connectionStatusHandler() {
  const banner = document.getElementById("connection-banner");
  let timer = null;
  return (status) => {
    // Also on <html data-connection="...">, for styles and for tests waiting for the socket.
    document.documentElement.dataset.connection = status;
    if (!banner) return;
    clearTimeout(timer);
    if (status === "open") {
      banner.hidden = true;
    } else if (status === "unauthenticated") {
      banner.hidden = true;
      showBanner({
        id: "session",
        tone: "error",
        text: "You are logged out. Log in again to keep chatting.",
        dismissible: false,
        actions: [{ label: "Log in", onClick: () => window.location.assign("/accounts/login/") }],
      });
    } else if (status === "closed") {
      // A short grace period: a page change or a quick blip should not flash a warning.
      timer = setTimeout(() => {
        banner.hidden = false;
      }, 1500);
    }
  };
}
