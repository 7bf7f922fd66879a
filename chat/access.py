"""Permissioned fetches. Each returns the object or raises ``NotFound`` for missing and for
not-allowed alike, so nobody learns that a room or message they may not see exists."""

from django.db.models import Exists, OuterRef

from accounts.models import User
from chat.errors import NotAllowed, NotFound
from chat.models import Membership, Message, Room, RoomKind


def _parse_id(value: object) -> int:
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        raise NotFound from None
    if number <= 0 or number > 2**62:
        raise NotFound
    return number


def access_room_by_id(user: User, room_id: object, *, for_write: bool = False) -> Room:
    """Return a room the user may read: one they belong to, or any public channel.

    With ``for_write`` (posting, inviting, leaving) membership is required.
    """
    pk = _parse_id(room_id)
    if not user.is_authenticated:
        raise NotFound
    member = Membership.objects.filter(room_id=OuterRef("pk"), user_id=user.pk)
    room = (
        Room.objects.filter(pk=pk)
        .select_related("owner")
        .annotate(viewer_is_member=Exists(member))
        .first()
    )
    if room is None:
        raise NotFound
    if room.viewer_is_member:
        return room
    if room.kind == RoomKind.CHANNEL and not for_write:
        return room
    raise NotFound


def access_owned_room_by_id(user: User, room_id: object) -> Room:
    """Return a room the user may administer (its owner, or an instance admin who is a member).

    Raise ``NotFound`` if they cannot see it and ``NotAllowed`` if they can but may not manage it.
    """
    room = access_room_by_id(user, room_id)
    if room.owner_id == user.pk or (user.is_superuser and is_member(user, room)):
        return room
    raise NotAllowed


def may_turn_on_encryption(user: User, room: Room) -> bool:
    """Return whether ``user`` may turn on encryption in ``room``: in a DM either member (the
    two are equals), in a group its owner or an instance admin who is a member."""
    if room.kind == RoomKind.DM:
        return is_member(user, room)
    return room.owner_id == user.pk or (user.is_superuser and is_member(user, room))


def access_room_to_encrypt_by_id(user: User, room_id: object) -> Room:
    """Return a room in which the user may turn on encryption (``may_turn_on_encryption``).

    Raise ``NotFound`` if they cannot see it and ``NotAllowed`` if they can but may not.
    """
    room = access_room_by_id(user, room_id)
    if may_turn_on_encryption(user, room):
        return room
    raise NotAllowed


def access_message_by_id(user: User, message_id: object, *, own: bool = False) -> Message:
    """Return a message in a room the user may read; with ``own``, one they sent (not deleted)."""
    pk = _parse_id(message_id)
    message = Message.objects.filter(pk=pk).select_related("room", "sender").first()
    if message is None:
        raise NotFound
    access_room_by_id(user, message.room_id)
    if own and (message.sender_id != user.pk or message.deleted or message.kind != "text"):
        raise NotFound
    return message


def access_user_by_id(user: User, user_id: object) -> User:
    """Return an active account other than ``user`` (people are visible to every member)."""
    pk = _parse_id(user_id)
    other = User.objects.filter(pk=pk, is_active=True).first()
    if other is None or not user.is_authenticated or other.pk == user.pk:
        raise NotFound
    return other


def is_member(user: User, room: Room) -> bool:
    """Return whether ``user`` belongs to ``room``."""
    return room.memberships.filter(user_id=user.pk).exists()
