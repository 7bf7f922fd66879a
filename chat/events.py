"""Realtime events: group names and the one way to send them.

Only actions call ``send_event``, and it sends after the surrounding transaction commits, so an
event never describes a row that a reader could not yet fetch. The payload is serialized to JSON
once here; consumers forward the text as is (no per-member work).
"""

import asyncio
import json
import logging
import os
from typing import Any

from asgiref.sync import SyncToAsync, async_to_sync
from channels.layers import get_channel_layer
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

from chat.payloads import resync_event

logger = logging.getLogger(__name__)


def room_group(room_id: int) -> str:
    """Return the channel-layer group of everyone subscribed to a room."""
    return f"room.{room_id}"


def user_group(user_id: int) -> str:
    """Return the channel-layer group of all of one user's open sockets."""
    return f"user.{user_id}"


def everyone_group() -> str:
    """Return the channel-layer group of every open socket (instance-wide settings changes)."""
    return "everyone"


def send_event(
    group: str, event: dict[str, Any], *, handler: str = "push", skip_user: int | None = None
) -> None:
    """Send ``event`` (a dict with ``type``) to ``group`` once the transaction commits.

    ``handler`` names the consumer method that receives it: ``push`` forwards the text and
    touches no database; membership events use handlers that also change subscriptions.
    ``skip_user``: that user's sockets do not forward it (a typist is not told of themself).
    """
    message = _layer_message(group, event, handler=handler, skip_user=skip_user)
    transaction.on_commit(lambda: _publish(group, message))


async def send_ephemeral(
    group: str, event: dict[str, Any], *, skip_user: int | None = None
) -> None:
    """Send an event that describes nothing stored (typing, presence) at once, from the event
    loop: no transaction to wait for, no database, no order with other events to keep."""
    layer = get_channel_layer()
    if layer is None:
        return
    message = _layer_message(group, event, handler="push", skip_user=skip_user)
    try:
        await layer.group_send(group, message)
    except Exception:  # the layer is away: typing or presence is not worth an error or a retry
        logger.debug("could not send an ephemeral event", exc_info=True)


def _layer_message(
    group: str, event: dict[str, Any], *, handler: str, skip_user: int | None
) -> dict[str, Any]:
    text = json.dumps(event, cls=DjangoJSONEncoder, separators=(",", ":"))
    # ``group`` lets a consumer drop what it receives after leaving the group: some layers
    # (Redis pub/sub) may already hold messages for it when it unsubscribes.
    message = {"type": handler, "text": text, "event": event["type"], "group": group}
    if handler != "push":
        message["data"] = event
    if skip_user is not None:
        message["skip_user"] = skip_user
    return message


class _Publisher:
    """Send events from the database thread without waiting for the event loop.

    Inside daphne, actions run in a worker thread (``database_sync_to_async``). Blocking that
    thread until each ``group_send`` finished would hold up the next command and the reply;
    instead events go on a queue that one task per event loop drains in order, so events keep
    the order their actions committed in. Outside an event loop (management commands, plain
    tests) ``group_send`` runs at once.
    """

    def __init__(self) -> None:
        self.queues: dict[asyncio.AbstractEventLoop, asyncio.Queue] = {}
        self.dropped = 0  # events lost since the layer started failing (0: it works)

    def publish(self, group: str, message: dict[str, Any]) -> None:
        layer = get_channel_layer()
        if layer is None:
            return
        loop = _server_loop()
        if loop is None:
            async_to_sync(layer.group_send)(group, message)
            return
        loop.call_soon_threadsafe(self._enqueue, loop, layer, group, message)

    def _enqueue(
        self, loop: asyncio.AbstractEventLoop, layer: Any, group: str, message: dict[str, Any]
    ) -> None:
        queue = self.queues.get(loop)
        if queue is None:
            queue = self.queues[loop] = asyncio.Queue()
            loop.create_task(self._drain(queue))
        queue.put_nowait((layer, group, message))

    async def _drain(self, queue: asyncio.Queue) -> None:
        while True:
            layer, group, message = await queue.get()
            try:
                await layer.group_send(group, message)
            except Exception:
                self._failed(message)
                continue
            if self.dropped:
                await self._recovered(layer)

    def _failed(self, message: dict[str, Any]) -> None:
        """Log an outage once (with its first error), not once per event."""
        if not self.dropped:
            logger.exception(
                "The channel layer is failing: events are dropped until it is back (browsers "
                "catch up through the digest; first lost: %s)",
                message.get("event"),
            )
        self.dropped += 1

    async def _recovered(self, layer: Any) -> None:
        """The layer works again: say how much was lost and tell every socket to resync."""
        logger.warning("The channel layer is back; %d event(s) were dropped", self.dropped)
        self.dropped = 0
        event = resync_event()
        text = json.dumps(event, separators=(",", ":"))
        group = everyone_group()
        try:
            await layer.group_send(
                group, {"type": "push", "text": text, "event": event["type"], "group": group}
            )
        except Exception:
            self.dropped = 1  # failing again: the next success retries the resync


def _server_loop() -> asyncio.AbstractEventLoop | None:
    """Return the running server's event loop if this is one of its worker threads."""
    if getattr(SyncToAsync.threadlocal, "main_event_loop_pid", None) != os.getpid():
        return None
    loop = getattr(SyncToAsync.threadlocal, "main_event_loop", None)
    return loop if loop is not None and loop.is_running() else None


_publish = _Publisher().publish
