"""Realtime events: group names and the one way to send them.

Only actions call ``send_event``, and it sends after the surrounding transaction commits, so an
event never describes a row that a reader could not yet fetch. The payload is serialized to JSON
once here; consumers forward the text as is (no per-member work).
"""

import json
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction


def room_group(room_id: int) -> str:
    """Return the channel-layer group of everyone subscribed to a room."""
    return f"room.{room_id}"


def user_group(user_id: int) -> str:
    """Return the channel-layer group of all of one user's open sockets."""
    return f"user.{user_id}"


def everyone_group() -> str:
    """Return the channel-layer group of every open socket (instance-wide settings changes)."""
    return "everyone"


def send_event(group: str, event: dict[str, Any], *, handler: str = "push") -> None:
    """Send ``event`` (a dict with ``type``) to ``group`` once the transaction commits.

    ``handler`` names the consumer method that receives it: ``push`` forwards the text and
    touches no database; membership events use handlers that also change subscriptions.
    """
    text = json.dumps(event, cls=DjangoJSONEncoder, separators=(",", ":"))
    # ``group`` lets a consumer drop what it receives after leaving the group: some layers
    # (Redis pub/sub) may already hold messages for it when it unsubscribes.
    message = {"type": handler, "text": text, "event": event["type"], "group": group}
    if handler != "push":
        message["data"] = event

    def _send() -> None:
        layer = get_channel_layer()
        if layer is not None:
            async_to_sync(layer.group_send)(group, message)

    transaction.on_commit(_send)
