"""Writes. The only place that changes rooms, memberships and messages, and the only place
that emits events (through ``chat.events.send_event``, after commit)."""

import uuid
from collections.abc import Callable, Iterable

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.models import User
from chat.errors import ChatError, Conflict, InvalidInput, NotAllowed, NotFound
from chat.events import room_group, send_event, user_group
from chat.models import (
    DEFAULT_NOTIFY_LEVELS,
    Membership,
    Mention,
    Message,
    MessageKind,
    NotificationSettings,
    Room,
    RoomKind,
    text_content,
)
from chat.payloads import (
    member_added_event,
    member_removed_event,
    message_new_event,
    message_updated_event,
    notify_level_event,
    room_joined_event,
    room_left_event,
    room_read_event,
    room_updated_event,
)
from chat.selectors import count_unread_for_user, list_members_for_room

# A rule about a write that another app adds, run inside the write's transaction once the
# room row is locked (``e2e`` checks ciphertext against the room's current key this way).
RoomCheck = Callable[[Room], None]


def _next_seq(room: Room) -> int:
    """Take the room's next counter value. Locks the room row until the transaction ends.

    Also refresh ``room.encrypted``, ``room.left_seq`` and ``room.allow_mention_all`` from the
    locked row, so that rules
    checked after this see the values no other transaction can change before commit.
    """
    table = connection.ops.quote_name(Room._meta.db_table)
    with connection.cursor() as cursor:
        # One statement (SQLite >= 3.35 and PostgreSQL both have RETURNING).
        cursor.execute(
            f"UPDATE {table} SET last_seq = last_seq + 1 WHERE id = %s"  # noqa: S608
            " RETURNING last_seq, encrypted, left_seq, allow_mention_all",
            [room.pk],
        )
        room.last_seq, encrypted, room.left_seq, allow_all = cursor.fetchone()
        room.encrypted = bool(encrypted)
        room.allow_mention_all = bool(allow_all)
    return room.last_seq


def _refuse_plaintext(room: Room, payload: dict | None) -> None:
    """Refuse a plaintext message or edit in an encrypted room (call under the room lock)."""
    if payload is None and room.encrypted:
        raise InvalidInput(
            "This room is end-to-end encrypted: the server accepts only encrypted messages.",
            code="encryption_required",
        )


def _mentioned(content: dict | None) -> tuple[list[int], bool]:
    """Return the user ids and the @here/@all flag of a checked content object."""
    if content is None:
        return [], False
    return [int(pk) for pk in content["mentions"]], bool(content["mention_all"])


def _check_mentions(room: Room, content: dict | None) -> None:
    """Refuse @here/@all where the room forbids it, and mentions of people not in the room
    (call under the room lock)."""
    mentions, mention_all = _mentioned(content)
    if mention_all and not room.allow_mention_all:
        raise InvalidInput(
            "This room does not allow @here and @all.", code="mention_all_not_allowed"
        )
    if mentions:
        found = Membership.objects.filter(room=room, user_id__in=mentions).count()
        if found != len(set(mentions)):
            raise InvalidInput(
                "A message can mention only members of the room.", code="mention_not_member"
            )


def _check_reply(room: Room, content: dict | None) -> None:
    """Refuse a reply (``content.reply_to``) to anything but a text message of ``room`` that is
    not deleted and has that id, number and (when given) uuid and sender
    (``reply_not_found``)."""
    reply_to = (content or {}).get("reply_to")
    if reply_to is None:
        return
    target = Message.objects.filter(
        pk=int(reply_to["id"]), room=room, seq=reply_to["seq"], kind=MessageKind.TEXT, deleted=False
    )
    if "client_id" in reply_to:
        target = target.filter(client_id=reply_to["client_id"])
    if "sender" in reply_to:
        target = target.filter(sender_id=int(reply_to["sender"]))
    found = target.exists()
    if not found:
        raise InvalidInput(
            "The message you are replying to is not in this room any more.",
            code="reply_not_found",
        )


def _mention_rows(message: Message, content: dict | None) -> list[Mention]:
    """Return the Mention rows of ``message`` saying what ``content`` mentions (unsaved)."""
    mentions, mention_all = _mentioned(content)
    rows = [Mention(message=message, user_id=pk) for pk in set(mentions)]
    if mention_all:
        rows.append(Mention(message=message, user=None))
    return rows


def _post(
    room: Room,
    sender: User,
    *,
    kind: str,
    body: str,
    client_id: uuid.UUID,
    content: dict | None = None,
    payload: dict | None = None,
    check: RoomCheck | None = None,
) -> Message:
    seq = _next_seq(room)
    if kind == MessageKind.TEXT:
        _refuse_plaintext(room, payload)
        _check_mentions(room, content)
        _check_reply(room, content)
    if check is not None:
        check(room)
    message = Message.objects.create(
        room=room,
        sender=sender,
        kind=kind,
        body=body,
        content=content,
        payload=payload,
        client_id=client_id,
        seq=seq,
        rev=seq,
    )
    Mention.objects.bulk_create(_mention_rows(message, content))
    send_event(room_group(room.pk), message_new_event(message))
    return message


def _post_system(room: Room, actor: User, text: str) -> Message:
    return _post(room, actor, kind=MessageKind.SYSTEM, body=text, client_id=uuid.uuid4())


def _room_event(room: Room) -> None:
    send_event(room_group(room.pk), room_updated_event(room, members=list_members_for_room(room)))


def _add(room: Room, users: Iterable[User], *, actor: User) -> list[User]:
    """Add the users who are not members yet; tell them and the room. Return who was added."""
    existing = set(room.memberships.values_list("user_id", flat=True))
    added = [u for u in users if u.pk not in existing]
    chosen = {
        s.user_id: s.level_for(room.kind)
        for s in NotificationSettings.objects.filter(user__in=[u.pk for u in added])
    }
    default = DEFAULT_NOTIFY_LEVELS.get(room.kind, "all")
    new = [
        Membership(
            room=room,
            user=u,
            last_read_seq=room.last_seq,
            notify_level=chosen.get(u.pk, default),
        )
        for u in added
    ]
    Membership.objects.bulk_create(new)
    if not added:
        return added
    members = list_members_for_room(room)
    levels = {m.user_id: m.notify_level for m in new}
    for user in added:
        send_event(room_group(room.pk), member_added_event(room, user))
        # The new member's sockets subscribe to the room when they receive this.
        send_event(
            user_group(user.pk),
            room_joined_event(room, user, members=members, notify_level=levels[user.pk]),
            handler="room_joined",
        )
    return added


def do_create_room(
    user: User,
    *,
    kind: str,
    name: str,
    topic: str = "",
    invitees: Iterable[User] = (),
    encrypted: bool = False,
    uid: uuid.UUID | None = None,
) -> Room:
    """Create a public channel or private group owned by ``user``, with the invitees in it.

    ``name`` and ``topic`` must already have passed ``check_room_name`` / ``check_topic``.
    ``encrypted`` only sets the flag; the ``e2e`` app stores the keys in the same transaction.
    """
    if kind not in (RoomKind.CHANNEL, RoomKind.GROUP):
        raise InvalidInput("A room is a public channel or a private group.")
    if encrypted and kind != RoomKind.GROUP:
        raise InvalidInput(
            "Public channels cannot be end-to-end encrypted.", code="channel_not_encryptable"
        )
    try:
        with transaction.atomic():
            room = Room.objects.create(
                kind=kind,
                name=name,
                topic=topic,
                owner=user,
                encrypted=encrypted,
                uid=uid or uuid.uuid4(),
                allow_mention_all=kind != RoomKind.CHANNEL,
            )
            _add(room, [user, *invitees], actor=user)
    except IntegrityError:
        raise InvalidInput(f"A room called “{name}” already exists.", code="name_taken") from None
    return room


def do_open_dm(
    user: User, *, other: User, encrypted: bool = False, uid: uuid.UUID | None = None
) -> tuple[Room, bool]:
    """Return the direct-message room of ``user`` and ``other``, creating it on first use.

    ``encrypted`` applies only to a new room (an existing DM is returned as it is).
    """
    low, high = sorted((user.pk, other.pk))
    key = f"{low}:{high}"
    room = Room.objects.filter(dm_key=key).first()
    if room is not None:
        return room, False
    try:
        with transaction.atomic():
            room = Room.objects.create(
                kind=RoomKind.DM,
                owner=user,
                dm_key=key,
                encrypted=encrypted,
                uid=uid or uuid.uuid4(),
            )
            _add(room, [user, other], actor=user)
    except IntegrityError:
        # Both people opened the DM at once; the other request made it.
        return Room.objects.get(dm_key=key), False
    return room, True


def do_set_room_encrypted(user: User, room: Room) -> Room:
    """Turn the room's encrypted flag on for good and say so in the room.

    Call inside the transaction that stores the room's first key (the ``e2e`` app does).
    """
    if room.kind == RoomKind.CHANNEL:
        raise InvalidInput(
            "Public channels cannot be end-to-end encrypted.", code="channel_not_encryptable"
        )
    room.encrypted = True
    room.save(update_fields=["encrypted"])
    _room_event(room)
    _post_system(room, user, f"{user.shown_name} turned on end-to-end encryption")
    return room


def do_update_room(
    user: User,
    room: Room,
    *,
    name: str | None,
    topic: str | None,
    allow_mention_all: bool | None = None,
) -> Room:
    """Change a room's name, topic and whether @here/@all are allowed (checked values; DMs
    have no name of their own)."""
    fields = []
    if allow_mention_all is not None and allow_mention_all != room.allow_mention_all:
        room.allow_mention_all = allow_mention_all
        fields.append("allow_mention_all")
    if name is not None and room.kind != RoomKind.DM and name != room.name:
        room.name = name
        fields.append("name")
    if topic is not None and topic != room.topic:
        room.topic = topic
        fields.append("topic")
    if not fields:
        return room
    with transaction.atomic():
        room.save(update_fields=fields)
        _room_event(room)
    return room


def do_add_members(user: User, room: Room, *, people: Iterable[User]) -> list[User]:
    """Add people to a channel or group (the caller has checked that ``user`` may)."""
    if room.kind == RoomKind.DM:
        raise InvalidInput("A direct message is between exactly two people.", code="dm_members")
    with transaction.atomic():
        added = _add(room, people, actor=user)
        if added:
            names = ", ".join(u.shown_name for u in added)
            _post_system(room, user, f"{user.shown_name} added {names}")
    return added


def do_join_channel(user: User, room: Room) -> None:
    """Join a public channel."""
    if room.kind != RoomKind.CHANNEL:
        raise NotAllowed("Only public channels can be joined without an invitation.")
    with transaction.atomic():
        if _add(room, [user], actor=user):
            _post_system(room, user, f"{user.shown_name} joined")


def do_remove_member(user: User, room: Room, *, member: User) -> None:
    """Remove ``member`` from ``room``: the owner removing someone, or anyone leaving.

    When the owner leaves, ownership passes to the longest-standing remaining member.
    """
    if room.kind == RoomKind.DM:
        raise InvalidInput("You cannot leave a direct message.", code="dm_members")
    leaving = member.pk == user.pk
    with transaction.atomic():
        deleted, _ = Membership.objects.filter(room=room, user=member).delete()
        if not deleted:
            raise InvalidInput(f"{member.shown_name} is not a member.", code="not_member")
        if room.owner_id == member.pk:
            heir = room.memberships.order_by("joined_at", "pk").select_related("user").first()
            if heir is not None:
                room.owner = heir.user
                room.save(update_fields=["owner"])
                _room_event(room)
        text = (
            f"{user.shown_name} left"
            if leaving
            else (f"{user.shown_name} removed {member.shown_name}")
        )
        # Tell the removed person's sockets first: they unsubscribe before the next room event.
        send_event(user_group(member.pk), room_left_event(room), handler="room_left")
        send_event(room_group(room.pk), member_removed_event(room, member))
        departure = _post_system(room, user, text)
        room.left_seq = departure.seq
        room.save(update_fields=["left_seq"])


def do_transfer_ownership(user: User, room: Room, *, new_owner: User) -> Room:
    """Hand the room on to another member."""
    if not room.memberships.filter(user=new_owner).exists():
        raise InvalidInput(f"{new_owner.shown_name} is not a member.", code="not_member")
    with transaction.atomic():
        room.owner = new_owner
        room.save(update_fields=["owner"])
        _room_event(room)
        _post_system(room, user, f"{user.shown_name} made {new_owner.shown_name} the owner")
    return room


def do_send_message(
    user: User,
    room: Room,
    *,
    client_id: uuid.UUID,
    content: dict | None = None,
    body: str = "",
    payload: dict | None = None,
    check: RoomCheck | None = None,
) -> tuple[Message, bool]:
    """Store a message, then push it. A retry with the same ``client_id`` returns the stored one.

    Return ``(message, created)``. A plaintext message is ``content``, a content object checked
    by ``chat.checks.check_message_input`` (or, without it, the checked text ``body``, with no
    mentions); it is stored with ``body`` = its text, for search. ``payload`` is a ciphertext
    envelope for encrypted rooms, which ``check`` (the ``e2e`` app's rules) validates.
    Plaintext is refused in an encrypted room, and ``check`` runs, inside the transaction that
    stores the message, once the room row is locked: a concurrent change of the room cannot
    slip between the check and the insert. So do the rules about the content's mentions
    (members only: ``mention_not_member``), ``mention_all`` (``mention_all_not_allowed``
    where the room forbids @here/@all) and ``reply_to`` (a text message of this room:
    ``reply_not_found``).
    """
    if payload is None:
        content = content if content is not None else text_content(body)
        body = content["text"]
    else:
        content, body = None, ""
    # A retry is rare: the unique (room, client_id) constraint finds it, not a query per send.
    try:
        with transaction.atomic():
            message = _post(
                room,
                user,
                kind=MessageKind.TEXT,
                body=body,
                content=content,
                payload=payload,
                client_id=client_id,
                check=check,
            )
            Membership.objects.filter(room=room, user=user).update(last_read_seq=message.seq)
    except IntegrityError:
        existing = Message.objects.select_related("sender").get(room=room, client_id=client_id)
        if existing.sender_id != user.pk:
            raise Conflict(
                "That message id is already taken.", code="duplicate_client_id"
            ) from None
        return existing, False
    return message, True


def _change(
    message: Message, *, check: RoomCheck | None, mismatch: ChatError, **fields: object
) -> Message:
    """Stamp a change of ``message`` with the room's next rev and push it.

    Every rule runs under the room lock: the message is still there and not deleted (a
    concurrent delete wins over an edit), it stays encrypted exactly when it was (else
    ``mismatch``), a new text is not plaintext in an encrypted room, mentions only members
    (and everyone only where the room allows it) and answers the message it answered
    (``reply_to``), then ``check``. The message's Mention rows
    are replaced by the new content's (none once deleted).
    """
    payload = fields.get("payload")
    content = fields.get("content")
    with transaction.atomic():
        message.rev = _next_seq(message.room)
        state = (
            Message.objects.filter(pk=message.pk).values("deleted", "payload", "content").first()
        )
        if state is None or state["deleted"]:
            raise NotFound
        if (state["payload"] is not None) != (payload is not None):
            raise mismatch
        if content is not None:
            _refuse_plaintext(message.room, None)
            _check_mentions(message.room, content)
            if content.get("reply_to") != (state["content"] or {}).get("reply_to"):
                raise InvalidInput(
                    "An edit cannot change which message it replies to.", code="bad_content"
                )
        if check is not None:
            check(message.room)
        for name, value in fields.items():
            setattr(message, name, value)
        message.save(update_fields=["rev", *fields])
        if "content" in fields:
            message.mention_rows.all().delete()
            Mention.objects.bulk_create(_mention_rows(message, content))
        send_event(room_group(message.room_id), message_updated_event(message))
    return message


def _edit_mismatch() -> InvalidInput:
    return InvalidInput(
        "An edit must be encrypted exactly when the message was.", code="edit_mismatch"
    )


def _tombstone_required() -> InvalidInput:
    return InvalidInput(
        "This message is end-to-end encrypted: only the sender's browser can delete it, with a"
        " signed tombstone (e2e.message.delete), not a plain delete.",
        code="tombstone_required",
    )


def do_edit_message(
    user: User,
    message: Message,
    *,
    content: dict | None = None,
    body: str = "",
    payload: dict | None = None,
    check: RoomCheck | None = None,
) -> Message:
    """Replace the content (or ciphertext) of the user's own message.

    ``content`` and ``body`` as for ``do_send_message``; the message's mentions become the new
    content's. Plaintext is refused in an encrypted room, the mention rules and ``check`` run
    inside the transaction, under the room lock (see ``do_send_message``).
    """
    if message.encrypted != (payload is not None):
        raise _edit_mismatch()
    if payload is not None:
        if payload == message.payload:
            return message
        return _change(
            message,
            check=check,
            mismatch=_edit_mismatch(),
            payload=payload,
            edited_at=timezone.now(),
        )
    content = content if content is not None else text_content(body)
    if content == message.content:
        return message
    return _change(
        message,
        check=check,
        mismatch=_edit_mismatch(),
        body=content["text"],
        content=content,
        edited_at=timezone.now(),
    )


def do_delete_message(
    user: User,
    message: Message,
    *,
    payload: dict | None = None,
    check: RoomCheck | None = None,
) -> Message:
    """Delete the user's own message: its place stays, its content goes.

    An encrypted message is deleted only with ``payload``, a ciphertext (the sender's signed
    tombstone, which ``check`` validates) stored in place of the old one; a plaintext message
    only without one. Both rules and ``check`` run under the room lock.
    """
    mismatch = _tombstone_required() if payload is None else _edit_mismatch()
    if message.encrypted != (payload is not None):
        raise mismatch
    return _change(
        message,
        check=check,
        mismatch=mismatch,
        deleted=True,
        body="",
        content=None,
        payload=payload,
    )


def do_mark_read(user: User, room: Room, *, seq: int) -> None:
    """Record that the user has read the room up to ``seq`` (never moves backwards).

    When the mark moved, tell all of the user's sockets (their other tabs and devices clear the
    room's unread count): ``room.read`` to the user's group, after commit.
    """
    last_read_seq = min(seq, room.last_seq)
    with transaction.atomic():
        moved = Membership.objects.filter(
            room=room, user=user, last_read_seq__lt=last_read_seq
        ).update(last_read_seq=last_read_seq)
        if not moved:
            return
        unread = count_unread_for_user(user, room, after_seq=last_read_seq)
        send_event(
            user_group(user.pk),
            room_read_event(room, last_read_seq=last_read_seq, unread=unread),
        )


def do_set_notify_level(user: User, room: Room, *, level: str) -> str:
    """Set which of ``room``'s messages notify ``user`` (a checked level); tell their tabs."""
    with transaction.atomic():
        changed = Membership.objects.filter(room=room, user=user).update(notify_level=level)
        if not changed:
            raise NotFound
        send_event(user_group(user.pk), notify_level_event(room, level))
    return level


def do_update_notification_settings(
    user: User, *, channel_level: str, group_level: str, dm_level: str, sound: bool
) -> NotificationSettings:
    """Store ``user``'s notification defaults (checked levels) for the rooms they join next."""
    found, _ = NotificationSettings.objects.update_or_create(
        user=user,
        defaults={
            "channel_level": channel_level,
            "group_level": group_level,
            "dm_level": dm_level,
            "sound": sound,
        },
    )
    return found
