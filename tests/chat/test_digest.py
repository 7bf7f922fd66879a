"""Events lost on the way are found again: the per-socket digest straight from the database,
and the channel layer's outages logged once and followed by a resync for every socket."""

import asyncio
import json
import logging

import pytest
from asgiref.sync import sync_to_async
from django.test import override_settings

from chat.events import _Publisher
from chat.models import Message, MessageKind, Room, RoomKind
from tests.sockets import open_socket, receive_type

pytestmark = pytest.mark.django_db(transaction=True)


@override_settings(KEYROOM_DIGEST_SECONDS=0.2)
async def test_a_socket_gets_each_rooms_latest_revision_from_the_database(make_user, make_room):
    """Without any event, the socket soon tells its browser every room's latest revision,
    including one written where no event went out (the layer lost it)."""
    ann, bob = await sync_to_async(make_user)("ann"), await sync_to_async(make_user)("bob")
    room = await sync_to_async(make_room)(ann, kind=RoomKind.GROUP, members=(bob,))
    socket = await open_socket(bob)

    @sync_to_async
    def write_silently() -> int:
        Room.objects.filter(pk=room.pk).update(last_seq=room.last_seq + 1)
        Message.objects.create(
            room=room, sender=ann, kind=MessageKind.TEXT, body="lost on the way",
            seq=room.last_seq + 1, rev=room.last_seq + 1,
        )  # fmt: skip
        return room.last_seq + 1

    latest = await write_silently()
    digest = await receive_type(socket, "digest")
    assert digest["rooms"] == {str(room.pk): latest}
    await socket.disconnect()


class FlakyLayer:
    """A layer whose group_send fails ``failures`` times, then works (records what it sent)."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.sent: list[tuple[str, dict]] = []

    async def group_send(self, group: str, message: dict) -> None:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("redis is away")
        self.sent.append((group, message))


async def test_an_outage_is_logged_once_and_ends_with_a_resync(caplog):
    """Ten events dropped in one outage log one error (not ten tracebacks); when the layer
    works again a warning says how many were lost and every socket is told to resync."""
    caplog.set_level(logging.INFO, logger="chat.events")
    publisher, layer, queue = _Publisher(), FlakyLayer(failures=10), asyncio.Queue()
    for n in range(11):
        queue.put_nowait((layer, f"room.{n}", {"type": "push", "text": "{}", "event": "x"}))
    drain = asyncio.create_task(publisher._drain(queue))
    for _ in range(100):
        await asyncio.sleep(0.01)  # poll (bounded)
        if len(layer.sent) >= 2:
            break
    drain.cancel()
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(errors) == 1 and "failing" in errors[0].getMessage()
    assert len(warnings) == 1 and "10 event(s) were dropped" in warnings[0].getMessage()
    assert layer.sent[0][0] == "room.10"
    group, message = layer.sent[1]
    assert group == "everyone" and json.loads(message["text"]) == {"type": "resync"}
