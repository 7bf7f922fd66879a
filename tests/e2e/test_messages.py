"""Encrypted sends, edits and deletes over HTTP and the socket: every rule runs inside the
transaction that stores the message (docs/SECURITY.md attack 17), both transports give the same
answer, and a deletion stores the sender's signed tombstone (attack 15)."""

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.test import Client

from accounts.models import User
from chat import actions as chat_actions
from chat.models import Message, Room
from e2e import actions as e2e_actions
from e2e import crypto
from e2e.actions.chain import load_chain
from e2e.models import E2ESettings, EncryptedRoom
from tests.e2e.member import Member
from tests.sockets import open_socket, send_cmd

# The socket runs commands in worker threads: they must see committed rows.
pytestmark = pytest.mark.django_db(transaction=True)

Outcome = tuple[str | None, dict[str, Any] | None]  # (error code or None, message)


class Http:
    """The HTTP adapters, as one user."""

    name = "http"

    def __init__(self, user: User) -> None:
        self.client = Client()
        self.client.force_login(user)

    def _call(self, method: str, path: str, body: dict | None = None) -> Outcome:
        data = json.dumps(body) if body is not None else ""
        response = self.client.generic(method, path, data, content_type="application/json")
        found = response.json()
        if "error" in found:
            return found["error"]["code"], None
        return None, found["message"]

    def send(self, room_id: int, client_id: str, payload: object) -> Outcome:
        body = {"client_id": client_id, "payload": payload}
        return self._call("POST", f"/api/e2e/rooms/{room_id}/messages/", body)

    def edit(self, message_id: int, payload: object) -> Outcome:
        return self._call("PATCH", f"/api/e2e/messages/{message_id}/", {"payload": payload})

    def delete(self, message_id: int, payload: object) -> Outcome:
        return self._call("DELETE", f"/api/e2e/messages/{message_id}/", {"payload": payload})

    def plain_send(self, room_id: int, body: str) -> Outcome:
        data = {"client_id": str(uuid.uuid4()), "body": body}
        return self._call("POST", f"/api/rooms/{room_id}/messages/", data)

    def plain_edit(self, message_id: int, body: str) -> Outcome:
        return self._call("PATCH", f"/api/messages/{message_id}/", {"body": body})

    def plain_delete(self, message_id: int) -> Outcome:
        return self._call("DELETE", f"/api/messages/{message_id}/")


class Socket:
    """The socket commands, as one user (one socket per command)."""

    name = "socket"

    def __init__(self, user: User) -> None:
        self.user = user

    def _command(self, **command: Any) -> Outcome:
        async def run() -> dict[str, Any]:
            socket = await open_socket(self.user)
            await socket.send_to(text_data=send_cmd(**command))
            while True:  # pushed events may come before the reply
                reply = await socket.receive_json_from(timeout=5)
                if reply["type"] in ("ack", "error") and reply.get("ref") == "r1":
                    break
            await socket.disconnect()
            return reply

        reply = async_to_sync(run)()
        if reply["type"] == "error":
            return reply["code"], None
        return None, reply["message"]

    def send(self, room_id: int, client_id: str, payload: object) -> Outcome:
        return self._command(
            type="e2e.message.send", room_id=room_id, client_id=client_id, payload=payload
        )

    def edit(self, message_id: int, payload: object) -> Outcome:
        return self._command(type="e2e.message.edit", message_id=message_id, payload=payload)

    def delete(self, message_id: int, payload: object) -> Outcome:
        return self._command(type="e2e.message.delete", message_id=message_id, payload=payload)

    def plain_send(self, room_id: int, body: str) -> Outcome:
        return self._command(
            type="message.send", room_id=room_id, client_id=str(uuid.uuid4()), body=body
        )

    def plain_edit(self, message_id: int, body: str) -> Outcome:
        return self._command(type="message.edit", message_id=message_id, body=body)

    def plain_delete(self, message_id: int) -> Outcome:
        return self._command(type="message.delete", message_id=message_id)


TRANSPORTS = [Http, Socket]


def caller(user: User) -> Callable[[str, str, dict | None], tuple[int, Any]]:
    client = Client()
    client.force_login(user)

    def call(method: str, path: str, body: dict | None) -> tuple[int, Any]:
        data = json.dumps(body) if body is not None else ""
        response = client.generic(method, path, data, content_type="application/json")
        return response.status_code, response.json()

    return call


class Room2:
    """An encrypted group of ann (owner) and bob, with ann's Python member."""

    def __init__(self, ann: User, bob: User) -> None:
        self.ann, self.bob = ann, bob
        self.a = Member(ann.pk, caller(ann))
        self.a.publish()
        self.b = Member(bob.pk, caller(bob))
        self.b.publish()
        status, body = self.a.call("POST", "/api/rooms/", {"name": "secret", "invite": [bob.pk]})
        assert status == 201, body
        self.id = body["room"]["id"]
        key = crypto.generate_room_key()
        fields = self.a.first_key(self.a.room_uid(self.id), key, [bob.pk])
        status, body = self.a.call("POST", f"/api/e2e/rooms/{self.id}/encrypt/", fields)
        assert status == 200, body

    @property
    def key_id(self) -> str:
        return EncryptedRoom.objects.get(room_id=self.id).current_key.key_id

    def payload(self, content: dict, client_id: str, key_id: str | None = None) -> dict:
        return self.a.seal(self.id, key_id or self.key_id, content, client_id)

    def text(self, text: str, client_id: str, *, rev: int = 0, ctr: int = 1) -> dict:
        return self.payload(
            {"text": text, "rev": rev, "ts": int(time.time() * 1000), "ctr": ctr}, client_id
        )

    def tombstone(self, client_id: str, *, rev: int = 1, ctr: int = 1) -> dict:
        content = {"deleted": True, "rev": rev, "ts": int(time.time() * 1000), "ctr": ctr}
        return self.payload(content, client_id)

    def stored(self, text: str = "hello") -> Message:
        """Store one of ann's encrypted messages through the real action."""
        client_id = str(uuid.uuid4())
        message, _ = e2e_actions.do_send_encrypted_message(
            self.ann,
            Room.objects.get(pk=self.id),
            client_id=uuid.UUID(client_id),
            payload=self.text(text, client_id),
        )
        return message

    def rotate(self) -> str:
        """Make a new current key (as ann, sealed to both, with its chain entry); return its id.

        Runs inside other requests (the race tests), so the chain is read from the database
        rather than through the API.
        """
        room = Room.objects.get(pk=self.id)
        uid = str(room.uid)
        state = load_chain(room)
        new = crypto.generate_room_key()
        commit = crypto.key_commitment(room_id=uid, key_id=new.key_id, key=new.key)
        proof = crypto.key_proof(
            room_id=uid,
            epoch=state.epoch + 1,
            previous_key_id=state.current_key_id,
            previous_key=self.a.room_keys[state.current_key_id],
            key_id=new.key_id,
            commit=commit,
            author=str(self.ann.pk),
        )
        body = {
            "epoch": state.epoch + 1,
            "key_id": new.key_id,
            "commit": crypto.b64u_encode(commit),
            "proof": crypto.b64u_encode(proof),
        }
        entry = crypto.sign_entry(
            room_id=uid,
            index=state.length,
            prev=state.head,
            type="key",
            author=str(self.ann.pk),
            ts=state.head_ts,
            body=body,
            signing_key=self.a.identity.signing_key,
        )
        sealed = self.a.envelopes(uid, new, [self.ann.pk, self.bob.pk])
        e2e_actions.do_rotate_key(
            self.ann,
            room,
            replaces_key_id=state.current_key_id,
            entries=[entry],
            envelopes={e["recipient_id"]: e["envelope"] for e in sealed},
        )
        return new.key_id

    def other_key(self) -> str:
        """Return a key id ann holds that is not the room's (for stale_key)."""
        other = crypto.generate_room_key()
        self.a.room_keys[other.key_id] = other.key
        return other.key_id

    def depart(self, make_user: Callable[..., User]) -> None:
        """Someone joins and leaves: the key must rotate before the next message."""
        cat = make_user("cat")
        room = Room.objects.get(pk=self.id)
        chat_actions.do_add_members(self.ann, room, people=[cat])
        chat_actions.do_remove_member(self.ann, room, member=cat)


@pytest.fixture
def room(make_user: Callable[..., User]) -> Room2:
    E2ESettings.objects.create(pk=1, enabled=True)
    return Room2(make_user("ann"), make_user("bob"))


def texts(room_id: int) -> int:
    return Message.objects.filter(room_id=room_id, kind="text").count()


# Attack 17: the check runs under the lock, after anything the adapter did -----------------------


def rotate_before(monkeypatch: pytest.MonkeyPatch, room: Room2, action: str) -> None:
    """Make a rotation commit after the adapter parsed the request, just before chat's action
    (which takes the room lock) runs: a check made before the transaction misses it."""
    real = getattr(chat_actions, action)
    done = []

    def rotate_then_act(*args: Any, **kwargs: Any) -> Any:
        if not done:
            done.append(room.rotate())
        return real(*args, **kwargs)

    monkeypatch.setattr(chat_actions, action, rotate_then_act)


@pytest.mark.parametrize("transport", TRANSPORTS, ids=lambda t: t.name)
def test_a_rotation_committed_before_the_send_is_seen_by_its_check(
    room: Room2, transport: type, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A send under the key that was current when the request came in is refused with
    ``stale_key`` when a rotation commits before the message is stored."""
    client_id = str(uuid.uuid4())
    payload = room.text("under the old key", client_id)
    rotate_before(monkeypatch, room, "do_send_message")
    assert transport(room.ann).send(room.id, client_id, payload) == ("stale_key", None)
    assert texts(room.id) == 0


@pytest.mark.parametrize("transport", TRANSPORTS, ids=lambda t: t.name)
def test_a_rotation_committed_before_the_edit_is_seen_by_its_check(
    room: Room2, transport: type, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An edit under the old key is refused with ``stale_key`` when a rotation commits before
    it is stored; the message keeps its ciphertext."""
    message = room.stored()
    payload = room.text("edited", str(message.client_id), rev=1)
    rotate_before(monkeypatch, room, "do_edit_message")
    assert transport(room.ann).edit(message.pk, payload) == ("stale_key", None)
    message.refresh_from_db()
    assert message.edited_at is None


@pytest.mark.parametrize("transport", TRANSPORTS, ids=lambda t: t.name)
def test_a_rotation_committed_before_the_delete_is_seen_by_its_check(
    room: Room2, transport: type, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A tombstone under the old key is refused with ``stale_key`` when a rotation commits
    before it is stored; the message is not deleted."""
    message = room.stored()
    payload = room.tombstone(str(message.client_id))
    rotate_before(monkeypatch, room, "do_delete_message")
    assert transport(room.ann).delete(message.pk, payload) == ("stale_key", None)
    message.refresh_from_db()
    assert not message.deleted


@pytest.mark.parametrize("transport", TRANSPORTS, ids=lambda t: t.name)
def test_a_departure_committed_before_the_send_is_seen_by_its_check(
    room: Room2, transport: type, monkeypatch: pytest.MonkeyPatch, make_user: Callable[..., User]
) -> None:
    """A send is refused with ``rotation_due`` when someone leaves between the adapter's
    fetch of the room and the insert (the check reads the locked row, not the fetched one)."""
    client_id = str(uuid.uuid4())
    payload = room.text("after a departure", client_id)
    real = chat_actions.do_send_message

    def depart_then_send(*args: Any, **kwargs: Any) -> Any:
        room.depart(make_user)
        return real(*args, **kwargs)

    monkeypatch.setattr(chat_actions, "do_send_message", depart_then_send)
    assert transport(room.ann).send(room.id, client_id, payload) == ("rotation_due", None)
    assert texts(room.id) == 0


def test_plaintext_is_refused_under_the_lock_even_if_the_adapter_saw_a_plain_room(
    room: Room2,
) -> None:
    """Chat's own action refuses plaintext in a room that became encrypted after the caller
    read it (the room object says plaintext, the locked row says encrypted)."""
    stale = Room.objects.get(pk=room.id)
    stale.encrypted = False
    with pytest.raises(chat_actions.InvalidInput) as refused:
        chat_actions.do_send_message(room.ann, stale, client_id=uuid.uuid4(), body="in the clear")
    assert refused.value.code == "encryption_required"
    assert texts(room.id) == 0


# Every rule, both transports ----------------------------------------------------------------------

SEND_CASES = ["not_encrypted", "bad_ciphertext", "stale_key", "rotation_due", "too_long"]


@pytest.mark.parametrize("case", SEND_CASES)
@pytest.mark.parametrize("transport", TRANSPORTS, ids=lambda t: t.name)
def test_send_rules(
    room: Room2, transport: type, case: str, make_user: Callable[..., User]
) -> None:
    """Each refusal of an encrypted send has its code on both transports, and nothing is
    stored."""
    client_id = str(uuid.uuid4())
    payload = room.text("hello", client_id)
    room_id = room.id
    if case == "not_encrypted":
        _, body = room.a.call("POST", "/api/rooms/", {"name": "plain", "invite": []})
        room_id = body["room"]["id"]
    elif case == "bad_ciphertext":
        payload = {**payload, "v": 2}
    elif case == "stale_key":
        payload = room.payload({"text": "x"}, client_id, key_id=room.other_key())
    elif case == "rotation_due":
        room.depart(make_user)
    elif case == "too_long":
        payload = {**payload, "ct": "A" * (64 * 1024 + 4)}
    assert transport(room.ann).send(room_id, client_id, payload) == (case, None)
    assert texts(room_id) == 0


@pytest.mark.parametrize("transport", TRANSPORTS, ids=lambda t: t.name)
def test_plaintext_send_and_edit_refused_in_an_encrypted_room(room: Room2, transport: type) -> None:
    """Chat's plain send and plain edit are refused with ``encryption_required``."""
    message = room.stored()
    via = transport(room.ann)
    assert via.plain_send(room.id, "in the clear") == ("encryption_required", None)
    assert via.plain_edit(message.pk, "in the clear") == ("encryption_required", None)
    assert not Message.objects.filter(body="in the clear").exists()


CHANGE_CASES = ["bad_ciphertext", "stale_key", "rotation_due"]


def _change_payload(room: Room2, message: Message, case: str, content: dict) -> object:
    client_id = str(message.client_id)
    if case == "bad_ciphertext":
        return {**room.payload(content, client_id), "iv": "AAAA"}
    if case == "stale_key":
        return room.payload(content, client_id, key_id=room.other_key())
    if case == "missing":
        return None
    return room.payload(content, client_id)


@pytest.mark.parametrize("case", CHANGE_CASES)
@pytest.mark.parametrize("transport", TRANSPORTS, ids=lambda t: t.name)
def test_edit_rules(
    room: Room2, transport: type, case: str, make_user: Callable[..., User]
) -> None:
    """Each refusal of an encrypted edit has its code on both transports; the message stays."""
    message = room.stored()
    payload = _change_payload(room, message, case, {"text": "edited", "rev": 1, "ctr": 1})
    if case == "rotation_due":
        room.depart(make_user)
    assert transport(room.ann).edit(message.pk, payload) == (case, None)
    message.refresh_from_db()
    assert message.edited_at is None


@pytest.mark.parametrize("case", [*CHANGE_CASES, "missing"])
@pytest.mark.parametrize("transport", TRANSPORTS, ids=lambda t: t.name)
def test_delete_rules(
    room: Room2, transport: type, case: str, make_user: Callable[..., User]
) -> None:
    """Each refusal of a tombstone has its code on both transports; the message stays."""
    message = room.stored()
    payload = _change_payload(room, message, case, {"deleted": True, "rev": 1, "ctr": 1})
    if case == "rotation_due":
        room.depart(make_user)
    expected = "bad_ciphertext" if case == "missing" else case
    assert transport(room.ann).delete(message.pk, payload) == (expected, None)
    message.refresh_from_db()
    assert not message.deleted


@pytest.mark.parametrize("transport", TRANSPORTS, ids=lambda t: t.name)
def test_plain_delete_of_an_encrypted_message_is_refused(room: Room2, transport: type) -> None:
    """Chat's plain delete is refused for an encrypted message (``tombstone_required``)."""
    message = room.stored()
    assert transport(room.ann).plain_delete(message.pk) == ("tombstone_required", None)
    message.refresh_from_db()
    assert not message.deleted and message.payload is not None


@pytest.mark.parametrize("transport", TRANSPORTS, ids=lambda t: t.name)
def test_a_tombstone_replaces_the_ciphertext(room: Room2, transport: type) -> None:
    """Deleting stores the sender's tombstone in place of the old ciphertext; another member
    reads the signed ``deleted`` payload from the deleted message."""
    message = room.stored("goodbye")
    payload = room.tombstone(str(message.client_id), rev=1, ctr=1)
    code, deleted = transport(room.ann).delete(message.pk, payload)
    assert code is None
    assert deleted["deleted"] is True and deleted["payload"] == payload
    room.b.fetch_keys(room.id)
    opened = room.b.open(deleted)
    assert opened["deleted"] is True and opened["rev"] == 1 and opened["ctr"] == 1
    message.refresh_from_db()
    assert message.deleted and message.payload == payload


@pytest.mark.parametrize("transport", TRANSPORTS, ids=lambda t: t.name)
def test_a_deleted_message_cannot_be_edited_or_deleted_again(room: Room2, transport: type) -> None:
    """Once deleted (tombstone stored), the message takes no edit and no second tombstone."""
    message = room.stored()
    client_id = str(message.client_id)
    via = transport(room.ann)
    assert via.delete(message.pk, room.tombstone(client_id))[0] is None
    assert via.edit(message.pk, room.text("back", client_id, rev=2)) == ("not_found", None)
    assert via.delete(message.pk, room.tombstone(client_id, rev=2)) == ("not_found", None)


@pytest.mark.parametrize("transport", TRANSPORTS, ids=lambda t: t.name)
def test_a_tombstone_for_a_plaintext_message_is_refused(room: Room2, transport: type) -> None:
    """A message sent before encryption was turned on is deleted plainly, not with a
    tombstone; a plain delete of it still works in the now-encrypted room."""
    room_obj = Room.objects.get(pk=room.id)
    Room.objects.filter(pk=room.id).update(encrypted=False)
    plain, _ = chat_actions.do_send_message(room.ann, room_obj, client_id=uuid.uuid4(), body="old")
    Room.objects.filter(pk=room.id).update(encrypted=True)
    via = transport(room.ann)
    assert via.delete(plain.pk, room.tombstone(str(plain.client_id))) == ("edit_mismatch", None)
    code, deleted = via.plain_delete(plain.pk)
    assert code is None and deleted["deleted"] is True and deleted["payload"] is None


def test_own_messages_are_listed_newest_first(room: Room2) -> None:
    """GET on the e2e messages endpoint returns the caller's own newest messages only (a
    browser continues its counter from them)."""
    first, second = room.stored("one"), room.stored("two")
    status, body = room.a.call("GET", f"/api/e2e/rooms/{room.id}/messages/", None)
    assert status == 200
    assert [m["id"] for m in body["messages"]] == [second.pk, first.pk]
    status, body = room.b.call("GET", f"/api/e2e/rooms/{room.id}/messages/", None)
    assert (status, body["messages"]) == (200, [])
