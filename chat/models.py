"""Rooms, memberships and messages.

Ordering: each room keeps a counter ``last_seq``. Every new message takes the next value as its
``seq`` (its place in the room) and every change (new, edit, delete) stamps the message with the
next value as its ``rev``. Bumping the counter locks the room row until commit, so within a room
commit order equals counter order and a client that has seen everything up to ``rev`` N can ask
for "changes after N" without missing any (docs/ARCHITECTURE.md).

``chat`` knows nothing of keys: an encrypted message carries an opaque ``payload`` and no body.

A plaintext text message's ``content`` is its content object (docs/PROTOCOL.md "Message
content"): ``{"v": 1, "text", "format", "mentions", "mention_all", ...}``; ``body`` is a copy of
its text, for server search.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q


class RoomKind(models.TextChoices):
    CHANNEL = "channel", "Public channel"
    GROUP = "group", "Private group"
    DM = "dm", "Direct message"


class Room(models.Model):
    # A stable public id, made by the creating browser for encrypted rooms: room keys and
    # messages are bound to it before the server has assigned a primary key.
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=8, choices=RoomKind.choices)
    name = models.CharField(max_length=80, blank=True)
    topic = models.CharField(max_length=250, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_rooms"
    )
    # "<lower user id>:<higher user id>" for direct messages, so a DM pair exists once.
    dm_key = models.CharField(max_length=64, null=True, blank=True, unique=True)
    encrypted = models.BooleanField(default=False)
    last_seq = models.BigIntegerField(default=0)
    # The room counter when someone last left or was removed: the ``e2e`` app compares it with
    # the current key's to know that the key must rotate before anyone sends again.
    left_seq = models.BigIntegerField(default=0)
    # Whether a message may notify everyone (@here / @all); the owner changes it. Groups and
    # DMs start with it on, channels off (``do_create_room``).
    allow_mention_all = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["name"],
                condition=~Q(kind="dm"),
                name="room_name_unique_except_dm",
            ),
            models.CheckConstraint(
                condition=Q(kind="dm") | ~Q(name=""), name="room_named_unless_dm"
            ),
        ]

    def __str__(self) -> str:
        return self.name or f"DM {self.dm_key}"


class NotifyLevel(models.TextChoices):
    ALL = "all", "All messages"
    MENTIONS = "mentions", "Mentions only"
    NOTHING = "nothing", "Nothing"


# The level a new member starts with when they have not chosen defaults (My Account ->
# Notifications).
DEFAULT_NOTIFY_LEVELS = {
    RoomKind.CHANNEL: NotifyLevel.MENTIONS,
    RoomKind.GROUP: NotifyLevel.ALL,
    RoomKind.DM: NotifyLevel.ALL,
}


class Membership(models.Model):
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    joined_at = models.DateTimeField(auto_now_add=True)
    last_read_seq = models.BigIntegerField(default=0)
    # Which of the room's messages notify this member (desktop notifications, in the browser).
    notify_level = models.CharField(
        max_length=8, choices=NotifyLevel.choices, default=NotifyLevel.ALL
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["room", "user"], name="membership_unique"),
        ]

    def __str__(self) -> str:
        return f"user {self.user_id} in room {self.room_id}"


CONTENT_VERSION = 1


class ContentFormat(models.TextChoices):
    MARKDOWN = "markdown", "Markdown"
    PLAIN = "plain", "Plain text"


def text_content(
    text: str, *, mentions: list[int] | tuple[int, ...] = (), mention_all: bool = False
) -> dict:
    """Return the content object of a Markdown message ``text`` (already checked) mentioning
    the users ``mentions`` (ids) and, with ``mention_all``, everyone."""
    return {
        "v": CONTENT_VERSION,
        "text": text,
        "format": ContentFormat.MARKDOWN.value,
        "mentions": [str(pk) for pk in sorted(set(mentions))],
        "mention_all": mention_all,
    }


class MessageKind(models.TextChoices):
    TEXT = "text", "Text"
    SYSTEM = "system", "System"


class Message(models.Model):
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="messages")
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="messages"
    )
    client_id = models.UUIDField(default=uuid.uuid4)
    kind = models.CharField(max_length=8, choices=MessageKind.choices, default=MessageKind.TEXT)
    seq = models.BigIntegerField()
    rev = models.BigIntegerField()
    body = models.TextField(blank=True)
    # The content object of a plaintext text message (its ``text`` is ``body``); null for
    # system messages, encrypted ones (their content is inside ``payload``) and deleted ones.
    content = models.JSONField(null=True, blank=True)
    # Opaque ciphertext for encrypted rooms (validated shape, never decrypted here).
    payload = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["room", "seq"], name="message_seq_unique"),
            models.UniqueConstraint(fields=["room", "client_id"], name="message_client_id_unique"),
        ]
        indexes = [models.Index(fields=["room", "rev"], name="message_room_rev")]

    def __str__(self) -> str:
        # Never the body: logs and the admin must not carry message text.
        return f"message {self.seq} in room {self.room_id}"

    @property
    def encrypted(self) -> bool:
        return self.payload is not None


class Mention(models.Model):
    """A person a plaintext message mentions; ``user`` None: everyone (@here / @all).

    Only for plaintext rooms, where the server reads the content: the sidebar's mention count.
    Encrypted rooms count mentions in the browser, after decryption.
    """

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="mention_rows")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["message", "user"], name="mention_unique"),
        ]

    def __str__(self) -> str:
        return f"mention of user {self.user_id} in message {self.message_id}"


class NotificationSettings(models.Model):
    """A person's notification defaults (My Account -> Notifications): the level new rooms of
    each kind start with, and whether a notification plays a sound."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_settings"
    )
    channel_level = models.CharField(
        max_length=8, choices=NotifyLevel.choices, default=NotifyLevel.MENTIONS
    )
    group_level = models.CharField(
        max_length=8, choices=NotifyLevel.choices, default=NotifyLevel.ALL
    )
    dm_level = models.CharField(max_length=8, choices=NotifyLevel.choices, default=NotifyLevel.ALL)
    sound = models.BooleanField(default=True)

    def __str__(self) -> str:
        return f"notification settings of user {self.user_id}"

    def level_for(self, kind: str) -> str:
        return {
            RoomKind.CHANNEL: self.channel_level,
            RoomKind.GROUP: self.group_level,
            RoomKind.DM: self.dm_level,
        }.get(kind, NotifyLevel.ALL)
