"""Two-factor login: setting it up, the login's second step, recovery codes, the lockout,
turning it off, and "Administrators must use two-factor login"."""

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.actions import do_confirm_two_factor, do_start_two_factor_setup
from accounts.models import AccountSettings, User
from accounts.selectors import has_two_factor

pytestmark = pytest.mark.django_db


def _code(user: User, ahead: int = 0) -> str:
    """Return the app code of ``user``'s secret, ``ahead`` time steps from now (a code is
    accepted once: a later step is a fresh one, and one step ahead is still accepted)."""
    device = TOTPDevice.objects.filter(user=user).order_by("-pk").first()
    return f"{totp(device.bin_key, drift=ahead):06d}"


def _turn_on(user: User) -> list[str]:
    do_start_two_factor_setup(user)
    return do_confirm_two_factor(user, code=_code(user), keep_session_key="")


def _password_step(client: Client, user: User, next_url: str = ""):
    data = {"username": user.username, "password": f"pw-{user.username}"}
    if next_url:
        data["next"] = next_url
    return client.post("/accounts/login/", data)


def _logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_setup_is_on_only_after_a_right_code(make_user):
    """A new secret (QR code as SVG, key as text) turns on only with a right code; then ten
    recovery codes are shown."""
    ann = make_user("ann")
    client = Client()
    client.force_login(ann)
    assert client.post("/accounts/account/two-factor/setup/").status_code == 302
    page = client.get("/accounts/account/two-factor/setup/").content.decode()
    assert 'id="totp-secret"' in page and "/accounts/account/two-factor/qr.svg" in page
    qr = client.get("/accounts/account/two-factor/qr.svg")
    assert qr["Content-Type"] == "image/svg+xml" and b"<svg" in qr.content
    wrong = client.post("/accounts/account/two-factor/setup/", {"code": "000000"})
    assert "That code is not right" in wrong.content.decode() and not has_two_factor(ann)
    done = client.post("/accounts/account/two-factor/setup/", {"code": _code(ann)})
    assert has_two_factor(ann)
    assert done.content.decode().count("<li><code>") == 10


def test_the_qr_code_needs_a_secret_being_set_up(make_user):
    """No secret waiting (none, or already confirmed): the QR code answers 404."""
    ann = make_user("ann")
    client = Client()
    client.force_login(ann)
    assert client.get("/accounts/account/two-factor/qr.svg").status_code == 404
    _turn_on(ann)
    client.force_login(ann)
    assert client.get("/accounts/account/two-factor/qr.svg").status_code == 404


def test_a_session_alone_cannot_replace_the_secret(make_user):
    """While two-factor login is on, no new secret can be set up (that needs turning it off:
    password and code); the app's secret stays the one in use."""
    ann = make_user("ann")
    _turn_on(ann)
    client = Client()
    client.force_login(ann)
    page = client.post("/accounts/account/two-factor/setup/", follow=True).content.decode()
    assert "already on" in page
    assert list(TOTPDevice.objects.filter(user=ann).values_list("confirmed", flat=True)) == [True]


def test_turning_on_logs_out_the_other_sessions(make_user):
    """Once two-factor login is on, no session of the person has skipped the code."""
    ann = make_user("ann")
    other, here = Client(), Client()
    for client in (other, here):
        client.force_login(ann)
        client.get("/accounts/account/")  # the first request records the session
    here.post("/accounts/account/two-factor/setup/")
    here.post("/accounts/account/two-factor/setup/", {"code": _code(ann)})
    assert other.get("/accounts/account/").status_code == 302
    assert here.get("/accounts/account/").status_code == 200


def test_login_needs_the_code_after_the_password(make_user):
    """The right password alone logs nobody in; the code does, and goes where ``next`` said."""
    ann = make_user("ann")
    _turn_on(ann)
    client = Client()
    first = _password_step(client, ann, next_url="/accounts/account/")
    assert first.status_code == 302 and first["Location"] == "/accounts/login/code/"
    assert not _logged_in(client)
    assert client.get("/accounts/account/").status_code == 302
    done = client.post("/accounts/login/code/", {"code": _code(ann, ahead=1)})
    assert done.status_code == 302 and done["Location"] == "/accounts/account/"
    assert _logged_in(client)


def test_without_two_factor_the_password_logs_in(make_user):
    """A person without two-factor login is logged in by the password, as before."""
    ann = make_user("ann")
    client = Client()
    assert _password_step(client, ann)["Location"] == "/"
    assert _logged_in(client)


def test_the_code_step_needs_the_password_step_first(make_user):
    """The code page without a right password just before sends back to the login."""
    ann = make_user("ann")
    _turn_on(ann)
    client = Client()
    response = client.post("/accounts/login/code/", {"code": _code(ann, ahead=1)})
    assert response["Location"] == "/accounts/login/" and not _logged_in(client)


def test_the_code_step_expires(make_user, settings):
    """A right password is remembered for KEYROOM_TWO_FACTOR_STEP_SECONDS only."""
    settings.KEYROOM_TWO_FACTOR_STEP_SECONDS = -1
    ann = make_user("ann")
    _turn_on(ann)
    client = Client()
    _password_step(client, ann)
    response = client.post("/accounts/login/code/", {"code": _code(ann, ahead=1)})
    assert response["Location"] == "/accounts/login/" and not _logged_in(client)


def test_a_password_change_between_the_steps_voids_the_first(make_user):
    """If the password changes after the password step, that step no longer counts."""
    ann = make_user("ann")
    _turn_on(ann)
    client = Client()
    _password_step(client, ann)
    ann.set_password("pw-ann-new")
    ann.save()
    response = client.post("/accounts/login/code/", {"code": _code(ann, ahead=1)})
    assert response["Location"] == "/accounts/login/" and not _logged_in(client)


def test_the_password_step_gives_a_new_session_key(make_user):
    """The half-logged-in session gets a new key (a key planted before cannot ride along)."""
    ann = make_user("ann")
    _turn_on(ann)
    client = Client()
    client.get("/accounts/login/")
    client.session.save()
    before = client.session.session_key
    _password_step(client, ann)
    assert client.session.session_key != before


def test_a_wrong_code_is_not_kept_in_the_lockout_records(make_user):
    """A wrong code (perhaps a mistyped recovery code) is masked in axes' records."""
    ann = make_user("ann")
    _turn_on(ann)
    client = Client()
    _password_step(client, ann)
    client.post("/accounts/login/code/", {"code": "abcdefgh"})
    assert "abcdefgh" not in AccessAttempt.objects.get().post_data


def test_an_app_code_works_once(make_user):
    """The code that just logged someone in does not log in a second session."""
    ann = make_user("ann")
    _turn_on(ann)
    code = _code(ann, ahead=1)
    first, second = Client(), Client()
    _password_step(first, ann)
    first.post("/accounts/login/code/", {"code": code})
    _password_step(second, ann)
    second.post("/accounts/login/code/", {"code": code})
    assert _logged_in(first) and not _logged_in(second)


def test_a_recovery_code_works_once(make_user):
    """A recovery code logs in instead of an app code, and is used up."""
    ann = make_user("ann")
    codes = _turn_on(ann)
    first, second = Client(), Client()
    _password_step(first, ann)
    first.post("/accounts/login/code/", {"code": codes[0].upper()})
    assert _logged_in(first)
    _password_step(second, ann)
    refused = second.post("/accounts/login/code/", {"code": codes[0]})
    assert "That code is not right" in refused.content.decode() and not _logged_in(second)
    second.post("/accounts/login/code/", {"code": codes[1]})
    assert _logged_in(second)


def test_wrong_codes_are_refused_and_lock_the_account(make_user):
    """Wrong codes count as failed logins: the fifth locks, then even the right code and the
    right password are refused."""
    ann = make_user("ann")
    codes = _turn_on(ann)
    client = Client()
    _password_step(client, ann)
    statuses = [
        client.post("/accounts/login/code/", {"code": f"{n:06d}"}).status_code for n in range(5)
    ]
    assert statuses == [200, 200, 200, 200, 429]
    assert not _logged_in(client)
    again = Client()
    assert _password_step(again, ann).status_code == 429
    assert client.post("/accounts/login/code/", {"code": codes[0]}).status_code in (302, 429)
    assert not _logged_in(client)


def test_wrong_passwords_and_wrong_codes_count_together(make_user):
    """Someone who knows the password cannot reset the count by typing it again."""
    ann = make_user("ann")
    _turn_on(ann)
    client = Client()
    for _ in range(3):
        client.post("/accounts/login/", {"username": "ann", "password": "wrong"})
    _password_step(client, ann)
    client.post("/accounts/login/code/", {"code": "000000"})
    _password_step(client, ann)
    assert client.post("/accounts/login/code/", {"code": "000001"}).status_code == 429


def test_new_recovery_codes_replace_the_old(make_user):
    """Making new recovery codes needs a code; then the old codes stop working."""
    ann = make_user("ann")
    old = _turn_on(ann)
    client = Client()
    client.force_login(ann)
    refused = client.post("/accounts/account/two-factor/recovery/", {"code": "000000"})
    assert "That code is not right" in refused.content.decode()
    page = client.post("/accounts/account/two-factor/recovery/", {"code": old[0]})
    assert page.content.decode().count("<li><code>") == 10
    login = Client()
    _password_step(login, ann)
    login.post("/accounts/login/code/", {"code": old[1]})
    assert not _logged_in(login)


def test_turning_off_needs_the_password_and_a_code(make_user):
    """Turning two-factor login off is refused without the right password or a right code."""
    ann = make_user("ann")
    codes = _turn_on(ann)
    client = Client()
    client.force_login(ann)
    url = "/accounts/account/two-factor/off/"
    no_password = client.post(url, {"password": "wrong", "code": codes[0]})
    assert "not your login password" in no_password.content.decode()
    no_code = client.post(url, {"password": "pw-ann", "code": "000000"})
    assert "That code is not right" in no_code.content.decode()
    assert has_two_factor(ann)
    assert client.post(url, {"password": "pw-ann", "code": codes[1]}).status_code == 302
    assert not has_two_factor(ann)
    login = Client()
    _password_step(login, ann)
    assert _logged_in(login)


def test_wrong_tries_at_turning_off_count_as_failed_logins(make_user):
    """A stolen session cannot guess the password on the turn-off form without limit."""
    ann = make_user("ann")
    _turn_on(ann)
    client = Client()
    client.force_login(ann)
    for _ in range(5):
        client.post("/accounts/account/two-factor/off/", {"password": "x", "code": "000000"})
    assert _password_step(Client(), ann).status_code == 429


def _require_for_admins() -> None:
    AccountSettings.objects.create(pk=1, admins_need_two_factor=True)


def test_admins_must_set_up_two_factor_when_required(make_user):
    """With the setting on, an administrator without two-factor login is sent to set it up,
    and told why; with it, the admin opens."""
    boss = make_user("boss", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(boss)
    assert client.get("/admin/").status_code == 200
    _require_for_admins()
    sent = client.get("/admin/", follow=True)
    assert sent.redirect_chain[-1][0] == "/accounts/account/two-factor/"
    assert "requires two-factor login for administrators" in sent.content.decode()
    _turn_on(boss)
    client.force_login(boss)
    assert client.get("/admin/").status_code == 200


def test_people_who_are_not_staff_are_not_required(make_user):
    """The requirement is about administrators: others log in and work without it."""
    _require_for_admins()
    ann = make_user("ann")
    client = Client()
    _password_step(client, ann)
    assert _logged_in(client) and client.get("/").status_code == 200


def test_admins_cannot_turn_it_off_while_required(make_user):
    """While required, an administrator's turn-off is refused even with password and code."""
    boss = make_user("boss", is_staff=True, is_superuser=True)
    codes = _turn_on(boss)
    _require_for_admins()
    client = Client()
    client.force_login(boss)
    client.post("/accounts/account/two-factor/off/", {"password": "pw-boss", "code": codes[0]})
    assert has_two_factor(boss)


def test_the_admins_own_login_page_sends_to_keyroom_login(make_user):
    """The admin's login page (password only) is not a way around the second step."""
    boss = make_user("boss", is_staff=True, is_superuser=True)
    _turn_on(boss)
    client = Client()
    page = client.get("/admin/login/?next=/admin/")
    assert page["Location"] == "/accounts/login/?next=%2Fadmin%2F"
    client.post("/admin/login/", {"username": "boss", "password": "pw-boss"})
    assert not _logged_in(client)


def test_the_setting_is_a_single_row_in_the_admin(make_user):
    """The admin's list of account settings opens the one row; saving stores it."""
    boss = make_user("boss", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(boss)
    listing = client.get("/admin/accounts/accountsettings/")
    assert listing["Location"] == "/admin/accounts/accountsettings/1/change/"
    page = client.get(listing["Location"]).content.decode()
    assert "Administrators must use two-factor login" in page
    client.post(listing["Location"], {"admins_need_two_factor": "on"})
    assert AccountSettings.objects.get(pk=1).admins_need_two_factor
    assert client.get("/admin/")["Location"] == "/accounts/account/two-factor/"
