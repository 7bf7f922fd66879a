// Entry point of the My Account pages (templates/accounts/account_base.html): the banner strip
// and local times, plus E2E's banner, dialogs and logout wipe. No chat app runs here, so there
// is no extension registry: the page starts E2E itself.

import { localizeTimes } from "../chat/time.js";
import { startE2E } from "../e2e/boot.js";
import { initBanners } from "../lib/banners_ui.js";

initBanners();
localizeTimes();
startE2E();
