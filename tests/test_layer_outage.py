"""After Redis was away, every socket of the process is told to resync (keyroom/layers.py).

Found by the soak test (tests/soak/): the ``resync`` that chat/events.py publishes when its
first event after an outage goes through could reach no socket, because the processes had not
subscribed again yet (channels-redis retries its subscriptions a second later); messages
stored during the outage stayed unseen until the next digest (30 s by default).
"""

import asyncio
import logging

import pytest

from chat.events import everyone_group
from keyroom.layers import RedisPubSubChannelLayer
from tests.sockets import open_socket


class FlakyPubSub:
    """A pub/sub connection whose reads fail ``failures`` times (Redis away), then work."""

    subscribed = True

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.reads = 0

    async def get_message(self, **kwargs):
        self.reads += 1
        if self.reads <= self.failures:
            raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
        await asyncio.sleep(0.01)
        return None


async def test_every_channel_hears_when_the_subscriptions_are_back(monkeypatch, caplog):
    """Reads that fail and then work again put ``layer.resubscribed`` on every channel of the
    process, once, and the outage is logged once (not a traceback per failed read)."""
    monkeypatch.setattr(asyncio, "sleep", _fast(asyncio.sleep))
    layer = RedisPubSubChannelLayer(hosts=["redis://127.0.0.1:1/0"], prefix="test")
    loop_layer = layer._get_layer()
    queues = {name: asyncio.Queue() for name in ("one", "two")}
    loop_layer.channels.update(queues)
    shard = loop_layer._shards[0]
    shard._pubsub = FlakyPubSub(failures=3)
    with caplog.at_level(logging.WARNING, logger="keyroom.layers"):
        task = asyncio.ensure_future(shard._do_receiving())
        try:
            got = [await asyncio.wait_for(q.get(), timeout=5) for q in queues.values()]
            await asyncio.sleep(0.05)  # more good reads: no second announcement
        finally:
            task.cancel()
    assert [layer.deserialize(message) for message in got] == [{"type": "layer.resubscribed"}] * 2
    assert all(q.empty() for q in queues.values())
    assert [r.getMessage() for r in caplog.records] == [
        "The channel layer lost its subscriptions; events for this process's sockets are lost "
        "until it is back",
        "The channel layer's subscriptions are back",
    ]


def _fast(sleep):
    """asyncio.sleep with the layer's 1 s pause after a failed read cut to a moment."""

    async def fast(seconds, *args, **kwargs):
        return await sleep(min(seconds, 0.01), *args, **kwargs)

    return fast


@pytest.mark.django_db(transaction=True)
async def test_the_consumer_turns_it_into_a_resync_event(make_user):
    """A socket whose process got ``layer.resubscribed`` is sent ``resync``."""
    from asgiref.sync import sync_to_async
    from channels.layers import get_channel_layer

    ann = await sync_to_async(make_user)("ann")
    socket = await open_socket(ann)
    await get_channel_layer().group_send(everyone_group(), {"type": "layer.resubscribed"})
    assert await socket.receive_json_from(timeout=2) == {"type": "resync"}
    await socket.disconnect()
