"""Encrypted rooms on the server: creation and conversion with keys, ciphertext-only sends,
refusals, and what a Python member reads (the same protocol as the browser)."""

import json
import uuid

import pytest
from django.test import Client

from chat.errors import NotAllowed
from chat.models import Message, Room, RoomKind
from e2e import actions, crypto
from e2e.api.rooms import _genesis
from e2e.models import E2ESettings, EncryptedRoom, KeyEnvelope, RoomKey
from e2e.schemas import Genesis
from tests.e2e.member import Member

pytestmark = pytest.mark.django_db


def caller(user) -> tuple[Client, object]:
    client = Client()
    client.force_login(user)

    def call(method: str, path: str, body: dict | None):
        data = json.dumps(body) if body is not None else ""
        response = client.generic(method, path, data, content_type="application/json")
        return response.status_code, response.json()

    return client, call


@pytest.fixture
def enabled(db):
    return E2ESettings.objects.create(pk=1, enabled=True)


@pytest.fixture
def trio(enabled, make_user):
    """Three people with published identities: ann, bob, and cat."""
    members = {}
    for name in ("ann", "bob", "cat"):
        user = make_user(name)
        member = Member(user.pk, caller(user)[1])
        member.publish()
        members[name] = (user, member)
    return members


def plain_group(owner: Member, people: list[int], name: str = "secret") -> int:
    status, body = owner.call("POST", "/api/rooms/", {"name": name, "invite": people})
    assert status == 201, body
    return body["room"]["id"]


def convert(owner: Member, room_id: int, others: list[int]) -> tuple[int, dict]:
    key = crypto.generate_room_key()
    fields = owner.first_key(owner.room_uid(room_id), key, others)
    return owner.call("POST", f"/api/e2e/rooms/{room_id}/encrypt/", fields)


def make_group(owner: Member, people: list[int], name: str = "secret") -> tuple[int, str]:
    """Create a plaintext group, then convert it to an encrypted one."""
    room_id = plain_group(owner, people, name)
    status, body = convert(owner, room_id, people)
    assert status == 200, body
    return room_id, EncryptedRoom.objects.get(room_id=room_id).current_key.key_id


def test_conversion_turns_flag_on_with_first_key(trio):
    """Converting stores the first key and envelopes and sets the flag, together."""
    (ann, a), (bob, _), _ = trio.values()
    room_id, key_id = make_group(a, [bob.pk])
    room = Room.objects.get(pk=room_id)
    assert room.encrypted
    assert EncryptedRoom.objects.get(room=room).current_key.key_id == key_id
    assert set(KeyEnvelope.objects.values_list("recipient_id", flat=True)) == {ann.pk, bob.pk}
    system = room.messages.filter(kind="system").last()
    assert system.body == "ann turned on end-to-end encryption"


def test_members_read_python_messages(trio):
    """A message one member encrypts is decrypted and verified by another."""
    (_, a), (bob, b), _ = trio.values()
    room_id, key_id = make_group(a, [bob.pk])
    sent = a.send(room_id, key_id, "the plan")
    b.fetch_keys(room_id)
    assert b.decrypt(sent) == "the plan"
    stored = Message.objects.get(pk=sent["id"])
    assert stored.body == ""
    assert "the plan" not in json.dumps(stored.payload)


def test_conversion_is_atomic_on_bad_envelope(trio):
    """A conversion with one bad envelope changes nothing: no flag, no key, no system line."""
    (_, a), (bob, _), _ = trio.values()
    room_id = plain_group(a, [bob.pk])
    key = crypto.generate_room_key()
    fields = a.first_key(a.room_uid(room_id), key, [bob.pk])
    fields["envelopes"][1]["envelope"] = {**fields["envelopes"][1]["envelope"], "sig": "AAAA"}
    status, body = a.call("POST", f"/api/e2e/rooms/{room_id}/encrypt/", fields)
    assert (status, body["error"]["code"]) == (400, "bad_envelopes")
    assert not Room.objects.get(pk=room_id).encrypted
    assert not RoomKey.objects.exists()
    assert not Message.objects.filter(room_id=room_id, body__contains="encryption").exists()


def test_conversion_genesis_must_list_all_members(trio):
    """Starting encryption with a genesis that leaves out a member is refused."""
    (_, a), (bob, _), (cat, _) = trio.values()
    room_id = plain_group(a, [bob.pk, cat.pk])
    key = crypto.generate_room_key()
    fields = a.first_key(a.room_uid(room_id), key, [bob.pk])
    status, body = a.call("POST", f"/api/e2e/rooms/{room_id}/encrypt/", fields)
    assert (status, body["error"]["code"]) == (400, "bad_state_members")
    assert not Room.objects.get(pk=room_id).encrypted


def test_only_owner_may_convert(trio):
    """A member who is not the owner is refused by the server."""
    (ann, a), (bob, b), _ = trio.values()
    room_id = plain_group(a, [bob.pk])
    status, _ = convert(b, room_id, [ann.pk])
    assert status == 403
    assert not Room.objects.get(pk=room_id).encrypted


def test_encryption_stays_on(trio):
    """A second conversion is refused: once encrypted, a room stays encrypted."""
    (_, a), (bob, _), _ = trio.values()
    room_id, _ = make_group(a, [bob.pk])
    status, body = convert(a, room_id, [bob.pk])
    assert (status, body["error"]["code"]) == (409, "already_encrypted")


def test_public_channel_cannot_be_encrypted(trio):
    """Public channels are refused, with the reason."""
    (_, a), _, _ = trio.values()
    _, body = a.call("POST", "/api/rooms/", {"name": "open", "private": False})
    _, body = convert(a, body["room"]["id"], [])
    assert body["error"]["code"] == "channel_not_encryptable"


def test_envelopes_only_to_members(trio):
    """An envelope for a non-member is refused (the key only goes to the room's members)."""
    (_, a), (bob, _), (cat, _) = trio.values()
    room_id = plain_group(a, [bob.pk])
    key = crypto.generate_room_key()
    uid = a.room_uid(room_id)
    fields = a.first_key(uid, key, [bob.pk])
    a.pin([cat.pk])
    fields["envelopes"] += a.envelopes(uid, key, [cat.pk])
    _, body = a.call("POST", f"/api/e2e/rooms/{room_id}/encrypt/", fields)
    assert body["error"]["code"] == "bad_recipient"


def test_create_encrypted_group_in_one_request(trio):
    """Creating an encrypted group makes room, flag, key and envelopes in one request,
    bound to the room uid the browser chose."""
    (_, a), (bob, b), _ = trio.values()
    key, uid = crypto.generate_room_key(), str(uuid.uuid4())
    body = {
        "name": "new-secret",
        "invite": [bob.pk],
        "room_uid": uid,
        **a.first_key(uid, key, [bob.pk]),
    }
    status, body = a.call("POST", "/api/e2e/rooms/", body)
    assert status == 201, body
    assert body["room"]["uid"] == uid
    assert body["room"]["encrypted"]
    sent = a.send(body["room"]["id"], key.key_id, "hello")
    b.fetch_keys(body["room"]["id"])
    assert b.decrypt(sent) == "hello"


def test_create_encrypted_group_needs_own_envelope(trio):
    """Without an envelope for the creator the request is refused and no room is made."""
    (_, a), (bob, _), _ = trio.values()
    key, uid = crypto.generate_room_key(), str(uuid.uuid4())
    fields = a.first_key(uid, key, [bob.pk])
    fields["envelopes"] = fields["envelopes"][1:]
    status, body = a.call(
        "POST", "/api/e2e/rooms/", {"name": "x", "invite": [bob.pk], "room_uid": uid, **fields}
    )
    assert (status, body["error"]["code"]) == (400, "bad_recipient")
    assert not Room.objects.filter(name="x").exists()


def test_encrypted_dm(trio):
    """A new DM opened through the E2E path is encrypted from its first message."""
    (_, a), (bob, b), _ = trio.values()
    key, uid = crypto.generate_room_key(), str(uuid.uuid4())
    status, body = a.call(
        "POST",
        "/api/e2e/dms/",
        {"user_id": bob.pk, "room_uid": uid, **a.first_key(uid, key, [bob.pk])},
    )
    assert status == 201
    assert body["room"]["kind"] == RoomKind.DM
    sent = a.send(body["room"]["id"], key.key_id, "just us")
    b.fetch_keys(body["room"]["id"])
    assert b.decrypt(sent) == "just us"


def test_plaintext_and_stale_key_refused(trio):
    """An encrypted room refuses plaintext, and ciphertext under a key that is not current."""
    (_, a), (bob, _), _ = trio.values()
    room_id, _ = make_group(a, [bob.pk])
    _, body = a.call(
        "POST", f"/api/rooms/{room_id}/messages/", {"client_id": str(uuid.uuid4()), "body": "oops"}
    )
    assert body["error"]["code"] == "encryption_required"
    other = crypto.generate_room_key()
    a.room_keys[other.key_id] = other.key
    client_id, payload = a.encrypt(room_id, other.key_id, "old key")
    _, body = a.call(
        "POST", f"/api/e2e/rooms/{room_id}/messages/", {"client_id": client_id, "payload": payload}
    )
    assert body["error"]["code"] == "stale_key"
    assert not Message.objects.filter(room_id=room_id, kind="text").exists()


@pytest.mark.parametrize(
    "mangle",
    [
        lambda p: {**p, "v": 2},
        lambda p: {**p, "extra": "x"},
        lambda p: {**p, "iv": "AAAA"},
        lambda p: "plain text",
    ],
)
def test_malformed_ciphertext_refused(trio, mangle):
    """Anything not in the one message format is refused and not stored."""
    (_, a), (bob, _), _ = trio.values()
    room_id, key_id = make_group(a, [bob.pk])
    client_id, payload = a.encrypt(room_id, key_id, "x")
    status, _ = a.call(
        "POST",
        f"/api/e2e/rooms/{room_id}/messages/",
        {"client_id": client_id, "payload": mangle(payload)},
    )
    assert status == 400
    assert not Message.objects.filter(room_id=room_id, kind="text").exists()


def test_keys_endpoint_returns_only_own_envelopes(trio):
    """Each member gets only the envelopes sealed to them; outsiders get nothing."""
    _, (bob, b), (_, c) = trio.values()
    room_id, key_id = make_group(trio["ann"][1], [bob.pk])
    body = b.fetch_keys(room_id)
    assert [e["recipient_id"] for e in body["envelopes"]] == [bob.pk]
    assert body["current_key_id"] == key_id
    status, _ = c.call("GET", f"/api/e2e/rooms/{room_id}/keys/", None)
    assert status == 404


def test_encrypted_edit(trio):
    """The sender replaces an encrypted message with a new ciphertext; plaintext edits fail."""
    (_, a), (bob, b), _ = trio.values()
    room_id, key_id = make_group(a, [bob.pk])
    sent = a.send(room_id, key_id, "draft")
    _, payload = a.encrypt(room_id, key_id, "final", client_id=sent["client_id"])
    status, body = a.call("PATCH", f"/api/e2e/messages/{sent['id']}/", {"payload": payload})
    assert status == 200
    b.fetch_keys(room_id)
    assert b.decrypt(body["message"]) == "final"
    _, body = a.call("PATCH", f"/api/messages/{sent['id']}/", {"body": "plain"})
    assert body["error"]["code"] == "encryption_required"


def test_search_leaves_out_rooms_once_encrypted(trio):
    """After conversion, not even the room's earlier plaintext messages are in server search."""
    (ann, a), (bob, _), _ = trio.values()
    room_id = plain_group(a, [bob.pk], "was-plain")
    a.call(
        "POST",
        f"/api/rooms/{room_id}/messages/",
        {"client_id": str(uuid.uuid4()), "body": "needle from before"},
    )
    client, _ = caller(ann)
    assert "needle from before" in client.get("/search/?q=needle").content.decode()
    status, _ = convert(a, room_id, [bob.pk])
    assert status == 200
    assert "needle from before" not in client.get("/search/?q=needle").content.decode()


def test_e2e_room_endpoints_refuse_when_disabled(trio):
    """With the admin switch off, nobody can create encrypted rooms."""
    (_, a), (bob, _), _ = trio.values()
    E2ESettings.objects.filter(pk=1).update(enabled=False)
    key, uid = crypto.generate_room_key(), str(uuid.uuid4())
    status, body = a.call(
        "POST",
        "/api/e2e/rooms/",
        {"name": "n", "invite": [bob.pk], "room_uid": uid, **a.first_key(uid, key, [bob.pk])},
    )
    assert (status, body["error"]["code"]) == (403, "e2e_disabled")


def test_either_member_of_a_dm_turns_on_encryption(trio):
    """In a DM both people are equals: the one who did not open it turns on encryption."""
    (ann, a), (bob, b), _ = trio.values()
    status, body = a.call("POST", "/api/dms/", {"user_id": bob.pk})
    assert status == 201, body
    room_id = body["room"]["id"]
    status, body = convert(b, room_id, [ann.pk])
    assert status == 200, body
    assert Room.objects.get(pk=room_id).encrypted


def test_conversion_rule_is_checked_under_the_row_lock(trio):
    """The action itself refuses a group member who is not its owner (the rule holds inside the
    transaction, not only in the view's fetch), and nothing is stored."""
    (ann, a), (bob, b), _ = trio.values()
    room_id = plain_group(a, [bob.pk])
    room = Room.objects.get(pk=room_id)
    fields = b.first_key(b.room_uid(room_id), crypto.generate_room_key(), [ann.pk])
    with pytest.raises(NotAllowed):
        actions.do_encrypt_room(bob, room, **_genesis(Genesis.model_validate(fields)))
    assert not Room.objects.get(pk=room_id).encrypted
