"""Encrypted messages: send, edit and delete (with the sender's signed tombstone).

Each write is ``check_<verb>_encrypted`` run by ``do_<verb>_encrypted_message`` inside the
transaction that stores the message, after chat's action has locked the room row (chat's
``check`` extension point): the room is encrypted, the ciphertext has the message shape, names
the room's current key, and no rotation is due. A rotation or a departure therefore cannot
commit between the check and the insert (E2EE.md attack 17). HTTP views and socket commands
call these same functions, so both transports give the same answers.

The server never sees the payload's fields (text, ``rev``, ``ts``, ``ctr``, ``deleted``):
browsers check them (docs/PROTOCOL.md §9.1).
"""

import uuid
from collections.abc import Callable
from typing import Any

from accounts.models import User
from chat import actions as chat_actions
from chat.actions import RoomCheck
from chat.errors import InvalidInput
from chat.models import Message, Room
from e2e.checks import check_encrypted_payload
from e2e.models import EncryptedRoom, RoomKey
from e2e.selectors import get_e2e_settings, rotation_reason


def _current_key(room: Room) -> RoomKey:
    """Return the room's current key, locking the room's E2E row until commit.

    The lock serializes with ``do_rotate_key`` (which locks the same row): a rotation either
    committed before this read or waits until the message is stored.
    """
    key_pk = (
        EncryptedRoom.objects.select_for_update()
        .filter(room_id=room.pk)
        .values_list("current_key_id", flat=True)
        .first()
    )
    if not room.encrypted or key_pk is None:
        raise InvalidInput("This room is not end-to-end encrypted.", code="not_encrypted")
    return RoomKey.objects.get(pk=key_pk)


def check_send_encrypted(room: Room, *, payload: object) -> dict[str, Any]:
    """Return ``payload`` if ``room`` may store it now as an encrypted message or change.

    Call under the room row lock, with ``room.encrypted`` and ``room.left_seq`` read under it
    (chat's actions refresh them when they lock the row). Raise ``InvalidInput`` with
    ``not_encrypted``, ``rotation_due`` (someone left since the current key was made),
    ``bad_ciphertext``, ``too_long`` or ``stale_key`` (another key than the current one).
    """
    key = _current_key(room)
    reason = rotation_reason(room, key, settings=get_e2e_settings())
    if reason is not None:
        raise InvalidInput(_ROTATION_TEXTS[reason], code="rotation_due")
    return check_encrypted_payload(payload, current_key_id=key.key_id)


_ROTATION_TEXTS = {
    "departure": "Someone left this room, so its key must change before anyone sends again.",
    "age": "This room's key is due for its scheduled change before anyone sends again.",
    "events": "This room's key is due for its scheduled change before anyone sends again.",
}


def check_edit_encrypted(message: Message, *, payload: object) -> dict[str, Any]:
    """Return ``payload`` if it may replace ``message``'s ciphertext now (an edit)."""
    return check_send_encrypted(message.room, payload=payload)


def check_delete_encrypted(message: Message, *, payload: object) -> dict[str, Any]:
    """Return ``payload`` if it may replace ``message``'s ciphertext now (its tombstone).

    The server cannot tell a tombstone from any other ciphertext; the readers' browsers do.
    """
    return check_send_encrypted(message.room, payload=payload)


def _payload_dict(payload: object) -> dict[str, Any]:
    # Stored as given once the in-transaction check has passed; a non-object fails that check.
    return payload if isinstance(payload, dict) else {}


def _rule(check: Callable[[], object]) -> RoomCheck:
    """Return chat's in-transaction hook running ``check`` (the room row is locked by then)."""

    def run(room: Room) -> None:
        check()

    return run


def do_send_encrypted_message(
    user: User, room: Room, *, client_id: uuid.UUID, payload: object
) -> tuple[Message, bool]:
    """Store and push an encrypted message, checked under the room lock. Return
    ``(message, created)`` (a retry with the same ``client_id`` returns the stored one)."""
    return chat_actions.do_send_message(
        user,
        room,
        client_id=client_id,
        payload=_payload_dict(payload),
        check=_rule(lambda: check_send_encrypted(room, payload=payload)),
    )


def do_edit_encrypted_message(user: User, message: Message, *, payload: object) -> Message:
    """Replace an encrypted message's ciphertext (re-encrypted by the sender), checked under
    the room lock."""
    return chat_actions.do_edit_message(
        user,
        message,
        payload=_payload_dict(payload),
        check=_rule(lambda: check_edit_encrypted(message, payload=payload)),
    )


def do_delete_encrypted_message(user: User, message: Message, *, payload: object) -> Message:
    """Delete an encrypted message: its ciphertext is replaced by the sender's encrypted,
    signed tombstone, checked under the room lock."""
    return chat_actions.do_delete_message(
        user,
        message,
        payload=_payload_dict(payload),
        check=_rule(lambda: check_delete_encrypted(message, payload=payload)),
    )
