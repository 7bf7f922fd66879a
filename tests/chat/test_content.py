"""The message content model on the server (issue 10): the content check, what sends and edits
store (content, body, Mention rows), the backfill of older rows, and both transports agreeing."""

import importlib
import json
import uuid

import pytest
from asgiref.sync import sync_to_async
from django.apps import apps as django_apps
from django.test import Client

from chat import actions
from chat.checks import CONTENT_EXTRA_BYTES, check_message_content, check_message_input
from chat.errors import InvalidInput
from chat.models import Mention, Message, RoomKind, text_content
from chat.selectors import search_messages_for_user
from tests.sockets import open_socket, receive_type, send_cmd

pytestmark = pytest.mark.django_db

backfill = importlib.import_module("chat.migrations.0003_message_content").backfill


def api(client: Client, method: str, url: str, body: dict | None = None):
    return client.generic(
        method, url, json.dumps(body) if body is not None else "", content_type="application/json"
    )


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def content(text: str, mentions=(), mention_all=False, **extra) -> dict:
    return {
        "v": 1,
        "text": text,
        "format": "markdown",
        "mentions": [str(m) for m in mentions],
        "mention_all": mention_all,
        **extra,
    }


BASE = {"v": 1, "text": "hi"}


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("hi", "bad_content"),  # not an object
        (["hi"], "bad_content"),
        ({"text": "hi"}, "bad_content"),  # no version
        (BASE | {"v": 2}, "bad_content"),  # a later version
        (BASE | {"v": "1"}, "bad_content"),
        (BASE | {"v": True}, "bad_content"),  # True == 1 in Python: still refused
        (BASE | {"text": None}, "bad_content"),
        (BASE | {"text": 5}, "bad_content"),
        (BASE | {"text": "   \n "}, "empty"),
        (BASE | {"text": "x" * 4001}, "too_long"),
        (BASE | {"text": "a\x00b"}, "bad_json"),  # the wire rules
        (BASE | {"text": "\ud800"}, "bad_json"),
        (BASE | {"format": "html"}, "bad_content"),
        (BASE | {"format": None}, "bad_content"),
        (BASE | {"mentions": "7"}, "bad_content"),
        (BASE | {"mentions": [True]}, "bad_content"),
        (BASE | {"mentions": [0]}, "bad_content"),
        (BASE | {"mentions": ["x"]}, "bad_content"),
        (BASE | {"mentions": list(range(1, 102))}, "bad_content"),
        (BASE | {"mention_all": "yes"}, "bad_content"),
        (BASE | {"mention_all": 1}, "bad_content"),
        (BASE | {"future": "x" * CONTENT_EXTRA_BYTES}, "content_too_large"),
        (BASE | {"future": {"deep": "\x00"}}, "bad_json"),
    ],
)
def test_check_message_content_refuses(value, code):
    """Each malformed content object is refused with its own code and a message to show."""
    with pytest.raises(InvalidInput) as caught:
        check_message_content(value)
    assert caught.value.code == code
    assert caught.value.message


def test_check_message_content_cleans_and_keeps_unknown_keys():
    """The text is stripped, mentions become sorted unique decimal strings, ``format`` and
    ``mention_all`` get their defaults, and keys of later versions stay as they were."""
    cleaned = check_message_content(
        {"v": 1, "text": "  **hi** @bob  ", "mentions": ["12", 3, "3"], "later": {"id": "x"}}
    )
    assert cleaned == {
        "v": 1,
        "text": "**hi** @bob",
        "format": "markdown",
        "mentions": ["3", "12"],
        "mention_all": False,
        "later": {"id": "x"},
    }
    plain = check_message_content(BASE | {"format": "plain", "mention_all": True})
    assert plain["format"] == "plain" and plain["mention_all"] is True


def test_check_message_content_size_bound_leaves_the_text_out():
    """A text at the length limit is fine: the 16 KiB bound is on everything else."""
    long = "é" * 4000
    assert check_message_content(BASE | {"text": long})["text"] == long
    near = BASE | {"future": "x" * (CONTENT_EXTRA_BYTES - 200)}
    assert check_message_content(near)["future"] == near["future"]


def test_check_message_input_body_only_and_both():
    """Only ``body`` (older clients): content built from it; both: they must agree."""
    assert check_message_input(body=" hi ") == text_content("hi")
    assert check_message_input(body="hi", content=BASE)["text"] == "hi"
    with pytest.raises(InvalidInput) as caught:
        check_message_input(body="other", content=BASE)
    assert caught.value.code == "bad_content"
    with pytest.raises(InvalidInput) as caught:
        check_message_input(body=None)
    assert caught.value.code == "invalid"


def test_send_stores_content_body_and_mention_rows(make_user, make_room):
    """A send with content stores it, keeps ``body`` = its text, and one Mention row per
    mentioned person (plus one for @all); the reply carries the content."""
    ann, bob = make_user("ann"), make_user("bob")
    group = make_room(ann, kind=RoomKind.GROUP, members=(bob,))
    sent = content("**@bob** look", [bob.pk], mention_all=True, later={"kept": True})
    response = api(
        logged_in(ann),
        "POST",
        f"/api/rooms/{group.pk}/messages/",
        {"client_id": str(uuid.uuid4()), "content": sent},
    )
    assert response.status_code == 201, response.content
    assert response.json()["message"]["content"] == sent
    message = Message.objects.get(pk=response.json()["message"]["id"])
    assert message.content == sent
    assert message.body == "**@bob** look"
    rows = set(Mention.objects.filter(message=message).values_list("user_id", flat=True))
    assert rows == {bob.pk, None}


def test_body_only_send_gets_content(make_user, make_room):
    """An older client's send with only ``body`` stores a Markdown content without mentions."""
    ann = make_user("ann")
    group = make_room(ann, kind=RoomKind.GROUP)
    response = api(
        logged_in(ann),
        "POST",
        f"/api/rooms/{group.pk}/messages/",
        {"client_id": str(uuid.uuid4()), "body": "  plain  "},
    )
    message = Message.objects.get(pk=response.json()["message"]["id"])
    assert message.content == text_content("plain") and message.body == "plain"
    listed = logged_in(ann).get(f"/api/rooms/{group.pk}/messages/").json()["messages"]
    assert listed[-1]["content"] == text_content("plain")


def test_edit_replaces_content_and_mentions(make_user, make_room):
    """PATCH with content replaces the text and the Mention rows: the old mention goes, the
    new one comes; the summary's mention counts follow."""
    ann, bob, cat = make_user("ann"), make_user("bob"), make_user("cat")
    group = make_room(ann, kind=RoomKind.GROUP, members=(bob, cat))
    message, _ = actions.do_send_message(
        ann, group, client_id=uuid.uuid4(), content=content("@bob hi", [bob.pk])
    )
    edited = content("@cat _hi_", [cat.pk])
    response = api(logged_in(ann), "PATCH", f"/api/messages/{message.pk}/", {"content": edited})
    assert response.status_code == 200, response.content
    assert response.json()["message"]["content"] == edited
    message.refresh_from_db()
    assert message.content == edited and message.body == "@cat _hi_"
    assert list(Mention.objects.filter(message=message).values_list("user_id", flat=True)) == [
        cat.pk
    ]
    rooms = {u: logged_in(u).get("/api/rooms/").json()["rooms"][0]["mentions"] for u in (bob, cat)}
    assert rooms == {bob: 0, cat: 1}


def test_edit_with_body_only_drops_mentions(make_user, make_room):
    """An edit with only ``body`` (an older client) stores content built from it: no mentions."""
    ann, bob = make_user("ann"), make_user("bob")
    group = make_room(ann, kind=RoomKind.GROUP, members=(bob,))
    message, _ = actions.do_send_message(
        ann, group, client_id=uuid.uuid4(), content=content("@bob hi", [bob.pk])
    )
    response = api(logged_in(ann), "PATCH", f"/api/messages/{message.pk}/", {"body": "hi"})
    assert response.status_code == 200
    assert response.json()["message"]["content"] == text_content("hi")
    assert not Mention.objects.filter(message=message).exists()


def test_edit_mentioning_a_stranger_changes_nothing(make_user, make_room):
    """An edit's mentions are checked like a send's; a refused edit leaves the message and its
    Mention rows as they were."""
    ann, bob, eve = make_user("ann"), make_user("bob"), make_user("eve")
    group = make_room(ann, kind=RoomKind.GROUP, members=(bob,))
    message, _ = actions.do_send_message(
        ann, group, client_id=uuid.uuid4(), content=content("@bob hi", [bob.pk])
    )
    response = api(
        logged_in(ann),
        "PATCH",
        f"/api/messages/{message.pk}/",
        {"content": content("@eve hi", [eve.pk])},
    )
    assert response.json()["error"]["code"] == "mention_not_member"
    message.refresh_from_db()
    assert message.content == content("@bob hi", [bob.pk])
    assert list(Mention.objects.filter(message=message).values_list("user_id", flat=True)) == [
        bob.pk
    ]


def test_mention_all_edit_refused_where_the_room_forbids_it(make_user, make_room):
    """@here/@all in an edit is refused in a channel that does not allow it."""
    ann = make_user("ann")
    channel = make_room(ann, kind=RoomKind.CHANNEL)
    message, _ = actions.do_send_message(ann, channel, client_id=uuid.uuid4(), body="hi")
    with pytest.raises(InvalidInput) as caught:
        actions.do_edit_message(ann, message, content=content("@all", mention_all=True))
    assert caught.value.code == "mention_all_not_allowed"


def test_deleted_message_has_no_content_nor_mentions(make_user, make_room):
    """A deleted message shows ``content`` null and loses its Mention rows."""
    ann, bob = make_user("ann"), make_user("bob")
    group = make_room(ann, kind=RoomKind.GROUP, members=(bob,))
    message, _ = actions.do_send_message(
        ann, group, client_id=uuid.uuid4(), content=content("@bob hi", [bob.pk])
    )
    response = api(logged_in(ann), "DELETE", f"/api/messages/{message.pk}/")
    assert response.json()["message"]["content"] is None
    message.refresh_from_db()
    assert message.content is None and not Mention.objects.filter(message=message).exists()


def test_system_messages_have_no_content(make_user, make_room):
    """System lines carry ``content`` null: they are the server's words, not a message."""
    ann, bob = make_user("ann"), make_user("bob")
    group = make_room(ann, kind=RoomKind.GROUP)
    actions.do_add_members(ann, group, people=[bob])
    listed = logged_in(ann).get(f"/api/rooms/{group.pk}/messages/").json()["messages"]
    assert [m["content"] for m in listed if m["kind"] == "system"] == [None]


def test_backfill_builds_content_from_body_and_mention_rows(make_user, make_room):
    """The migration gives older text rows content from their body and Mention rows, and
    leaves system, deleted and already converted rows alone."""
    ann, bob = make_user("ann"), make_user("bob")
    group = make_room(ann, kind=RoomKind.GROUP, members=(bob,))
    mentioning, _ = actions.do_send_message(
        ann, group, client_id=uuid.uuid4(), content=content("@bob @all", [bob.pk], True)
    )
    plain, _ = actions.do_send_message(ann, group, client_id=uuid.uuid4(), body="plain")
    gone, _ = actions.do_send_message(ann, group, client_id=uuid.uuid4(), body="gone")
    actions.do_delete_message(ann, gone)
    kept, _ = actions.do_send_message(
        ann, group, client_id=uuid.uuid4(), content=content("new", later=1)
    )
    Message.objects.exclude(pk=kept.pk).update(content=None)
    backfill(django_apps, None)
    assert Message.objects.get(pk=mentioning.pk).content == content("@bob @all", [bob.pk], True)
    assert Message.objects.get(pk=plain.pk).content == text_content("plain")
    assert Message.objects.get(pk=gone.pk).content is None
    assert Message.objects.get(pk=kept.pk).content == content("new", later=1)
    assert not Message.objects.filter(kind="system").filter(content__isnull=False).exists()


def test_search_matches_the_raw_text(make_user, make_room):
    """Server search finds the Markdown as typed (``body`` is the content's text)."""
    ann = make_user("ann")
    group = make_room(ann, kind=RoomKind.GROUP)
    message, _ = actions.do_send_message(
        ann, group, client_id=uuid.uuid4(), content=content("see **bold** [x](https://a.example)")
    )
    assert search_messages_for_user(ann, query="**bold**") == [message]
    assert search_messages_for_user(ann, query="](https://a.example)") == [message]
    response = logged_in(ann).get("/search/", {"q": "**bold**"})
    assert b"**bold**" in response.content


BAD_SENDS = [
    ({"content": {"v": 2, "text": "hi"}}, "bad_content"),
    ({"content": {"v": 1, "text": "hi", "format": "html"}}, "bad_content"),
    ({"content": {"v": 1, "text": " "}}, "empty"),
    ({"body": "a", "content": {"v": 1, "text": "b"}}, "bad_content"),
    ({"content": {"v": 1, "text": "hi", "x": "y" * CONTENT_EXTRA_BYTES}}, "content_too_large"),
    ({"content": {"v": 1, "text": "@eve", "mentions": ["EVE"]}}, "mention_not_member"),
    ({"content": {"v": 1, "text": "@all", "mention_all": True}}, "mention_all_not_allowed"),
]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("data", "code"), BAD_SENDS)
async def test_socket_and_http_give_the_same_codes(make_user, make_room, data, code):
    """A bad send and a bad edit get the same code over the socket as over HTTP, and neither
    stores anything."""
    ann = await sync_to_async(make_user)("ann")
    eve = await sync_to_async(make_user)("eve")
    channel = await sync_to_async(make_room)(ann, kind=RoomKind.CHANNEL)
    original, _ = await sync_to_async(actions.do_send_message)(
        ann, channel, client_id=uuid.uuid4(), body="original"
    )
    data = json.loads(json.dumps(data).replace('"EVE"', f'"{eve.pk}"'))
    client = await sync_to_async(logged_in)(ann)
    url = f"/api/rooms/{channel.pk}/messages/"
    http_send = await sync_to_async(api)(
        client, "POST", url, {"client_id": str(uuid.uuid4()), **data}
    )
    http_edit = await sync_to_async(api)(client, "PATCH", f"/api/messages/{original.pk}/", data)
    socket = await open_socket(ann)
    await socket.send_to(
        text_data=send_cmd(
            type="message.send", room_id=channel.pk, client_id=str(uuid.uuid4()), **data
        )
    )
    socket_send = await receive_type(socket, "error")
    await socket.send_to(text_data=send_cmd(type="message.edit", message_id=original.pk, **data))
    socket_edit = await receive_type(socket, "error")
    await socket.disconnect()
    codes = [r.json()["error"]["code"] for r in (http_send, http_edit)]
    assert [*codes, socket_send["code"], socket_edit["code"]] == [code] * 4
    assert http_send.status_code == http_edit.status_code == 400
    assert await sync_to_async(Message.objects.filter(kind="text").count)() == 1
    await sync_to_async(original.refresh_from_db)()
    assert original.body == "original"


@pytest.mark.django_db(transaction=True)
async def test_socket_edit_takes_content_and_pushes_it(make_user, make_room):
    """The socket's message.edit takes content like PATCH: the pushed message.updated carries
    the new content, and the Mention rows are replaced."""
    ann, bob = await sync_to_async(make_user)("ann"), await sync_to_async(make_user)("bob")
    group = await sync_to_async(make_room)(ann, kind=RoomKind.GROUP, members=(bob,))
    message, _ = await sync_to_async(actions.do_send_message)(
        ann, group, client_id=uuid.uuid4(), content=content("@bob hi", [bob.pk])
    )
    socket, bob_socket = await open_socket(ann), await open_socket(bob)
    edited = content("~~hi~~ `x`")
    await socket.send_to(
        text_data=send_cmd(type="message.edit", message_id=message.pk, content=edited)
    )
    assert (await receive_type(socket, "ack"))["message"]["content"] == edited
    pushed = await receive_type(bob_socket, "message.updated")
    assert pushed["message"]["content"] == edited
    assert not await sync_to_async(Mention.objects.filter(message=message).exists)()
    await socket.disconnect()
    await bob_socket.disconnect()
