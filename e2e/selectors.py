"""Reads of E2E state."""

from django.db.models import QuerySet

from e2e.models import E2ESettings, EncryptedRoom, KeyEnvelope, UserIdentity


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
        "key_change_policy": found.key_change_policy,
    }


def serialize_identity(identity: UserIdentity) -> dict:
    return {
        "user_id": identity.user_id,
        "identity": identity.public,
        "generation": identity.generation,
    }


def get_encrypted_room(room_id: int) -> EncryptedRoom | None:
    return EncryptedRoom.objects.filter(room_id=room_id).select_related("current_key").first()


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
