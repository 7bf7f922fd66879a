"""End-to-end encryption state the server keeps. It never holds a password or an unwrapped
private key: identities are public keys, backups are ciphertext (docs/PROTOCOL.md)."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models


class E2ESettings(models.Model):
    """The instance's E2E switch and defaults: one row, edited by staff in the Django admin.

    Deliberately no setting about trust (attack 13): whether a changed key is accepted and room
    keys re-shared to it is decided only by a person's click on their own device.
    """

    enabled = models.BooleanField(
        "Enable end-to-end encryption",
        default=False,
        help_text=(
            "The switch for all of Keyroom. On: browsers make each person's keys, and direct "
            "messages and private groups can be encrypted so that only their members can read "
            "them; the server stores ciphertext it cannot open. Off (the default): no new "
            "encrypted rooms; rooms already encrypted stay encrypted. Public channels are never "
            "encrypted."
        ),
    )
    encrypt_dms_by_default = models.BooleanField(
        "Encrypt new direct messages by default",
        default=True,
        help_text=(
            "Whether the Encrypted switch starts on when someone starts a direct message (default: "
            "on). People can still turn it off for a room, and then the server can read that "
            "room; once a room is encrypted it stays encrypted."
        ),
    )
    encrypt_groups_by_default = models.BooleanField(
        "Encrypt new private groups by default",
        default=True,
        help_text=(
            "Whether the Encrypted switch starts on when someone creates a private group (default: "
            "on). Turned off, new groups are readable by the server unless their creator turns "
            "encryption on."
        ),
    )
    # Bounded exposure: a room key also changes on a schedule, by the next sender's browser
    # (docs/SECURITY.md). A room event is a message, an edit or a deletion.
    rotate_after_days = models.PositiveIntegerField(
        "Change each room's key after this many days",
        default=7,
        help_text=(
            "1 to 365 (default 7). A member's browser makes a new room key when the current one "
            "is older. Fewer days limit how much of a room one stolen key can read; a new key is "
            "only ever shared with the room's current members."
        ),
        validators=[MinValueValidator(1), MaxValueValidator(365)],
    )
    rotate_after_events = models.PositiveIntegerField(
        "Change each room's key after this many messages, edits and deletions",
        default=1000,
        help_text=(
            "10 to 1,000,000 (default 1000). The same limit counted in room events: whichever of "
            "the two comes first makes the next sender's browser change the key."
        ),
        validators=[MinValueValidator(10), MaxValueValidator(1_000_000)],
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "end-to-end encryption settings"
        verbose_name_plural = "end-to-end encryption settings"

    def __str__(self) -> str:
        return "End-to-end encryption settings"


class UserIdentity(models.Model):
    """A user's current public identity (Ed25519 + signed X25519) and their key backup.

    ``generation`` counts key resets. ``password_saved`` is set when the user confirms they
    saved the E2E password; until then their devices keep showing the banner.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="e2e_identity"
    )
    public = models.JSONField()
    fingerprint = models.CharField(max_length=64)
    backup = models.JSONField()
    generation = models.PositiveIntegerField(default=1)
    password_saved = models.BooleanField(default=False)
    # The user's trust record (docs/PROTOCOL.md §16): opaque ciphertext signed by the identity,
    # and its version counter, which only grows (a device refuses an older one).
    trust_record = models.JSONField(null=True, blank=True)
    trust_version = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "user identity"
        verbose_name_plural = "user identities"

    def __str__(self) -> str:
        return f"identity of user {self.user_id} (generation {self.generation})"


class RoomKey(models.Model):
    """One epoch of a room's key: only its id is known here; the key itself travels sealed in
    envelopes. ``epoch`` counts up from 1 per room."""

    room = models.ForeignKey("chat.Room", on_delete=models.CASCADE, related_name="e2e_keys")
    key_id = models.CharField(max_length=22)
    epoch = models.PositiveIntegerField()
    # The room counter when the key was made: a departure after it (Room.left_seq) means the
    # key must rotate before anyone sends again.
    created_seq = models.BigIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["room", "key_id"], name="roomkey_unique_id"),
            models.UniqueConstraint(fields=["room", "epoch"], name="roomkey_unique_epoch"),
        ]

    def __str__(self) -> str:
        return f"key epoch {self.epoch} of room {self.room_id}"


class KeyEnvelope(models.Model):
    """A room key sealed by ``sender`` to ``recipient`` (docs/PROTOCOL.md section 8)."""

    key = models.ForeignKey(RoomKey, on_delete=models.CASCADE, related_name="envelopes")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # The recipient's identity generation the key was sealed to; after a key reset the old
    # envelope is useless to them and a key holder re-shares.
    recipient_generation = models.PositiveIntegerField(default=1)
    envelope = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "recipient"], name="envelope_unique"),
        ]

    def __str__(self) -> str:
        return f"envelope of key {self.key_id} for user {self.recipient_id}"


class EncryptedRoom(models.Model):
    """E2E state of an encrypted room as the server keeps it for its own checks.

    The truth is the signed room-state chain (``RoomStateEntry``, docs/PROTOCOL.md §15): the
    current key and the history policy here are copies of what the chain says, written in the
    transaction that appends the entry, so the server's rules use the same values as browsers.
    """

    room = models.OneToOneField("chat.Room", on_delete=models.CASCADE, related_name="e2e")
    current_key = models.ForeignKey(RoomKey, on_delete=models.PROTECT, related_name="+")
    encrypted_at = models.DateTimeField(auto_now_add=True)
    share_history = models.BooleanField("New members can read earlier messages", default=True)

    def __str__(self) -> str:
        return f"encryption of room {self.room_id}"


class RoomStateEntry(models.Model):
    """One signed entry of a room's state chain (docs/PROTOCOL.md §15), stored as sent.

    ``index`` counts from 0 (the genesis); ``hash`` is the entry's hash (base64url), which the
    next entry names as ``prev``. The server checks shape, order and signatures before storing
    and never writes an entry itself: it holds no member's signing key.
    """

    room = models.ForeignKey("chat.Room", on_delete=models.CASCADE, related_name="e2e_state")
    index = models.PositiveIntegerField()
    entry = models.JSONField()
    hash = models.CharField(max_length=43)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["room", "index"], name="roomstate_unique_index"),
        ]
        verbose_name_plural = "room state entries"

    def __str__(self) -> str:
        return f"state entry {self.index} of room {self.room_id}"
