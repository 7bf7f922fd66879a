// Entry point of the app shell (templates/app.html): the page's extension registry, with
// end-to-end encryption installed into it, handed to the chat app. The one module that knows
// both chat and e2e (docs/ARCHITECTURE.md "Browser extension points").

import { startChat } from "../chat/app.js";
import { createExtensions } from "../chat/extensions.js";
import { installE2E } from "../e2e/plugin.js";

const extensions = createExtensions();
installE2E(extensions);
startChat(extensions);
