"""E2E writes, and the only place in ``e2e`` that emits events (after commit)."""

import uuid
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction

from accounts.models import User
from chat import actions as chat_actions
from chat.errors import Conflict, InvalidInput, NotAllowed
from chat.events import everyone_group, room_group, send_event, user_group
from chat.models import Membership, Message, Room, RoomKind
from e2e.models import E2ESettings, EncryptedRoom, KeyEnvelope, RoomKey, UserIdentity
from e2e.selectors import (
    get_e2e_settings,
    serialize_envelope,
    serialize_identity,
    serialize_settings,
)


def _require_enabled() -> None:
    if not get_e2e_settings().enabled:
        raise NotAllowed(
            "The administrator has not enabled end-to-end encryption.", code="e2e_disabled"
        )


def _state_event(identity: UserIdentity) -> None:
    """Tell all of the user's devices about their own E2E state."""
    send_event(
        user_group(identity.user_id),
        {
            "type": "e2e.state",
            "generation": identity.generation,
            "password_saved": identity.password_saved,
        },
    )


def do_save_e2e_settings(found: E2ESettings) -> E2ESettings:
    """Save the instance's E2E settings and tell every connected browser at once."""
    with transaction.atomic():
        found.pk = 1
        found.save()
        send_event(
            everyone_group(), {"type": "e2e.settings", "settings": serialize_settings(found)}
        )
    return found


def do_publish_identity(
    user: User, *, public: dict[str, Any], fingerprint: str, backup: dict[str, Any]
) -> UserIdentity:
    """Store a user's first identity and key backup (checked values). Refuse a second one."""
    _require_enabled()
    try:
        with transaction.atomic():
            identity = UserIdentity.objects.create(
                user=user, public=public, fingerprint=fingerprint, backup=backup
            )
            _state_event(identity)
    except IntegrityError:
        raise Conflict(
            "You already have encryption keys; reset them to make new ones.", code="identity_exists"
        ) from None
    return identity


def do_replace_backup(user: User, identity: UserIdentity, *, backup: dict[str, Any]) -> None:
    """Replace the key backup after a password change; the identity stays the same."""
    _require_enabled()
    with transaction.atomic():
        identity.backup = backup
        identity.password_saved = True
        identity.save(update_fields=["backup", "password_saved", "updated_at"])
        _state_event(identity)


def do_confirm_password_saved(user: User, identity: UserIdentity) -> None:
    """Record that the user saved their E2E password: the banner goes on every device."""
    if identity.password_saved:
        return
    with transaction.atomic():
        identity.password_saved = True
        identity.save(update_fields=["password_saved", "updated_at"])
        _state_event(identity)


def do_reset_keys(
    user: User,
    identity: UserIdentity,
    *,
    public: dict[str, Any],
    fingerprint: str,
    backup: dict[str, Any],
) -> UserIdentity:
    """Replace the user's identity with a new one; tell everyone they share a room with."""
    _require_enabled()
    with transaction.atomic():
        identity.public = public
        identity.fingerprint = fingerprint
        identity.backup = backup
        identity.generation += 1
        identity.password_saved = False
        identity.save()
        _state_event(identity)
        changed = {"type": "e2e.identity_changed", **serialize_identity(identity)}
        for room_id in Membership.objects.filter(user=user).values_list("room_id", flat=True):
            send_event(room_group(room_id), changed)
    return identity


def _store_key(
    user: User, room: Room, *, key_id: str, envelopes: dict[int, dict[str, Any]]
) -> RoomKey:
    """Store a new key epoch for ``room`` with envelopes for members who have keys.

    Every recipient must be a member with a published identity; the sender's own envelope is
    required, so whoever makes a key can always read with it on their other devices.
    """
    members = set(room.memberships.values_list("user_id", flat=True))
    with_keys = set(
        UserIdentity.objects.filter(user_id__in=members).values_list("user_id", flat=True)
    )
    strangers = set(envelopes) - with_keys
    if strangers:
        raise InvalidInput(
            "Envelopes can only go to members who have set up encryption.", code="bad_recipient"
        )
    if user.pk not in envelopes:
        raise InvalidInput("Include an envelope for yourself.", code="bad_recipient")
    last = RoomKey.objects.filter(room=room).order_by("-epoch").first()
    try:
        with transaction.atomic():
            key = RoomKey.objects.create(
                room=room, key_id=key_id, created_by=user, epoch=(last.epoch + 1) if last else 1
            )
    except IntegrityError:
        raise Conflict("That key id is already used in this room.", code="key_id_taken") from None
    stored = KeyEnvelope.objects.bulk_create(
        KeyEnvelope(key=key, recipient_id=rid, sender=user, envelope=env)
        for rid, env in envelopes.items()
    )
    for item in stored:
        send_event(
            user_group(item.recipient_id), {"type": "e2e.envelope", **serialize_envelope(item)}
        )
    return key


def do_create_encrypted_room(
    user: User,
    *,
    name: str,
    topic: str,
    invitees: Iterable[User],
    key_id: str,
    envelopes: dict[int, dict[str, Any]],
    uid: uuid.UUID,
) -> Room:
    """Create an encrypted private group and its first key, in one transaction.

    ``uid`` is the room uid the creator's browser chose and bound the envelopes to.
    """
    _require_enabled()
    with transaction.atomic():
        room = chat_actions.do_create_room(
            user,
            kind=RoomKind.GROUP,
            name=name,
            topic=topic,
            invitees=invitees,
            encrypted=True,
            uid=uid,
        )
        key = _store_key(user, room, key_id=key_id, envelopes=envelopes)
        EncryptedRoom.objects.create(room=room, current_key=key, encrypted_by=user)
    return room


def do_open_encrypted_dm(
    user: User,
    *,
    other: User,
    key_id: str,
    envelopes: dict[int, dict[str, Any]],
    uid: uuid.UUID,
) -> tuple[Room, bool]:
    """Return the DM with ``other``; a new one is created encrypted with its first key."""
    _require_enabled()
    with transaction.atomic():
        room, created = chat_actions.do_open_dm(user, other=other, encrypted=True, uid=uid)
        if created:
            key = _store_key(user, room, key_id=key_id, envelopes=envelopes)
            EncryptedRoom.objects.create(room=room, current_key=key, encrypted_by=user)
    return room, created


def do_encrypt_room(
    user: User, room: Room, *, key_id: str, envelopes: dict[int, dict[str, Any]]
) -> Room:
    """Turn on encryption for an existing group or DM, with its first key, atomically.

    Once on it stays on. Earlier messages stay as they were.
    """
    _require_enabled()
    with transaction.atomic():
        locked = Room.objects.select_for_update().get(pk=room.pk)
        if locked.encrypted:
            raise Conflict("This room is already end-to-end encrypted.", code="already_encrypted")
        key = _store_key(user, locked, key_id=key_id, envelopes=envelopes)
        EncryptedRoom.objects.create(room=locked, current_key=key, encrypted_by=user)
        chat_actions.do_set_room_encrypted(user, locked)
    room.encrypted = True
    return locked


def do_send_encrypted_message(
    user: User, room: Room, *, client_id: uuid.UUID, payload: dict[str, Any]
) -> tuple[Message, bool]:
    """Store and push an encrypted message (shape and key id already checked)."""
    return chat_actions.do_send_message(user, room, client_id=client_id, payload=payload)


def do_edit_encrypted_message(user: User, message: Message, *, payload: dict[str, Any]) -> Message:
    """Replace an encrypted message's ciphertext (re-encrypted by the sender)."""
    return chat_actions.do_edit_message(user, message, payload=payload)
