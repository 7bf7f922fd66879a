"""The authorization matrix: every HTTP view for anonymous, non-member, member, owner, admin;
and the same callers with a personal access token instead of a session (the API answers them
alike; every page treats them as anonymous).

The room is a private group owned by ``owner`` with ``member`` in it; ``msg`` was sent by
``member``. ``admin`` is an instance administrator who is not in the room: being admin gives no
access to other people's private rooms.
"""

import json
import uuid

import pytest
from django.test import Client

from accounts.actions import do_create_token
from chat.models import RoomKind

pytestmark = pytest.mark.django_db

ROLES = ("anon", "outsider", "member", "owner", "admin")


@pytest.fixture
def world(make_user, make_room, send):
    owner, member = make_user("owner"), make_user("member")
    users = {
        "owner": owner,
        "member": member,
        "outsider": make_user("outsider"),
        "admin": make_user("admin", is_superuser=True, is_staff=True),
        "peer": make_user("peer"),
    }
    room = make_room(owner, kind=RoomKind.GROUP, members=(member,), name="secret")
    token = do_create_token(member, name="member's script", days=7)[0]
    return {**users, "room": room, "msg": send(member, room, "psst"), "token": token}


# (method, path template, body maker, expected status per role in ROLES order)
MATRIX = [
    ("GET", "/", None, (302, 200, 200, 200, 200)),
    ("GET", "/rooms/{room}/", None, (302, 404, 200, 200, 404)),
    ("GET", "/search/?q=psst", None, (302, 200, 200, 200, 200)),
    ("GET", "/channels/", None, (302, 200, 200, 200, 200)),
    ("GET", "/accounts/account/", None, (302, 200, 200, 200, 200)),
    ("GET", "/admin/", None, (302, 302, 302, 302, 200)),
    ("GET", "/accounts/account/sessions/", None, (302, 200, 200, 200, 200)),
    ("POST", "/accounts/account/sessions/end-others/", None, (302, 302, 302, 302, 302)),
    ("GET", "/accounts/login/code/", None, (302, 302, 302, 302, 302)),
    ("GET", "/accounts/account/two-factor/", None, (302, 200, 200, 200, 200)),
    ("GET", "/accounts/account/two-factor/setup/", None, (302, 302, 302, 302, 302)),
    ("POST", "/accounts/account/two-factor/setup/", None, (302, 302, 302, 302, 302)),
    ("GET", "/accounts/account/two-factor/qr.svg", None, (302, 404, 404, 404, 404)),
    ("POST", "/accounts/account/two-factor/recovery/", None, (302, 200, 200, 200, 200)),
    ("POST", "/accounts/account/two-factor/off/", None, (302, 200, 200, 200, 200)),
    ("GET", "/api/rooms/", None, (401, 200, 200, 200, 200)),
    ("POST", "/api/rooms/", lambda w: {"name": f"new-{uuid.uuid4()}"}, (401, 201, 201, 201, 201)),
    ("GET", "/api/channels/", None, (401, 200, 200, 200, 200)),
    ("POST", "/api/dms/", lambda w: {"user_id": w["peer"].pk}, (401, 201, 201, 201, 201)),
    ("GET", "/api/people/?q=pe", None, (401, 200, 200, 200, 200)),
    ("GET", "/api/rooms/{room}/", None, (401, 404, 200, 200, 404)),
    ("PATCH", "/api/rooms/{room}/", lambda w: {"topic": "new"}, (401, 404, 403, 200, 404)),
    ("POST", "/api/rooms/{room}/join/", None, (401, 404, 403, 403, 404)),
    (
        "POST",
        "/api/rooms/{room}/members/",
        lambda w: {"user_ids": [w["peer"].pk]},
        (401, 404, 403, 200, 404),
    ),
    ("DELETE", "/api/rooms/{room}/members/{member}/", None, (401, 404, 200, 200, 404)),
    (
        "POST",
        "/api/rooms/{room}/owner/",
        lambda w: {"user_id": w["member"].pk},
        (401, 404, 403, 200, 404),
    ),
    ("GET", "/api/rooms/{room}/messages/", None, (401, 404, 200, 200, 404)),
    ("GET", "/api/rooms/{room}/messages/?after_rev=0", None, (401, 404, 200, 200, 404)),
    (
        "POST",
        "/api/rooms/{room}/messages/",
        lambda w: {"client_id": str(uuid.uuid4()), "body": "hi"},
        (401, 404, 201, 201, 404),
    ),
    ("PATCH", "/api/messages/{msg}/", lambda w: {"body": "edited"}, (401, 404, 200, 404, 404)),
    ("DELETE", "/api/messages/{msg}/", None, (401, 404, 200, 404, 404)),
    ("POST", "/api/rooms/{room}/read/", lambda w: {"seq": 1}, (401, 404, 200, 200, 404)),
    (
        "PATCH",
        "/api/rooms/{room}/notifications/",
        lambda w: {"notify_level": "mentions"},
        (401, 404, 200, 200, 404),
    ),
    ("GET", "/accounts/account/notifications/", None, (302, 200, 200, 200, 200)),
    ("GET", "/accounts/account/tokens/", None, (302, 200, 200, 200, 200)),
    ("POST", "/accounts/account/tokens/", None, (302, 200, 200, 200, 200)),
    ("GET", "/accounts/account/tokens/{token}/revoke/", None, (302, 404, 200, 404, 404)),
    ("POST", "/accounts/account/tokens/{token}/revoke/", None, (302, 404, 302, 404, 404)),
]
CASES = [
    pytest.param(method, path, body, role, statuses[i], id=f"{method} {path} as {role}")
    for method, path, body, statuses in MATRIX
    for i, role in enumerate(ROLES)
]


@pytest.mark.parametrize(("method", "path", "body", "role", "expected"), CASES)
def test_view_permissions(world, method, path, body, role, expected):
    """Each view answers each kind of caller as the matrix says."""
    client = Client()
    if role != "anon":
        client.force_login(world[role])
    response = client.generic(
        method, _url(world, path), _body(world, body), content_type="application/json"
    )
    assert response.status_code == expected, response.content[:300]


def _url(world, path: str) -> str:
    return path.format(
        room=world["room"].pk,
        member=world["member"].pk,
        msg=world["msg"].pk,
        token=world["token"].pk,
    )


def _body(world, body) -> str:
    return json.dumps(body(world)) if body else ""


def _token_expected(method: str, path: str, as_session: int, *, anonymous: int) -> int:
    """The API answers a token as its user's session; a page is anonymous, and a page's write
    (no CSRF token: a token's client has none) is refused by the CSRF check first (403)."""
    if path.startswith("/api/"):
        return as_session
    return anonymous if method == "GET" else 403


TOKEN_CASES = [
    pytest.param(
        method,
        path,
        body,
        role,
        _token_expected(method, path, statuses[i], anonymous=statuses[0]),
        id=f"{method} {path} with {role}'s token",
    )
    for method, path, body, statuses in MATRIX
    for i, role in enumerate(ROLES)
    if role != "anon"
]


@pytest.mark.parametrize(("method", "path", "body", "role", "expected"), TOKEN_CASES)
def test_view_permissions_with_a_token(world, method, path, body, role, expected):
    """With a token (and no cookie, no CSRF token), each API view answers each caller as their
    session would; each page answers as to an anonymous visitor."""
    secret = do_create_token(world[role], name="script", days=7)[1]
    client = Client(enforce_csrf_checks=True)
    response = client.generic(
        method,
        _url(world, path),
        _body(world, body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert response.status_code == expected, response.content[:300]


def test_not_found_and_not_allowed_look_the_same(world, make_user):
    """A private room one may not see answers exactly like a room that does not exist."""
    client = Client()
    client.force_login(world["outsider"])
    hidden = client.get(f"/api/rooms/{world['room'].pk}/")
    missing = client.get("/api/rooms/987654/")
    assert (hidden.status_code, hidden.json()) == (missing.status_code, missing.json())


def test_state_changing_requests_need_csrf(world):
    """With CSRF checks on, a POST without the token is refused and stores nothing."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(world["member"])
    response = client.post(
        f"/api/rooms/{world['room'].pk}/messages/",
        json.dumps({"client_id": str(uuid.uuid4()), "body": "forged"}),
        content_type="application/json",
    )
    assert response.status_code == 403
    assert not world["room"].messages.filter(body="forged").exists()


def test_csrf_header_is_accepted(world):
    """The browser's way (token from the page in the X-CSRFToken header) works."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(world["member"])
    client.get("/")
    token = client.cookies["csrftoken"].value
    response = client.post(
        f"/api/rooms/{world['room'].pk}/messages/",
        json.dumps({"client_id": str(uuid.uuid4()), "body": "fine"}),
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 201
