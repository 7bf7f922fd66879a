"""The authorization matrix of e2e: every e2e HTTP route and every socket command, for
anonymous, non-member, member, owner and admin callers, by session and by personal access token
(a token answers as its user's session).

``enc`` is an encrypted private group owned by ``owner`` with ``member`` in it; ``plain`` is a
plaintext private group of the same two, and ``pdm`` a plaintext DM between them. ``emsg`` (in
``enc``) and ``pmsg`` (in ``plain``) were sent by ``member``. ``outsider`` and ``admin`` (an
instance administrator) are in neither room: being admin gives no access to other people's
private rooms. Everyone has published keys; bodies are built by each caller's own Python member
(tests/e2e/member.py), so they are valid and only the caller decides the answer. Routes whose
behaviour is being redesigned (the room ones) are pinned here only for who may call them.

The last tests fail when an e2e route, an HTTP method of one, or a socket command has no row.
"""

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.test import Client
from django.urls import URLPattern, get_resolver, reverse

from accounts.actions import do_create_token
from chat import actions as chat_actions
from chat.commands import COMMANDS
from chat.models import Room, RoomKind
from e2e import crypto
from e2e.models import E2ESettings, EncryptedRoom
from tests.e2e.member import PASSWORD, Member
from tests.e2e.test_rooms import caller, make_group
from tests.sockets import connect, open_socket

ROLES = ("anon", "outsider", "member", "owner", "admin")
PEOPLE = ("owner", "member", "outsider", "admin", "peer")


@pytest.fixture(scope="module")
def backup_blob() -> dict:
    """One well-formed key backup for everyone (the server checks its shape, not its owner):
    600,000 PBKDF2 iterations make a backup per user too slow for a matrix."""
    return crypto.create_backup(crypto.generate_identity("1").secret, PASSWORD, "1")


@pytest.fixture
def world(make_user, make_room, backup_blob) -> dict[str, Any]:
    """Build the rooms, people and messages described in the module docstring."""
    E2ESettings.objects.create(pk=1, enabled=True)
    users = {name: make_user(name) for name in PEOPLE if name != "admin"}
    users["admin"] = make_user("admin", is_superuser=True, is_staff=True)
    members = {name: Member(user.pk, caller(user)[1]) for name, user in users.items()}
    for member in members.values():
        status, body = member.call(
            "POST",
            "/api/e2e/identity/",
            {"identity": member.identity.public_identity, "backup": backup_blob},
        )
        assert status == 201, body
    enc, key_id = make_group(members["owner"], [users["member"].pk])
    members["member"].fetch_keys(enc)
    plain = make_room(users["owner"], kind=RoomKind.GROUP, members=(users["member"],))
    pdm, _ = chat_actions.do_open_dm(users["owner"], other=users["member"])
    for member in members.values():  # so building a body never needs the caller's access
        member.room_uids.update(
            {enc: str(Room.objects.get(pk=enc).uid), plain.pk: str(plain.uid), pdm.pk: str(pdm.uid)}
        )
    emsg = members["member"].send(enc, key_id, "psst")
    pmsg, _ = chat_actions.do_send_message(
        users["member"], plain, client_id=uuid.uuid4(), body="hi"
    )
    return {
        **users,
        "members": members,
        "backup": backup_blob,
        "enc": enc,
        "key_id": key_id,
        "plain": plain.pk,
        "pdm": pdm.pk,
        "emsg": emsg["id"],
        "emsg_client_id": emsg["client_id"],
        "pmsg": pmsg.pk,
    }


# Bodies: each takes (world, role) and is built by the role's own member. -------------------


def _holder(w: dict, role: str) -> Member:
    """The role's member if it holds the room key, else the owner's (the call is refused
    before the body matters, but the body stays well formed)."""
    return w["members"][role if role in ("owner", "member") else "owner"]


def _current_key(w: dict) -> crypto.RoomKey:
    key_id = EncryptedRoom.objects.get(room_id=w["enc"]).current_key.key_id
    return crypto.RoomKey(key_id, w["members"]["owner"].room_keys[key_id])


def new_identity(w: dict, role: str) -> dict:
    """A fresh identity of the role's user with a backup (first publish or reset)."""
    public = crypto.generate_identity(str(w[role].pk)).public_identity
    return {"identity": public, "backup": w["backup"], "login_password": f"pw-{role}"}


def replaced_backup(w: dict, role: str) -> dict:
    return {"backup": w["backup"], "login_password": f"pw-{role}"}


def trust_record(w: dict, role: str) -> dict:
    """A trust record the caller sealed to their own identity (version 1: none stored yet)."""
    member = w["members"][role]
    user_id = str(member.user_id)
    state = {"v": 1, "user": user_id, "pins": [], "rooms": []}
    record = crypto.seal_trust_record(
        state,
        user_id=user_id,
        version=1,
        signing_key=member.identity.signing_key,
        agreement_key=member.identity.agreement_key,
    )
    return {"record": record}


def new_group(w: dict, role: str) -> dict:
    uid = str(uuid.uuid4())
    return {
        "room_uid": uid,
        "name": f"enc-{uid[:8]}",
        "invite": [],
        **w["members"][role].first_key(uid, crypto.generate_room_key(), []),
    }


def new_dm(w: dict, role: str) -> dict:
    uid = str(uuid.uuid4())
    first = w["members"][role].first_key(uid, crypto.generate_room_key(), [w["peer"].pk])
    return {"user_id": w["peer"].pk, "room_uid": uid, **first}


def encrypt_plain(w: dict, role: str) -> dict:
    member = w["members"][role]
    return member.first_key(
        member.room_uid(w["plain"]), crypto.generate_room_key(), [w["member"].pk]
    )


def encrypt_dm(w: dict, role: str) -> dict:
    """The DM's genesis as the caller would make it (the other of the two is invited)."""
    member = w["members"][role]
    other = w["owner"] if member.user_id == w["member"].pk else w["member"]
    return member.first_key(member.room_uid(w["pdm"]), crypto.generate_room_key(), [other.pk])


def share(w: dict, role: str) -> dict:
    """The holder re-seals the current key to the other holder (both are attested)."""
    holder = _holder(w, role)
    other = w["owner"] if holder.user_id == w["member"].pk else w["member"]
    holder.pin([other.pk])
    key = _current_key(w)
    uid = holder.room_uid(w["enc"])
    return {"shares": [{"key_id": key.key_id, "envelopes": holder.envelopes(uid, key, [other.pk])}]}


def add_peer(w: dict, role: str) -> dict:
    holder = _holder(w, role)
    holder.pin([w["peer"].pk])
    key = _current_key(w)
    uid = holder.room_uid(w["enc"])
    return {
        "user_ids": [w["peer"].pk],
        "entries": holder.sign_entries(w["enc"], [holder.member_added(w["peer"].pk)]),
        "shares": [{"key_id": key.key_id, "envelopes": holder.envelopes(uid, key, [w["peer"].pk])}],
    }


def rotate(w: dict, role: str) -> dict:
    holder = _holder(w, role)
    holder.pin([w["owner"].pk, w["member"].pk])
    new = crypto.generate_room_key()
    uid = holder.room_uid(w["enc"])
    return {
        "replaces_key_id": _current_key(w).key_id,
        "entries": holder.sign_entries(w["enc"], [("key", holder.key_body(w["enc"], new))]),
        "envelopes": holder.envelopes(uid, new, [w["owner"].pk, w["member"].pk]),
    }


def policy(w: dict, role: str) -> dict:
    holder = _holder(w, role)
    return {"entries": holder.sign_entries(w["enc"], [("policy", {"share_history": False})])}


def record_departure(w: dict, role: str) -> dict:
    """A member_removed entry for someone still in the room: refused as input (400) once the
    caller may reach the room at all, which is what this row is about."""
    holder = _holder(w, role)
    gone = w["member"] if holder.user_id == w["owner"].pk else w["owner"]
    return {"entries": holder.sign_entries(w["enc"], [("member_removed", {"user": str(gone.pk)})])}


def encrypted_send(w: dict, role: str) -> dict:
    client_id, payload = _holder(w, role).encrypt(w["enc"], w["key_id"], "hello")
    return {"client_id": client_id, "payload": payload}


def encrypted_edit(w: dict, role: str) -> dict:
    # Bound to the message's client id, as an edit must be.
    _, payload = _holder(w, role).encrypt(w["enc"], w["key_id"], "edited", w["emsg_client_id"])
    return {"payload": payload}


def encrypted_delete(w: dict, role: str) -> dict:
    """A signed tombstone bound to the message's client id, as a delete must be."""
    holder = _holder(w, role)
    tombstone = {"deleted": True, "rev": 1, "ts": 0, "ctr": 1}
    return {"payload": holder.seal(w["enc"], w["key_id"], tombstone, w["emsg_client_id"])}


@dataclass(frozen=True)
class Row:
    name: str  # the route name, "e2e:<name>"
    method: str
    expected: tuple[int, int, int, int, int]  # one status per role in ROLES
    room: str | None = None  # which room's id fills <room_id>
    query: str = ""
    body: Callable[[dict, str], dict] | None = None

    def url(self, w: dict) -> str:
        kwargs = {}
        if self.room:
            kwargs["room_id"] = w[self.room]
        if self.name == "api:e2e_message":
            kwargs["message_id"] = w["emsg"]
        return reverse(self.name, kwargs=kwargs) + self.query.format(member=w["member"].pk)


HTTP_MATRIX = [
    Row("e2e:encryption", "GET", (302, 200, 200, 200, 200)),
    Row("api:e2e_state", "GET", (401, 200, 200, 200, 200)),
    # Everyone already has keys: a second identity is a conflict, not a permission question.
    Row("api:e2e_identity", "POST", (401, 409, 409, 409, 409), body=new_identity),
    Row("api:e2e_backup", "GET", (401, 200, 200, 200, 200)),
    Row("api:e2e_backup", "PUT", (401, 200, 200, 200, 200), body=replaced_backup),
    Row("api:e2e_password_saved", "POST", (401, 200, 200, 200, 200)),
    Row("api:e2e_reset", "POST", (401, 200, 200, 200, 200), body=new_identity),
    Row("api:e2e_identities", "GET", (401, 200, 200, 200, 200), query="?ids={member}"),
    # Each caller's own record only: there is no way to name another user's.
    Row("api:e2e_trust", "GET", (401, 200, 200, 200, 200)),
    Row("api:e2e_trust", "PUT", (401, 200, 200, 200, 200), body=trust_record),
    Row("api:e2e_rooms", "POST", (401, 201, 201, 201, 201), body=new_group),
    Row("api:e2e_dms", "POST", (401, 201, 201, 201, 201), body=new_dm),
    Row("api:e2e_encrypt_room", "POST", (401, 404, 403, 200, 404), "plain", body=encrypt_plain),
    # In a DM both people are equals: either may turn encryption on.
    Row("api:e2e_encrypt_room", "POST", (401, 404, 200, 200, 404), "pdm", body=encrypt_dm),
    Row("api:e2e_room_keys", "GET", (401, 404, 200, 200, 404), "enc"),
    Row("api:e2e_room_access", "GET", (401, 404, 200, 200, 404), "enc"),
    Row("api:e2e_share_keys", "POST", (401, 404, 200, 200, 404), "enc", body=share),
    Row("api:e2e_add_members", "POST", (401, 404, 403, 200, 404), "enc", body=add_peer),
    Row("api:e2e_rotate", "POST", (401, 404, 200, 200, 404), "enc", body=rotate),
    Row("api:e2e_policy", "POST", (401, 404, 403, 200, 404), "enc", body=policy),
    Row("api:e2e_room_state", "GET", (401, 404, 200, 200, 404), "enc"),
    Row("api:e2e_room_state", "POST", (401, 404, 400, 400, 404), "enc", body=record_departure),
    Row("api:e2e_room_messages", "POST", (401, 404, 201, 201, 404), "enc", body=encrypted_send),
    Row("api:e2e_room_messages", "GET", (401, 404, 200, 200, 404), "enc"),
    Row("api:e2e_message", "PATCH", (401, 404, 200, 404, 404), body=encrypted_edit),
    Row("api:e2e_message", "DELETE", (401, 404, 200, 404, 404), body=encrypted_delete),
]
HTTP_CASES = [
    pytest.param(row, role, row.expected[i], id=f"{row.method} {row.name} as {role}")
    for row in HTTP_MATRIX
    for i, role in enumerate(ROLES)
]


@pytest.mark.django_db
@pytest.mark.parametrize(("row", "role", "expected"), HTTP_CASES)
def test_e2e_route_permissions(world, row, role, expected):
    """Each e2e route answers each kind of caller as the matrix says."""
    client = Client()
    if role != "anon":
        client.force_login(world[role])
    body = row.body(world, role) if row.body and role != "anon" else None
    data = json.dumps(body) if body is not None else ""
    response = client.generic(row.method, row.url(world), data, content_type="application/json")
    assert response.status_code == expected, response.content[:300]


TOKEN_HTTP_CASES = [
    pytest.param(row, role, i, id=f"{row.method} {row.name} with {role}'s token")
    for row in HTTP_MATRIX
    for i, role in enumerate(ROLES)
    if role != "anon"
]


@pytest.mark.django_db
@pytest.mark.parametrize(("row", "role", "column"), TOKEN_HTTP_CASES)
def test_e2e_route_permissions_with_a_token(world, row, role, column):
    """With a token (no cookie, no CSRF token) each e2e API route answers as to the session;
    a page (My Account -> Encryption) as to an anonymous visitor (its write: CSRF's 403)."""
    url = row.url(world)
    if url.startswith("/api/"):
        expected = row.expected[column]
    else:
        expected = row.expected[0] if row.method == "GET" else 403
    secret = do_create_token(world[role], name="script", days=7)[1]
    body = row.body(world, role) if row.body else None
    data = json.dumps(body) if body is not None else ""
    response = Client(enforce_csrf_checks=True).generic(
        row.method,
        url,
        data,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert response.status_code == expected, response.content[:300]


# Socket commands -----------------------------------------------------------------------------

SOCKET_ROLES = ROLES[1:]  # anonymous sockets are refused at the handshake (test below)


def _plain_send(w: dict, role: str) -> dict:
    return {"room_id": w["plain"], "client_id": str(uuid.uuid4()), "body": "hi"}


def _encrypted_socket_send(w: dict, role: str) -> dict:
    return {"room_id": w["enc"], **encrypted_send(w, role)}


def _encrypted_socket_edit(w: dict, role: str) -> dict:
    return {"message_id": w["emsg"], **encrypted_edit(w, role)}


# (command, body maker, expected per role in SOCKET_ROLES: "ack", "pong" or an error code)
SOCKET_MATRIX: list[tuple[str, Callable[[dict, str], dict], tuple[str, str, str, str]]] = [
    ("ping", lambda w, role: {}, ("pong", "pong", "pong", "pong")),
    ("message.send", _plain_send, ("not_found", "ack", "ack", "not_found")),
    (
        "message.edit",
        lambda w, role: {"message_id": w["pmsg"], "body": "edited"},
        ("not_found", "ack", "not_found", "not_found"),
    ),
    (
        "message.delete",
        lambda w, role: {"message_id": w["pmsg"]},
        ("not_found", "ack", "not_found", "not_found"),
    ),
    (
        "room.read",
        lambda w, role: {"room_id": w["plain"], "seq": 1},
        ("not_found", "ack", "ack", "not_found"),
    ),
    # Typing in an encrypted room is the same metadata as in a plaintext one.
    (
        "typing",
        lambda w, role: {"room_id": w["enc"], "typing": True},
        ("not_found", "ack", "ack", "not_found"),
    ),
    # Presence names no room: any logged-in socket may say it is active or idle.
    ("presence", lambda w, role: {"state": "active"}, ("ack", "ack", "ack", "ack")),
    ("e2e.message.send", _encrypted_socket_send, ("not_found", "ack", "ack", "not_found")),
    ("e2e.message.edit", _encrypted_socket_edit, ("not_found", "ack", "not_found", "not_found")),
    (
        "e2e.message.delete",
        lambda w, role: {"message_id": w["emsg"], **encrypted_delete(w, role)},
        ("not_found", "ack", "not_found", "not_found"),
    ),
]
SOCKET_CASES = [
    pytest.param(command, body, role, expected[i], id=f"{command} as {role}")
    for command, body, expected in SOCKET_MATRIX
    for i, role in enumerate(SOCKET_ROLES)
]


async def _answer(socket, ref: str) -> dict:
    """Return the reply to ``ref``, skipping pushed events (the caller's own message.new)."""
    for _ in range(10):
        event = await socket.receive_json_from(timeout=2)
        if event.get("ref") == ref:
            return event
    raise AssertionError(f"no reply to {ref}")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("by", ["session", "token"])
@pytest.mark.parametrize(("command", "body", "role", "expected"), SOCKET_CASES)
async def test_socket_command_permissions(world, command, body, role, expected, by):
    """Each socket command answers each kind of caller as the matrix says, whether the socket
    was opened with the session or with a token."""
    data = await sync_to_async(body)(world, role)
    if by == "token":
        secret = (await sync_to_async(do_create_token)(world[role], name="bot", days=7))[1]
        socket = await open_socket(token=secret)
    else:
        socket = await open_socket(world[role])
    ref = str(uuid.uuid4())
    await socket.send_to(text_data=json.dumps({"type": command, "ref": ref, **data}))
    answer = await _answer(socket, ref)
    await socket.disconnect()
    got = answer["type"] if answer["type"] in ("ack", "pong") else answer["code"]
    assert got == expected, answer


@pytest.mark.django_db(transaction=True)
async def test_anonymous_socket_is_refused():
    """No command can be sent anonymously: the handshake itself is refused."""
    socket = await connect(None)
    connected, _ = await socket.connect()
    assert not connected


# Completeness: a new route, method or command without a row fails here. ----------------------


def _e2e_patterns() -> list[URLPattern]:
    """The e2e app's API routes (``e2e_*`` in the API's namespace) and its pages."""
    _, api = get_resolver().namespace_dict["api"]
    _, pages = get_resolver().namespace_dict["e2e"]
    return [p for p in api.url_patterns if p.name.startswith("e2e_")] + list(pages.url_patterns)


def _name(pattern: URLPattern) -> str:
    return f"api:{pattern.name}" if pattern.name.startswith("e2e_") else f"e2e:{pattern.name}"


def test_every_e2e_route_has_a_row():
    """The matrix names every route the URL resolver has in the e2e namespace, and no other."""
    routes = {_name(pattern) for pattern in _e2e_patterns()}
    assert routes == {row.name for row in HTTP_MATRIX}


@pytest.mark.django_db
def test_every_method_an_e2e_route_accepts_has_a_row(make_user):
    """Every HTTP method an e2e route does not answer with 405 has a row in the matrix."""
    client = Client()
    client.force_login(make_user())
    rows = {(row.name, row.method) for row in HTTP_MATRIX}
    accepted = set()
    for pattern in _e2e_patterns():
        kwargs = dict.fromkeys(pattern.pattern.converters, 987654)
        url = reverse(_name(pattern), kwargs=kwargs)
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            if client.generic(method, url, "", content_type="application/json").status_code != 405:
                accepted.add((_name(pattern), method))
    assert accepted == rows


def test_every_socket_command_has_a_row():
    """The matrix names every command in the consumer's registry (chat's and e2e's), plus the
    consumer's own ``ping``."""
    assert {command for command, _, _ in SOCKET_MATRIX} == {*COMMANDS, "ping"}
