"""The e2e app's room events, one builder per type (docs/ARCHITECTURE.md lists them).

Actions send them with ``chat.events.send_event`` (after commit); nothing else builds them.
"""

from typing import Any

from e2e.models import KeyEnvelope, RoomKey
from e2e.selectors import serialize_envelope


def envelope_event(envelope: KeyEnvelope) -> dict[str, Any]:
    """A room key was sealed to the event's recipient."""
    return {"type": "e2e.envelope", **serialize_envelope(envelope)}


def room_state_event(room_id: int, *, length: int) -> dict[str, Any]:
    """The room's state chain grew to ``length`` entries: browsers fetch and verify the new ones."""
    return {"type": "e2e.room_state", "room_id": room_id, "length": length}


def key_rotated_event(room_id: int, key: RoomKey) -> dict[str, Any]:
    """The room has a new current key (its envelopes follow as ``e2e.envelope``)."""
    return {"type": "e2e.key_rotated", "room_id": room_id, "key_id": key.key_id, "epoch": key.epoch}


def room_policy_event(room_id: int, *, share_history: bool) -> dict[str, Any]:
    """The room's history policy changed."""
    return {"type": "e2e.room_policy", "room_id": room_id, "share_history": share_history}
