"""The e2e app's events, one builder per type (docs/ARCHITECTURE.md lists them).

Actions send them with ``chat.events.send_event`` (after commit); nothing else builds them.
"""

from typing import Any

from e2e.models import E2ESettings, KeyEnvelope, RoomKey, UserIdentity
from e2e.selectors import serialize_envelope, serialize_identity, serialize_settings


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


def key_needed_event(room_id: int, *, user_id: int) -> dict[str, Any]:
    """The user set up or reset keys and needs the room's keys: their browsers wake the online key
    holders, who check the user's place in the signed room state before sealing."""
    return {"type": "e2e.key_needed", "room_id": room_id, "user_id": user_id}


def identity_changed_event(identity: UserIdentity) -> dict[str, Any]:
    """The user has a new identity (a reset): pins and trust decisions follow on each device."""
    return {"type": "e2e.identity_changed", **serialize_identity(identity)}


def own_state_event(identity: UserIdentity) -> dict[str, Any]:
    """To the user's own devices: their identity's generation and whether its password is saved."""
    return {
        "type": "e2e.state",
        "generation": identity.generation,
        "password_saved": identity.password_saved,
    }


def settings_event(found: E2ESettings) -> dict[str, Any]:
    """To every connected browser: the instance's E2E settings changed."""
    return {"type": "e2e.settings", "settings": serialize_settings(found)}
