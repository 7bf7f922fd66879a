"""Encrypted rooms: key epochs, envelopes, attested additions, rotation (messages: messages.py).

The server never sees a room key. It checks who may hand keys to whom: a sender must hold the
key it shares (it has an envelope for it under its current identity), recipients must be
members with identities and, when added to an encrypted room, attested by a key holder.
Browsers check all of this again against pinned identities (docs/PROTOCOL.md).
"""

import uuid
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction

from accounts.models import User
from chat import actions as chat_actions
from chat.errors import Conflict, InvalidInput, NotAllowed
from chat.events import room_group, send_event, user_group
from chat.models import Room, RoomKind
from e2e.actions.identities import _require_enabled
from e2e.models import (
    EncryptedRoom,
    KeyEnvelope,
    MembershipAttestation,
    RoomKey,
    UserIdentity,
)
from e2e.selectors import serialize_envelope

# recipient id -> envelope, for one key
Envelopes = dict[int, dict[str, Any]]


def _generations(user_ids: Iterable[int]) -> dict[int, int]:
    """Return the identity generation of each user who has set up keys."""
    return dict(
        UserIdentity.objects.filter(user_id__in=list(user_ids)).values_list("user_id", "generation")
    )


def _members(room: Room) -> set[int]:
    return set(room.memberships.values_list("user_id", flat=True))


def holds_key(user: User, key: RoomKey) -> bool:
    """Return whether ``user`` has ``key`` sealed to their current identity."""
    generation = _generations([user.pk]).get(user.pk)
    return KeyEnvelope.objects.filter(
        key=key, recipient=user, recipient_generation=generation
    ).exists()


def _store_envelopes(user: User, room: Room, key: RoomKey, envelopes: Envelopes) -> None:
    """Store envelopes of ``key`` from ``user`` (replacing ones sealed to an old identity)."""
    members = _members(room)
    generations = _generations(envelopes)
    for recipient in envelopes:
        if recipient not in members or recipient not in generations:
            raise InvalidInput(
                "Envelopes can only go to members who have set up encryption.",
                code="bad_recipient",
            )
    for recipient, envelope in envelopes.items():
        stored, _ = KeyEnvelope.objects.update_or_create(
            key=key,
            recipient_id=recipient,
            defaults={
                "sender": user,
                "envelope": envelope,
                "recipient_generation": generations[recipient],
            },
        )
        send_event(user_group(recipient), {"type": "e2e.envelope", **serialize_envelope(stored)})


Attestations = dict[int, dict[str, Any]]


def _attest(
    user: User, room: Room, key: RoomKey, attestations: Attestations, *, required: Iterable[int]
) -> None:
    """Store the user's attestations of members (under ``key``); each of ``required`` needs one."""
    missing = set(required) - set(attestations) - {user.pk}
    if missing or set(attestations) - set(required):
        raise InvalidInput("Attest exactly the members being given access.", code="not_attested")
    MembershipAttestation.objects.bulk_create(
        MembershipAttestation(room=room, member_id=member, attester=user, key=key, attestation=wire)
        for member, wire in attestations.items()
    )


def _is_attested(room: Room, encrypted: EncryptedRoom, member_id: int) -> bool:
    return (
        member_id == encrypted.encrypted_by_id
        or MembershipAttestation.objects.filter(room=room, member_id=member_id).exists()
    )


def _start(
    user: User, room: Room, *, key_id: str, envelopes: Envelopes, attestations: Attestations
) -> None:
    """Make the first key of a room, attest its other members and record who started it."""
    key = _new_key(user, room, key_id=key_id, envelopes=envelopes)
    _attest(user, room, key, attestations, required=_members(room) - {user.pk})
    EncryptedRoom.objects.create(room=room, current_key=key, encrypted_by=user)


def _new_key(user: User, room: Room, *, key_id: str, envelopes: Envelopes) -> RoomKey:
    """Make the room's next key epoch; the maker's own envelope is required."""
    if user.pk not in envelopes:
        raise InvalidInput("Include an envelope for yourself.", code="bad_recipient")
    last = RoomKey.objects.filter(room=room).order_by("-epoch").first()
    try:
        with transaction.atomic():
            key = RoomKey.objects.create(
                room=room,
                key_id=key_id,
                created_by=user,
                epoch=(last.epoch + 1) if last else 1,
                created_seq=room.last_seq,
            )
    except IntegrityError:
        raise Conflict("That key id is already used in this room.", code="key_id_taken") from None
    _store_envelopes(user, room, key, envelopes)
    return key


def _encrypted_room(room: Room, *, lock: bool = False) -> EncryptedRoom:
    # No join when locking: after a concurrent rotation PostgreSQL re-checks a locked row
    # against the other tables' old rows, and the row would vanish from the result.
    rows = (
        EncryptedRoom.objects.select_for_update()
        if lock
        else EncryptedRoom.objects.select_related("current_key")
    )
    found = rows.filter(room=room).first()
    if found is None:
        raise InvalidInput("This room is not end-to-end encrypted.", code="not_encrypted")
    return found


def do_create_encrypted_room(
    user: User,
    *,
    name: str,
    topic: str,
    invitees: Iterable[User],
    key_id: str,
    envelopes: Envelopes,
    attestations: Attestations,
    uid: uuid.UUID,
) -> Room:
    """Create an encrypted private group and its first key, in one transaction.

    ``uid`` is the room uid the creator's browser chose and bound the envelopes and the
    attestations of the invitees to.
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
        _start(user, room, key_id=key_id, envelopes=envelopes, attestations=attestations)
    return room


def do_open_encrypted_dm(
    user: User,
    *,
    other: User,
    key_id: str,
    envelopes: Envelopes,
    attestations: Attestations,
    uid: uuid.UUID,
) -> tuple[Room, bool]:
    """Return the DM with ``other``; a new one is created encrypted with its first key."""
    _require_enabled()
    with transaction.atomic():
        room, created = chat_actions.do_open_dm(user, other=other, encrypted=True, uid=uid)
        if created:
            _start(user, room, key_id=key_id, envelopes=envelopes, attestations=attestations)
    return room, created


def do_encrypt_room(
    user: User, room: Room, *, key_id: str, envelopes: Envelopes, attestations: Attestations
) -> Room:
    """Turn on encryption for an existing group or DM, with its first key, atomically.

    Once on it stays on. Earlier messages stay as they were.
    """
    _require_enabled()
    with transaction.atomic():
        locked = Room.objects.select_for_update().get(pk=room.pk)
        if locked.encrypted:
            raise Conflict("This room is already end-to-end encrypted.", code="already_encrypted")
        _start(user, locked, key_id=key_id, envelopes=envelopes, attestations=attestations)
        chat_actions.do_set_room_encrypted(user, locked)
    return locked


def do_rotate_key(
    user: User, room: Room, *, replaces_key_id: str, key_id: str, envelopes: Envelopes
) -> RoomKey:
    """Make a new key epoch sealed to the current members (after someone left).

    Only a holder of the current key may rotate, and only from the key they saw as current,
    so two browsers rotating at once do not both succeed.
    """
    with transaction.atomic():
        encrypted = _encrypted_room(room, lock=True)
        if encrypted.current_key.key_id != replaces_key_id:
            raise Conflict(
                "The key was already rotated; fetch the new one.", code="already_rotated"
            )
        if not holds_key(user, encrypted.current_key):
            raise NotAllowed(
                "Only a holder of the room's key can rotate it.", code="not_key_holder"
            )
        key = _new_key(user, room, key_id=key_id, envelopes=envelopes)
        encrypted.current_key = key
        encrypted.save(update_fields=["current_key"])
        send_event(
            room_group(room.pk),
            {
                "type": "e2e.key_rotated",
                "room_id": room.pk,
                "key_id": key.key_id,
                "epoch": key.epoch,
            },
        )
    return key


def _first_attested_epoch(room: Room, member_id: int) -> int:
    found = (
        MembershipAttestation.objects.filter(room=room, member_id=member_id)
        .order_by("key__epoch")
        .values_list("key__epoch", flat=True)
        .first()
    )
    return found or 1


def do_share_keys(user: User, room: Room, *, shares: list[tuple[RoomKey, Envelopes]]) -> None:
    """Seal keys the user holds to members who lack them (newcomers, people who reset keys).

    Each recipient's membership must be attested by a key holder (or they started the
    room's encryption). Without history sharing, a newcomer only receives keys from the
    epoch they were attested under onwards.
    """
    encrypted = _encrypted_room(room)
    with transaction.atomic():
        for key, envelopes in shares:
            if not holds_key(user, key):
                raise NotAllowed("You can only share keys you hold.", code="not_key_holder")
            for recipient in envelopes:
                if not _is_attested(room, encrypted, recipient):
                    raise InvalidInput(
                        "That member's membership is not attested by a key holder.",
                        code="not_attested",
                    )
                first = _first_attested_epoch(room, recipient)
                if not encrypted.share_history and key.epoch < first:
                    raise InvalidInput(
                        "New members of this room cannot read earlier messages.",
                        code="history_not_shared",
                    )
            _store_envelopes(user, room, key, envelopes)


def do_add_encrypted_members(
    user: User,
    room: Room,
    *,
    people: list[User],
    attestations: Attestations,
    shares: list[tuple[RoomKey, Envelopes]],
) -> list[User]:
    """Add people to an encrypted room with the adder's signed attestations, and seal the
    keys to those who already have identities, all at once."""
    encrypted = _encrypted_room(room)
    if not holds_key(user, encrypted.current_key):
        raise NotAllowed(
            "Only a holder of the room's key can add people to it.", code="not_key_holder"
        )
    with transaction.atomic():
        added = chat_actions.do_add_members(user, room, people=people)
        _attest(user, room, encrypted.current_key, attestations, required={p.pk for p in added})
        do_share_keys(user, room, shares=shares)
    return added


def do_set_share_history(user: User, room: Room, *, share: bool) -> None:
    """Set whether new members receive the room's earlier keys."""
    with transaction.atomic():
        encrypted = _encrypted_room(room, lock=True)
        if encrypted.share_history != share:
            encrypted.share_history = share
            encrypted.save(update_fields=["share_history"])
            send_event(
                room_group(room.pk),
                {"type": "e2e.room_policy", "room_id": room.pk, "share_history": share},
            )
