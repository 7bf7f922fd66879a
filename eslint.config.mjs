// ESLint for Keyroom's JavaScript (`make lint` runs it; see README.md). The app's code is
// native ES modules served as they are to browsers (static/js); the tests run under Node
// (`node --test tests/js/`) or inside Chromium (tests/browser/crypto_page).
import js from "@eslint/js";
import globals from "globals";

export default [
  {
    // Never lint installed or collected code.
    ignores: ["node_modules/", ".venv/", "var/", "static/vendor/"],
  },
  js.configs.recommended,
  {
    files: ["**/*.js", "**/*.mjs"],
    languageOptions: {
      ecmaVersion: "latest",
      sourceType: "module",
    },
    rules: {
      // `const { sig: _sig, ...rest } = wire` is how the tests drop a field from a copy.
      "no-unused-vars": ["error", { ignoreRestSiblings: true }],
    },
    linterOptions: {
      reportUnusedDisableDirectives: "error",
    },
  },
  {
    // Served to the browser: the DOM and WebCrypto, nothing of Node.
    files: ["static/js/**/*.js", "tests/browser/crypto_page/**/*.js"],
    languageOptions: { globals: globals.browser },
  },
  {
    // The service worker is a classic worker script (keyroom/pwa.py serves it at /sw.js).
    files: ["static/js/pwa/sw.js"],
    languageOptions: { sourceType: "script", globals: globals.serviceworker },
  },
  {
    // Run by Node; the crypto vectors are also imported by the in-browser crypto page.
    files: ["tests/js/**/*.mjs", "tests/vectors/**/*.mjs"],
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
  },
  {
    // Maintenance scripts run by Node (scripts/vendor.mjs).
    files: ["scripts/**/*.mjs"],
    languageOptions: { globals: globals.node },
  },
];
