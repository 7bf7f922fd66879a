// Entry point of the logged-out pages (log in, sign up: templates/accounts/auth_base.html).

import { initBanners } from "../lib/banners_ui.js";
import { localizeTimes } from "./time.js";

initBanners();
localizeTimes();
