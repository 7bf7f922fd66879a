"""Keyroom's channel layers: the embedded one (Channels' in-memory layer with cheaper
housekeeping) and channels-redis' pub/sub layer that tells sockets to resync after an outage."""

import asyncio
import logging
import time
from typing import Any

from channels.layers import InMemoryChannelLayer as ChannelsInMemoryChannelLayer
from channels_redis import pubsub
from channels_redis.utils import _wrap_close, decode_hosts

logger = logging.getLogger(__name__)


class InMemoryChannelLayer(ChannelsInMemoryChannelLayer):
    """Channels' in-memory layer that sweeps expired messages and groups at most once a second.

    The stock layer sweeps every queued channel and every group membership on each ``receive``
    and ``group_send``: a message to an N-member room costs N sweeps of all memberships of all
    sockets. Messages expire after 30 s and memberships after a day, so once a second is enough.
    """

    sweep_interval = 1.0
    _next_sweep = 0.0

    def _clean_expired(self) -> None:
        now = time.monotonic()
        if now >= self._next_sweep:
            self._next_sweep = now + self.sweep_interval
            super()._clean_expired()


class RedisPubSubChannelLayer(pubsub.RedisPubSubChannelLayer):
    """channels-redis' pub/sub layer that says when its subscriptions were lost and are back.

    While Redis is away, this process's subscriptions are gone: events published meanwhile, by
    any process, never reach its sockets. redis-py subscribes again when it reconnects; then
    every channel of this process gets ``{"type": "layer.resubscribed"}`` (the chat consumer
    tells its browser to resync). A resync published by another process right when Redis is
    back (chat/events.py) can go out before these subscriptions are back, and be lost too.
    """

    def _get_layer(self) -> "_LoopLayer":
        loop = asyncio.get_running_loop()
        layer = self._layers.get(loop)
        if layer is None:
            layer = self._layers[loop] = _LoopLayer(*self._args, **self._kwargs, channel_layer=self)
            _wrap_close(self, loop)
        return layer


class _LoopLayer(pubsub.RedisPubSubLoopLayer):
    def __init__(self, hosts: Any = None, **kwargs: Any) -> None:
        super().__init__(hosts, **kwargs)
        self._shards = [_Shard(host, self) for host in decode_hosts(hosts)]

    def resubscribed(self) -> None:
        """Tell every channel of this process that events may have been lost."""
        message = self.channel_layer.serialize({"type": "layer.resubscribed"})
        for queue in self.channels.values():
            queue.put_nowait(message)


class _Shard(pubsub.RedisSingleShardConnection):
    lost = False  # the subscriptions' connection failed and has not worked since

    async def _do_receiving(self) -> None:
        # channels-redis' receive loop, which logs every failed read with a traceback (once a
        # second for as long as Redis is away): here the outage is logged once, and the first
        # read that works again (redis-py reconnected and subscribed again) is announced.
        while True:
            try:
                if self._pubsub and self._pubsub.subscribed:
                    message = await self._pubsub.get_message(
                        ignore_subscribe_messages=True, timeout=0.1
                    )
                    if self.lost:
                        self.lost = False
                        logger.warning("The channel layer's subscriptions are back")
                        self.channel_layer.resubscribed()
                    self._receive_message(message)
                else:
                    await asyncio.sleep(0.1)
            except (asyncio.CancelledError, TimeoutError, GeneratorExit):
                raise
            except Exception:
                if not self.lost:
                    logger.warning(
                        "The channel layer lost its subscriptions; events for this process's "
                        "sockets are lost until it is back",
                        exc_info=True,
                    )
                self.lost = True
                await asyncio.sleep(1)
