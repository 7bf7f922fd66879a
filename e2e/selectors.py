"""Reads of E2E state."""

from datetime import timedelta

from django.db.models import QuerySet
from django.utils import timezone

from chat.models import Room
from e2e.models import (
    E2ESettings,
    EncryptedRoom,
    KeyEnvelope,
    RoomKey,
    RoomStateEntry,
    UserIdentity,
)


def get_e2e_settings() -> E2ESettings:
    """Return the instance's E2E settings (the defaults until an admin saves them)."""
    found = E2ESettings.objects.filter(pk=1).first()
    return found if found is not None else E2ESettings(pk=1)


def get_identity_for_user(user_id: int) -> UserIdentity | None:
    return UserIdentity.objects.filter(user_id=user_id).first()


def list_identities_for_users(user_ids: list[int]) -> QuerySet[UserIdentity]:
    """Return the current identities of active users among ``user_ids``."""
    return UserIdentity.objects.filter(user_id__in=user_ids, user__is_active=True)


def serialize_settings(found: E2ESettings) -> dict:
    return {
        "enabled": found.enabled,
        "encrypt_dms_by_default": found.encrypt_dms_by_default,
        "encrypt_groups_by_default": found.encrypt_groups_by_default,
    }


def serialize_identity(identity: UserIdentity) -> dict:
    return {
        "user_id": identity.user_id,
        "identity": identity.public,
        "generation": identity.generation,
    }


def get_encrypted_room(room_id: int) -> EncryptedRoom | None:
    return (
        EncryptedRoom.objects.filter(room_id=room_id).select_related("current_key", "room").first()
    )


def list_envelopes_for_user(user_id: int, *, room_id: int) -> list[KeyEnvelope]:
    """Return the envelopes sealed to ``user_id`` in a room, oldest epoch first."""
    return list(
        KeyEnvelope.objects.filter(recipient_id=user_id, key__room_id=room_id)
        .select_related("key")
        .order_by("key__epoch")
    )


def serialize_envelope(envelope: KeyEnvelope) -> dict:
    return {
        "room_id": envelope.key.room_id,
        "key_id": envelope.key.key_id,
        "epoch": envelope.key.epoch,
        "sender_id": envelope.sender_id,
        "recipient_id": envelope.recipient_id,
        "envelope": envelope.envelope,
    }


def rotation_reason(
    room: Room, key: RoomKey, *, settings: E2ESettings, upcoming: int = 0
) -> str | None:
    """Return why ``key`` (the room's current key) must be replaced before the next send, or
    None: "departure" (someone left since it was made), "age" (older than the schedule's days),
    "events" (more room events than the schedule allows, counting ``upcoming`` not yet taken).
    Read ``room`` under its lock when the answer guards a write."""
    if room.left_seq > key.created_seq:
        return "departure"
    if key.created_at and timezone.now() - key.created_at > timedelta(
        days=settings.rotate_after_days
    ):
        return "age"
    if room.last_seq + upcoming - key.created_seq > settings.rotate_after_events:
        return "events"
    return None


def rotation_due(encrypted: EncryptedRoom) -> bool:
    """Return whether the room's current key must be replaced before anyone sends again."""
    # Asked before a send: that send will be one more event.
    reason = rotation_reason(
        encrypted.room, encrypted.current_key, settings=get_e2e_settings(), upcoming=1
    )
    return reason is not None


def list_keys_for_room(room: Room) -> dict[str, RoomKey]:
    return {key.key_id: key for key in RoomKey.objects.filter(room=room)}


def list_key_needs_for_room(room: Room) -> list[dict]:
    """Return, per member with an identity, the key ids they have no envelope for under their
    current identity. Key holders' browsers decide (the signed room state) whether to seal."""
    keys = list(RoomKey.objects.filter(room=room).order_by("epoch"))
    identities = UserIdentity.objects.filter(user__memberships__room=room)
    have = set(
        KeyEnvelope.objects.filter(key__room=room).values_list(
            "key_id", "recipient_id", "recipient_generation"
        )
    )
    needs = []
    for identity in identities:
        missing = [
            k.key_id for k in keys if (k.pk, identity.user_id, identity.generation) not in have
        ]
        if missing:
            needs.append(
                {"user_id": identity.user_id, "generation": identity.generation, "key_ids": missing}
            )
    return needs


def list_state_entries_for_room(room: Room, *, start: int = 0) -> list[dict]:
    """Return the room's state-chain entries from index ``start`` on, in order."""
    return list(
        RoomStateEntry.objects.filter(room=room, index__gte=start)
        .order_by("index")
        .values_list("entry", flat=True)
    )
