"""Behaviour of the JSON API beyond permissions: validation, idempotency, paging, queries."""

import json
import uuid

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from chat.actions import do_mark_read
from chat.models import Message, Room, RoomKind

pytestmark = pytest.mark.django_db


def api(client: Client, method: str, url: str, body: dict | None = None):
    return client.generic(
        method, url, json.dumps(body) if body is not None else "", content_type="application/json"
    )


@pytest.fixture
def ann(make_user):
    return make_user("ann")


@pytest.fixture
def client_ann(ann):
    client = Client()
    client.force_login(ann)
    return client


def test_create_private_group_with_invitees(client_ann, ann, make_user):
    """Creating a room makes the creator its owner and puts the invitees in it."""
    bob = make_user("bob")
    response = api(
        client_ann,
        "POST",
        "/api/rooms/",
        {"name": " Plans ", "topic": "Q3", "private": True, "invite": [bob.pk]},
    )
    assert response.status_code == 201
    room = Room.objects.get(pk=response.json()["room"]["id"])
    assert (room.kind, room.name, room.owner) == (RoomKind.GROUP, "Plans", ann)
    assert set(room.memberships.values_list("user__username", flat=True)) == {"ann", "bob"}


def test_create_public_channel(client_ann):
    """``private: false`` makes a public channel."""
    response = api(client_ann, "POST", "/api/rooms/", {"name": "general", "private": False})
    assert response.json()["room"]["kind"] == "channel"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"name": ""}, "name_required"),
        ({"name": "x" * 81}, "invalid"),
        ({"name": "ok", "topic": "t" * 251}, "invalid"),
        ({"name": "ok", "invite": "bob"}, "invalid"),
        ({"name": "ok", "invite": [True]}, "invalid"),
        ({"name": 5}, "invalid"),
    ],
)
def test_create_room_rejects_bad_input(client_ann, body, code):
    """Bad room input gets a 400 with a code and a message, and creates nothing."""
    response = api(client_ann, "POST", "/api/rooms/", body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["message"]
    assert not Room.objects.exists()


def test_create_room_name_taken_any_case(client_ann, make_room):
    """Two channels or groups cannot share a name, whatever the case."""
    make_room(name="Plans")
    response = api(client_ann, "POST", "/api/rooms/", {"name": "plans"})
    assert response.json()["error"]["code"] == "name_taken"


def test_invalid_json_is_a_clear_400(client_ann):
    """A body that is not JSON gets a 400 saying so, never a server error."""
    response = client_ann.generic("POST", "/api/rooms/", "{nope", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_json"


def test_open_dm_reuses_existing(client_ann, ann, make_user):
    """Opening a DM with someone twice (from either side) gives the same room."""
    bob = make_user("bob")
    first = api(client_ann, "POST", "/api/dms/", {"user_id": bob.pk})
    bob_client = Client()
    bob_client.force_login(bob)
    second = api(bob_client, "POST", "/api/dms/", {"user_id": ann.pk})
    assert first.status_code == 201 and second.status_code == 200
    assert first.json()["room"]["id"] == second.json()["room"]["id"]
    assert second.json()["room"]["name"] == "ann"


def test_dm_with_yourself_is_refused(client_ann, ann):
    """There is no DM with oneself."""
    assert api(client_ann, "POST", "/api/dms/", {"user_id": ann.pk}).status_code == 404


def test_send_is_idempotent_by_client_id(client_ann, ann, make_room):
    """A retried send with the same client id is stored once and answers with the same message."""
    room = make_room(ann)
    body = {"client_id": str(uuid.uuid4()), "body": "once"}
    first = api(client_ann, "POST", f"/api/rooms/{room.pk}/messages/", body)
    second = api(client_ann, "POST", f"/api/rooms/{room.pk}/messages/", body)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["message"]["id"] == second.json()["message"]["id"]
    assert room.messages.filter(body="once").count() == 1


def test_client_id_of_someone_else_conflicts(client_ann, ann, make_user, make_room, send):
    """Reusing another sender's client id is refused, not silently merged."""
    bob = make_user("bob")
    room = make_room(bob, members=(ann,))
    theirs = send(bob, room, "mine")
    response = api(
        client_ann,
        "POST",
        f"/api/rooms/{room.pk}/messages/",
        {"client_id": str(theirs.client_id), "body": "hijack"},
    )
    assert response.status_code == 409
    assert not room.messages.filter(body="hijack").exists()


@pytest.mark.parametrize(
    ("body", "code"), [("", "empty"), ("   ", "empty"), ("x" * 4001, "too_long"), (7, "invalid")]
)
def test_send_rejects_bad_text(client_ann, ann, make_room, body, code):
    """Empty or over-long text is refused with a clear code and nothing is stored."""
    room = make_room(ann)
    before = Message.objects.count()
    response = api(
        client_ann,
        "POST",
        f"/api/rooms/{room.pk}/messages/",
        {"client_id": str(uuid.uuid4()), "body": body},
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code
    assert Message.objects.count() == before


def test_send_at_the_limit_is_stored(client_ann, ann, make_room):
    """Exactly the documented limit is accepted."""
    room = make_room(ann)
    response = api(
        client_ann,
        "POST",
        f"/api/rooms/{room.pk}/messages/",
        {"client_id": str(uuid.uuid4()), "body": "x" * 4000},
    )
    assert response.status_code == 201


def test_plaintext_refused_in_encrypted_room(client_ann, ann, make_room):
    """The server refuses plaintext in an encrypted room and stores nothing."""
    room = make_room(ann)
    Room.objects.filter(pk=room.pk).update(encrypted=True)
    before = Message.objects.count()
    response = api(
        client_ann,
        "POST",
        f"/api/rooms/{room.pk}/messages/",
        {"client_id": str(uuid.uuid4()), "body": "secret"},
    )
    assert response.json()["error"]["code"] == "encryption_required"
    assert Message.objects.count() == before


def test_history_pages_go_back_in_order(client_ann, ann, make_room, send):
    """History comes newest page first, oldest-first within a page, with has_more."""
    room = make_room(ann)
    for i in range(60):
        send(ann, room, f"m{i}")
    newest = api(client_ann, "GET", f"/api/rooms/{room.pk}/messages/").json()
    assert [m["body"] for m in newest["messages"]][-1] == "m59"
    assert len(newest["messages"]) == 50 and newest["has_more"]
    oldest_seq = newest["messages"][0]["seq"]
    older = api(client_ann, "GET", f"/api/rooms/{room.pk}/messages/?before={oldest_seq}").json()
    bodies = [m["body"] for m in older["messages"] if m["kind"] == "text"]
    assert bodies == [f"m{i}" for i in range(10)]
    assert not older["has_more"]


def test_resync_returns_new_edited_and_deleted(client_ann, ann, make_room, send):
    """``after_rev`` returns every message created or changed since, in change order."""
    from chat.actions import do_delete_message, do_edit_message

    room = make_room(ann)
    first, second = send(ann, room, "one"), send(ann, room, "two")
    seen = Room.objects.get(pk=room.pk).last_seq
    do_edit_message(ann, first, body="one!")
    do_delete_message(ann, second)
    third = send(ann, room, "three")
    changes = api(client_ann, "GET", f"/api/rooms/{room.pk}/messages/?after_rev={seen}").json()
    assert [(m["id"], m["body"], m["deleted"]) for m in changes["messages"]] == [
        (first.pk, "one!", False),
        (second.pk, "", True),
        (third.pk, "three", False),
    ]


def test_history_query_count_does_not_grow(client_ann, ann, make_room, send, make_user):
    """A history page costs the same number of queries for 5 or 50 messages from many people."""
    room = make_room(ann)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            api(client_ann, "GET", f"/api/rooms/{room.pk}/messages/")
        return len(ctx)

    send(ann, room, "a")
    count()  # a session's first request also records it (My Account -> Sessions)
    small = count()
    from chat.actions import do_add_members

    people = [make_user() for _ in range(10)]
    do_add_members(ann, room, people=people)
    for i in range(50):
        send(people[i % 10], room, f"m{i}")
    assert count() == small


def test_room_list_query_count_does_not_grow(client_ann, ann, make_room, make_user, send):
    """The room list costs the same number of queries for 1 or 12 rooms, DMs included."""
    from chat.actions import do_open_dm

    make_room(ann)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert api(client_ann, "GET", "/api/rooms/").status_code == 200
        return len(ctx)

    count()  # a session's first request also records it (My Account -> Sessions)
    small = count()
    for _ in range(5):
        room = make_room(ann)
        send(ann, room)
        do_open_dm(ann, other=make_user())
    assert count() == small


def test_unread_counts(make_user, make_room, send):
    """Unread counts others' messages after one's last read or sent one; reading clears it."""
    ann, bob = make_user("ann"), make_user("bob")
    room = make_room(ann, members=(bob,))
    send(bob, room, "mine")
    send(ann, room, "a")
    send(ann, room, "b")
    client = Client()
    client.force_login(bob)
    rooms = api(client, "GET", "/api/rooms/").json()["rooms"]
    assert rooms[0]["unread"] == 2
    last = Room.objects.get(pk=room.pk).last_seq
    api(client, "POST", f"/api/rooms/{room.pk}/read/", {"seq": last})
    assert api(client, "GET", "/api/rooms/").json()["rooms"][0]["unread"] == 0


def test_owner_leaving_hands_room_on(make_user, make_room):
    """When the owner leaves, the longest-standing member becomes owner."""
    ann, bob, cat = make_user("ann"), make_user("bob"), make_user("cat")
    room = make_room(ann, members=(bob, cat))
    client = Client()
    client.force_login(ann)
    assert api(client, "DELETE", f"/api/rooms/{room.pk}/members/{ann.pk}/").status_code == 200
    room.refresh_from_db()
    assert room.owner == bob


def test_join_public_channel(client_ann, make_room):
    """Anyone can join a public channel and then post in it."""
    channel = make_room(kind=RoomKind.CHANNEL)
    assert api(client_ann, "POST", f"/api/rooms/{channel.pk}/join/").status_code == 200
    response = api(
        client_ann,
        "POST",
        f"/api/rooms/{channel.pk}/messages/",
        {"client_id": str(uuid.uuid4()), "body": "hello all"},
    )
    assert response.status_code == 201


def test_people_search(client_ann, make_user):
    """People search matches username or display name and leaves out oneself."""
    make_user("bob", display_name="Robert")
    make_user("cat")
    found = api(client_ann, "GET", "/api/people/?q=rob").json()["people"]
    assert [p["username"] for p in found] == ["bob"]


def test_room_page_says_where_reading_stopped(make_user, make_room, send):
    """The room page's config carries the member's ``last_read_seq`` (where the "New messages"
    divider goes); a reader who is not a member gets null."""
    ann, bob, cat = make_user("ann"), make_user("bob"), make_user("cat")
    room = make_room(ann, kind=RoomKind.CHANNEL, members=(bob,))
    first = send(ann, room, "first")
    send(ann, room, "second")
    do_mark_read(bob, Room.objects.get(pk=room.pk), seq=first.seq)

    def config(user):
        client = Client()
        client.force_login(user)
        response = client.get(f"/rooms/{room.pk}/")
        return response.context["config"]["room"]

    assert config(bob)["last_read_seq"] == first.seq
    assert config(cat)["last_read_seq"] is None
