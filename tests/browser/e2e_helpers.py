"""Helpers for the encrypted-room browser tests: a Python E2E member that talks to the live
server over HTTP, seeding through the real actions, the room's E2E state in the page, and the
checks that no plaintext reached the database or the server log."""

import json
import re
import uuid
from collections.abc import Callable
from typing import Any
from urllib.error import HTTPError
from urllib.request import Request, urlopen

import pytest
from django.db import connection
from django.test import Client
from django.utils.crypto import get_random_string
from playwright.sync_api import Locator, Page, expect

from accounts.models import User
from chat import actions as chat_actions
from chat.models import Message, Room
from e2e import crypto
from e2e.models import E2ESettings, EncryptedRoom, UserIdentity
from tests.browser.helpers import (
    People,
    make_account,
    make_group,
    off_the_loop,
    open_room,
    password_for,
    shown_messages,
    wait_connected,
    wait_room_ready,
)
from tests.e2e.member import Member, shared_backup

# Seeding ----------------------------------------------------------------------------------------


@off_the_loop
def configure_e2e(
    *,
    enabled: bool = True,
    groups: bool = True,
    dms: bool = True,
) -> None:
    """Set the instance's E2E settings in the database (pages read them on load)."""
    E2ESettings.objects.update_or_create(
        pk=1,
        defaults={
            "enabled": enabled,
            "encrypt_groups_by_default": groups,
            "encrypt_dms_by_default": dms,
        },
    )


@off_the_loop
def session_cookie(user: User) -> str:
    """Return the session id of a new logged-in session of ``user`` (stored in the test DB)."""
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def live_call(server: str, user: User) -> Callable[[str, str, dict | None], tuple[int, Any]]:
    """Return ``call(method, path, body) -> (status, json)`` acting as ``user`` on the live
    server: a session cookie, and a CSRF cookie with the matching header."""
    csrf = get_random_string(32)
    cookies = f"sessionid={session_cookie(user)}; csrftoken={csrf}"

    def call(method: str, path: str, body: dict | None = None) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        request = Request(f"{server}{path}", data=data, method=method)  # noqa: S310 (http test server)
        request.add_header("Accept", "application/json")
        request.add_header("Cookie", cookies)
        request.add_header("Origin", server)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if method != "GET":
            request.add_header("X-CSRFToken", csrf)
        try:
            with urlopen(request, timeout=30) as response:  # noqa: S310
                return response.status, json.loads(response.read() or b"{}")
        except HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")

    return call


def python_member(server: str, user: User, *, publish: bool = True) -> Member:
    """Return a Python E2E member acting as ``user`` on the live server (keys published)."""
    shared_backup(str(user.pk))  # slow (PBKDF2): made before any request
    member = Member(user.pk, live_call(server, user))
    if publish:
        member.publish()
    return member


def start_encrypted_group(
    owner: Member, name: str, invite: list[int], *, ts: int | None = None
) -> int:
    """Create an encrypted group through the API as a Python member (its genesis signed at
    ``ts``, default now); return its id."""
    uid = str(uuid.uuid4())
    key = crypto.generate_room_key()
    fields = owner.first_key(uid, key, invite, ts=ts)
    data = {"room_uid": uid, "name": name, "topic": "", "invite": invite, **fields}
    status, body = owner.call("POST", "/api/e2e/rooms/", data)
    assert status == 201, body
    owner.room_uids[body["room"]["id"]] = uid
    return body["room"]["id"]


@off_the_loop
def current_key_id(room_id: int) -> str:
    return EncryptedRoom.objects.get(room_id=room_id).current_key.key_id


@off_the_loop
def store_encrypted(user: User, room_id: int, client_id: str, payload: dict) -> Message:
    """Store an encrypted message through the real action (no browser is told)."""
    room = Room.objects.get(pk=room_id)
    message, _ = chat_actions.do_send_message(
        user, room, client_id=uuid.UUID(client_id), payload=payload
    )
    return message


def seed_encrypted(member: Member, user: User, room_id: int, texts: list[str]) -> None:
    """Encrypt ``texts`` as ``member`` and store them directly (fast; no events)."""
    key_id = current_key_id(room_id)
    for text in texts:
        client_id, payload = member.encrypt(room_id, key_id, text)
        store_encrypted(user, room_id, client_id, payload)


# Pages ------------------------------------------------------------------------------------------


def wait_e2e(page: Page, state: str) -> None:
    """Wait until the page's E2E session is in ``state`` (disabled, none, locked, unlocked)."""
    expect(page.locator("html")).to_have_attribute("data-e2e", state)


def log_in_with_keys(people: People, user: User, *, next_path: str = "/") -> Page:
    """Log ``user`` in (E2E on); the first page makes and publishes their keys. Return the page
    once the keys are unlocked, on ``next_path``."""
    page = people.new_page()
    page.goto(f"{people.server}/accounts/login/?next={next_path}")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(password_for(user.username))
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{people.server}{next_path}")
    wait_connected(page)
    wait_e2e(page, "unlocked")
    return page


def mark_page(page: Page) -> None:
    """Mark the page's window, to tell later that it was not reloaded."""
    page.evaluate("window.keyroomNotReloaded = true")


def not_reloaded(page: Page) -> bool:
    return page.evaluate("window.keyroomNotReloaded === true")


def open_room_page(page: Page, server: str, room_id: int) -> None:
    page.goto(f"{server}/rooms/{room_id}/")
    wait_room_ready(page)


def room_settled(page: Page) -> None:
    """Wait until every encrypted message of the open room is decrypted or has failed."""
    expect(page.locator("#message-list")).to_have_attribute("data-e2e-pending", "0")


def message_with(page: Page, text: str) -> Locator:
    """The confirmed message whose body is exactly ``text`` (decrypted or placeholder)."""
    return shown_messages(page).filter(
        has=page.locator(".msg-body").filter(has_text=re.compile(rf"^{re.escape(text)}$"))
    )


def key_icon(message: Locator) -> Locator:
    """The key icon by the sender's name: the message was encrypted and verified."""
    return message.locator(".msg-head").get_by_role("img", name="Encrypted")


def expect_verified(page: Page, text: str) -> None:
    message = message_with(page, text)
    expect(message).to_be_visible()
    expect(key_icon(message)).to_be_visible()


# What the server keeps --------------------------------------------------------------------------


def python_room_seen(
    page: Page, server: str, starter: User, name: str, text: str, *, invite: list[User]
) -> tuple[Member, int]:
    """Have ``starter`` (a Python member) start the encrypted group ``name`` with ``invite``
    and write ``text`` in it; open it on ``page`` and wait until ``text`` shows verified.
    Return the Python member and the room id."""
    member = python_member(server, starter)
    room_id = start_encrypted_group(member, name, [user.pk for user in invite])
    seed_encrypted(member, starter, room_id, [text])
    open_room_page(page, server, room_id)
    expect_verified(page, text)
    return member, room_id


def database_dump() -> str:
    """Return every row of every table as text (the whole database, for leak checks)."""
    parts = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 (table names from the DB)
            for row in cursor.fetchall():
                parts.append(f"{table}: {row!r}")
    return "\n".join(parts)


def assert_no_plaintext(texts: list[str], *, where: str, haystack: str) -> None:
    for text in texts:
        assert text not in haystack, f"plaintext {text!r} found in the {where}"


def wait_until(page: Page, predicate: Callable[[], bool], *, seconds: float = 10) -> None:
    """Wait until ``predicate()`` holds (checked every 100 ms while the page runs)."""
    for _ in range(int(seconds * 10)):
        if predicate():
            return
        page.wait_for_timeout(100)  # poll
    raise AssertionError("the condition did not come true in time")


def sharing_passes(page: Page) -> int:
    """How many key-sharing passes the page has finished (``<html data-e2e-served>``)."""
    return int(page.evaluate("() => document.documentElement.dataset.e2eServed || '0'"))


def wait_for_sharing_pass(page: Page, *, after: int) -> None:
    """Wait until the page finished a key-sharing pass that started after ``after`` passes:
    it looked at who lacks keys and sealed what it would (a negative check can follow)."""
    wait_until(page, lambda: sharing_passes(page) > after, seconds=15)


def start_group_in_ui(page: Page, name: str, usernames: list[str]) -> int:
    """Create an encrypted private group from the create dialog; return its id."""
    page.get_by_role("button", name="Create channel").click()
    dialog = page.get_by_role("dialog", name="Create a private group")
    dialog.get_by_label("Name").fill(name)
    expect(dialog.get_by_role("switch", name="Encrypted")).to_be_checked()
    for username in usernames:
        dialog.get_by_role("combobox", name="Invite people").fill(username)
        dialog.get_by_role("option", name=re.compile(username)).click()
    dialog.get_by_role("button", name="Create", exact=True).click()
    expect(page).to_have_url(re.compile(r"/rooms/\d+/$"))
    wait_room_ready(page)
    return int(page.url.rstrip("/").rsplit("/", 1)[1])


@off_the_loop
def substitute_identity(user: User) -> crypto.GeneratedIdentity:
    """The server swaps ``user``'s published identity for another valid one (and claims a
    reset), without the user doing anything. Return the substitute (with its private keys)."""
    substitute = crypto.generate_identity(str(user.pk))
    row = UserIdentity.objects.get(user=user)
    row.public = substitute.public_identity
    row.generation += 1
    row.save()
    return substitute


# Two people in a room, plaintext or encrypted ---------------------------------------------------


def pair_in_plaintext_group(people: People, server: str) -> tuple[Page, Page]:
    """Ann Archer and Bob Baker, each on the page of a plaintext group "plans"."""
    ann, bob = make_account("ann", "Ann Archer"), make_account("bob", "Bob Baker")
    room = make_group(ann, "plans", bob)
    ann_page, bob_page = people.log_in(ann), people.log_in(bob)
    open_room(ann_page, server, room)
    open_room(bob_page, server, room)
    return ann_page, bob_page


def pair_in_encrypted_group(people: People, server: str) -> tuple[Page, Page]:
    """Ann Archer and Bob Baker with keys, each on the page of an encrypted group Ann made."""
    ann, bob = make_account("ann", "Ann Archer"), make_account("bob", "Bob Baker")
    ann_page, bob_page = log_in_with_keys(people, ann), log_in_with_keys(people, bob)
    room_id = start_group_in_ui(ann_page, "secret-plans", ["bob"])
    open_room_page(bob_page, server, room_id)
    return ann_page, bob_page


# For @pytest.mark.parametrize("make_room", PAIR_ROOMS): the same behaviour in both kinds of room.
PAIR_ROOMS = [
    pytest.param(pair_in_plaintext_group, id="plaintext"),
    pytest.param(pair_in_encrypted_group, id="encrypted"),
]
