"""Two-factor login in the browser: set up from My Account (the QR code loads under the CSP,
the key is shown as text), then the login asks for the code after the password; axe-core over
its pages."""

import base64
import re
from collections.abc import Iterator

import pytest
from django_otp.oath import totp
from playwright.sync_api import Browser, Page, expect

from tests.browser.helpers import People, make_account, password_for, wait_connected
from tests.browser.test_accessibility import AXE, axe_violations

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


def _log_out(page: Page, server: str, people: People) -> None:
    # My Account's own background requests (its key-sharing socket, the E2E state) may still be
    # on their way when the session ends: Chromium then logs their 401 as a console error.
    people.allow_console_error(r"status of 401 \(Unauthorized\)")
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
    # decode() waits for the image and fails if it did not load (refused by the CSP, 404...).
    assert qr.evaluate("img => img.decode().then(() => img.naturalWidth)") > 0
    secret = page.locator("#totp-secret").inner_text()
    page.get_by_label("Code from your app").fill(_app_code(secret))
    page.get_by_role("button", name="Turn on two-factor login").click()
    codes = page.get_by_role("list", name="Recovery codes").get_by_role("listitem")
    expect(codes).to_have_count(10)
    recovery = codes.first.inner_text()
    page.get_by_role("link", name="I have saved them").click()
    expect(page.locator("#two-factor-status")).to_have_text("On")

    _log_out(page, people.server, people)
    _password_step(page, people.server, "ann")
    page.get_by_label("Code").fill(_app_code(secret, ahead=1))
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{people.server}/")
    wait_connected(page)

    _log_out(page, people.server, people)
    _password_step(page, people.server, "ann")
    page.get_by_label("Code").fill(recovery)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{people.server}/")
    wait_connected(page)


@pytest.fixture(params=["light", "dark"])
def axe_people(request: pytest.FixtureRequest, browser: Browser, server: str) -> Iterator[People]:
    """Browser contexts that let axe-core in (as in test_accessibility.py), in one scheme."""
    assert AXE.exists(), f"{AXE} is missing: run `npm ci`"
    crowd = People(
        browser, server, color_scheme=request.param, reduced_motion="reduce", bypass_csp=True
    )
    yield crowd
    crowd.close()
    assert crowd.errors == []


def test_two_factor_pages_pass_axe(axe_people: People):
    """The Two-factor page (off and on), the set-up page, the recovery codes and the login's
    code step have no serious accessibility violation."""
    server = axe_people.server
    page = axe_people.log_in(make_account("ann"))
    page.goto(f"{server}/accounts/account/two-factor/")
    found = axe_violations(page, "two-factor off")
    page.get_by_role("button", name="Set up two-factor login").click()
    secret = page.locator("#totp-secret").inner_text()
    found += axe_violations(page, "set-up")
    page.get_by_label("Code from your app").fill(_app_code(secret))
    page.get_by_role("button", name="Turn on two-factor login").click()
    expect(page.get_by_role("list", name="Recovery codes")).to_be_visible()
    found += axe_violations(page, "recovery codes")
    page.get_by_role("link", name="I have saved them").click()
    found += axe_violations(page, "two-factor on")
    _log_out(page, server, axe_people)
    _password_step(page, server, "ann")
    found += axe_violations(page, "login code step")
    assert not found, "axe-core violations:\n" + "\n".join(found)
