"""Typing over the socket: ephemeral, to the room's other members only, throttled, never
stored, and refused for a room the typist is not in (docs/ARCHITECTURE.md "Typing")."""

import json

import pytest
from asgiref.sync import sync_to_async
from django.apps import apps

from chat import consumers
from chat.models import RoomKind
from tests.sockets import open_socket, receive_type

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def fresh_room_budgets():
    """The per-room typing budget lives in the process: every test starts with full ones."""
    consumers._room_typing.buckets.clear()


def typing(room_id, *, ref="t1", **fields):
    return json.dumps({"type": "typing", "ref": ref, "room_id": room_id, **fields})


@sync_to_async
def row_counts() -> dict[str, int]:
    return {model._meta.label: model.objects.count() for model in apps.get_models()}


async def test_typing_reaches_other_members_not_the_typist_or_outsiders(people, group):
    """Ann's typing goes to Bob's sockets; not to Ann's own (this tab or another) nor to Cat,
    who is not in the room; nothing is stored."""
    ann, bob, cat = people
    ann_tab, ann_other_tab = await open_socket(ann), await open_socket(ann)
    bob_socket, cat_socket = await open_socket(bob), await open_socket(cat)
    before = await row_counts()
    await ann_tab.send_to(text_data=typing(group.pk))
    assert (await receive_type(ann_tab, "ack"))["ref"] == "t1"
    event = await receive_type(bob_socket, "typing")
    assert event == {"type": "typing", "room_id": group.pk, "user_id": ann.pk, "typing": True}
    await ann_tab.send_to(text_data=typing(group.pk, ref="t2", typing=False))
    await receive_type(ann_tab, "ack")
    assert (await receive_type(bob_socket, "typing"))["typing"] is False
    assert await ann_other_tab.receive_nothing(timeout=0.3)
    assert await ann_tab.receive_nothing(timeout=0.1)
    assert await cat_socket.receive_nothing(timeout=0.1)
    assert await row_counts() == before
    for socket in (ann_tab, ann_other_tab, bob_socket, cat_socket):
        await socket.disconnect()


async def test_typing_in_a_room_one_is_not_in_is_refused(people, group):
    """Cat may not announce typing in a group she is not in: the same not_found as any command,
    and nobody hears it."""
    _, bob, cat = people
    bob_socket, cat_socket = await open_socket(bob), await open_socket(cat)
    await cat_socket.send_to(text_data=typing(group.pk))
    error = await receive_type(cat_socket, "error")
    assert (error["ref"], error["code"]) == ("t1", "not_found")
    await cat_socket.send_to(text_data=typing(987654))
    assert (await receive_type(cat_socket, "error"))["code"] == "not_found"
    assert await bob_socket.receive_nothing(timeout=0.3)
    await bob_socket.disconnect()
    await cat_socket.disconnect()


@pytest.mark.parametrize(
    ("fields", "code"),
    [({"room_id": "x"}, "not_found"), ({"room_id": 1, "typing": "yes"}, "invalid")],
)
async def test_a_bad_typing_frame_gets_the_declared_error(people, fields, code):
    ann, _, _ = people
    socket = await open_socket(ann)
    await socket.send_to(text_data=json.dumps({"type": "typing", "ref": "b", **fields}))
    assert (await receive_type(socket, "error"))["code"] == code
    await socket.disconnect()


async def test_typing_is_throttled_per_socket_and_room(people, group, monkeypatch):
    """A storm of "started" frames from one socket goes out once per TYPING_EVERY; a "stopped"
    goes out once after a start, not again; every frame is still acknowledged."""
    ann, bob, _ = people
    monkeypatch.setattr(consumers, "TYPING_EVERY", 60.0)
    monkeypatch.setattr(consumers, "ROOM_TYPING_RATE", 1000.0)  # this test is the socket's
    ann_socket, bob_socket = await open_socket(ann), await open_socket(bob)
    for i in range(20):
        await ann_socket.send_to(text_data=typing(group.pk, ref=f"s{i}"))
        assert (await receive_type(ann_socket, "ack"))["ref"] == f"s{i}"
    assert (await receive_type(bob_socket, "typing"))["typing"] is True
    assert await bob_socket.receive_nothing(timeout=0.3)
    for i in range(3):
        await ann_socket.send_to(text_data=typing(group.pk, ref=f"e{i}", typing=False))
        await receive_type(ann_socket, "ack")
    assert (await receive_type(bob_socket, "typing"))["typing"] is False
    assert await bob_socket.receive_nothing(timeout=0.3)
    await ann_socket.disconnect()
    await bob_socket.disconnect()


async def test_typing_does_not_use_the_write_brake(people, group, settings):
    """Typing draws nothing from the write bucket: with the brake at one write, a burst of
    typing frames leaves the one send that follows its token."""
    ann, _, _ = people
    settings.KEYROOM_WRITE_RATE = 0.001
    settings.KEYROOM_WRITE_BURST = 1
    socket = await open_socket(ann)
    for i in range(5):
        await socket.send_to(text_data=typing(group.pk, ref=f"s{i}"))
        await receive_type(socket, "ack")
    await socket.send_to(
        text_data=json.dumps(
            {
                "type": "message.send",
                "ref": "m",
                "room_id": group.pk,
                "client_id": "6f1c2b9e-6c53-4a4f-8d3c-2f1a3c0b7a11",
                "body": "hi",
            }
        )
    )
    assert (await receive_type(socket, "ack"))["ref"] == "m"
    await socket.disconnect()


async def test_a_typist_whose_socket_closes_stops_typing(people, group):
    """A tab closed mid-message says "stopped" for it, so the others' line does not wait for
    their timeout."""
    ann, bob, _ = people
    ann_socket, bob_socket = await open_socket(ann), await open_socket(bob)
    await ann_socket.send_to(text_data=typing(group.pk))
    assert (await receive_type(bob_socket, "typing"))["typing"] is True
    await ann_socket.disconnect()
    event = await receive_type(bob_socket, "typing")
    assert (event["user_id"], event["typing"]) == (ann.pk, False)
    await bob_socket.disconnect()


async def test_a_room_full_of_typists_is_capped(make_user, make_room, monkeypatch):
    """Ten members starting to type at once: the room relays at most its burst
    (ROOM_TYPING_BURST) of them, whoever comes first; the rest are acknowledged and dropped."""
    monkeypatch.setattr(consumers, "ROOM_TYPING_RATE", 0.001)  # no refill during the test
    monkeypatch.setattr(consumers, "ROOM_TYPING_BURST", 3)
    owner = await sync_to_async(make_user)("owner")
    typists = [await sync_to_async(make_user)(f"t{i}") for i in range(10)]
    room = await sync_to_async(make_room)(owner, kind=RoomKind.GROUP, members=typists)
    listener = await open_socket(owner)
    sockets = [await open_socket(user) for user in typists]
    for socket in sockets:
        await socket.send_to(text_data=typing(room.pk))
        await receive_type(socket, "ack")
    heard = set()
    for _ in range(3):
        heard.add((await receive_type(listener, "typing"))["user_id"])
    assert len(heard) == 3 and heard <= {user.pk for user in typists}
    assert await listener.receive_nothing(timeout=0.3)
    for socket in [listener, *sockets]:
        await socket.disconnect()


async def test_a_typing_frame_without_a_ref_gets_no_ack(people, group):
    """Browsers send typing without a ref (no ack per keystroke); an error still comes."""
    ann, _, cat = people
    ann_socket, cat_socket = await open_socket(ann), await open_socket(cat)
    await ann_socket.send_to(text_data=json.dumps({"type": "typing", "room_id": group.pk}))
    assert await ann_socket.receive_nothing(timeout=0.3)
    await cat_socket.send_to(text_data=json.dumps({"type": "typing", "room_id": group.pk}))
    assert (await receive_type(cat_socket, "error"))["code"] == "not_found"
    await ann_socket.disconnect()
    await cat_socket.disconnect()
