"""Replies on the server (issue 11): a content's ``reply_to`` names a text message of the same
room by id and number; the server checks that under the room lock for plaintext rooms, keeps the
reference on edits, and gives HTTP and the socket the same answers."""

import json
import uuid

import pytest
from asgiref.sync import sync_to_async
from django.test import Client

from chat import actions
from chat.checks import check_message_content, check_reply_to
from chat.errors import InvalidInput
from chat.models import Message, RoomKind
from tests.sockets import open_socket, receive_type, send_cmd

pytestmark = pytest.mark.django_db


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post(client: Client, room_id: int, content: dict):
    return client.post(
        f"/api/rooms/{room_id}/messages/",
        json.dumps({"client_id": str(uuid.uuid4()), "content": content}),
        content_type="application/json",
    )


def reply(text: str, target: Message, **reference) -> dict:
    """The content of a reply to ``target`` as browsers send it."""
    return {
        "v": 1,
        "text": text,
        "reply_to": {
            "id": str(target.pk),
            "seq": target.seq,
            "client_id": str(target.client_id),
            "sender": str(target.sender_id),
            **reference,
        },
    }


@pytest.mark.parametrize(
    "value",
    [
        "7",
        ["7", 1],
        {"seq": 1},
        {"id": "7"},
        {"id": "x7", "seq": 1},
        {"id": "-7", "seq": 1},
        {"id": "\uff17", "seq": 1},  # a full-width 7: decimal to Python, not an id
        {"id": True, "seq": 1},
        {"id": "7", "seq": 0},
        {"id": "7", "seq": "1"},
        {"id": "7", "seq": True},
        {"id": "7", "seq": 1, "client_id": "not-a-uuid"},
        {"id": "7", "seq": 1, "sender": 2},
        {"id": "7", "seq": 1, "sender": "x"},
    ],
)
def test_check_reply_to_refuses_other_shapes(value):
    with pytest.raises(InvalidInput) as refused:
        check_reply_to(value)
    assert refused.value.code == "bad_content"


def test_check_reply_to_keeps_other_keys_and_writes_the_id_as_text():
    assert check_reply_to({"id": 7, "seq": 3, "sender": "02", "later": 5}) == {
        "id": "7",
        "seq": 3,
        "sender": "2",
        "later": 5,
    }


def test_a_reply_is_stored_and_served_with_its_reference(make_user, make_room):
    ann, bob = make_user("ann"), make_user("bob")
    group = make_room(ann, kind=RoomKind.GROUP, members=(bob,))
    target, _ = actions.do_send_message(ann, group, client_id=uuid.uuid4(), body="lunch?")
    response = post(logged_in(bob), group.pk, reply("yes", target))
    assert response.status_code == 201, response.content
    listed = logged_in(ann).get(f"/api/rooms/{group.pk}/messages/").json()["messages"]
    assert listed[-1]["content"]["reply_to"] == {
        "id": str(target.pk),
        "seq": target.seq,
        "client_id": str(target.client_id),
        "sender": str(ann.pk),
    }


@pytest.mark.parametrize(
    "case",
    ["other_room", "wrong_seq", "wrong_uuid", "wrong_sender", "deleted", "system", "missing"],
)
def test_a_reply_to_anything_but_a_message_of_the_room_is_refused(make_user, make_room, case):
    ann, bob = make_user("ann"), make_user("bob")
    group = make_room(ann, kind=RoomKind.GROUP, members=(bob,))
    other = make_room(ann, kind=RoomKind.GROUP)
    target, _ = actions.do_send_message(
        ann, other if case == "other_room" else group, client_id=uuid.uuid4(), body="lunch?"
    )
    content = reply("yes", target)
    if case == "wrong_seq":
        content["reply_to"]["seq"] = target.seq + 1
    elif case == "wrong_uuid":
        content["reply_to"]["client_id"] = str(uuid.uuid4())
    elif case == "wrong_sender":
        content["reply_to"]["sender"] = str(bob.pk)
    elif case == "deleted":
        actions.do_delete_message(ann, target)
    elif case == "system":
        actions.do_add_members(ann, group, people=[make_user("cat")])  # "Ann added cat"
        content = reply("yes", Message.objects.get(room=group, kind="system"))
    elif case == "missing":
        content["reply_to"]["id"] = str(target.pk + 1000)
    before = Message.objects.count()
    response = post(logged_in(bob), group.pk, content)
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "reply_not_found"
    assert Message.objects.count() == before


def test_an_edit_keeps_what_a_reply_answers(make_user, make_room):
    """An edit may change the text of a reply, not the message it answers, nor turn a message
    into a reply; an edit after the target was deleted still goes through."""
    ann, bob = make_user("ann"), make_user("bob")
    group = make_room(ann, kind=RoomKind.GROUP, members=(bob,))
    first, _ = actions.do_send_message(ann, group, client_id=uuid.uuid4(), body="lunch?")
    second, _ = actions.do_send_message(ann, group, client_id=uuid.uuid4(), body="or dinner?")
    answer, _ = actions.do_send_message(
        bob, group, client_id=uuid.uuid4(), content=check_message_content(reply("yes", first))
    )
    plain, _ = actions.do_send_message(bob, group, client_id=uuid.uuid4(), body="hm")
    client = logged_in(bob)

    def edit(message: Message, content: dict):
        return client.patch(
            f"/api/messages/{message.pk}/",
            json.dumps({"content": content}),
            content_type="application/json",
        )

    moved = edit(answer, reply("yes", second))
    added = edit(plain, reply("hm", first))
    assert [r.json()["error"]["code"] for r in (moved, added)] == ["bad_content"] * 2
    actions.do_delete_message(ann, first)
    kept = edit(answer, reply("yes!", first))
    assert kept.status_code == 200, kept.content
    answer.refresh_from_db()
    assert answer.body == "yes!" and answer.content["reply_to"]["id"] == str(first.pk)


@pytest.mark.django_db(transaction=True)
async def test_socket_and_http_refuse_a_reply_elsewhere_alike(make_user, make_room):
    ann = await sync_to_async(make_user)("ann")
    group = await sync_to_async(make_room)(ann, kind=RoomKind.GROUP)
    other = await sync_to_async(make_room)(ann, kind=RoomKind.GROUP)
    target, _ = await sync_to_async(actions.do_send_message)(
        ann, other, client_id=uuid.uuid4(), body="elsewhere"
    )
    content = reply("yes", target)
    client = await sync_to_async(logged_in)(ann)
    http = await sync_to_async(post)(client, group.pk, content)
    socket = await open_socket(ann)
    await socket.send_to(
        text_data=send_cmd(
            type="message.send", room_id=group.pk, client_id=str(uuid.uuid4()), content=content
        )
    )
    refused = await receive_type(socket, "error")
    await socket.disconnect()
    assert http.json()["error"]["code"] == refused["code"] == "reply_not_found"
