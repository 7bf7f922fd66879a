"""The floor for ``bench/fanout.py``: a bare Channels broadcast that stores nothing.

One ``AsyncJsonWebsocketConsumer`` per socket, all of a room's sockets in one group. A
``message.send`` becomes one ``group_send``; each member's consumer receives it through
Channels' normal dispatch (with its per-event database-connection cleanup, a thread hop per
handled event) and ``send_json``s it, so the event is serialized once per member.

It speaks the part of Keyroom's socket protocol the benchmark uses (``hello``, ``ack``,
``message.new`` with a message of the same shape) and sits behind the same stack as
``keyroom.asgi`` (origin check against ALLOWED_HOSTS, session auth), whose cost is paid at
connect time only. Its routing is its own: ``/ws/<room id>/``, one group per room id, so runs
sharing a Redis never share a group.

Run it like Keyroom, with Keyroom's environment (settings pick the channel layer)::

    daphne -b 127.0.0.1 -p 8001 bench.naive_asgi:application
"""

import itertools
import os
from datetime import UTC, datetime
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "keyroom.settings")
django.setup()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.generic.websocket import AsyncJsonWebsocketConsumer  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.urls import path  # noqa: E402

# Message ids of this process; nothing is stored, so they only need to be distinct here.
_numbers = itertools.count(1)


class BroadcastConsumer(AsyncJsonWebsocketConsumer):
    """Relay every ``message.send`` to the whole room, storing nothing."""

    async def connect(self) -> None:
        self.user = self.scope.get("user")
        if self.user is None or not self.user.is_authenticated:
            await self.close(code=4401)
            return
        self.group = f"naive.{self.scope['url_route']['kwargs']['room_id']}"
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_json({"type": "hello", "user_id": self.user.pk})

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not isinstance(content, dict) or content.get("type") != "message.send":
            await self.send_json({"type": "error", "code": "unknown_command", "message": "?"})
            return
        number = next(_numbers)
        message = {
            "id": number,
            "room_id": content.get("room_id"),
            "seq": number,
            "rev": number,
            "client_id": content.get("client_id"),
            "kind": "text",
            "sender": {
                "id": self.user.pk,
                "username": self.user.username,
                "name": self.user.username,
            },
            "body": content.get("body"),
            "payload": None,
            "encrypted": False,
            "created_at": datetime.now(UTC).isoformat(),
            "edited_at": None,
            "deleted": False,
        }
        await self.channel_layer.group_send(self.group, {"type": "broadcast", "message": message})
        await self.send_json({"type": "ack", "ref": content.get("ref"), "message": message})

    async def broadcast(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "message.new", "message": event["message"]})


application = ProtocolTypeRouter(
    {
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter([path("ws/<int:room_id>/", BroadcastConsumer.as_asgi())]))
        ),
    }
)
