"""Mentions and notification levels: the server's rules (issue 10)."""

import json
import uuid

import pytest
from asgiref.sync import sync_to_async
from django.test import Client

from chat import actions
from chat.errors import InvalidInput
from chat.models import Membership, Mention, NotificationSettings, RoomKind, text_content
from tests.sockets import open_socket, receive_type, send_cmd

pytestmark = pytest.mark.django_db


def api(client: Client, method: str, url: str, body: dict | None = None):
    return client.generic(
        method, url, json.dumps(body) if body is not None else "", content_type="application/json"
    )


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post(client: Client, room, body: str, content: dict | None = None):
    data = {"client_id": str(uuid.uuid4()), "body": body}
    if content is not None:
        data["content"] = content
    return api(client, "POST", f"/api/rooms/{room.pk}/messages/", data)


def content(text: str, mentions=(), mention_all=False) -> dict:
    return {
        "v": 1,
        "text": text,
        "format": "markdown",
        "mentions": [str(m) for m in mentions],
        "mention_all": mention_all,
    }


def summary(user, room) -> dict:
    rooms = logged_in(user).get("/api/rooms/").json()["rooms"]
    return next(r for r in rooms if r["id"] == room.pk)


def test_new_rooms_allow_mention_all_in_groups_not_channels(make_user, make_room):
    """@here/@all start allowed in private groups and DMs, forbidden in public channels."""
    ann = make_user("ann")
    assert make_room(ann, kind=RoomKind.GROUP).allow_mention_all
    assert not make_room(ann, kind=RoomKind.CHANNEL).allow_mention_all
    dm, _ = actions.do_open_dm(ann, other=make_user("bob"))
    assert dm.allow_mention_all


def test_default_notify_levels_by_kind(make_user, make_room):
    """Members of a channel start on mentions only; of a group or DM, on all messages."""
    ann, bob = make_user("ann"), make_user("bob")
    channel = make_room(ann, kind=RoomKind.CHANNEL, members=(bob,))
    group = make_room(ann, kind=RoomKind.GROUP, members=(bob,))
    dm, _ = actions.do_open_dm(ann, other=bob)
    level = lambda room: Membership.objects.get(room=room, user=bob).notify_level  # noqa: E731
    assert (level(channel), level(group), level(dm)) == ("mentions", "all", "all")


def test_own_defaults_apply_to_rooms_joined_later(make_user, make_room):
    """A person's chosen defaults (My Account -> Notifications) set the level of new rooms."""
    ann, bob = make_user("ann"), make_user("bob")
    NotificationSettings.objects.create(
        user=bob, channel_level="nothing", group_level="mentions", dm_level="nothing"
    )
    channel = make_room(ann, kind=RoomKind.CHANNEL)
    actions.do_join_channel(bob, channel)
    group = make_room(ann, kind=RoomKind.GROUP, members=(bob,))
    level = lambda room: Membership.objects.get(room=room, user=bob).notify_level  # noqa: E731
    assert (level(channel), level(group)) == ("nothing", "mentions")
    assert Membership.objects.get(room=group, user=ann).notify_level == "all"


def test_mention_all_refused_where_the_room_forbids_it(make_user, make_room):
    """A plaintext message with @here/@all in a room that forbids it is refused, nothing kept."""
    ann, bob = make_user("ann"), make_user("bob")
    channel = make_room(ann, kind=RoomKind.CHANNEL, members=(bob,))
    response = post(logged_in(bob), channel, "@all hi", content("@all hi", mention_all=True))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "mention_all_not_allowed"
    assert not channel.messages.filter(body="@all hi").exists()


def test_mention_all_rule_reads_the_locked_row(make_user, make_room):
    """The rule runs under the room lock: a room object loaded before the owner forbade
    @here/@all still has the message refused."""
    ann = make_user("ann")
    group = make_room(ann, kind=RoomKind.GROUP)
    stale = type(group).objects.get(pk=group.pk)
    actions.do_update_room(ann, group, name=None, topic=None, allow_mention_all=False)
    assert stale.allow_mention_all
    with pytest.raises(InvalidInput) as caught:
        actions.do_send_message(
            ann, stale, client_id=uuid.uuid4(), content=text_content("hi", mention_all=True)
        )
    assert caught.value.code == "mention_all_not_allowed"


def test_mention_all_allowed_after_the_owner_turns_it_on(make_user, make_room):
    """The owner allows @here/@all in room info (PATCH); then such a message goes through."""
    ann, bob = make_user("ann"), make_user("bob")
    channel = make_room(ann, kind=RoomKind.CHANNEL, members=(bob,))
    assert (
        api(
            logged_in(bob), "PATCH", f"/api/rooms/{channel.pk}/", {"allow_mention_all": True}
        ).status_code
        == 403
    )
    response = api(
        logged_in(ann), "PATCH", f"/api/rooms/{channel.pk}/", {"allow_mention_all": True}
    )
    assert response.json()["room"]["allow_mention_all"] is True
    bad = api(logged_in(ann), "PATCH", f"/api/rooms/{channel.pk}/", {"allow_mention_all": "yes"})
    assert bad.status_code == 400
    assert (
        post(logged_in(bob), channel, "@all hi", content("@all hi", mention_all=True)).status_code
        == 201
    )


def test_mentions_must_be_members(make_user, make_room):
    """A mention of someone outside the room is refused."""
    ann, bob, eve = make_user("ann"), make_user("bob"), make_user("eve")
    group = make_room(ann, members=(bob,))
    response = post(logged_in(ann), group, "@eve", content("@eve", [eve.pk]))
    assert response.json()["error"]["code"] == "mention_not_member"
    bad = post(logged_in(ann), group, "x", {"mentions": "bob"})
    assert bad.status_code == 400


def test_room_summary_counts_mentions_of_the_viewer(make_user, make_room):
    """The sidebar summary counts unread messages mentioning the viewer or everyone, apart
    from the unread count; reading the room clears both."""
    ann, bob, cat = make_user("ann"), make_user("bob"), make_user("cat")
    group = make_room(ann, members=(bob, cat))
    client = logged_in(ann)
    post(client, group, "plain")
    post(client, group, "@bob", content("@bob", [bob.pk]))
    post(client, group, "@cat", content("@cat", [cat.pk]))
    post(client, group, "@all", content("@all", mention_all=True))
    post(client, group, "@bob @all", content("@bob @all", [bob.pk], mention_all=True))
    bob_view = summary(bob, group)
    assert (bob_view["unread"], bob_view["mentions"], bob_view["notify_level"]) == (5, 3, "all")
    assert summary(cat, group)["mentions"] == 3
    assert summary(ann, group)["mentions"] == 0  # one's own messages never count...
    Membership.objects.filter(user=ann).update(last_read_seq=0)
    assert summary(ann, group)["mentions"] == 0  # ...even before her read mark
    assert Mention.objects.filter(user=None).count() == 2
    api(logged_in(bob), "POST", f"/api/rooms/{group.pk}/read/", {"seq": group.messages.count() + 5})
    assert summary(bob, group)["mentions"] == 0


@pytest.mark.django_db(transaction=True)
async def test_socket_send_checks_mentions_like_http(make_user, make_room):
    """The socket command takes the same content and gives the same answer as HTTP; the
    pushed message carries its content (who it mentions) for the browsers' notifications."""
    ann, bob = await sync_to_async(make_user)("ann"), await sync_to_async(make_user)("bob")
    channel = await sync_to_async(make_room)(ann, kind=RoomKind.CHANNEL, members=(bob,))
    socket, bob_socket = await open_socket(ann), await open_socket(bob)
    await socket.send_to(
        text_data=send_cmd(
            type="message.send",
            room_id=channel.pk,
            client_id=str(uuid.uuid4()),
            body="@all",
            content=content("@all", mention_all=True),
        )
    )
    assert (await receive_type(socket, "error"))["code"] == "mention_all_not_allowed"
    await socket.send_to(
        text_data=send_cmd(
            type="message.send",
            room_id=channel.pk,
            client_id=str(uuid.uuid4()),
            body="@bob",
            content=content("@bob", [bob.pk]),
        )
    )
    await receive_type(socket, "ack")
    assert await sync_to_async(Mention.objects.filter(user=bob).count)() == 1
    pushed = await receive_type(bob_socket, "message.new")
    assert pushed["message"]["content"] == content("@bob", [bob.pk])
    await socket.disconnect()
    await bob_socket.disconnect()


def test_notify_level_endpoint(make_user, make_room):
    """A member sets their own level; a bad level is refused; the summary shows it."""
    ann, bob = make_user("ann"), make_user("bob")
    group = make_room(ann, members=(bob,))
    url = f"/api/rooms/{group.pk}/notifications/"
    response = api(logged_in(bob), "PATCH", url, {"notify_level": "nothing"})
    assert response.json() == {"notify_level": "nothing"}
    assert api(logged_in(bob), "PATCH", url, {"notify_level": "loud"}).status_code == 400
    assert summary(bob, group)["notify_level"] == "nothing"
    assert summary(ann, group)["notify_level"] == "all"
    detail = logged_in(bob).get(f"/api/rooms/{group.pk}/").json()["room"]
    assert detail["notify_level"] == "nothing"


def test_non_member_of_a_channel_cannot_set_a_level(make_user, make_room):
    """Reading a public channel is not belonging to it: no level for a non-member."""
    ann, bob = make_user("ann"), make_user("bob")
    channel = make_room(ann, kind=RoomKind.CHANNEL)
    url = f"/api/rooms/{channel.pk}/notifications/"
    assert api(logged_in(bob), "PATCH", url, {"notify_level": "all"}).status_code == 404


def test_notification_settings_page_saves_defaults(make_user):
    """My Account -> Notifications stores the defaults and the sound option."""
    bob = make_user("bob")
    client = logged_in(bob)
    page = client.get("/accounts/account/notifications/")
    assert b"Turn on desktop notifications" in page.content
    response = client.post(
        "/accounts/account/notifications/",
        {"channel_level": "all", "group_level": "nothing", "dm_level": "mentions"},
    )
    assert response.status_code == 302
    saved = NotificationSettings.objects.get(user=bob)
    assert (saved.channel_level, saved.group_level, saved.dm_level, saved.sound) == (
        "all",
        "nothing",
        "mentions",
        False,
    )
    bad = client.post("/accounts/account/notifications/", {"channel_level": "loud"})
    assert bad.status_code == 200
    assert NotificationSettings.objects.get(user=bob).channel_level == "all"
