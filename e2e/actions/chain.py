"""The signed room-state chain on the server (docs/PROTOCOL.md §15).

Browsers decide who gets a room key, whose keys they accept and which key is current from the
chain alone, verified from its genesis on the device. The server stores the entries in order and
checks them (shape, index, previous hash, signatures, the rules of §15.5) under the room's row
lock, so two honest writers get a clear conflict and one retries. It cannot write an entry: it
holds no member's signing key. Its own rules (who may receive an envelope, the current key, the
history policy) are read from the same verified chain.
"""

import logging
import time
from collections.abc import Iterable
from typing import Any

from accounts.models import User
from chat.errors import Conflict, InvalidInput
from chat.models import Room
from e2e import crypto
from e2e.crypto import ChainState, KeyroomCryptoError
from e2e.models import RoomStateEntry, UserIdentity

logger = logging.getLogger(__name__)

# Entry types that record a member's identity in their body.
_IDENT_TYPES = {"member_added", "identity"}
# How far (ms) an entry's ts may be ahead of the server's clock: the same allowance for clock drift
# as between entries (§15.5), so an author cannot date an entry far into the future.
FUTURE_TS_MS = crypto.TS_SKEW_MS


def load_chain(room: Room) -> ChainState | None:
    """Return the verified state of the room's chain, or None if it has none.

    Call inside the transaction that holds the room's lock when the result guards a write.
    """
    entries = list(
        RoomStateEntry.objects.filter(room=room).order_by("index").values_list("entry", flat=True)
    )
    if not entries:
        return None
    # Stored entries were verified on the way in; verifying again costs little and means a
    # row edited behind the application's back is never built upon.
    try:
        return crypto.verify_chain(entries, room_id=str(room.uid))
    except KeyroomCryptoError:
        logger.error("The stored state chain of room %s does not verify", room.pk)
        raise Conflict(
            "This room's stored encryption state is damaged; nothing more can be added to it. "
            "Ask your administrator to restore it from a backup.",
            code="state_damaged",
        ) from None


def _recorded_identities(entries: Iterable[dict[str, Any]]) -> dict[str, dict[str, str]]:
    """Return ``{user id: ident}`` of every non-empty identity the entries record."""
    found: dict[str, dict[str, str]] = {}
    for entry in entries:
        body = entry["body"]
        if entry["type"] == "genesis":
            for member in body["members"]:
                if member["ed25519"]:
                    found[member["user"]] = member
        elif entry["type"] in _IDENT_TYPES and body["ed25519"]:
            found[body["user"]] = body
    return found


def _check_current_identities(entries: list[dict[str, Any]]) -> None:
    """Refuse an entry that records an identity other than the user's current one here.

    Browsers pin identities themselves; this only keeps honest clients from building on an
    identity the server no longer serves (a reset they have not seen yet).
    """
    recorded = _recorded_identities(entries)
    if not recorded:
        return
    current = {
        str(row.user_id): row.public
        for row in UserIdentity.objects.filter(user_id__in=[int(u) for u in recorded])
    }
    for user_id, ident in recorded.items():
        public = current.get(user_id)
        if public is None or (public["ed25519"], public["x25519"]) != (
            ident["ed25519"],
            ident["x25519"],
        ):
            raise Conflict(
                "A member's encryption identity changed meanwhile; look it up again.",
                code="identity_changed",
            )


def append_entries(
    user: User, room: Room, entries: list[dict[str, Any]], *, state: ChainState | None
) -> ChainState:
    """Verify ``entries`` as the continuation of ``state`` (None: a new chain) and store them.

    Every entry must be authored by ``user`` and its ``ts`` no more than FUTURE_TS_MS ahead of
    the server's clock. Return the new state. The caller holds the lock that serializes writes to
    the room's chain (the encrypted room's row, or the new room). Raise Conflict
    ``state_conflict`` when the chain moved on since the client read it, InvalidInput
    ``bad_state`` for an entry that does not verify or is dated in the future.
    """
    if not entries:
        return state if state is not None else _refuse("Send at least one state entry.")
    length = state.length if state is not None else 0
    first = entries[0].get("index")
    if first != length:
        raise Conflict(
            "The room's state changed meanwhile; fetch it and try again.", code="state_conflict"
        )
    if any(entry.get("author") != str(user.pk) for entry in entries):
        raise InvalidInput("You can only add state entries you signed.", code="bad_state")
    try:
        new_state = crypto.verify_chain(entries, room_id=str(room.uid), state=state)
    except KeyroomCryptoError as error:
        raise InvalidInput(
            f"The room state entry is not valid ({error.code}: {error}).", code="bad_state"
        ) from None
    _check_not_in_the_future(entries)
    _check_current_identities(entries)
    RoomStateEntry.objects.bulk_create(
        RoomStateEntry(
            room=room,
            index=entry["index"],
            entry=entry,
            hash=crypto.b64u_encode(crypto.entry_hash(str(room.uid), entry)),
            author=user,
        )
        for entry in entries
    )
    return new_state


def _check_not_in_the_future(entries: list[dict[str, Any]]) -> None:
    """Refuse an entry (already verified, so ``ts`` is an integer) dated in the future."""
    limit = int(time.time() * 1000) + FUTURE_TS_MS
    if any(entry["ts"] > limit for entry in entries):
        raise InvalidInput(
            "A room state entry is dated more than 10 minutes ahead of the server's clock; "
            "check this device's date and time.",
            code="bad_state",
        )


def _refuse(message: str) -> ChainState:
    raise InvalidInput(message, code="bad_state")


def chain_members(state: ChainState) -> set[int]:
    """Return the ids of the chain's current members."""
    return {int(user_id) for user_id in state.members}


def members_with_identity(state: ChainState) -> set[int]:
    """Return the ids of the chain's current members who have an identity recorded."""
    return {int(user_id) for user_id, ident in state.members.items() if ident is not None}


def entries_of_type(entries: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [entry for entry in entries if entry.get("type") == kind]
