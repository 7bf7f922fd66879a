"""E2E settings and identities: the admin switch, publishing, backups, resets."""

from typing import Any

from django.db import IntegrityError, transaction

from accounts.models import User
from chat.errors import Conflict, NotAllowed, NotFound
from chat.events import everyone_group, room_group, send_event, user_group
from chat.models import Membership
from e2e.checks import check_login_password
from e2e.events import (
    identity_changed_event,
    key_needed_event,
    own_state_event,
    settings_event,
)
from e2e.models import E2ESettings, EncryptedRoom, UserIdentity
from e2e.selectors import get_e2e_settings


def _require_enabled() -> None:
    if not get_e2e_settings().enabled:
        raise NotAllowed(
            "The administrator has not enabled end-to-end encryption.", code="e2e_disabled"
        )


def _state_event(identity: UserIdentity) -> None:
    """Tell all of the user's devices about their own E2E state."""
    send_event(user_group(identity.user_id), own_state_event(identity))


def _ask_for_keys(user: User) -> None:
    """Tell the key holders of the user's encrypted rooms that the user needs the keys.

    Their browsers check the user's place in the room's signed state, and under its policy seal
    the keys to the user's (new) identity. No polling: this event is what wakes them.
    """
    room_ids = EncryptedRoom.objects.filter(room__memberships__user=user).values_list(
        "room_id", flat=True
    )
    for room_id in room_ids:
        send_event(room_group(room_id), key_needed_event(room_id, user_id=user.pk))


def do_save_e2e_settings(found: E2ESettings) -> E2ESettings:
    """Save the instance's E2E settings and tell every connected browser at once."""
    with transaction.atomic():
        found.pk = 1
        found.save()
        send_event(everyone_group(), settings_event(found))
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
            _ask_for_keys(user)
    except IntegrityError:
        raise Conflict(
            "You already have encryption keys; reset them to make new ones.", code="identity_exists"
        ) from None
    return identity


def _lock_for_secret_change(user: User, identity: UserIdentity, login_password: object) -> None:
    """Lock the identity row and check the login password against the stored hash.

    Both happen in the caller's transaction, so a password changed or a reset made meanwhile
    is seen, and two resets do not both take the same next generation.
    """
    UserIdentity.objects.select_for_update().filter(pk=identity.pk).values_list("pk").get()
    identity.refresh_from_db()
    check_login_password(User.objects.get(pk=user.pk), login_password)


def do_replace_backup(
    user: User, identity: UserIdentity, *, login_password: object, backup: dict[str, Any]
) -> None:
    """Replace the key backup after a password change; the identity stays the same.

    Raise NotAllowed / TooManyAttempts unless ``login_password`` is the user's login password.
    """
    _require_enabled()
    with transaction.atomic():
        _lock_for_secret_change(user, identity, login_password)
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
    login_password: object,
    public: dict[str, Any],
    fingerprint: str,
    backup: dict[str, Any],
) -> UserIdentity:
    """Replace the user's identity with a new one; tell everyone they share a room with.

    Raise NotAllowed / TooManyAttempts unless ``login_password`` is the user's login password.
    """
    _require_enabled()
    with transaction.atomic():
        _lock_for_secret_change(user, identity, login_password)
        identity.public = public
        identity.fingerprint = fingerprint
        identity.backup = backup
        identity.generation += 1
        identity.password_saved = False
        identity.save()
        _state_event(identity)
        changed = identity_changed_event(identity)
        for room_id in Membership.objects.filter(user=user).values_list("room_id", flat=True):
            send_event(room_group(room_id), changed)
        _ask_for_keys(user)
    return identity


def do_put_trust_record(user: User, *, record: dict[str, Any]) -> UserIdentity:
    """Store the user's trust record (a checked shape) if its version is above the stored one.

    The version rule is checked under the identity's row lock, in the transaction that stores
    the record, so two devices writing at once cannot both win with the same version (attack
    17). Raise NotFound without an identity and Conflict ("stale_version") for a version that
    does not grow.
    """
    with transaction.atomic():
        identity = UserIdentity.objects.select_for_update().filter(user=user).first()
        if identity is None:
            raise NotFound("You have no encryption keys yet.", code="no_identity")
        if record["version"] <= identity.trust_version:
            raise Conflict(
                f"A trust record of version {identity.trust_version} is already stored; "
                "send a newer one.",
                code="stale_version",
            )
        identity.trust_record = record
        identity.trust_version = record["version"]
        identity.save(update_fields=["trust_record", "trust_version"])
    return identity
