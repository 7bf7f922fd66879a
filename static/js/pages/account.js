// Entry point of the My Account pages (templates/accounts/account_base.html): the banner strip
// and local times, the notification permission button, plus E2E's banner, dialogs and logout wipe. No chat app runs here, so there
// is no extension registry: the page starts E2E itself, and keeps a socket open so that this
// device goes on sharing room keys with members who need them (e2e/plugin.js startKeySharing).

import { connectionStatusHandler } from "../chat/connection_ui.js";
import { initNotificationSettings } from "../chat/notify_settings_ui.js";
import { ChatSocket } from "../chat/socket.js";
import { localizeTimes } from "../chat/time.js";
import { startE2E } from "../e2e/boot.js";
import { startKeySharing } from "../e2e/plugin.js";
import { initBanners } from "../lib/banners_ui.js";
import { initCopyButtons } from "../lib/copy_ui.js";

initBanners();
initCopyButtons(); // My Account -> Tokens: the new token's Copy button
localizeTimes();
initNotificationSettings(); // My Account -> Notifications: the permission button
startE2E();
const e2eConfig = document.getElementById("e2e-config");
const userId = Number(e2eConfig?.dataset.userId);
if (userId) {
  const sharing = startKeySharing(userId);
  const showStatus = connectionStatusHandler();
  const socket = new ChatSocket("/ws/", {
    // chat/routing.py (the app pages get it in their config)
    onEvent: (event) => sharing.onEvent(event),
    onStatus: (status) => {
      showStatus(status);
      if (status === "open") sharing.connected();
    },
  });
  socket.start();
}
