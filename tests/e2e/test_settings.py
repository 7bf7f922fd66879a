"""No server setting decides trust (attack 13): the E2E settings hold the switch, the
encryption defaults and the key-rotation schedule (rotating more often never shares a key with
anyone new), and nothing about accepting changed keys or re-sharing room keys."""

import html
import re

import pytest
from django.test import Client

from e2e.models import E2ESettings
from e2e.selectors import get_e2e_settings

pytestmark = pytest.mark.django_db

# Everything the settings may say. A key-change or trust switch added here is attack 13.
ALLOWED = {
    "enabled",
    "encrypt_dms_by_default",
    "encrypt_groups_by_default",
    "rotate_after_days",
    "rotate_after_events",
}
# What browsers are told: the schedule is the server's own business (it answers rotation_due).
SENT = {"enabled", "encrypt_dms_by_default", "encrypt_groups_by_default"}


def test_settings_payload_offers_no_trust_switch(make_user):
    """What browsers are told (GET /api/e2e/, the same shape as the e2e.settings event) is the
    switch and the defaults only."""
    E2ESettings.objects.create(pk=1, enabled=True)
    client = Client()
    client.force_login(make_user())
    settings = client.get("/api/e2e/").json()["settings"]
    assert set(settings) == SENT


def test_admin_form_offers_no_trust_switch(make_user):
    """The admin's E2E settings form has exactly the switch and the defaults as inputs."""
    admin = make_user(is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(admin)
    found = get_e2e_settings()
    found.save()
    page = client.get(f"/admin/e2e/e2esettings/{found.pk}/change/")
    assert page.status_code == 200
    form = page.context["adminform"].form
    assert set(form.fields) == ALLOWED
    html = page.content.decode()
    names = set(re.findall(r'<(?:input|select|textarea)[^>]* name="([^"]+)"', html))
    assert names - {"csrfmiddlewaretoken", "_save", "_continue", "_addanother"} == ALLOWED
    assert "key change" not in html.lower() and "key_change" not in html


def test_settings_model_has_no_trust_field():
    """The settings row itself stores nothing but the switch and the defaults."""
    fields = {f.name for f in E2ESettings._meta.get_fields()} - {"id", "updated_at"}
    assert fields == ALLOWED


def test_admin_explains_every_setting(make_user):
    """Each E2E setting has help text saying what it does and its default, and the form shows it."""
    admin = make_user(is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(admin)
    found = get_e2e_settings()
    found.save()
    page = client.get(f"/admin/e2e/e2esettings/{found.pk}/change/").content.decode()
    for name in ALLOWED:
        help_text = str(E2ESettings._meta.get_field(name).help_text)
        assert "default" in help_text.lower(), name
        assert help_text in html.unescape(page), name


def test_admin_home_says_where_e2e_is_switched_on(make_user):
    """The admin home points to the E2E settings, where encryption is switched on."""
    admin = make_user(is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(admin)
    html = client.get("/admin/").content.decode()
    assert "End-to-end encryption is switched on and off in" in html
    assert 'href="/admin/e2e/e2esettings/"' in html
