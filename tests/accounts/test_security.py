"""Account security: login lockout, sign-up brake, the sessions list, ending sessions."""

import logging
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from axes.models import AccessAttempt
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import SessionRecord
from accounts.selectors import describe_device, list_sessions_for_user
from tests.sockets import ORIGIN

pytestmark = pytest.mark.django_db

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
CHROME_MAC = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0 Safari/537.36"
)


def _log_in(client: Client, username: str, password: str):
    return client.post("/accounts/login/", {"username": username, "password": password})


def _fail_five_times(client: Client, username: str) -> None:
    statuses = [_log_in(client, username, "wrong").status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 200, 429]  # the fifth failure locks


def test_lockout_refuses_the_right_password_and_says_when(make_user):
    """After five wrong passwords the right one is refused (429) with when to try again."""
    make_user("ann")
    client = Client()
    _fail_five_times(client, "ann")
    locked = _log_in(client, "ann", "pw-ann")
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
    text = locked.content.decode()
    assert "Too many failed logins" in text and "try again in 15 minutes" in text
    assert locked["Retry-After"] == str(15 * 60)


def test_lockout_ends_after_the_cool_off(make_user):
    """Once the cool-off has passed since the last failure, the right password works."""
    make_user("ann")
    client = Client()
    _fail_five_times(client, "ann")
    AccessAttempt.objects.update(
        attempt_time=AccessAttempt.objects.get().attempt_time - timedelta(minutes=16)
    )
    assert _log_in(client, "ann", "pw-ann").status_code == 302


def test_tries_during_lockout_do_not_extend_it(make_user):
    """A try while locked out does not push the end of the lockout back."""
    make_user("ann")
    client = Client()
    _fail_five_times(client, "ann")
    before = AccessAttempt.objects.get().attempt_time
    _log_in(client, "ann", "wrong")
    assert AccessAttempt.objects.get().attempt_time == before


def test_lockout_is_per_username(make_user):
    """Another account is not locked by someone else's failures from the same address."""
    make_user("ann"), make_user("bob")
    client = Client()
    _fail_five_times(client, "ann")
    assert _log_in(client, "bob", "pw-bob").status_code == 302


def test_failed_login_is_logged_without_the_password(make_user, caplog):
    """A failed login logs the username and address, never the password typed."""
    make_user("ann")
    with caplog.at_level(logging.WARNING, logger="axes"):
        _log_in(Client(), "ann", "Secret-Guess-42")
    assert "ann" in caplog.text and "127.0.0.1" in caplog.text
    assert "Secret-Guess-42" not in caplog.text
    assert "Secret-Guess-42" not in AccessAttempt.objects.get().post_data


def test_sign_ups_past_the_brake_are_refused(settings):
    """Past KEYROOM_SIGNUPS_PER_HOUR sign-ups from one address, the next gets 429."""
    settings.KEYROOM_SIGNUPS_PER_HOUR = 2
    statuses = []
    for name in ("ann", "bob", "cat"):
        client = Client()
        password = f"{name}-Keyroom-2024"
        statuses.append(
            client.post(
                "/accounts/signup/",
                {"username": name, "password1": password, "password2": password},
            ).status_code
        )
    assert statuses == [302, 302, 429]


def _session_client(user, user_agent: str = FIREFOX) -> Client:
    client = Client(headers={"user-agent": user_agent})
    client.force_login(user)
    client.get("/accounts/account/")  # the first request records the session
    return client


def test_sessions_page_lists_devices_and_marks_this_one(make_user):
    """My Account -> Sessions lists each session's device and address, marking this device."""
    ann = make_user("ann")
    _session_client(ann, CHROME_MAC)
    here = _session_client(ann, FIREFOX)
    page = here.get("/accounts/account/sessions/").content.decode()
    assert "Firefox on Windows" in page and "Chrome on macOS" in page
    assert page.count("This device") == 1 and "127.0.0.1" in page


def test_ending_a_session_logs_that_device_out(make_user):
    """Logging out another session ends it: its next request is anonymous."""
    ann = make_user("ann")
    other = _session_client(ann, CHROME_MAC)
    here = _session_client(ann, FIREFOX)
    record = SessionRecord.objects.get(session_key=other.session.session_key)
    assert here.post(f"/accounts/account/sessions/{record.pk}/end/").status_code == 302
    assert other.get("/accounts/account/").status_code == 302  # to the login page
    assert here.get("/accounts/account/").status_code == 200


def test_cannot_end_someone_elses_session(make_user):
    """Another person's session id is not found, and stays logged in."""
    ann, bob = make_user("ann"), make_user("bob")
    bobs = _session_client(bob)
    record = SessionRecord.objects.get(user=bob)
    assert (
        _session_client(ann).post(f"/accounts/account/sessions/{record.pk}/end/").status_code == 404
    )
    assert bobs.get("/accounts/account/").status_code == 200


def test_log_out_everywhere_else_keeps_this_session(make_user):
    """ "Log out everywhere else" ends every other session and keeps this one."""
    ann = make_user("ann")
    others = [_session_client(ann, CHROME_MAC) for _ in range(2)]
    here = _session_client(ann)
    here.post("/accounts/account/sessions/end-others/")
    assert [c.get("/accounts/account/").status_code for c in others] == [302, 302]
    assert here.get("/accounts/account/").status_code == 200
    assert SessionRecord.objects.filter(user=ann).count() == 1


def test_last_seen_is_written_at_most_once_a_minute(make_user, django_assert_num_queries):
    """A session's record is written on its first request, not on every one after it."""
    ann = make_user("ann")
    client = _session_client(ann)
    seen = SessionRecord.objects.get().last_seen
    client.get("/accounts/account/")
    assert SessionRecord.objects.get().last_seen == seen


@pytest.mark.parametrize(
    ("agent", "device"),
    [
        (FIREFOX, "Firefox on Windows"),
        (CHROME_MAC, "Chrome on macOS"),
        ("curl/8", "Unknown device"),
    ],
)
def test_describe_device(agent, device):
    """The User-Agent header is shown as browser and system."""
    assert describe_device(agent) == device


async def _open(client: Client):
    from channels.testing import WebsocketCommunicator

    from keyroom.asgi import application

    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    socket = WebsocketCommunicator(application, "/ws/", headers=[ORIGIN, (b"cookie", cookie)])
    connected, _ = await socket.connect()
    assert connected
    assert (await socket.receive_json_from())["type"] == "hello"
    return socket


@pytest.mark.django_db(transaction=True)
async def test_ending_a_session_closes_its_sockets_at_once(make_user):
    """Ending a session closes that session's open socket (4401) and no other session's."""
    ann = await sync_to_async(make_user)("ann")
    other = await sync_to_async(_session_client)(ann, CHROME_MAC)
    here = await sync_to_async(_session_client)(ann, FIREFOX)
    other_socket, here_socket = await _open(other), await _open(here)
    key = await sync_to_async(lambda: other.session.session_key)()
    record = await SessionRecord.objects.aget(session_key=key)
    await sync_to_async(here.post)(f"/accounts/account/sessions/{record.pk}/end/")
    assert await other_socket.receive_output(timeout=2) == {"type": "websocket.close", "code": 4401}
    assert await here_socket.receive_nothing(timeout=0.3)
    await here_socket.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_logging_out_closes_this_sessions_other_tabs(make_user):
    """Logging out closes the sockets other tabs of the same session have open."""
    ann = await sync_to_async(make_user)("ann")
    client = await sync_to_async(_session_client)(ann)
    socket = await _open(client)
    await sync_to_async(client.post)("/accounts/logout/")
    assert await socket.receive_output(timeout=2) == {"type": "websocket.close", "code": 4401}


def _change_password(client: Client, old: str, new: str):
    return client.post(
        "/accounts/account/password/",
        {"old_password": old, "new_password1": new, "new_password2": new},
    )


@pytest.mark.django_db(transaction=True)
async def test_changing_the_password_logs_out_the_other_sessions_at_once(make_user):
    """A password change ends the person's other sessions and closes their open sockets at
    once; the session it was made in stays logged in and listed."""
    ann = await sync_to_async(make_user)("ann")
    other = await sync_to_async(_session_client)(ann, CHROME_MAC)
    here = await sync_to_async(_session_client)(ann, FIREFOX)
    other_socket = await _open(other)
    changed = await sync_to_async(_change_password)(here, "pw-ann", "a-New-pass-2026")
    assert changed.status_code == 302
    assert await other_socket.receive_output(timeout=2) == {"type": "websocket.close", "code": 4401}
    assert (await sync_to_async(other.get)("/accounts/account/")).status_code == 302
    page = await sync_to_async(here.get)("/accounts/account/sessions/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "This device" in text and "Chrome on macOS" not in text
    keys = [record.session_key async for record in SessionRecord.objects.all()]
    assert keys == [await sync_to_async(lambda: here.session.session_key)()]


def test_sessions_page_queries_do_not_grow_with_the_sessions(make_user):
    """Listing sessions checks which are still live in one query, however many there are."""
    ann = make_user("ann")
    here = _session_client(ann)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert here.get("/accounts/account/sessions/").status_code == 200
        return len(captured)

    few = queries()
    for _ in range(4):
        _session_client(ann, CHROME_MAC)
    assert queries() == few
    listed = list_sessions_for_user(ann, current_key=here.session.session_key)
    assert [view.device for view in listed].count("Chrome on macOS") == 4


def test_sessions_page_leaves_out_expired_sessions(make_user):
    """A session past its expiry is not listed, though its record is still there."""
    ann = make_user("ann")
    gone = _session_client(ann, CHROME_MAC)
    here = _session_client(ann)
    Session.objects.filter(session_key=gone.session.session_key).update(
        expire_date=timezone.now() - timedelta(minutes=1)
    )
    assert "Chrome on macOS" not in here.get("/accounts/account/sessions/").content.decode()
