"""The installable app: the web app manifest and the service worker, both at the site's root.

The worker's source is ``static/js/pwa/sw.js``; it is served from ``/sw.js`` (not from
``/static/``) so that its scope is the whole site without a ``Service-Worker-Allowed`` header.
This view fills in its ``SHELL`` (the static prefix, the hashed URLs to fetch on install, a
version that changes with them, so a deploy installs a new worker that drops the old cache).
It caches only the static shell (docs/ARCHITECTURE.md "Installable app"). Neither response
carries user data; both are public.
"""

import hashlib
import json
import re
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.templatetags.static import static
from django.views.decorators.http import require_GET

THEME_COLOUR = "#3451c7"  # --accent of the light theme (static/css/keyroom.css)
WORKER_SOURCE = "js/pwa/sw.js"
# Fetched when the worker installs; everything else of the shell is stored as pages use it.
PRECACHE = ("css/keyroom.css", "img/icon.svg", "img/icon-192.png", "img/icon-512.png")
# The block and the statement's end, wherever a formatter put the semicolon (before or after
# the end marker): the worker gets ``const SHELL = {...};``.
_SHELL = re.compile(r"/\*SHELL\*/.*?;?\s*/\*END\*/;?", re.DOTALL)


def _worker_text(source: str, shell_json: str) -> str:
    if not _SHELL.search(source):
        raise ImproperlyConfigured(f"{WORKER_SOURCE} has no /*SHELL*/ ... /*END*/ block")
    return _SHELL.sub(lambda _: shell_json + ";", source, count=1)


def service_worker_script() -> str:
    """Return the worker's JavaScript with its SHELL filled in."""
    path = finders.find(WORKER_SOURCE)
    if not path:
        raise ImproperlyConfigured(f"static file {WORKER_SOURCE} not found")
    source = Path(path).read_text(encoding="utf-8")
    shell = {"static": settings.STATIC_URL, "precache": [static(name) for name in PRECACHE]}
    digest = hashlib.sha256((source + json.dumps(shell, sort_keys=True)).encode()).hexdigest()
    shell["version"] = digest[:12]
    return _worker_text(source, json.dumps(shell, sort_keys=True))


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """Serve the service worker for the scope ``/``; browsers check it for updates on each
    visit (no-cache), so a deploy reaches them at once."""
    response = HttpResponse(service_worker_script(), content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def manifest(request: HttpRequest) -> JsonResponse:
    """Serve the web app manifest (name, icons, standalone display, start at ``/``)."""
    data = {
        "id": "/",
        "name": "Keyroom",
        "short_name": "Keyroom",
        "description": "Team chat with end-to-end encrypted private groups and direct messages.",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": THEME_COLOUR,
        "icons": [
            {"src": static("img/icon.svg"), "sizes": "any", "type": "image/svg+xml"},
            {"src": static("img/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("img/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {
                "src": static("img/icon-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
    }
    response = JsonResponse(data, content_type="application/manifest+json")
    response["Cache-Control"] = "no-cache"
    return response
