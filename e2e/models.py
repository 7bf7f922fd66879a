"""End-to-end encryption state the server keeps. It never holds a password or an unwrapped
private key: identities are public keys, backups are ciphertext (docs/PROTOCOL.md)."""

from django.conf import settings
from django.db import models


class KeyChangePolicy(models.TextChoices):
    CONFIRM = "confirm", "Ask a key holder to confirm before re-sharing room keys"
    AUTOMATIC = "automatic", "Re-share room keys automatically"


class E2ESettings(models.Model):
    """The instance's E2E switch and defaults: one row, edited by staff in the Django admin."""

    enabled = models.BooleanField("Enable end-to-end encryption", default=False)
    encrypt_dms_by_default = models.BooleanField(
        "Encrypt new direct messages by default", default=True
    )
    encrypt_groups_by_default = models.BooleanField(
        "Encrypt new private groups by default", default=True
    )
    key_change_policy = models.CharField(
        "When a member's key changes",
        max_length=16,
        choices=KeyChangePolicy.choices,
        default=KeyChangePolicy.CONFIRM,
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
    """E2E state of an encrypted room: its current key epoch and its policies."""

    room = models.OneToOneField("chat.Room", on_delete=models.CASCADE, related_name="e2e")
    current_key = models.ForeignKey(RoomKey, on_delete=models.PROTECT, related_name="+")
    encrypted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    encrypted_at = models.DateTimeField(auto_now_add=True)
    share_history = models.BooleanField("New members can read earlier messages", default=True)

    def __str__(self) -> str:
        return f"encryption of room {self.room_id}"


class MembershipAttestation(models.Model):
    """A key holder's signed statement that ``member`` belongs to the room (PROTOCOL.md):
    browsers seal room keys only to members attested by someone they know holds the key."""

    room = models.ForeignKey("chat.Room", on_delete=models.CASCADE, related_name="+")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    attester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    key = models.ForeignKey(RoomKey, on_delete=models.CASCADE, related_name="attestations")
    attestation = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "member"], name="attestation_unique"),
        ]

    def __str__(self) -> str:
        return f"attestation of user {self.member_id} in room {self.room_id}"
