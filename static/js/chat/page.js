// Entry point of the pages outside the app shell (log in, sign up, My Account).

import { initBanners } from "../lib/banners_ui.js";
import { localizeTimes } from "./time.js";

initBanners();
localizeTimes();
