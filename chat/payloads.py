"""The chat app's events, one builder per type (docs/ARCHITECTURE.md lists them).

Actions send them with ``chat.events.send_event`` (after commit; that module is the transport:
group names and publishing); nothing else builds them. The e2e app's are in ``e2e/events.py``.
"""

from typing import Any

from accounts.models import User
from chat.models import Message, Room
from chat.serializers import serialize_message, serialize_room, serialize_user


def message_new_event(message: Message) -> dict[str, Any]:
    """A message was posted (stored first: clients that miss this resync by ``seq``). A
    plaintext message carries its ``content`` (docs/PROTOCOL.md "Message content")."""
    return {"type": "message.new", "message": serialize_message(message)}


def message_updated_event(message: Message) -> dict[str, Any]:
    """A message was edited or deleted (its ``rev`` grew); an edited plaintext message carries
    its new ``content``, a deleted one none."""
    return {"type": "message.updated", "message": serialize_message(message)}


def room_updated_event(room: Room, *, members: list[User]) -> dict[str, Any]:
    """The room's name, topic, owner or encryption changed."""
    room_data = serialize_room(room, viewer=room.owner, members=members)
    return {"type": "room.updated", "room": room_data}


def member_added_event(room: Room, user: User) -> dict[str, Any]:
    """To the room: ``user`` joined it."""
    return {"type": "member.added", "room_id": room.pk, "user": serialize_user(user)}


def member_removed_event(room: Room, user: User) -> dict[str, Any]:
    """To the room: ``user`` left or was removed."""
    return {"type": "member.removed", "room_id": room.pk, "user_id": user.pk}


def room_joined_event(
    room: Room, user: User, *, members: list[User], notify_level: str
) -> dict[str, Any]:
    """To the new member's sockets (they subscribe to the room on it), with their level."""
    data = serialize_room(room, viewer=user, members=members)
    return {"type": "room.joined", "room": {**data, "notify_level": notify_level}}


def room_read_event(room: Room, *, last_read_seq: int, unread: int) -> dict[str, Any]:
    """To the reader's sockets (all their tabs and devices): they read ``room`` up to
    ``last_read_seq``; ``unread`` is what is left unread after it (the sidebar's count)."""
    return {
        "type": "room.read",
        "room_id": room.pk,
        "last_read_seq": last_read_seq,
        "unread": unread,
    }


def room_left_event(room: Room) -> dict[str, Any]:
    """To the departing member's sockets (they unsubscribe on it)."""
    return {"type": "room.left", "room_id": room.pk}


def digest_event(rooms: dict[int, int]) -> dict[str, Any]:
    """To one socket, now and then: each of the user's rooms with its latest revision. A
    browser behind on a room resyncs it (events lost by the layer, an outage, a starved
    server), even when nothing new follows."""
    return {"type": "digest", "rooms": {str(room_id): seq for room_id, seq in rooms.items()}}


def resync_event() -> dict[str, Any]:
    """To every socket after the channel layer failed and works again: events may be lost."""
    return {"type": "resync"}


def notify_level_event(room: Room, level: str) -> dict[str, Any]:
    """To the member's own sockets: their notification level of the room changed."""
    return {"type": "room.notify_level", "room_id": room.pk, "notify_level": level}


def typing_event(room_id: int, user_id: int, *, typing: bool) -> dict[str, Any]:
    """To the room's other members, never stored: ``user_id`` started (or stopped) typing. A
    client forgets a typist it has not heard from for a few seconds (docs/ARCHITECTURE.md)."""
    return {"type": "typing", "room_id": room_id, "user_id": user_id, "typing": typing}


def presence_event(user_id: int, state: str) -> dict[str, Any]:
    """To the rooms of ``user_id`` (others only), never stored: what they now see of that
    person, ``online``, ``away`` or ``offline`` (docs/ARCHITECTURE.md "Presence")."""
    return {"type": "presence", "user_id": user_id, "state": state}


def presence_self_event(user_id: int, state: str, *, appear_offline: bool) -> dict[str, Any]:
    """To the person's own tabs: their real state, and whether others see them offline."""
    return {
        "type": "presence.self",
        "user_id": user_id,
        "state": state,
        "appear_offline": appear_offline,
    }


def presence_snapshot_event(
    states: dict[int, str], *, user_id: int, state: str, appear_offline: bool
) -> dict[str, Any]:
    """To one socket on connect (and after it joined a room): what it sees of each person who
    shares a room with its user, and its user's own real state."""
    return {
        "type": "presence.snapshot",
        "users": {str(other): shown for other, shown in states.items()},
        "self": {"user_id": user_id, "state": state, "appear_offline": appear_offline},
    }
