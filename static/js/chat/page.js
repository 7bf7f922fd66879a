// Entry point of the pages outside the app shell (log in, sign up, My Account).

import { initBanners } from "./banners_ui.js";
import { localizeTimes } from "./time.js";

initBanners();
localizeTimes();
