"""Account security in the browser: ending a session closes that device's socket at once, and
a locked-out login says when to try again."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import People, make_account, password_for

pytestmark = pytest.mark.browser


def test_ending_a_session_logs_that_device_out_at_once(people: People):
    """Logging out another device from My Account -> Sessions closes its socket: the other page
    says it is logged out without being reloaded."""
    ann = make_account("ann")
    phone = people.log_in(ann)
    laptop = people.log_in(ann)
    laptop.goto(f"{people.server}/accounts/account/sessions/")
    expect(
        laptop.get_by_role("list", name="Your sessions").get_by_text("This device", exact=True)
    ).to_have_count(1)
    laptop.get_by_role("button", name=re.compile(r"^Log out .*, last used")).click()
    expect(laptop.get_by_text("That session is logged out.")).to_be_visible()
    expect(phone.get_by_text("You are logged out. Log in again to keep chatting.")).to_be_visible()
    expect(phone.locator("html")).to_have_attribute("data-connection", "unauthenticated")
    expect(
        laptop.get_by_role("list", name="Your sessions").get_by_text("This device", exact=True)
    ).to_have_count(1)


def test_locked_out_login_says_when_to_try_again(people: People):
    """After five wrong passwords the right one is refused with when to try again."""
    people.allow_console_error("status of 429")
    make_account("ann")
    page = people.new_page()
    page.goto(f"{people.server}/accounts/login/")
    for password in ["wrong"] * 5 + [password_for("ann")]:
        page.get_by_label("Username").fill("ann")
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("button", name="Log in")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text(
        re.compile(r"Too many failed logins .* try again in 15 minutes, at \d\d:\d\d UTC")
    )
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
