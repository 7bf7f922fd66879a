"""The per-user brake on writes: one bucket for socket commands and HTTP writes alike."""

import json
import uuid

import pytest
from asgiref.sync import sync_to_async
from django.test import Client

from chat.models import Message, RoomKind
from tests.sockets import open_socket, receive_type, send_cmd

BURST = 3


@pytest.fixture(autouse=True)
def small_bucket(settings):
    # A bucket that refills slowly, so the test sees it empty however slow the machine is.
    settings.KEYROOM_WRITE_BURST = BURST
    settings.KEYROOM_WRITE_RATE = 0.01


def _post(client: Client, room_id: int):
    return client.post(
        f"/api/rooms/{room_id}/messages/",
        data=json.dumps({"client_id": str(uuid.uuid4()), "body": "hi"}),
        content_type="application/json",
    )


@pytest.mark.django_db
def test_http_writes_past_the_burst_get_429_with_retry_after(make_user, make_room):
    """Past the burst, an HTTP write is refused with 429 ``rate_limited``, a Retry-After header
    and ``retry_after`` in the JSON error, and nothing is stored."""
    ann = make_user("ann")
    room = make_room(ann, kind=RoomKind.GROUP)
    client = Client()
    client.force_login(ann)
    assert [_post(client, room.pk).status_code for _ in range(BURST)] == [201] * BURST
    refused = _post(client, room.pk)
    assert refused.status_code == 429
    error = refused.json()["error"]
    assert error["code"] == "rate_limited" and error["retry_after"] >= 1
    assert refused["Retry-After"] == str(error["retry_after"])
    assert Message.objects.filter(room=room).count() == BURST


@pytest.mark.django_db
def test_reads_are_not_braked(make_user, make_room):
    """GETs draw nothing from the bucket: a reader past the burst still reads."""
    ann = make_user("ann")
    room = make_room(ann, kind=RoomKind.GROUP)
    client = Client()
    client.force_login(ann)
    statuses = [client.get(f"/api/rooms/{room.pk}/messages/").status_code for _ in range(10)]
    assert statuses == [200] * 10


@pytest.mark.django_db
def test_each_user_has_their_own_bucket(make_user, make_room):
    """One person's burst does not brake another."""
    ann, bob = make_user("ann"), make_user("bob")
    room = make_room(ann, kind=RoomKind.GROUP, members=(bob,))
    ann_client, bob_client = Client(), Client()
    ann_client.force_login(ann)
    bob_client.force_login(bob)
    for _ in range(BURST + 1):
        _post(ann_client, room.pk)
    assert _post(bob_client, room.pk).status_code == 201


@pytest.mark.django_db(transaction=True)
async def test_socket_sends_past_the_burst_get_rate_limited(make_user, make_room):
    """Past the burst, a socket command gets the error reply with code ``rate_limited`` and
    ``retry_after``, and nothing is stored."""
    ann = await sync_to_async(make_user)("ann")
    room = await sync_to_async(make_room)(ann, kind=RoomKind.GROUP)
    socket = await open_socket(ann)
    for _ in range(BURST):
        await socket.send_to(
            text_data=send_cmd(
                type="message.send", room_id=room.pk, client_id=str(uuid.uuid4()), body="hi"
            )
        )
        assert (await receive_type(socket, "ack"))["message"]["body"] == "hi"
    await socket.send_to(
        text_data=send_cmd(
            type="message.send", room_id=room.pk, client_id=str(uuid.uuid4()), body="more"
        )
    )
    error = await receive_type(socket, "error")
    assert error["code"] == "rate_limited" and error["retry_after"] >= 1 and error["ref"] == "r1"
    assert await sync_to_async(Message.objects.filter(room=room).count)() == BURST
    await socket.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_socket_and_http_share_one_bucket(make_user, make_room):
    """Writes over HTTP use up the bucket the socket draws from (one brake, two transports)."""
    ann = await sync_to_async(make_user)("ann")
    room = await sync_to_async(make_room)(ann, kind=RoomKind.GROUP)

    @sync_to_async
    def http_burst() -> None:
        client = Client()
        client.force_login(ann)
        for _ in range(BURST):
            assert _post(client, room.pk).status_code == 201

    await http_burst()
    socket = await open_socket(ann)
    await socket.send_to(text_data=send_cmd(type="room.read", room_id=room.pk, seq=1))
    assert (await receive_type(socket, "error"))["code"] == "rate_limited"
    await socket.disconnect()


def test_bucket_refills_at_its_rate(monkeypatch):
    """An empty bucket gives a token back after 1/rate seconds, and says how long to wait."""
    from keyroom import ratelimit

    now = [1000.0]
    monkeypatch.setattr(ratelimit.time, "time", lambda: now[0])
    key = f"test:{uuid.uuid4()}"
    assert [ratelimit.take_token(key, rate=2, burst=2) for _ in range(2)] == [0.0, 0.0]
    assert ratelimit.take_token(key, rate=2, burst=2) == pytest.approx(0.5)
    now[0] += 0.5
    assert ratelimit.take_token(key, rate=2, burst=2) == 0.0
