"""Encrypted rooms: the state chain, key epochs, envelopes, additions, rotation (messages:
messages.py).

The server never sees a room key. Who is a member, with which identity, which key is current and
whether newcomers read history come from the room's signed state chain (e2e/actions/chain.py,
docs/PROTOCOL.md §15), appended in the same transaction as the write it describes. The server
checks who may hand keys to whom from that chain: a sender must hold the key it shares (an
envelope for it under their current identity), recipients must be current members of the chain
(and of the room) with an identity. Browsers check all of it again on the device.
"""

import uuid
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction

from accounts.models import User
from chat import actions as chat_actions
from chat.access import may_turn_on_encryption
from chat.errors import Conflict, InvalidInput, NotAllowed
from chat.events import room_group, send_event, user_group
from chat.models import Room, RoomKind
from e2e.actions.chain import (
    append_entries,
    chain_members,
    entries_of_type,
    load_chain,
    members_with_identity,
)
from e2e.actions.identities import _require_enabled
from e2e.crypto import ChainState
from e2e.events import envelope_event, key_rotated_event, room_policy_event, room_state_event
from e2e.models import EncryptedRoom, KeyEnvelope, RoomKey, UserIdentity

# recipient id -> envelope, for one key
Envelopes = dict[int, dict[str, Any]]
Entries = list[dict[str, Any]]


def _generations(user_ids: Iterable[int]) -> dict[int, int]:
    """Return the identity generation of each user who has set up keys."""
    return dict(
        UserIdentity.objects.filter(user_id__in=list(user_ids)).values_list("user_id", "generation")
    )


def _room_members(room: Room) -> set[int]:
    return set(room.memberships.values_list("user_id", flat=True))


def holds_key(user: User, key: RoomKey) -> bool:
    """Return whether ``user`` has ``key`` sealed to their current identity."""
    generation = _generations([user.pk]).get(user.pk)
    return KeyEnvelope.objects.filter(
        key=key, recipient=user, recipient_generation=generation
    ).exists()


def _store_envelopes(
    user: User, room: Room, key: RoomKey, envelopes: Envelopes, *, state: ChainState
) -> None:
    """Store envelopes of ``key`` from ``user`` (replacing ones sealed to an old identity).

    Recipients must be members of the room and of its chain, with an identity on both.
    """
    allowed = members_with_identity(state) & _room_members(room)
    generations = _generations(envelopes)
    for recipient in envelopes:
        if recipient not in allowed or recipient not in generations:
            raise InvalidInput(
                "Keys can only go to members of the room's signed state who have set up "
                "encryption.",
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
        send_event(user_group(recipient), envelope_event(stored))


def _new_key(user: User, room: Room, *, key_id: str, epoch: int) -> RoomKey:
    """Make the room's key row for ``epoch`` (its entry is in the chain)."""
    try:
        with transaction.atomic():
            return RoomKey.objects.create(
                room=room, key_id=key_id, created_by=user, epoch=epoch, created_seq=room.last_seq
            )
    except IntegrityError:
        raise Conflict("That key id is already used in this room.", code="key_id_taken") from None


def _announce_state(room: Room, state: ChainState) -> None:
    send_event(room_group(room.pk), room_state_event(room.pk, length=state.length))


def _start(user: User, room: Room, *, entries: Entries, envelopes: Envelopes) -> None:
    """Start the room's chain with its genesis (members = the room's members) and first key."""
    if len(entries) != 1 or entries[0].get("type") != "genesis":
        raise InvalidInput("Start encryption with exactly one genesis entry.", code="bad_state")
    state = append_entries(user, room, entries, state=None)
    if chain_members(state) != _room_members(room):
        raise InvalidInput(
            "The genesis must list exactly the room's members.", code="bad_state_members"
        )
    if user.pk not in envelopes:
        raise InvalidInput("Include an envelope for yourself.", code="bad_recipient")
    key = _new_key(user, room, key_id=state.current_key_id, epoch=1)
    EncryptedRoom.objects.create(room=room, current_key=key, share_history=state.share_history)
    _store_envelopes(user, room, key, envelopes, state=state)
    _announce_state(room, state)


def _locked_encrypted_room(room: Room) -> EncryptedRoom:
    # No join when locking: after a concurrent write PostgreSQL re-checks a locked row against
    # the other tables' old rows, and the row would vanish from the result.
    found = EncryptedRoom.objects.select_for_update().filter(room=room).first()
    if found is None:
        raise InvalidInput("This room is not end-to-end encrypted.", code="not_encrypted")
    return found


def _locked_chain(room: Room) -> tuple[EncryptedRoom, ChainState]:
    """Lock the room's rows and return its E2E row with the verified chain (writes to the
    chain of one room happen one at a time under this lock).

    The room row is locked first, then the E2E row: the order sends take them in
    (e2e/actions/messages.py), so a send and a chain write never wait on each other in a cycle.
    """
    # (Also read the counters afresh: a new key records the room's position when it was made.)
    room.last_seq, room.left_seq = (
        Room.objects.select_for_update()
        .filter(pk=room.pk)
        .values_list("last_seq", "left_seq")
        .get()
    )
    encrypted = _locked_encrypted_room(room)
    state = load_chain(room)
    if state is None:
        raise InvalidInput("This room has no signed state.", code="not_encrypted")
    return encrypted, state


def do_create_encrypted_room(
    user: User,
    *,
    name: str,
    topic: str,
    invitees: Iterable[User],
    entries: Entries,
    envelopes: Envelopes,
    uid: uuid.UUID,
) -> Room:
    """Create an encrypted private group, its genesis and first key, in one transaction.

    ``uid`` is the room uid the creator's browser chose and bound the genesis and envelopes to.
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
        _start(user, room, entries=entries, envelopes=envelopes)
    return room


def do_open_encrypted_dm(
    user: User, *, other: User, entries: Entries, envelopes: Envelopes, uid: uuid.UUID
) -> tuple[Room, bool]:
    """Return the DM with ``other``; a new one is created encrypted with its genesis."""
    _require_enabled()
    with transaction.atomic():
        room, created = chat_actions.do_open_dm(user, other=other, encrypted=True, uid=uid)
        if created:
            _start(user, room, entries=entries, envelopes=envelopes)
    return room, created


def do_encrypt_room(user: User, room: Room, *, entries: Entries, envelopes: Envelopes) -> Room:
    """Turn on encryption for an existing group or DM, with its genesis, atomically.

    Once on it stays on. Earlier messages stay as they were.
    """
    _require_enabled()
    with transaction.atomic():
        locked = Room.objects.select_for_update().get(pk=room.pk)
        # Under the row lock: an owner who handed the room over meanwhile may no longer.
        if not may_turn_on_encryption(user, locked):
            raise NotAllowed("You cannot turn on encryption in this room.")
        if locked.encrypted:
            raise Conflict("This room is already end-to-end encrypted.", code="already_encrypted")
        _start(user, locked, entries=entries, envelopes=envelopes)
        chat_actions.do_set_room_encrypted(user, locked)
    return locked


def do_rotate_key(
    user: User, room: Room, *, replaces_key_id: str, entries: Entries, envelopes: Envelopes
) -> RoomKey:
    """Make a new key epoch sealed to the current members (after someone left, or on schedule).

    ``entries`` record who left (``member_removed``) and end with the ``key`` entry. Only a
    holder of the current key may rotate, and only from the key they saw as current, so two
    browsers rotating at once do not both succeed; afterwards the chain lists nobody the room
    no longer has.
    """
    with transaction.atomic():
        encrypted, state = _locked_chain(room)
        if state.current_key_id != replaces_key_id:
            raise Conflict(
                "The key was already rotated; fetch the new one.", code="already_rotated"
            )
        if not holds_key(user, encrypted.current_key):
            raise NotAllowed(
                "Only a holder of the room's key can rotate it.", code="not_key_holder"
            )
        if not entries or entries[-1].get("type") != "key":
            raise InvalidInput("A rotation ends with a key entry.", code="bad_state")
        state = append_entries(user, room, entries, state=state)
        if not chain_members(state) <= _room_members(room):
            raise InvalidInput(
                "Record who left the room before making its new key.", code="bad_state_members"
            )
        if user.pk not in envelopes:
            raise InvalidInput("Include an envelope for yourself.", code="bad_recipient")
        key = _new_key(user, room, key_id=state.current_key_id, epoch=state.epoch)
        encrypted.current_key = key
        encrypted.save(update_fields=["current_key"])
        _store_envelopes(user, room, key, envelopes, state=state)
        _announce_state(room, state)
        send_event(room_group(room.pk), key_rotated_event(room.pk, key))
    return key


def _already_recorded(state: ChainState, entry: dict[str, Any]) -> bool:
    """Return whether ``entry`` is an ``identity`` entry for what the chain already records.

    Two key holders who serve the same newcomer at once both vouch for the same first
    identity; the one who comes second has nothing to add, so its (stale) entry is dropped
    instead of being a conflict, and its envelopes go on as usual.
    """
    if entry.get("type") != "identity" or not isinstance(entry.get("body"), dict):
        return False
    body = entry["body"]
    recorded = state.members.get(str(body.get("user")))
    return recorded is not None and recorded.wire() == {
        "ed25519": body.get("ed25519"),
        "x25519": body.get("x25519"),
        "sig": body.get("sig"),
    }


def _check_share(state: ChainState, key: RoomKey, recipient: int) -> None:
    joined = state.joined.get(str(recipient), 1)
    if not state.share_history and key.epoch < joined:
        raise InvalidInput(
            "New members of this room cannot read earlier messages.", code="history_not_shared"
        )


def do_share_keys(
    user: User, room: Room, *, shares: list[tuple[RoomKey, Envelopes]], entries: Entries
) -> None:
    """Seal keys the user holds to members who lack them (newcomers, people who reset keys).

    ``entries`` (optional) come first: ``identity`` entries by which the sharer accepts a
    member's new or first identity. Recipients must be members of the chain with an identity;
    without history sharing a newcomer only receives keys from the epoch they joined in.
    """
    with transaction.atomic():
        _, state = _locked_chain(room)
        if entries and not all(_already_recorded(state, entry) for entry in entries):
            state = append_entries(user, room, entries, state=state)
            _announce_state(room, state)
        for key, envelopes in shares:
            if not holds_key(user, key):
                raise NotAllowed("You can only share keys you hold.", code="not_key_holder")
            for recipient in envelopes:
                _check_share(state, key, recipient)
            _store_envelopes(user, room, key, envelopes, state=state)


def do_add_encrypted_members(
    user: User,
    room: Room,
    *,
    people: list[User],
    entries: Entries,
    shares: list[tuple[RoomKey, Envelopes]],
) -> list[User]:
    """Add people to an encrypted room with the adder's signed ``member_added`` entries, and
    seal the keys to those who already have identities, all at once."""
    with transaction.atomic():
        encrypted, state = _locked_chain(room)
        if not holds_key(user, encrypted.current_key):
            raise NotAllowed(
                "Only a holder of the room's key can add people to it.", code="not_key_holder"
            )
        added_in_chain = {int(e["body"]["user"]) for e in entries_of_type(entries, "member_added")}
        if added_in_chain != {p.pk for p in people} or len(entries) != len(added_in_chain):
            raise InvalidInput(
                "Sign exactly one member_added entry for each person you add.",
                code="bad_state_members",
            )
        state = append_entries(user, room, entries, state=state)
        added = chat_actions.do_add_members(user, room, people=people)
        for key, envelopes in shares:
            for recipient in envelopes:
                _check_share(state, key, recipient)
            _store_envelopes(user, room, key, envelopes, state=state)
        _announce_state(room, state)
    return added


def do_set_share_history(user: User, room: Room, *, entries: Entries) -> bool:
    """Set whether new members receive the room's earlier keys, by a signed ``policy`` entry.
    Return the new policy."""
    if len(entries) != 1 or entries[0].get("type") != "policy":
        raise InvalidInput("Send exactly one policy entry.", code="bad_state")
    with transaction.atomic():
        encrypted, state = _locked_chain(room)
        state = append_entries(user, room, entries, state=state)
        encrypted.share_history = state.share_history
        encrypted.save(update_fields=["share_history"])
        _announce_state(room, state)
        send_event(
            room_group(room.pk), room_policy_event(room.pk, share_history=state.share_history)
        )
    return state.share_history


def do_append_state(user: User, room: Room, *, entries: Entries) -> ChainState:
    """Append entries that need no other write: ``member_removed`` (someone left), ``identity``."""
    if any(entry.get("type") not in ("member_removed", "identity") for entry in entries):
        raise InvalidInput(
            "Only member_removed and identity entries can be added on their own.",
            code="bad_state",
        )
    with transaction.atomic():
        _, state = _locked_chain(room)
        state = append_entries(user, room, entries, state=state)
        removed = {int(e["body"]["user"]) for e in entries_of_type(entries, "member_removed")}
        if removed & _room_members(room):
            raise InvalidInput(
                "Only people who left the room can be recorded as removed.",
                code="bad_state_members",
            )
        _announce_state(room, state)
    return state
