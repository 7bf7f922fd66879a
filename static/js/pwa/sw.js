// Keyroom's service worker (docs/ARCHITECTURE.md "Installable app"). Served at /sw.js by
// keyroom/pwa.py, so that its scope is the whole site; that view fills in SHELL below (the
// static URL prefix and the hashed URLs of the icons and stylesheet to fetch on install).
//
// It caches ONLY the static shell: GET responses under the static prefix's css/, js/, img/ and
// vendor/ folders. Every other request (pages, which carry user data; /api/; /ws/; keys;
// messages; /sw.js and the manifest) is not touched at all: the browser fetches it from the
// network as if there were no worker, so no such response can land in a cache.
"use strict";

// keyroom/pwa.py puts the real shell (hashed file names, version) between the markers.
const SHELL = /*SHELL*/ { static: "/static/", precache: [], version: "dev" }; /*END*/
const CACHE_PREFIX = "keyroom-shell-";
const CACHE = `${CACHE_PREFIX}${SHELL.version}`;
const SHELL_FOLDERS = ["css/", "js/", "img/", "vendor/"].map((folder) => SHELL.static + folder);
// ManifestStaticFilesStorage names: name.<12 hex digits>.ext. Such a URL never changes content.
const HASHED = /\.[0-9a-f]{12}\.[A-Za-z0-9]+$/;

/** Whether ``url`` is part of the static shell (the only URLs this worker answers). */
function isShell(url) {
  if (url.origin !== self.location.origin || url.search || url.hash) return false;
  return SHELL_FOLDERS.some((folder) => url.pathname.startsWith(folder));
}

/** Whether ``response`` may be stored: a plain 200 from this origin for a shell URL, not
 * redirected elsewhere, not HTML, not marked no-store. */
function storable(response) {
  if (!response || response.status !== 200 || response.type !== "basic" || response.redirected) return false;
  if (!isShell(new URL(response.url))) return false;
  if ((response.headers.get("Cache-Control") || "").includes("no-store")) return false;
  return !(response.headers.get("Content-Type") || "").startsWith("text/html");
}

async function fetchAndStore(request) {
  const response = await fetch(request);
  if (storable(response)) {
    const cache = await caches.open(CACHE);
    await cache.put(request, response.clone());
  }
  return response;
}

/** Hashed names: the cache first (they never change). Other names (a development server):
 * the network first, the cache when offline. */
async function answerShell(request, url) {
  if (HASHED.test(url.pathname)) {
    const hit = await caches.match(request, { cacheName: CACHE });
    return hit || fetchAndStore(request);
  }
  try {
    return await fetchAndStore(request);
  } catch (error) {
    const hit = await caches.match(request, { cacheName: CACHE });
    if (hit) return hit;
    throw error;
  }
}

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(SHELL.precache.filter((path) => isShell(new URL(path, self.location.href)))))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) =>
        Promise.all(names.filter((n) => n.startsWith(CACHE_PREFIX) && n !== CACHE).map((n) => caches.delete(n))),
      )
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (!isShell(url)) return; // not ours: the network, untouched and never stored
  event.respondWith(answerShell(request, url));
});
