"""Reads. Every function here runs a fixed number of queries, whatever the number of rooms,
members or messages (tests assert it)."""

import datetime

from django.conf import settings
from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery

from accounts.models import User
from chat.models import (
    Membership,
    Mention,
    Message,
    MessageKind,
    NotificationSettings,
    Room,
    RoomKind,
)


def list_rooms_for_user(user: User) -> list[tuple[Room, Membership, list[User]]]:
    """Return the user's rooms with their memberships and (for DMs) members, by kind and name.

    Each membership carries ``unread`` (messages of others after the read mark) and
    ``mentions`` (those of them that mention the user or everyone: plaintext rooms only, the
    server cannot read encrypted ones).
    """
    unread = (
        Message.objects.filter(
            room=OuterRef("room_id"),
            seq__gt=OuterRef("last_read_seq"),
            deleted=False,
            kind=MessageKind.TEXT,
        )
        .exclude(sender=user)
        .order_by()
        .values("room")
        .annotate(n=Count("pk"))
        .values("n")
    )
    mentions = (
        Mention.objects.filter(
            message__room=OuterRef("room_id"),
            message__seq__gt=OuterRef("last_read_seq"),
            message__deleted=False,
        )
        .filter(Q(user=user) | Q(user__isnull=True))
        .exclude(message__sender=user)
        .order_by()
        .values("message__room")
        .annotate(n=Count("message", distinct=True))
        .values("n")
    )
    memberships = (
        Membership.objects.filter(user=user)
        .select_related("room")
        .annotate(unread=Subquery(unread), mentions=Subquery(mentions))
        .prefetch_related(
            Prefetch(
                "room__memberships",
                queryset=Membership.objects.filter(room__kind=RoomKind.DM).select_related("user"),
                to_attr="dm_memberships",
            )
        )
        .order_by("room__kind", "room__name", "room_id")
    )
    result = []
    for membership in memberships:
        room = membership.room
        members = [m.user for m in getattr(room, "dm_memberships", [])]
        membership.unread = membership.unread or 0
        membership.mentions = membership.mentions or 0
        result.append((room, membership, members))
    return result


def count_unread_for_user(user: User, room: Room, *, after_seq: int) -> int:
    """Return how many of ``room``'s messages after ``after_seq`` ``user`` has not read: others'
    text messages that are not deleted (what ``list_rooms_for_user`` counts)."""
    return (
        Message.objects.filter(room=room, seq__gt=after_seq, deleted=False, kind=MessageKind.TEXT)
        .exclude(sender=user)
        .count()
    )


def list_public_channels(user: User, *, query: str = "") -> QuerySet[Room]:
    """Return the public channels, annotated with whether the user belongs to each."""
    rooms = Room.objects.filter(kind=RoomKind.CHANNEL).annotate(
        joined=Count("memberships", filter=Q(memberships__user=user)),
        member_count=Count("memberships"),
    )
    if query:
        rooms = rooms.filter(Q(name__icontains=query) | Q(topic__icontains=query))
    return rooms.order_by("name")


def list_members_for_room(room: Room) -> list[User]:
    return [m.user for m in room.memberships.select_related("user").order_by("joined_at", "pk")]


def list_messages_for_room(
    room: Room, *, before_seq: int | None = None, limit: int | None = None
) -> list[Message]:
    """Return up to ``limit`` messages before ``before_seq`` (all if None), oldest first."""
    limit = limit or settings.KEYROOM_HISTORY_PAGE
    messages = Message.objects.filter(room=room).select_related("sender")
    if before_seq is not None:
        messages = messages.filter(seq__lt=before_seq)
    page = list(messages.order_by("-seq")[:limit])
    page.reverse()
    return page


def list_own_messages_for_room(room: Room, user: User, *, limit: int = 20) -> list[Message]:
    """Return the user's own newest ``limit`` text messages in the room, newest first (deleted
    ones too: an encrypted one keeps its tombstone)."""
    return list(
        Message.objects.filter(room=room, sender=user, kind=MessageKind.TEXT)
        .select_related("sender")
        .order_by("-seq")[:limit]
    )


def list_changes_for_room(room: Room, *, after_rev: int, limit: int = 500) -> list[Message]:
    """Return messages created, edited or deleted after ``after_rev``, in change order."""
    return list(
        Message.objects.filter(room=room, rev__gt=after_rev)
        .select_related("sender")
        .order_by("rev")[:limit]
    )


def search_messages_for_user(
    user: User,
    *,
    query: str,
    room_id: int | None = None,
    sender_id: int | None = None,
    since: datetime.date | None = None,
    until: datetime.date | None = None,
    limit: int = 50,
) -> list[Message]:
    """Return the newest plaintext messages containing ``query`` in rooms the user belongs to,
    optionally only in room ``room_id``, by ``sender_id``, sent on or after ``since`` and on or
    before ``until`` (days in UTC, the server's time zone).

    Encrypted messages and messages of encrypted rooms are never returned: the server cannot
    read them and must not pretend to (browsers search those on the device).
    """
    words = query.split()
    if not words:
        return []
    messages = Message.objects.filter(
        room__memberships__user=user,
        kind=MessageKind.TEXT,
        deleted=False,
        payload__isnull=True,
        room__encrypted=False,
    )
    if room_id is not None:
        messages = messages.filter(room_id=room_id)
    if sender_id is not None:
        messages = messages.filter(sender_id=sender_id)
    if since is not None:
        messages = messages.filter(created_at__date__gte=since)
    if until is not None:
        messages = messages.filter(created_at__date__lte=until)
    for word in words[:8]:
        messages = messages.filter(body__icontains=word)
    return list(messages.select_related("sender", "room").order_by("-created_at", "-pk")[:limit])


def list_people_in_rooms_of(user: User, *, limit: int = 500) -> list[User]:
    """Return the active people who share a room with ``user``, ``user`` included, by name (the
    search page's "From" filter)."""
    return list(
        User.objects.filter(is_active=True, memberships__room__memberships__user=user)
        .distinct()
        .order_by("username")[:limit]
    )


def list_people(user: User, *, query: str = "", limit: int = 20) -> list[User]:
    """Return active accounts other than ``user`` matching ``query`` (for invites and DMs)."""
    people = User.objects.filter(is_active=True).exclude(pk=user.pk)
    if query:
        people = people.filter(Q(username__icontains=query) | Q(display_name__icontains=query))
    return list(people.order_by("username")[:limit])


def get_membership(user: User, room: Room) -> Membership | None:
    return Membership.objects.filter(user=user, room=room).first()


def get_room_digest(user_id: int) -> dict[int, int]:
    """Return ``{room id: last_seq}`` for every room the user belongs to (one query): what a
    socket's periodic digest tells its browser, so it finds events it never received."""
    return dict(Room.objects.filter(memberships__user_id=user_id).values_list("id", "last_seq"))


def get_notification_settings(user: User) -> NotificationSettings:
    """Return the user's notification defaults (unsaved defaults if they never chose)."""
    found = NotificationSettings.objects.filter(user=user).first()
    return found or NotificationSettings(user=user)


def list_room_peers_for_user(user_id: int) -> list[tuple[int, bool]]:
    """Return each other person who shares a room with the user, with their ``appear_offline``
    (who may see the user's presence, and whose presence the user may see). One query."""
    return list(
        User.objects.filter(memberships__room__memberships__user_id=user_id)
        .exclude(pk=user_id)
        .distinct()
        .values_list("pk", "appear_offline")
    )
