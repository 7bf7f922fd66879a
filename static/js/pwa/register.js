// Register the service worker (static/js/pwa/sw.js, served at /sw.js for the whole site's
// scope; docs/ARCHITECTURE.md "Installable app"). Loaded by every page (templates/base.html).
// Only where browsers allow one: HTTPS or localhost.

if ("serviceWorker" in navigator && window.isSecureContext) {
  navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => {
    // Not installable here (e.g. storage disabled): the site works the same without it.
  });
}
