// Entry point of the My Account pages: the E2E banner and dialogs, and the logout wipe.
import { startE2E } from "./boot.js";

startE2E();
