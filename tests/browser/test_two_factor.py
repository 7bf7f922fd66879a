"""Two-factor login in the browser: set up from My Account (the QR code loads under the CSP,
the key is shown as text), then the login asks for the code after the password."""

import base64
import re

import pytest
from django_otp.oath import totp
from playwright.sync_api import Page, expect

from tests.browser.helpers import People, make_account, password_for, wait_connected

pytestmark = pytest.mark.browser


def _app_code(secret: str, ahead: int = 0) -> str:
    """Return what an authenticator app given ``secret`` (the key as the page shows it) shows
    ``ahead`` time steps from now."""
    key = base64.b32decode("".join(secret.split()))
    return f"{totp(key, drift=ahead):06d}"


def _password_step(page: Page, server: str, username: str) -> None:
    page.goto(f"{server}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password_for(username))
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Two-factor login")).to_be_visible()


def _log_out(page: Page, server: str) -> None:
    page.goto(f"{server}/accounts/account/")
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))


def test_set_up_two_factor_then_log_in_with_a_code(people: People):
    """Setting up shows a QR code and the key; a code from the key turns it on and shows ten
    recovery codes; the next login needs an app code, the one after a recovery code."""
    ann = make_account("ann")
    page = people.log_in(ann)
    page.goto(f"{people.server}/accounts/account/")
    page.get_by_role("link", name="Two-factor login").click()
    expect(page.locator("#two-factor-status")).to_have_text("Off")
    page.get_by_role("button", name="Set up two-factor login").click()
    qr = page.get_by_role("img", name=re.compile("QR code"))
    expect(qr).to_be_visible()
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0")  # loaded, CSP allowed it
    secret = page.locator("#totp-secret").inner_text()
    page.get_by_label("Code from your app").fill(_app_code(secret))
    page.get_by_role("button", name="Turn on two-factor login").click()
    codes = page.get_by_role("list", name="Recovery codes").get_by_role("listitem")
    expect(codes).to_have_count(10)
    recovery = codes.first.inner_text()
    page.get_by_role("link", name="I have saved them").click()
    expect(page.locator("#two-factor-status")).to_have_text("On")

    _log_out(page, people.server)
    _password_step(page, people.server, "ann")
    page.get_by_label("Code").fill(_app_code(secret, ahead=1))
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{people.server}/")
    wait_connected(page)

    _log_out(page, people.server)
    _password_step(page, people.server, "ann")
    page.get_by_label("Code").fill(recovery)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{people.server}/")
    wait_connected(page)
