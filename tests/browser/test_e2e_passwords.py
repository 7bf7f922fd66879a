"""E2E passwords as people type and keep them: after a change the Encryption page shows only
what was saved, and a generated passphrase typed on a phone (a capital first word, a double
space) still unlocks, while a password of one's own choosing is taken exactly (issue 9)."""

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from accounts.models import User
from tests.browser.helpers import (
    PHONE,
    People,
    e2e_banner,
    make_account,
    password_for,
    read_generated_password,
    set_e2e,
    unlock_keys,
    wait_e2e,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def people(browser: Browser, server: str) -> Iterator[People]:
    """Open browser contexts per device; fail the test on any JavaScript or console error."""
    crowd = People(browser, server)
    yield crowd
    crowd.close()
    assert crowd.errors == []


def saved_keys_page(people: People, server: str, username: str) -> tuple[User, Page, str]:
    """Log a new user in (E2E on) and save the first password; return the user, their
    Encryption page and that password."""
    set_e2e(enabled=True)
    user = make_account(username)
    page = people.log_in(user)
    password = read_generated_password(page)
    page.get_by_role("button", name="I have saved it").click()
    expect(e2e_banner(page)).to_be_hidden()
    page.goto(f"{server}/accounts/account/encryption/")
    expect(page.locator("#encryption-page")).to_have_attribute("aria-busy", "false")
    return user, page, password


def change_password(page: Page, current: str, username: str, *, own: str | None = None) -> None:
    """Fill the change form (a generated new password unless ``own``) and submit it."""
    page.get_by_label("Current encryption password").fill(current)
    if own is None:
        page.get_by_label("I have saved this new password").check()
    else:
        page.get_by_label("Choose my own password").check()
        page.get_by_label("New encryption password").fill(own)
        page.get_by_label("Repeat the new password").fill(own)
    page.locator("#e2e-change-form").get_by_label("Your login password").fill(
        password_for(username)
    )
    page.get_by_role("button", name="Change encryption password").click()
    expect(page.locator("#e2e-change-status")).to_contain_text("password is changed")


def as_typed_on_a_phone(passphrase: str) -> str:
    """Return the passphrase with a capital first word and a double space, as phones type it."""
    first, second, *rest = passphrase.split(" ")
    return " ".join([first.capitalize(), "", second, *rest]) + " "


def test_after_a_generated_change_no_other_password_is_shown(people: People, server: str) -> None:
    """After changing to a generated password the form shows no new password, says it is done,
    and the one shown before the change is the one that unlocks."""
    bob, page, old = saved_keys_page(people, server, "bob")
    new = page.locator("#e2e-generated-value").inner_text().strip()
    assert len(new.split(" ")) == 10

    change_password(page, old, "bob")
    expect(page.locator("#e2e-change-status")).to_contain_text("Done")
    expect(page.locator("#e2e-generated-panel")).to_be_hidden()
    expect(page.get_by_text("Your new encryption password")).to_be_hidden()
    expect(page.locator("#e2e-generated-value")).to_be_empty()

    unlock_keys(people.log_in(bob), new)


def test_a_generated_passphrase_typed_on_a_phone_unlocks(people: People, server: str) -> None:
    """A generated passphrase with a capital first word, a double space and a trailing space
    unlocks the keys on another device."""
    set_e2e(enabled=True)
    bob = make_account("bob")
    password = read_generated_password(people.log_in(bob))

    unlock_keys(people.log_in(bob, PHONE), as_typed_on_a_phone(password))


def test_the_current_passphrase_typed_on_a_phone_changes_the_password(
    people: People, server: str
) -> None:
    """The current password of a change may be a generated passphrase typed with a capital
    and a double space; the generated new one then unlocks."""
    bob, page, old = saved_keys_page(people, server, "bob")
    new = page.locator("#e2e-generated-value").inner_text().strip()

    change_password(page, as_typed_on_a_phone(old), "bob")
    unlock_keys(people.log_in(bob), new)


def test_a_password_of_ones_own_is_taken_exactly(people: People, server: str) -> None:
    """A password of the user's own choosing does not unlock in another case or spacing, only
    exactly as chosen."""
    bob, page, old = saved_keys_page(people, server, "bob")
    own = "Zebra  Lantern 42 quietly!"
    change_password(page, old, "bob", own=own)

    phone = people.log_in(bob, PHONE)
    wait_e2e(phone, "locked")
    e2e_banner(phone).get_by_role("button", name="Enter password").click()
    dialog = phone.get_by_role("dialog", name="Unlock encrypted messages")
    field = dialog.get_by_role("textbox", name="Encryption password")
    field.fill("zebra lantern 42 quietly!")
    field.press("Enter")
    expect(dialog.get_by_role("alert")).to_have_text(
        re.compile("That is not your encryption password")
    )
    field.fill(own)
    field.press("Enter")
    wait_e2e(phone, "unlocked")
