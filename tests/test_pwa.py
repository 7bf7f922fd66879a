"""The installable app: the manifest and the service worker served at the site's root."""

import json

import pytest
from django.test import Client

from keyroom.pwa import service_worker_script

pytestmark = pytest.mark.django_db


def test_manifest_describes_a_standalone_app():
    """``/manifest.webmanifest`` is public, of the manifest type, standalone, starts at ``/``
    and lists PNG icons of 192 and 512 pixels and an SVG one that exist."""
    response = Client().get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    data = json.loads(response.content)
    assert (data["start_url"], data["scope"], data["display"]) == ("/", "/", "standalone")
    assert data["name"] == "Keyroom" and data["theme_color"].startswith("#")
    sizes = {icon["sizes"] for icon in data["icons"]}
    assert {"192x192", "512x512", "any"} <= sizes
    for icon in data["icons"]:
        assert Client().get(icon["src"]).status_code == 200, icon["src"]


def test_service_worker_is_served_at_the_root_as_javascript():
    """``/sw.js`` is public JavaScript, checked for updates on every visit, under the CSP, with
    its SHELL filled in: the static prefix, the files fetched on install, a version."""
    response = Client().get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Cache-Control"] == "no-cache"
    assert "script-src 'self'" in response["Content-Security-Policy"]
    text = response.content.decode()
    assert "/*SHELL*/" not in text
    shell = json.loads(text.split("const SHELL = ", 1)[1].split(";\n", 1)[0])
    assert shell["static"] == "/static/"
    assert "/static/css/keyroom.css" in shell["precache"]
    assert len(shell["version"]) == 12 and shell["version"] != "dev"
    assert text == service_worker_script()


def test_pages_link_the_manifest_and_register_the_worker_from_a_module(make_user):
    """Every page (logged in or not) links the manifest and loads the registering module; no
    inline script does it."""
    user = make_user("ann")
    client = Client()
    login_page = client.get("/accounts/login/").content.decode()
    client.force_login(user)
    home = client.get("/").content.decode()
    for page in (login_page, home):
        assert '<link rel="manifest" href="/manifest.webmanifest">' in page
        assert '<script type="module" src="/static/js/pwa/register.js"></script>' in page
        assert "serviceWorker" not in page
