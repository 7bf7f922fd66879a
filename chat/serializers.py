"""JSON shapes of rooms, people and messages, shared by the HTTP API and socket events.

docs/ARCHITECTURE.md lists them; the browser's ``static/js/chat/*_data.js`` reads exactly these.
"""

from typing import Any

from accounts.models import User
from chat.models import Membership, Message, MessageKind, Room, RoomKind, text_content


def serialize_user(user: User) -> dict[str, Any]:
    """Return a person as clients see them; ``is_bot`` puts a "Bot" tag by the name."""
    return {
        "id": user.pk,
        "username": user.username,
        "name": user.shown_name,
        "is_bot": user.is_bot,
    }


def message_content(message: Message) -> dict[str, Any] | None:
    """Return a plaintext text message's content object (docs/PROTOCOL.md "Message content");
    None for system, encrypted and deleted messages."""
    if message.kind != MessageKind.TEXT or message.deleted or message.encrypted:
        return None
    # A row stored without one (written by code older than the content model) reads as text.
    return message.content if message.content is not None else text_content(message.body)


def serialize_message(message: Message) -> dict[str, Any]:
    """Return a message as clients see it; a deleted one keeps its place but loses its content.

    ``content``: a plaintext text message's content object, null otherwise; ``body`` its text
    (what older clients show). A deleted encrypted message keeps its ``payload``: the sender's
    signed tombstone, which browsers check (docs/PROTOCOL.md §9.1).
    """
    return {
        "id": message.pk,
        "room_id": message.room_id,
        "seq": message.seq,
        "rev": message.rev,
        "client_id": str(message.client_id),
        "kind": message.kind,
        "sender": serialize_user(message.sender),
        "body": "" if message.deleted else message.body,
        "content": message_content(message),
        "payload": message.payload,
        "encrypted": message.encrypted,
        "created_at": message.created_at,
        "edited_at": message.edited_at,
        "deleted": message.deleted,
    }


def room_title(room: Room, *, viewer: User, members: list[User] | None = None) -> str:
    """Return the room's name; for a DM, the other person's name."""
    if room.kind != RoomKind.DM:
        return room.name
    others = [m for m in (members or []) if m.pk != viewer.pk]
    return others[0].shown_name if others else "Direct message"


def serialize_room(
    room: Room,
    *,
    viewer: User,
    members: list[User] | None = None,
    unread: int = 0,
    is_member: bool = True,
    membership: Membership | None = None,
) -> dict[str, Any]:
    """Return a room summary; with the viewer's ``membership`` (annotated ``unread`` and
    ``mentions``, as ``list_rooms_for_user`` makes them), also their counts and their
    notification level."""
    data: dict[str, Any] = {
        "id": room.pk,
        "uid": str(room.uid),
        "kind": room.kind,
        "name": room_title(room, viewer=viewer, members=members),
        "topic": room.topic,
        "owner_id": room.owner_id,
        "encrypted": room.encrypted,
        "last_seq": room.last_seq,
        "unread": unread,
        "is_member": is_member,
        "allow_mention_all": room.allow_mention_all,
    }
    if membership is not None:
        data["unread"] = getattr(membership, "unread", unread)
        data["mentions"] = getattr(membership, "mentions", 0)
        data["notify_level"] = membership.notify_level
    if members is not None:
        data["members"] = [serialize_user(m) for m in members]
    return data
