"""Server search with filters (room, person, date range): validated, applied to the plaintext
query, and the page's shape for the browser's merge with the device's results."""

import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from chat.checks import SearchFilters, check_search_filters
from chat.errors import InvalidInput
from chat.models import Message, RoomKind
from chat.selectors import list_people_in_rooms_of, search_messages_for_user

pytestmark = pytest.mark.django_db


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def scene(make_user, make_room, send):
    ann, bob, cy = make_user("ann"), make_user("bob"), make_user("cy")
    one = make_room(ann, kind=RoomKind.GROUP, members=(bob,), name="one")
    two = make_room(ann, kind=RoomKind.GROUP, members=(cy,), name="two")
    old = send(bob, one, "heron by bob, old")
    Message.objects.filter(pk=old.pk).update(
        created_at=datetime.datetime(2025, 1, 10, 12, tzinfo=datetime.UTC)
    )
    new_bob = send(bob, one, "heron by bob, new")
    new_cy = send(cy, two, "heron by cy")
    return {
        "ann": ann,
        "bob": bob,
        "cy": cy,
        "one": one,
        "two": two,
        "old": old,
        "bob2": new_bob,
        "cy2": new_cy,
    }


def test_filters_narrow_the_server_query(scene):
    """Each filter keeps only matching messages; none changes the query's own rules."""
    ann = scene["ann"]
    everything = search_messages_for_user(ann, query="heron")
    assert set(everything) == {scene["old"], scene["bob2"], scene["cy2"]}
    assert search_messages_for_user(ann, query="heron", room_id=scene["two"].pk) == [scene["cy2"]]
    assert set(search_messages_for_user(ann, query="heron", sender_id=scene["bob"].pk)) == {
        scene["old"],
        scene["bob2"],
    }
    day = datetime.date(2025, 1, 10)
    assert search_messages_for_user(ann, query="heron", since=day, until=day) == [scene["old"]]
    assert scene["old"] not in search_messages_for_user(
        ann, query="heron", since=day + datetime.timedelta(days=1)
    )


def test_check_search_filters_validates_each_field(scene):
    """Ids must be among the allowed ones, dates ISO, the range in order."""
    rooms, people = {1, 2}, {5}
    assert check_search_filters({}, room_ids=rooms, person_ids=people) == SearchFilters()
    assert check_search_filters(
        {"room": "2", "person": "5", "from": "2026-01-01", "to": "2026-01-31"},
        room_ids=rooms,
        person_ids=people,
    ) == SearchFilters(2, 5, datetime.date(2026, 1, 1), datetime.date(2026, 1, 31))
    for params, text in [
        ({"room": "3"}, "Choose a room"),
        ({"room": "x"}, "Choose a room"),
        ({"person": "6"}, "Choose a person"),
        ({"from": "01/02/2026"}, "From must be a date"),
        ({"to": "2026-02-30"}, "To must be a date"),
        ({"from": "2026-02-02", "to": "2026-02-01"}, "start date is after"),
    ]:
        with pytest.raises(InvalidInput, match=text):
            check_search_filters(params, room_ids=rooms, person_ids=people)


def test_search_page_applies_filters_and_marks_results(scene):
    """GET /search/ with filters shows only matching results, each with its room, sender, time
    and the "Server" mark; a room the user is not in is refused with a clear 400."""
    client = logged_in(scene["ann"])
    response = client.get("/search/", {"q": "heron", "person": scene["cy"].pk})
    assert response.status_code == 200
    body = response.content.decode()
    assert "heron by cy" in body and "heron by bob" not in body
    assert f'data-room="{scene["two"].pk}"' in body and f'data-sender="{scene["cy"].pk}"' in body
    assert ">Server<" in body
    assert body.count('data-source="server"') == 1

    outsider = scene["ann"].__class__.objects.create_user(username="dee", password="x")
    hidden = scene["one"].__class__.objects.create(
        kind=RoomKind.GROUP, name="hidden", owner=outsider
    )
    refused = client.get("/search/", {"q": "heron", "room": hidden.pk})
    assert refused.status_code == 400
    assert "Choose a room from the list." in refused.content.decode()
    assert "heron by" not in refused.content.decode()
    bad_date = client.get("/search/", {"q": "heron", "from": "soon"})
    assert bad_date.status_code == 400 and "From must be a date" in bad_date.content.decode()


def test_people_in_rooms_of_lists_those_sharing_a_room(scene, make_user):
    """The "From" list: everyone who shares a room with the user (themselves included), one
    query, strangers left out."""
    make_user("stranger")
    with CaptureQueriesContext(connection) as queries:
        names = [person.username for person in list_people_in_rooms_of(scene["ann"])]
    assert names == ["ann", "bob", "cy"]
    assert len(queries) == 1
