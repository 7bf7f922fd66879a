"""E2E identity in Chromium: the admin switch, first keys and the password banner, unlocking on
another device, My Account -> Encryption (password change, reset) and the logout wipe. Each
browser context is one device; the same user logged in twice is two devices."""

import json
import re
from collections.abc import Iterator
from urllib.error import HTTPError
from urllib.request import Request, urlopen

import pytest
from playwright.sync_api import Browser, Page, Route, expect

from e2e import crypto
from e2e.models import UserIdentity
from tests.browser.e2e_helpers import wait_until
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
from tests.e2e.member import shared_backup

pytestmark = pytest.mark.browser

E2E_DATABASES = """async () => (await indexedDB.databases())
    .map((db) => db.name).filter((name) => name.startsWith("keyroom-e2e-"))"""
TRUST_DATABASES = """async () => (await indexedDB.databases())
    .map((db) => db.name).filter((name) => name.startsWith("keyroom-trust-"))"""


@pytest.fixture
def people(browser: Browser, server: str) -> Iterator[People]:
    """Open browser contexts per device; fail the test on any JavaScript or console error."""
    crowd = People(browser, server)
    yield crowd
    crowd.close()
    assert crowd.errors == []


def encryption_page(page: Page, server: str) -> None:
    page.goto(f"{server}/accounts/account/encryption/")
    expect(page.locator("#encryption-page")).to_have_attribute("aria-busy", "false")


def confirm_saved(page: Page) -> None:
    """Click "I have saved it" in the open password dialog; wait until the banner is gone."""
    page.get_by_role("button", name="I have saved it").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(e2e_banner(page)).to_be_hidden()


def allow_refused_login_password(people: People) -> None:
    """The browser logs the server's 403 answer to a wrong login password as a console error."""
    people.allow_console_error(r"status of 403")


def safety_number(page: Page) -> str:
    number = page.locator("#e2e-safety-number")
    expect(number.locator("span")).to_have_count(12)
    return number.inner_text()


def test_admin_switches_e2e_on_and_an_open_page_makes_keys_live(
    people: People, server: str
) -> None:
    """The admin ticks "Enable end-to-end encryption" in the Django admin; another user's open
    page generates keys and shows the banner without a reload."""
    admin = people.sign_up("ann", "Ann Archer")
    bob = people.log_in(make_account("bob"))
    wait_e2e(bob, "disabled")
    expect(e2e_banner(bob)).to_be_hidden()
    bob.evaluate("window.notReloaded = true")

    # Django's admin pages link no favicon: the browser's /favicon.ico request is a 404.
    people.allow_console_error(r"status of 404")
    admin.goto(f"{server}/admin/")
    admin.get_by_role("link", name=re.compile("end-to-end encryption settings", re.I)).click()
    admin.get_by_label("Enable end-to-end encryption").check()
    admin.get_by_role("button", name="Save", exact=True).click()
    expect(admin.locator(".messagelist")).to_contain_text("changed successfully")

    expect(e2e_banner(bob)).to_contain_text("Save your encryption password")
    wait_e2e(bob, "unlocked")
    assert bob.evaluate("window.notReloaded") is True
    assert UserIdentity.objects.filter(user__username="bob", password_saved=False).exists()


def test_first_visit_shows_generating_then_the_save_banner(people: People, server: str) -> None:
    """With E2E on and no keys, the first page load says it is generating keys, then asks the
    user to save the generated password of ten words."""
    set_e2e(enabled=True)
    held: list[Route] = []
    page = people.new_page()
    # Hold the word list back, so the slow step can be seen before it finishes.
    page.route("**/static/e2e/eff_large_wordlist.txt", lambda route: held.append(route))
    page.goto(f"{server}/accounts/login/")
    page.get_by_label("Username").fill(make_account("bob").username)
    page.get_by_label("Password").fill("bob-Keyroom-2024")
    with page.expect_request("**/static/e2e/eff_large_wordlist.txt"):
        page.get_by_role("button", name="Log in").click()
    expect(e2e_banner(page)).to_have_text("Generating your encryption keys…")
    expect(e2e_banner(page)).to_have_attribute("aria-busy", "true")
    expect(e2e_banner(page)).to_have_attribute("role", "status")
    # The request is out; its route handler runs on Playwright's next turn.
    for _ in range(500):
        if held:
            break
        page.wait_for_timeout(20)  # poll
    held[0].continue_()

    password = read_generated_password(page)
    assert len(password.split(" ")) == 10
    dialog = page.get_by_role("dialog", name="Save your encryption password")
    expect(dialog).to_contain_text("server does not know this password")
    expect(dialog).to_contain_text("every other device")


def test_saving_the_password_removes_the_banner_on_every_device(
    people: People, server: str
) -> None:
    """ "I have saved it" removes the banner here, after a reload, and live on the user's other
    device."""
    set_e2e(enabled=True)
    bob = make_account("bob")
    laptop = people.log_in(bob)
    password = read_generated_password(laptop)
    laptop.keyboard.press("Escape")
    phone = people.log_in(bob, PHONE)
    unlock_keys(phone, password)
    expect(e2e_banner(phone)).to_contain_text("Confirm that you saved your encryption password")

    e2e_banner(laptop).get_by_role("button", name="Show password").click()
    page_dialog = laptop.get_by_role("dialog", name="Save your encryption password")
    page_dialog.get_by_role("button", name="Copy").click()
    expect(page_dialog.get_by_role("status")).to_have_text(re.compile("Copied|blocked copying"))
    confirm_saved(laptop)

    expect(e2e_banner(phone)).to_be_hidden()
    laptop.reload()
    wait_e2e(laptop, "unlocked")
    expect(e2e_banner(laptop)).to_be_hidden()


def test_unconfirmed_password_survives_a_reload(people: People, server: str) -> None:
    """Until confirmed, the banner stays after a reload and shows the same password again."""
    set_e2e(enabled=True)
    page = people.log_in(make_account("bob"))
    first = read_generated_password(page)
    page.get_by_role("button", name="Later").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(e2e_banner(page)).to_be_visible()

    page.reload()
    wait_e2e(page, "unlocked")
    assert read_generated_password(page) == first


@pytest.mark.parametrize("reached_the_server", [True, False], ids=["answer-lost", "never-sent"])
def test_a_first_set_up_cut_off_by_leaving_the_page_is_finished_on_the_next_load(
    people: People, server: str, reached_the_server: bool
) -> None:
    """The page is left while its new keys are being published (the answer never comes back,
    or the request never leaves): the next page keeps those keys, unlocked, with the same
    password to save, instead of a server identity whose keys and password no device has."""
    set_e2e(enabled=True)
    bob = make_account("bob")
    people.allow_console_error(r"Failed to load resource|net::ERR_FAILED|Failed to fetch")
    page = people.new_page()
    cut = []

    def leave_mid_way(route) -> None:
        if route.request.method == "POST" and not cut:
            cut.append(route.fetch() if reached_the_server else None)
            route.abort()
        else:
            route.continue_()

    page.route("**/api/e2e/identity/", leave_mid_way)
    page.goto(f"{server}/accounts/login/")
    page.get_by_label("Username").fill("bob")
    page.get_by_label("Password").fill(password_for("bob"))
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{server}/")
    wait_until(page, lambda: bool(cut))
    if reached_the_server:
        assert UserIdentity.objects.filter(user=bob).exists()
    page.unroute("**/api/e2e/identity/")

    page.reload()
    wait_e2e(page, "unlocked")
    assert UserIdentity.objects.filter(user=bob).exists()
    password = read_generated_password(page)
    confirm_saved(page)
    other = people.log_in(bob)
    wait_e2e(other, "locked")
    unlock_keys(other, password)


def test_another_device_unlocks_after_a_wrong_try(people: People, server: str) -> None:
    """On a second device a wrong password gets a clear error with the field still focused,
    and the right one then unlocks the keys."""
    set_e2e(enabled=True)
    bob = make_account("bob")
    laptop = people.log_in(bob)
    password = read_generated_password(laptop)

    phone = people.log_in(bob, PHONE)
    wait_e2e(phone, "locked")
    e2e_banner(phone).get_by_role("button", name="Enter password").click()
    dialog = phone.get_by_role("dialog", name="Unlock encrypted messages")
    field = dialog.get_by_role("textbox", name="Encryption password")
    field.fill("correct horse battery staple")
    field.press("Enter")
    expect(dialog.get_by_role("alert")).to_have_text(
        re.compile("That is not your encryption password")
    )
    expect(field).to_be_focused()
    expect(field).to_have_attribute("aria-invalid", "true")
    wait_e2e(phone, "locked")

    field.fill(password)
    dialog.get_by_role("button", name="Unlock").click()
    wait_e2e(phone, "unlocked")
    expect(dialog).to_be_hidden()
    assert (
        phone.evaluate(
            """async () => {
            const { currentSession, whenUnlocked } = await import("/static/js/e2e/boot.js");
            const session = await whenUnlocked();
            return session === currentSession() && session.keys.signingKey.extractable;
        }"""
        )
        is False
    )


def test_changed_password_unlocks_a_new_device_and_the_old_one_does_not(
    people: People, server: str
) -> None:
    """After "Change encryption password" with a password of one's own, confirmed with the
    login password (a wrong one is refused and keeps the form filled), a new device unlocks
    with the new password, not with the old one, and the identity stays the same."""
    set_e2e(enabled=True)
    bob = make_account("bob")
    laptop = people.log_in(bob)
    old = read_generated_password(laptop)
    confirm_saved(laptop)
    encryption_page(laptop, server)
    number_before = safety_number(laptop)
    backup_before = UserIdentity.objects.get(user=bob).backup

    new = "tangerine lighthouse on a quiet tuesday"
    laptop.get_by_label("Current encryption password").fill(old)
    laptop.get_by_label("Choose my own password").check()
    laptop.get_by_label("New encryption password").fill("too short")
    laptop.get_by_label("Repeat the new password").fill("too short")
    laptop.get_by_role("button", name="Change encryption password").click()
    expect(laptop.locator("#e2e-change-new-error")).to_contain_text("at least 16 characters")
    laptop.get_by_label("New encryption password").fill(new)
    laptop.get_by_label("Repeat the new password").fill(new)
    laptop.get_by_role("button", name="Change encryption password").click()
    login = laptop.locator("#e2e-change-form").get_by_label("Your login password")
    expect(laptop.locator("#e2e-change-login-error")).to_contain_text("Enter your login password")
    expect(login).to_be_focused()

    # A wrong login password is refused by the server; what was typed stays for another try.
    allow_refused_login_password(people)
    login.fill("not-the-login-password")
    laptop.get_by_role("button", name="Change encryption password").click()
    expect(laptop.locator("#e2e-change-login-error")).to_contain_text("not your login password")
    expect(login).to_be_focused()
    expect(login).to_have_value("not-the-login-password")
    expect(laptop.get_by_label("Current encryption password")).to_have_value(old)
    expect(laptop.get_by_label("New encryption password")).to_have_value(new)
    expect(laptop.get_by_label("Repeat the new password")).to_have_value(new)
    assert UserIdentity.objects.get(user=bob).backup == backup_before

    login.fill(password_for("bob"))
    laptop.get_by_role("button", name="Change encryption password").click()
    expect(laptop.locator("#e2e-change-status")).to_contain_text(
        "New devices now need the new password"
    )
    expect(login).to_have_value("")
    assert safety_number(laptop) == number_before

    tablet = people.log_in(bob)
    e2e_banner(tablet).get_by_role("button", name="Enter password").click()
    dialog = tablet.get_by_role("dialog", name="Unlock encrypted messages")
    dialog.get_by_role("textbox", name="Encryption password").fill(old)
    dialog.get_by_role("button", name="Unlock").click()
    expect(dialog.get_by_role("alert")).to_contain_text("not your encryption password")
    dialog.get_by_role("button", name="Later").click()
    unlock_keys(tablet, new)


def test_generated_new_password_needs_saving_first_then_unlocks(
    people: People, server: str
) -> None:
    """The generated new password is only taken once "I have saved this new password" is
    ticked; a new device then unlocks with it."""
    set_e2e(enabled=True)
    bob = make_account("bob")
    laptop = people.log_in(bob)
    old = read_generated_password(laptop)
    confirm_saved(laptop)
    encryption_page(laptop, server)

    generated = laptop.locator("#e2e-generated-value")
    expect(generated).not_to_be_empty()
    new = generated.inner_text().strip()
    assert len(new.split(" ")) == 10 and new != old
    laptop.get_by_label("Current encryption password").fill(old)
    laptop.get_by_role("button", name="Change encryption password").click()
    saved = laptop.get_by_label("I have saved this new password")
    expect(laptop.locator("#e2e-generated-saved-error")).to_contain_text("Save the new password")
    expect(saved).to_be_focused()
    saved.check()
    laptop.locator("#e2e-change-form").get_by_label("Your login password").fill(password_for("bob"))
    laptop.get_by_role("button", name="Change encryption password").click()
    expect(laptop.locator("#e2e-change-status")).to_contain_text("password is changed")

    unlock_keys(people.log_in(bob), new)


def test_wrong_current_password_does_not_change_anything(people: People, server: str) -> None:
    """A wrong current password is refused on the Encryption page and the backup stays."""
    set_e2e(enabled=True)
    bob = make_account("bob")
    laptop = people.log_in(bob)
    read_generated_password(laptop)
    confirm_saved(laptop)
    backup = UserIdentity.objects.get(user=bob).backup
    encryption_page(laptop, server)

    laptop.get_by_label("Current encryption password").fill("not the password at all")
    laptop.get_by_label("I have saved this new password").check()
    laptop.locator("#e2e-change-form").get_by_label("Your login password").fill(password_for("bob"))
    laptop.get_by_role("button", name="Change encryption password").click()
    expect(laptop.locator("#e2e-change-current-error")).to_contain_text(
        "not your current encryption password"
    )
    expect(laptop.get_by_label("Current encryption password")).to_be_focused()
    assert UserIdentity.objects.get(user=bob).backup == backup


def test_while_disabled_there_is_no_banner_and_the_page_says_so(
    people: People, server: str
) -> None:
    """With E2E off nobody gets keys or a banner, and Encryption says the administrator has not
    enabled it."""
    set_e2e(enabled=False)
    bob = make_account("bob")
    page = people.log_in(bob)
    wait_e2e(page, "disabled")
    expect(e2e_banner(page)).to_be_hidden()
    expect(page.get_by_role("dialog")).to_have_count(0)

    encryption_page(page, server)
    expect(
        page.get_by_text("The administrator has not enabled end-to-end encryption")
    ).to_be_visible()
    expect(page.get_by_role("heading", name="Change encryption password")).to_be_hidden()
    expect(page.get_by_role("link", name="Encryption")).to_have_attribute("aria-current", "page")
    assert not UserIdentity.objects.filter(user=bob).exists()


def test_logout_wipes_the_keys_of_this_device(people: People, server: str) -> None:
    """Logging out deletes this device's E2E secrets database before leaving (its trust
    database stays); logged in again, the device has to be unlocked with the password."""
    set_e2e(enabled=True)
    bob = make_account("bob")
    page = people.log_in(bob)
    password = read_generated_password(page)
    confirm_saved(page)
    before = page.evaluate(E2E_DATABASES)
    # The secrets, and maybe the device's search index (wiped with them, docs/PROTOCOL.md §17).
    assert f"keyroom-e2e-secrets-{bob.pk}" in before, before
    assert all(name.endswith(f"-{bob.pk}") for name in before), before
    # Only the logout itself may wipe here: the log-in page's own wipe is switched off.
    page.route(
        "**/static/js/e2e/logged_out.js",
        lambda route: route.fulfill(content_type="text/javascript", body="// off"),
    )

    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile("/accounts/login/"))
    assert page.evaluate(E2E_DATABASES) == []
    assert page.evaluate(TRUST_DATABASES) == [f"keyroom-trust-{bob.pk}"]

    page.get_by_label("Username").fill("bob")
    page.get_by_label("Password").fill("bob-Keyroom-2024")
    page.get_by_role("button", name="Log in").click()
    wait_e2e(page, "locked")
    unlock_keys(page, password)


def test_logout_from_my_account_wipes_the_keys_too(people: People, server: str) -> None:
    """The Log out button of the My Account pages wipes the keys as well."""
    set_e2e(enabled=True)
    page = people.log_in(make_account("bob"))
    read_generated_password(page)
    confirm_saved(page)
    page.goto(f"{server}/accounts/account/")
    wait_e2e(page, "unlocked")
    page.route(
        "**/static/js/e2e/logged_out.js",
        lambda route: route.fulfill(content_type="text/javascript", body="// off"),
    )
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile("/accounts/login/"))
    assert page.evaluate(E2E_DATABASES) == []


def test_log_in_page_wipes_keys_left_by_someone_else(people: People, server: str) -> None:
    """The log-in page deletes E2E databases left on the device (a session that ended without
    logging out), before the next person logs in."""
    page = people.new_page()
    page.goto(f"{server}/accounts/login/")
    page.evaluate(
        """() => new Promise((resolve, reject) => {
            const request = indexedDB.open("keyroom-e2e-4242", 1);
            request.onsuccess = () => { request.result.close(); resolve(); };
            request.onerror = () => reject(request.error);
        })"""
    )
    assert page.evaluate(E2E_DATABASES) == ["keyroom-e2e-4242"]
    page.reload()
    expect(page.locator("html")).to_have_attribute("data-e2e-wiped", "true")
    assert page.evaluate(E2E_DATABASES) == []


def test_reset_from_my_account_gives_a_new_identity(people: People, server: str) -> None:
    """ "Reset encryption keys" explains itself and asks for confirmation with the login
    password (missing or wrong: refused, the dialog stays with what was typed), then shows a
    new password; the safety number changes."""
    set_e2e(enabled=True)
    bob = make_account("bob")
    page = people.log_in(bob)
    old = read_generated_password(page)
    confirm_saved(page)
    encryption_page(page, server)
    before = safety_number(page)

    page.get_by_role("button", name="Reset encryption keys…").click()
    dialog = page.get_by_role("dialog", name="Reset your encryption keys?")
    expect(dialog).to_contain_text("new encryption identity")
    expect(dialog).to_contain_text("People see that your key changed")
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    dialog.get_by_role("button", name="Reset my encryption keys").click()
    login = dialog.get_by_label("Your login password")
    expect(dialog.locator("#e2e-reset-login-error")).to_contain_text("Enter your login password")
    expect(login).to_be_focused()

    allow_refused_login_password(people)
    login.fill("not-the-login-password")
    dialog.get_by_role("button", name="Reset my encryption keys").click()
    expect(dialog.locator("#e2e-reset-login-error")).to_contain_text("not your login password")
    expect(login).to_be_focused()
    expect(login).to_have_value("not-the-login-password")
    assert UserIdentity.objects.get(user=bob).generation == 1

    login.fill(password_for("bob"))
    dialog.get_by_role("button", name="Reset my encryption keys").click()
    fresh = page.get_by_role("dialog", name="Your new encryption password")
    expect(fresh.locator("#e2e-password-value")).not_to_be_empty()
    new = fresh.locator("#e2e-password-value").inner_text().strip()
    assert new != old and len(new.split(" ")) == 10
    expect(page.locator("#e2e-safety-number")).not_to_have_text(before)
    assert UserIdentity.objects.get(user=bob).generation == 2
    confirm_saved(page)


def test_forgot_password_path_resets_and_other_devices_lock(people: People, server: str) -> None:
    """ "Forgot it?" in the unlock dialog explains what a reset loses, resets the keys and shows
    the new password; the user's other device asks, live, and locks once told to use the new
    keys."""
    set_e2e(enabled=True)
    bob = make_account("bob")
    laptop = people.log_in(bob)
    read_generated_password(laptop)
    confirm_saved(laptop)

    phone = people.log_in(bob, PHONE)
    e2e_banner(phone).get_by_role("button", name="Enter password").click()
    phone.get_by_role("button", name="Forgot it?").click()
    forgot = phone.get_by_role("dialog", name="Forgot your encryption password?")
    expect(forgot).to_contain_text("nobody can unlock your keys")
    expect(forgot).to_contain_text("Encrypted messages you could read before are lost to you")
    forgot.get_by_label("Your login password").fill(password_for("bob"))
    forgot.get_by_role("button", name="Reset my encryption keys").click()
    expect(phone.get_by_role("dialog", name="Your new encryption password")).to_be_visible()
    wait_e2e(phone, "unlocked")

    asked = laptop.get_by_role("dialog", name="Your encryption keys were reset elsewhere")
    expect(asked).to_contain_text("Your encryption keys were reset on another device")
    asked.get_by_role("button", name="Use the new keys").click()
    wait_e2e(laptop, "locked")
    expect(e2e_banner(laptop)).to_contain_text("locked on this device")


def _with_cookies(server: str, cookies: dict[str, str], method: str, path: str, body: dict):
    """Send ``body`` as JSON with only the given cookies and their CSRF header (what someone
    holding a stolen session cookie can do); return (status, json)."""
    request = Request(f"{server}{path}", data=json.dumps(body).encode(), method=method)  # noqa: S310
    request.add_header("Cookie", "; ".join(f"{k}={v}" for k, v in cookies.items()))
    request.add_header("X-CSRFToken", cookies["csrftoken"])
    request.add_header("Origin", server)
    request.add_header("Content-Type", "application/json")
    request.add_header("Accept", "application/json")
    try:
        with urlopen(request, timeout=30) as response:  # noqa: S310 (http test server)
            return response.status, json.loads(response.read() or b"{}")
    except HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def test_reset_with_a_session_only_is_refused(people: People, server: str) -> None:
    """Attack 16: a reset or backup replacement sent with the browser's session cookie and CSRF
    token but not the login password (a stolen cookie) is refused and the identity stays; the
    same cookie with the login password does get through (the refusal is not CSRF's)."""
    set_e2e(enabled=True)
    bob = make_account("bob")
    page = people.log_in(bob)
    read_generated_password(page)
    confirm_saved(page)
    stolen = {
        cookie["name"]: cookie["value"]
        for cookie in page.context.cookies()
        if cookie["name"] in ("sessionid", "csrftoken")
    }
    assert set(stolen) == {"sessionid", "csrftoken"}
    before = UserIdentity.objects.values("public", "backup", "generation").get(user=bob)
    attacker = crypto.generate_identity(str(bob.pk)).public_identity
    backup = shared_backup(str(bob.pk))
    reset = {"identity": attacker, "backup": backup}

    for method, path, body in (
        ("POST", "/api/e2e/reset/", reset),
        ("PUT", "/api/e2e/backup/", {"backup": backup}),
    ):
        status, answer = _with_cookies(server, stolen, method, path, body)
        assert (status, answer["error"]["code"]) == (403, "login_password_required"), answer
    assert UserIdentity.objects.values("public", "backup", "generation").get(user=bob) == before

    with_password = {**reset, "login_password": password_for("bob")}
    status, answer = _with_cookies(server, stolen, "POST", "/api/e2e/reset/", with_password)
    assert status == 200, answer
    assert UserIdentity.objects.get(user=bob).public == attacker
