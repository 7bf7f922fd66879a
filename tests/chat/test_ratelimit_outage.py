"""The write brake while its cache (Redis) is away: writes go through, the outage is logged once.

Found by the soak test (tests/soak/): with Redis stopped, every socket command answered
``server_error`` with a traceback in the log, because the brake could not read its bucket.
"""

import logging
import uuid

import pytest
from asgiref.sync import sync_to_async

from chat.models import Message, RoomKind
from keyroom import ratelimit
from tests.sockets import open_socket, receive_type, send_cmd


class DownCache:
    """A cache whose server refuses connections (what django's RedisCache raises then)."""

    def get(self, *args, **kwargs):
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    set = get


@pytest.fixture(autouse=True)
def brake_on(settings):
    settings.KEYROOM_WRITE_RATE = 20.0
    settings.KEYROOM_WRITE_BURST = 100
    ratelimit._cache.failing = False
    yield
    ratelimit._cache.failing = False


@pytest.mark.django_db(transaction=True)
async def test_socket_sends_go_through_while_the_cache_is_down(
    make_user, make_room, monkeypatch, caplog
):
    """With the cache unreachable, socket sends are acked and stored; the log says so once
    (not a traceback per command), and once more when the cache is back."""
    ann = await sync_to_async(make_user)("ann")
    room = await sync_to_async(make_room)(ann, kind=RoomKind.GROUP)
    socket = await open_socket(ann)
    working = ratelimit.cache
    monkeypatch.setattr(ratelimit, "cache", DownCache())

    async def send(body: str) -> dict:
        frame = send_cmd(
            type="message.send", room_id=room.pk, client_id=str(uuid.uuid4()), body=body
        )
        await socket.send_to(text_data=frame)
        return await receive_type(socket, "ack")

    with caplog.at_level(logging.WARNING):
        for n in range(3):
            assert (await send(f"during {n}"))["message"]["body"] == f"during {n}"
        monkeypatch.setattr(ratelimit, "cache", working)
        assert (await send("after"))["message"]["body"] == "after"
    await socket.disconnect()

    assert await sync_to_async(Message.objects.filter(room=room).count)() == 4
    outage = [r for r in caplog.records if r.name == "keyroom.ratelimit"]
    assert [r.getMessage() for r in outage] == [
        "The cache is failing: writes are not braked until it is back",
        "The cache is back: writes are braked again",
    ]
    assert not [r for r in caplog.records if r.getMessage() == "socket command failed"]
