"""The WebSocket consumer, driven through the full ASGI stack (origin check, session auth)."""

import json
import uuid

import pytest
from asgiref.sync import sync_to_async
from django.test import Client

from chat import actions
from chat.models import Message
from tests.sockets import connect, open_socket, receive_type, send_cmd

pytestmark = pytest.mark.django_db(transaction=True)


async def test_anonymous_is_refused():
    """A socket without a logged-in session is refused at the handshake."""
    socket = await connect(None)
    connected, _ = await socket.connect()
    assert not connected


async def test_foreign_origin_is_refused(people):
    """A socket opened from another site's page is refused even with a valid session."""
    socket = await connect(people[0], origin=(b"origin", b"http://evil.example"))
    connected, _ = await socket.connect()
    assert not connected


async def test_send_acks_then_reaches_every_member(people, group):
    """A sent message is acknowledged to the sender and pushed to every member's socket."""
    ann, bob, _ = people
    ann_socket, bob_socket = await open_socket(ann), await open_socket(bob)
    client_id = str(uuid.uuid4())
    await ann_socket.send_to(
        text_data=send_cmd(
            type="message.send", room_id=group.pk, client_id=client_id, body="hi bob"
        )
    )
    ack = await receive_type(ann_socket, "ack")
    assert ack["ref"] == "r1" and ack["message"]["body"] == "hi bob"
    pushed = await receive_type(bob_socket, "message.new")
    assert pushed["message"]["client_id"] == client_id
    assert await sync_to_async(Message.objects.filter(body="hi bob").count)() == 1
    await ann_socket.disconnect()
    await bob_socket.disconnect()


async def test_non_member_gets_nothing(people, group):
    """Someone outside a private group neither receives its messages nor may post there."""
    ann, _, cat = people
    ann_socket, cat_socket = await open_socket(ann), await open_socket(cat)
    await cat_socket.send_to(
        text_data=send_cmd(
            type="message.send", room_id=group.pk, client_id=str(uuid.uuid4()), body="intrude"
        )
    )
    error = await receive_type(cat_socket, "error")
    assert error["code"] == "not_found"
    await ann_socket.send_to(
        text_data=send_cmd(
            type="message.send", room_id=group.pk, client_id=str(uuid.uuid4()), body="private"
        )
    )
    await receive_type(ann_socket, "ack")
    assert await cat_socket.receive_nothing(timeout=0.3)
    await ann_socket.disconnect()
    await cat_socket.disconnect()


@pytest.mark.parametrize(
    ("command", "code"),
    [
        (
            {"type": "message.send", "room_id": "x", "client_id": str(uuid.uuid4()), "body": "a"},
            "not_found",
        ),
        ({"type": "message.send", "client_id": "nope", "body": "a"}, "bad_client_id"),
        ({"type": "message.send", "client_id": str(uuid.uuid4()), "body": "x" * 4001}, "too_long"),
        ({"type": "message.send", "client_id": str(uuid.uuid4()), "body": " "}, "empty"),
        ({"type": "message.edit", "message_id": 99999, "body": "a"}, "not_found"),
        ({"type": "message.delete", "message_id": "a"}, "not_found"),
        ({"type": "room.read", "seq": "a"}, "invalid"),
        ({"type": "launch.missiles"}, "unknown_command"),
    ],
)
async def test_bad_commands_get_error_codes(people, group, command, code):
    """Every malformed or refused command gets an error with the same ref and a code."""
    socket = await open_socket(people[0])
    command.setdefault("room_id", group.pk)
    await socket.send_to(text_data=send_cmd(**command))
    error = await receive_type(socket, "error")
    assert (error["ref"], error["code"]) == ("r1", code)
    assert error["message"]
    await socket.disconnect()


async def test_invalid_json_is_an_error_not_a_disconnect(people):
    """A frame that is not JSON gets an error and the socket stays usable."""
    socket = await open_socket(people[0])
    await socket.send_to(text_data="{nope")
    assert (await receive_type(socket, "error"))["code"] == "bad_json"
    await socket.send_to(text_data=json.dumps({"type": "ping", "ref": "p"}))
    assert (await receive_type(socket, "pong"))["ref"] == "p"
    await socket.disconnect()


async def test_edit_and_delete_are_pushed(people, group):
    """Edits and deletes of one's own message reach the other members live."""
    ann, bob, _ = people
    message, _ = await sync_to_async(actions.do_send_message)(
        ann, group, client_id=uuid.uuid4(), body="draft"
    )
    ann_socket, bob_socket = await open_socket(ann), await open_socket(bob)
    await ann_socket.send_to(
        text_data=send_cmd(type="message.edit", message_id=message.pk, body="final")
    )
    edited = await receive_type(bob_socket, "message.updated")
    assert edited["message"]["body"] == "final" and edited["message"]["edited_at"]
    await ann_socket.send_to(text_data=send_cmd(type="message.delete", message_id=message.pk))
    deleted = await receive_type(bob_socket, "message.updated")
    assert deleted["message"]["deleted"] and deleted["message"]["body"] == ""
    await ann_socket.disconnect()
    await bob_socket.disconnect()


async def test_cannot_edit_someone_elses_message(people, group):
    """Editing another member's message is refused as not found."""
    ann, bob, _ = people
    message, _ = await sync_to_async(actions.do_send_message)(
        ann, group, client_id=uuid.uuid4(), body="mine"
    )
    bob_socket = await open_socket(bob)
    await bob_socket.send_to(
        text_data=send_cmd(type="message.edit", message_id=message.pk, body="yours")
    )
    assert (await receive_type(bob_socket, "error"))["code"] == "not_found"
    await bob_socket.disconnect()


async def test_added_member_receives_without_reconnecting(people, group):
    """Someone added to a room starts receiving its messages on the socket already open."""
    ann, _, cat = people
    cat_socket = await open_socket(cat)
    await sync_to_async(actions.do_add_members)(ann, group, people=[cat])
    joined = await receive_type(cat_socket, "room.joined")
    assert joined["room"]["id"] == group.pk
    await sync_to_async(actions.do_send_message)(ann, group, client_id=uuid.uuid4(), body="hi")
    for _ in range(3):  # the "added" system line may come first (or be resynced later)
        message = (await receive_type(cat_socket, "message.new"))["message"]
        if message["kind"] == "text":
            break
    assert message["body"] == "hi"
    await cat_socket.disconnect()


async def test_removed_member_stops_receiving_at_once(people, group):
    """A removed member's open socket gets ``room.left`` and none of the later messages."""
    ann, bob, _ = people
    bob_socket = await open_socket(bob)
    await sync_to_async(actions.do_remove_member)(ann, group, member=bob)
    assert (await receive_type(bob_socket, "room.left"))["room_id"] == group.pk
    await sync_to_async(actions.do_send_message)(ann, group, client_id=uuid.uuid4(), body="after")
    assert await bob_socket.receive_nothing(timeout=0.3)
    await bob_socket.disconnect()


async def test_plaintext_refused_in_encrypted_room(people, group):
    """The socket refuses plaintext for an encrypted room and stores nothing."""
    from chat.models import Room

    await sync_to_async(Room.objects.filter(pk=group.pk).update)(encrypted=True)
    socket = await open_socket(people[0])
    await socket.send_to(
        text_data=send_cmd(
            type="message.send", room_id=group.pk, client_id=str(uuid.uuid4()), body="secret"
        )
    )
    assert (await receive_type(socket, "error"))["code"] == "encryption_required"
    assert not await sync_to_async(Message.objects.filter(body="secret").exists)()
    await socket.disconnect()


async def test_mark_read(people, group):
    """``room.read`` records the position and acknowledges."""
    ann, bob, _ = people
    message, _ = await sync_to_async(actions.do_send_message)(
        ann, group, client_id=uuid.uuid4(), body="x"
    )
    socket = await open_socket(bob)
    await socket.send_to(text_data=send_cmd(type="room.read", room_id=group.pk, seq=message.seq))
    await receive_type(socket, "ack")
    membership = await sync_to_async(group.memberships.get)(user=bob)
    assert membership.last_read_seq == message.seq
    await socket.disconnect()


async def test_mark_read_reaches_the_readers_other_sockets(people, group):
    """Reading a room tells every socket of the reader (other tabs, devices) how far they read
    and what is left unread; other members hear nothing of it."""
    ann, bob, _ = people
    send = sync_to_async(actions.do_send_message)
    first, _ = await send(ann, group, client_id=uuid.uuid4(), body="one")
    await send(ann, group, client_id=uuid.uuid4(), body="two")
    await send(bob, group, client_id=uuid.uuid4(), body="bob's own: never unread for bob")
    # As if bob's own message had come from another device before he read the others.
    await sync_to_async(group.memberships.filter(user=bob).update)(last_read_seq=0)
    reading, other_tab = await open_socket(bob), await open_socket(bob)
    ann_socket = await open_socket(ann)
    await reading.send_to(text_data=send_cmd(type="room.read", room_id=group.pk, seq=first.seq))
    await receive_type(reading, "ack")
    event = await receive_type(other_tab, "room.read")
    assert event == {
        "type": "room.read",
        "room_id": group.pk,
        "last_read_seq": first.seq,
        "unread": 1,
    }
    assert await ann_socket.receive_nothing(timeout=0.3)
    for socket in (reading, other_tab, ann_socket):
        await socket.disconnect()


async def test_mark_read_over_http_reaches_the_sockets(people, group):
    """``POST /api/rooms/<id>/read/`` (the socket being down) tells the reader's sockets too."""
    ann, bob, _ = people
    message, _ = await sync_to_async(actions.do_send_message)(
        ann, group, client_id=uuid.uuid4(), body="x"
    )
    socket = await open_socket(bob)
    client = Client()
    await sync_to_async(client.force_login)(bob)
    response = await sync_to_async(client.post)(
        f"/api/rooms/{group.pk}/read/", {"seq": message.seq}, content_type="application/json"
    )
    assert response.status_code == 200
    event = await receive_type(socket, "room.read")
    assert (event["last_read_seq"], event["unread"]) == (message.seq, 0)
    await socket.disconnect()


async def test_mark_read_that_does_not_move_sends_nothing(people, group):
    """Reading up to a point already read sends no event (a mark never moves backwards)."""
    ann, bob, _ = people
    message, _ = await sync_to_async(actions.do_send_message)(
        ann, group, client_id=uuid.uuid4(), body="x"
    )
    await sync_to_async(actions.do_mark_read)(bob, group, seq=message.seq)
    socket = await open_socket(bob)
    await sync_to_async(actions.do_mark_read)(bob, group, seq=message.seq)
    await sync_to_async(actions.do_mark_read)(bob, group, seq=message.seq - 1)
    assert await socket.receive_nothing(timeout=0.3)
    membership = await sync_to_async(group.memberships.get)(user=bob)
    assert membership.last_read_seq == message.seq
    await socket.disconnect()
