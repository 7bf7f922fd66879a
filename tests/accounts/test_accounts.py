"""Sign-up, the first administrator, and the My Account pages."""

import re

import pytest
from django.test import Client

from accounts.models import User

pytestmark = pytest.mark.django_db


def sign_up(client: Client, username: str, password: str = "correct horse 42"):
    return client.post(
        "/accounts/signup/",
        {
            "username": username,
            "display_name": username.title(),
            "password1": password,
            "password2": password,
        },
    )


def test_first_sign_up_becomes_administrator():
    """The first account on a fresh instance is a superuser with admin access."""
    response = sign_up(Client(), "ann")
    assert response.status_code == 302
    ann = User.objects.get(username="ann")
    assert ann.is_superuser and ann.is_staff


def test_later_sign_ups_are_ordinary():
    """Only the first account becomes administrator."""
    sign_up(Client(), "ann")
    sign_up(Client(), "bob")
    bob = User.objects.get(username="bob")
    assert not bob.is_superuser and not bob.is_staff


def test_sign_up_logs_in():
    """After signing up you are logged in."""
    client = Client()
    sign_up(client, "ann")
    assert client.get("/api/rooms/").status_code == 200


def test_sign_up_rejects_mismatched_passwords():
    """Mismatched passwords re-show the form with an error and create no account."""
    client = Client()
    response = client.post(
        "/accounts/signup/",
        {"username": "ann", "password1": "correct horse 42", "password2": "other horse 42"},
    )
    assert response.status_code == 200
    assert b"didn" in response.content  # "The two password fields didn't match."
    assert not User.objects.exists()


def test_sign_up_rejects_weak_password():
    """A common password is refused with the validator's message."""
    response = sign_up(Client(), "ann", password="password")
    assert response.status_code == 200
    assert not User.objects.exists()


def test_login_and_logout():
    """Login with the right password works; logout is a POST and ends the session."""
    User.objects.create_user(username="ann", password="correct horse 42")
    client = Client()
    response = client.post("/accounts/login/", {"username": "ann", "password": "correct horse 42"})
    assert response.status_code == 302
    assert client.get("/api/rooms/").status_code == 200
    client.post("/accounts/logout/")
    assert client.get("/api/rooms/").status_code == 401


def test_wrong_password_does_not_log_in():
    """A wrong password re-shows the login form."""
    User.objects.create_user(username="ann", password="correct horse 42")
    client = Client()
    response = client.post("/accounts/login/", {"username": "ann", "password": "nope"})
    assert response.status_code == 200
    assert client.get("/api/rooms/").status_code == 401


def test_profile_changes_display_name(make_user):
    """My Account -> Profile saves the display name."""
    ann = make_user("ann")
    client = Client()
    client.force_login(ann)
    response = client.post("/accounts/account/", {"display_name": "Ann A."})
    assert response.status_code == 302
    ann.refresh_from_db()
    assert ann.shown_name == "Ann A."


def test_profile_turns_appear_offline_on_and_off(make_user):
    """My Account -> Profile has "Appear offline": ticked it is saved on, unticked off, and
    the page shows the box as saved."""
    ann = make_user("ann")
    client = Client()
    client.force_login(ann)
    client.post("/accounts/account/", {"display_name": "", "appear_offline": "on"})
    ann.refresh_from_db()
    assert ann.appear_offline is True
    page = client.get("/accounts/account/").content.decode()
    assert "checked" in re.search(r'<input[^>]*name="appear_offline"[^>]*>', page)[0]
    client.post("/accounts/account/", {"display_name": ""})
    ann.refresh_from_db()
    assert ann.appear_offline is False


def test_password_change(make_user):
    """My Account -> Login password changes the password and keeps the session."""
    ann = make_user("ann")
    client = Client()
    client.force_login(ann)
    response = client.post(
        "/accounts/account/password/",
        {
            "old_password": "pw-ann",
            "new_password1": "new horse 4242",
            "new_password2": "new horse 4242",
        },
    )
    assert response.status_code == 302
    ann.refresh_from_db()
    assert ann.check_password("new horse 4242")
    assert client.get("/api/rooms/").status_code == 200
