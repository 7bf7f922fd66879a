from django.contrib import admin
from django.urls import include, path

from keyroom import pwa
from keyroom.api import api
from keyroom.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    # At the root: the worker's scope is the directory it is served from.
    path("sw.js", pwa.service_worker, name="service_worker"),
    path("manifest.webmanifest", pwa.manifest, name="manifest"),
    path("admin/", admin.site.urls),
    # The JSON API (chat/api.py, e2e/api/) and its OpenAPI description at /api/schema/.
    path("api/", api.urls),
    path("accounts/", include("accounts.urls")),
    path("", include("e2e.urls")),
    path("", include("chat.urls")),
]
