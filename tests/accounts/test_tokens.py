"""Personal access tokens and bot accounts (issue 14): a token's life (shown once, stored
hashed, expiry, revoking, last use), what it opens (the API and the WebSocket, never a web
page), the brakes on it, ``manage.py createbot`` and the "Bot" mark in the JSON."""

import io
import json
import re
import uuid
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone

from accounts.actions import do_create_token, do_revoke_token
from accounts.models import AccessToken, SessionRecord, User
from chat.models import Message, RoomKind
from keyroom.asgi import application
from tests.api_schema import METHODS, api_routes
from tests.sockets import ORIGIN, session_cookie

HOST = "127.0.0.1"


def bearer(secret: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def api_client() -> Client:
    """A client that enforces CSRF like a browser's request would be checked."""
    return Client(HTTP_HOST=HOST, enforce_csrf_checks=True)


@pytest.fixture
def ann(make_user) -> User:
    return make_user("ann")


@pytest.fixture
def ann_token(ann) -> str:
    return do_create_token(ann, name="Nightly report", days=30)[1]


# Lifecycle --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_database_holds_only_a_digest_of_the_secret(ann):
    """A new token's secret is 256 random bits after its prefix; the row keeps its SHA-256 and
    the prefix, never the secret itself."""
    token, secret = do_create_token(ann, name="script", days=30)
    assert re.fullmatch(rf"kr_{token.prefix}_[A-Za-z0-9_-]{{43}}", secret)
    row = AccessToken.objects.filter(pk=token.pk).values().get()
    assert not any(secret in str(value) for value in row.values())
    assert row["digest"] != secret and len(row["digest"]) == 64


@pytest.mark.django_db
def test_the_tokens_page_shows_a_new_secret_once(ann):
    """Creating a token on My Account -> Tokens shows its secret on that answer only; the list
    afterwards shows its name, prefix and expiry but not the secret."""
    client = Client()
    client.force_login(ann)
    made = client.post("/accounts/account/tokens/", {"name": "Deploy bot", "days": "90"})
    secret = re.search(r"kr_[0-9a-f]{12}_[A-Za-z0-9_-]{43}", made.content.decode()).group(0)
    token = AccessToken.objects.get(user=ann)
    assert token.name == "Deploy bot"
    assert abs(token.expires - timezone.now() - timedelta(days=90)) < timedelta(minutes=1)
    listed = client.get("/accounts/account/tokens/").content.decode()
    assert "Deploy bot" in listed and f"kr_{token.prefix}_" in listed
    assert secret not in listed


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "message"),
    [({"name": " ", "days": "30"}, "This field is required"), ({"name": "x", "days": "12"}, "")],
)
def test_a_token_needs_a_name_and_a_listed_lifetime(ann, data, message):
    """A blank name or a lifetime other than 7/30/90/365 days makes no token (the form again)."""
    client = Client()
    client.force_login(ann)
    response = client.post("/accounts/account/tokens/", data)
    assert response.status_code == 200 and message in response.content.decode()
    assert not AccessToken.objects.exists()


@pytest.mark.django_db
def test_the_lifetime_defaults_to_30_days(ann):
    """The form offers 30 days first-chosen."""
    client = Client()
    client.force_login(ann)
    page = client.get("/accounts/account/tokens/").content.decode()
    assert re.search(r'<option value="30" selected>', page)


@pytest.mark.django_db
def test_an_expired_token_is_unauthenticated(ann, ann_token):
    """Past its expiry a token is refused with 401 ``unauthenticated``."""
    AccessToken.objects.update(expires=timezone.now() - timedelta(seconds=1))
    response = api_client().get("/api/rooms/", **bearer(ann_token))
    assert response.status_code == 401
    assert response.json() == {"error": {"code": "unauthenticated", "message": "Log in first."}}


@pytest.mark.django_db
def test_a_deactivated_accounts_token_is_unauthenticated(ann, ann_token):
    """An administrator's "active" off for the account stops its tokens too."""
    User.objects.filter(pk=ann.pk).update(is_active=False)
    assert api_client().get("/api/rooms/", **bearer(ann_token)).status_code == 401


@pytest.mark.django_db
def test_revoking_on_the_page_asks_first_then_the_token_is_refused(ann, ann_token):
    """Revoke asks to confirm (GET changes nothing); the POST revokes: the token gets 401 and
    leaves the list."""
    client = Client()
    client.force_login(ann)
    token = AccessToken.objects.get()
    url = f"/accounts/account/tokens/{token.pk}/revoke/"
    assert "Revoke token" in client.get(url).content.decode()
    assert api_client().get("/api/rooms/", **bearer(ann_token)).status_code == 200
    assert client.post(url).status_code == 302
    assert api_client().get("/api/rooms/", **bearer(ann_token)).status_code == 401
    listed = client.get("/accounts/account/tokens/").content.decode()
    assert "Revoke Nightly report" not in listed and "You have no tokens." in listed


@pytest.mark.django_db
def test_nobody_revokes_another_persons_token(ann, ann_token, make_user):
    """Another person's revoke URL for ann's token is 404 and the token keeps working."""
    client = Client()
    client.force_login(make_user("bob"))
    token = AccessToken.objects.get()
    assert client.post(f"/accounts/account/tokens/{token.pk}/revoke/").status_code == 404
    assert api_client().get("/api/rooms/", **bearer(ann_token)).status_code == 200


@pytest.mark.django_db
def test_a_wrong_secret_with_a_real_prefix_is_refused(ann, ann_token):
    """The prefix only finds the row: the rest of the secret must match its digest."""
    forged = ann_token[:-4] + ("AAAA" if not ann_token.endswith("AAAA") else "BBBB")
    assert api_client().get("/api/rooms/", **bearer(forged)).status_code == 401


@pytest.mark.django_db
@pytest.mark.parametrize(
    "value",
    ["Bearer ", "Bearer nonsense", "Bearer kr_", "Bearer kr_zz_x", "Bearer kr_0123456789ab_"],
)
def test_a_malformed_bearer_value_is_unauthenticated(ann, value):
    """Anything after "Bearer" that is not a live token is 401, never the anonymous API."""
    response = api_client().get("/api/rooms/", HTTP_AUTHORIZATION=value)
    assert response.status_code == 401


@pytest.mark.django_db
def test_last_used_is_written_at_most_once_a_minute(ann, ann_token):
    """The first use sets last_used; another within a minute leaves it; one after a minute
    moves it."""
    client = api_client()
    client.get("/api/rooms/", **bearer(ann_token))
    first = AccessToken.objects.get().last_used
    assert first is not None
    client.get("/api/rooms/", **bearer(ann_token))
    assert AccessToken.objects.get().last_used == first
    AccessToken.objects.update(last_used=first - timedelta(seconds=61))
    client.get("/api/rooms/", **bearer(ann_token))
    assert AccessToken.objects.get().last_used > first


# What a token opens -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_token_reads_and_writes_the_api_without_csrf(ann, ann_token, make_room):
    """With only the bearer header (no cookie, no CSRF token) a GET and a write both work, as
    the token's user."""
    room = make_room(ann, kind=RoomKind.GROUP)
    client = api_client()
    assert client.get("/api/rooms/", **bearer(ann_token)).status_code == 200
    response = client.post(
        f"/api/rooms/{room.pk}/messages/",
        json.dumps({"client_id": str(uuid.uuid4()), "body": "from a script"}),
        content_type="application/json",
        **bearer(ann_token),
    )
    assert response.status_code == 201
    assert Message.objects.get(body="from a script").sender == ann


@pytest.mark.django_db
def test_with_a_session_cookie_too_a_write_still_needs_csrf(ann, ann_token, make_user):
    """A request whose session cookie authenticated it keeps the CSRF check even with a token
    (a header must never let a cookie-borne write skip it); the token's user is who acts."""
    client = api_client()
    client.force_login(make_user("bob"))
    refused = client.post(
        "/api/rooms/",
        json.dumps({"name": "x"}),
        **bearer(ann_token),
        content_type="application/json",
    )
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "csrf_failed"
    client.get("/accounts/account/")  # a page sets the CSRF cookie
    made = client.post(
        "/api/rooms/",
        json.dumps({"name": "by ann"}),
        content_type="application/json",
        HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value,
        **bearer(ann_token),
    )
    assert made.status_code == 201 and made.json()["room"]["owner_id"] == ann.pk


@pytest.mark.django_db
def test_a_token_request_records_no_session_for_the_tokens_user(ann, ann_token, make_user):
    """Bob's session cookie on a request made with ann's token does not become a session of
    ann's in My Account -> Sessions."""
    client = api_client()
    client.force_login(make_user("bob"))
    assert client.get("/api/rooms/", **bearer(ann_token)).status_code == 200
    assert not SessionRecord.objects.filter(user=ann).exists()


@pytest.mark.django_db
def test_a_bad_token_is_refused_even_with_a_good_session(ann, make_user):
    """A request with a session cookie and a revoked token is 401: the token decides."""
    token, secret = do_create_token(ann, name="old", days=7)
    do_revoke_token(token)
    client = api_client()
    client.force_login(ann)
    assert client.get("/api/rooms/", **bearer(secret)).status_code == 401


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    ["/", "/accounts/account/", "/accounts/account/tokens/", "/admin/", "/channels/"],
)
def test_a_token_never_opens_a_web_page(make_user, path):
    """A page request with only a token (an administrator's, even) is anonymous: to login."""
    admin = make_user("root", is_staff=True, is_superuser=True)
    secret = do_create_token(admin, name="ops", days=7)[1]
    response = Client(HTTP_HOST=HOST).get(path, **bearer(secret))
    assert response.status_code == 302
    assert "/login/" in response["Location"]  # the admin's login sends on to Keyroom's


@pytest.mark.django_db
def test_every_api_route_answers_a_token_as_it_answers_a_session(ann, ann_token):
    """Walking every route and method: a token gets the status a logged-in session gets (the
    same gate behind it), and a revoked token gets 401 wherever the route exists."""
    session = Client(HTTP_HOST=HOST)
    session.force_login(ann)
    token_client = api_client()
    revoked_token, revoked = do_create_token(ann, name="gone", days=7)
    do_revoke_token(revoked_token)
    walked = 0
    for route in api_routes():
        url = re.sub(r"<(?:\w+:)?\w+>", "987654", route)
        for method in METHODS:
            by_session = session.generic(method, url, "{}", content_type="application/json")
            if by_session.status_code == 405:
                continue
            by_token = token_client.generic(
                method, url, "{}", content_type="application/json", **bearer(ann_token)
            )
            assert by_token.status_code == by_session.status_code, (method, route)
            refused = token_client.generic(
                method, url, "{}", content_type="application/json", **bearer(revoked)
            )
            assert refused.status_code == 401, (method, route)
            walked += 1
    assert walked >= 30


# Brakes -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_token_requests_are_braked_reads_too(ann, ann_token, settings):
    """Past KEYROOM_TOKEN_BURST requests, a token's GET gets 429 ``rate_limited`` with
    retry_after; the person's own session is not braked by it."""
    settings.KEYROOM_TOKEN_BURST = 3
    settings.KEYROOM_TOKEN_RATE = 0.01
    client = api_client()
    for _ in range(3):
        assert client.get("/api/rooms/", **bearer(ann_token)).status_code == 200
    limited = client.get("/api/rooms/", **bearer(ann_token))
    assert limited.status_code == 429
    error = limited.json()["error"]
    assert error["code"] == "rate_limited" and error["retry_after"] >= 1
    assert limited["Retry-After"] == str(error["retry_after"])
    session = Client(HTTP_HOST=HOST)
    session.force_login(ann)
    assert session.get("/api/rooms/").status_code == 200


@pytest.mark.django_db
def test_token_writes_take_from_the_users_write_brake(ann, ann_token, make_room, settings):
    """A token's writes draw on the same per-user write bucket as the person's session."""
    settings.KEYROOM_WRITE_BURST = 1
    settings.KEYROOM_WRITE_RATE = 0.01
    room = make_room(ann, kind=RoomKind.GROUP)

    def send(client: Client, **extra: str):
        return client.post(
            f"/api/rooms/{room.pk}/read/",
            json.dumps({"seq": 0}),
            content_type="application/json",
            **extra,
        )

    session = Client(HTTP_HOST=HOST)
    session.force_login(ann)
    assert send(session).status_code == 200
    limited = send(api_client(), **bearer(ann_token))
    assert limited.status_code == 429 and limited.json()["error"]["code"] == "rate_limited"


# Bots -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_createbot_makes_a_bot_and_prints_a_working_token():
    """``createbot`` makes a bot account (marked, no usable password) and prints one token
    that opens the API as the bot."""
    out = io.StringIO()
    call_command(
        "createbot",
        "deploy",
        "--display-name",
        "Deploy",
        "--expires-days",
        "7",
        stdout=out,
        stderr=io.StringIO(),
    )
    secret = out.getvalue().strip()
    bot = User.objects.get(username="deploy")
    assert bot.is_bot and bot.display_name == "Deploy" and not bot.has_usable_password()
    token = AccessToken.objects.get(user=bot)
    assert abs(token.expires - timezone.now() - timedelta(days=7)) < timedelta(minutes=1)
    response = api_client().get("/api/people/", **bearer(secret))
    assert response.status_code == 200


@pytest.mark.django_db
def test_createbot_refuses_a_taken_username(ann):
    """A username already in use is a clear command error, not a second account."""
    with pytest.raises(CommandError, match="taken"):
        call_command("createbot", "ANN", stdout=io.StringIO(), stderr=io.StringIO())
    assert User.objects.filter(is_bot=True).count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("password", ["", "!", "pw-deploy"])
def test_a_bot_cannot_log_in_on_the_login_page(password):
    """The login page refuses a bot whatever password is tried (it has none)."""
    call_command("createbot", "deploy", stdout=io.StringIO(), stderr=io.StringIO())
    client = Client(HTTP_HOST=HOST)
    response = client.post("/accounts/login/", {"username": "deploy", "password": password})
    assert response.status_code == 200  # the form again
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_ticking_bot_in_the_admin_takes_the_password_away(make_user):
    """An administrator who marks an account a bot in the admin leaves it no usable password."""
    admin = make_user("root", is_staff=True, is_superuser=True)
    person = make_user("helper")
    client = Client(HTTP_HOST=HOST)
    client.force_login(admin)
    page = client.get(f"/admin/accounts/user/{person.pk}/change/")
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {
        key: value
        for key, value in form.initial.items()
        if value is not None and not isinstance(value, list | tuple)
    }
    data.update(is_bot="on", is_active="on", date_joined_0="2026-01-01", date_joined_1="00:00")
    data.pop("last_login", None)
    data.pop("password", None)
    response = client.post(f"/admin/accounts/user/{person.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    person.refresh_from_db()
    assert person.is_bot and not person.has_usable_password()


@pytest.mark.django_db
def test_the_admin_lists_and_revokes_tokens_without_secrets(make_user):
    """The admin's token list shows a bot's token by name and prefix, never its secret, and
    its "Revoke" action makes it refused."""
    admin = make_user("root", is_staff=True, is_superuser=True)
    out = io.StringIO()
    call_command("createbot", "deploy", stdout=out, stderr=io.StringIO())
    secret = out.getvalue().strip()
    token = AccessToken.objects.get()
    client = Client(HTTP_HOST=HOST)
    client.force_login(admin)
    listing = client.get("/admin/accounts/accesstoken/").content.decode()
    assert token.prefix in listing and secret not in listing and token.digest not in listing
    client.post(
        "/admin/accounts/accesstoken/",
        {"action": "revoke", "_selected_action": [token.pk]},
    )
    assert api_client().get("/api/rooms/", **bearer(secret)).status_code == 401


@pytest.mark.django_db
def test_user_payloads_say_is_bot(ann, make_room, send):
    """People and message senders carry ``is_bot`` (the browser's "Bot" tag reads it)."""
    call_command("createbot", "deploy", stdout=io.StringIO(), stderr=io.StringIO())
    bot = User.objects.get(username="deploy")
    room = make_room(ann, kind=RoomKind.GROUP, members=(bot,))
    send(bot, room, "beep")
    client = Client(HTTP_HOST=HOST)
    client.force_login(ann)
    people = {p["username"]: p for p in client.get("/api/people/").json()["people"]}
    assert people["deploy"]["is_bot"] is True
    messages = client.get(f"/api/rooms/{room.pk}/messages/").json()["messages"]
    senders = {m["body"]: m["sender"]["is_bot"] for m in messages if m["kind"] == "text"}
    assert senders == {"beep": True}
    members = client.get(f"/api/rooms/{room.pk}/").json()["room"]["members"]
    assert {m["username"]: m["is_bot"] for m in members} == {"ann": False, "deploy": True}


# The WebSocket ----------------------------------------------------------------------------------


def token_socket(secret: str, *, cookie: bytes | None = None) -> WebsocketCommunicator:
    headers = [ORIGIN, (b"authorization", f"Bearer {secret}".encode())]
    if cookie is not None:
        headers.append((b"cookie", cookie))
    return WebsocketCommunicator(application, "/ws/", headers=headers)


@pytest.mark.django_db(transaction=True)
async def test_a_token_opens_the_socket_as_its_user(ann, make_user):
    """A socket whose upgrade request carries the bearer header is the token's user, whoever
    the session cookie is."""
    secret = (await sync_to_async(do_create_token)(ann, name="bot", days=7))[1]
    bob_cookie = await session_cookie(await sync_to_async(make_user)("bob"))
    socket = token_socket(secret, cookie=bob_cookie)
    connected, _ = await socket.connect(timeout=5)
    assert connected
    assert (await socket.receive_json_from(timeout=5)) == {"type": "hello", "user_id": ann.pk}
    await socket.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_a_revoked_tokens_socket_is_refused(ann, make_user):
    """A revoked token opens no socket, even with a good session cookie alongside."""
    token, secret = await sync_to_async(do_create_token)(ann, name="bot", days=7)
    await sync_to_async(do_revoke_token)(token)
    socket = token_socket(secret, cookie=await session_cookie(ann))
    connected, _ = await socket.connect(timeout=5)
    assert not connected


@pytest.mark.django_db(transaction=True)
async def test_revoking_a_token_closes_its_open_socket(ann):
    """An open socket of a token closes (4401) when the token is revoked."""
    token, secret = await sync_to_async(do_create_token)(ann, name="bot", days=7)
    socket = token_socket(secret)
    connected, _ = await socket.connect(timeout=5)
    assert connected
    await socket.receive_json_from(timeout=5)
    await sync_to_async(do_revoke_token)(token)
    for _ in range(20):
        output = await socket.receive_output(timeout=2)
        if output["type"] == "websocket.close":
            assert output["code"] == 4401
            break
    else:
        raise AssertionError("the socket stayed open")


@pytest.mark.django_db(transaction=True)
async def test_opening_sockets_takes_from_the_tokens_brake(ann, settings):
    """A socket connection is a request of the token: past its burst the next one is refused."""
    settings.KEYROOM_TOKEN_BURST = 1
    settings.KEYROOM_TOKEN_RATE = 0.01
    secret = (await sync_to_async(do_create_token)(ann, name="bot", days=7))[1]
    first = token_socket(secret)
    assert (await first.connect(timeout=5))[0]
    second = token_socket(secret)
    assert not (await second.connect(timeout=5))[0]
    await first.disconnect()
