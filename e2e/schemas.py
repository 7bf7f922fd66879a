"""Declared request schemas of the E2E endpoints and socket commands (see ``chat.schemas``).

They fix the outer shape (objects, lists, their lengths, ids, UUIDs); the wire formats inside
(identities, backups, envelopes, state entries, ciphertext) and every rule about them are
checked by ``e2e.checks`` and the actions, with the codes named here for a wrong outer type.
"""

import uuid
from typing import Any

from chat.schemas import NOT_FOUND, Body, IdList, PositiveId, refuse
from e2e.checks import MAX_ENVELOPES, MAX_STATE_ENTRIES

Wire = dict[str, Any]  # one object in a wire format of docs/PROTOCOL.md


def _entries(**field: Any) -> Any:
    return refuse(
        "bad_state",
        message=f"Send a list of 1 to {MAX_STATE_ENTRIES} room state entries.",
        min_length=1,
        max_length=MAX_STATE_ENTRIES,
        description="Signed room-state entries (PROTOCOL.md §15).",
        **field,
    )


def _envelopes(**field: Any) -> Any:
    return refuse(
        "bad_envelopes",
        message=f"Send a list of at most {MAX_ENVELOPES} envelopes.",
        max_length=MAX_ENVELOPES,
        description="[{recipient_id, envelope}]: the room key sealed to each member.",
        **field,
    )


def _shares(**field: Any) -> Any:
    return refuse(
        "bad_envelopes",
        message="Send a list of at most 100 keys to share.",
        max_length=100,
        description="[{key_id, envelopes}]",
        **field,
    )


IDENTITY = {"code": "bad_identity", "message": "The public identity is not valid."}
BACKUP = {"code": "bad_backup", "message": "The key backup is not valid."}
PAYLOAD = {"code": "bad_ciphertext", "message": "The encrypted message is not valid."}
LOGIN_PASSWORD = {
    "code": "login_password_required",
    "message": "Enter your login password to confirm this.",
    "status": 403,
}
ROOM_UID = {"code": "bad_room_uid", "message": "room_uid must be a UUID."}


# Identities ------------------------------------------------------------------------------


class IdentityPublish(Body):
    identity: Wire = refuse(**IDENTITY, description="The public identity, self-signed.")
    backup: Wire = refuse(**BACKUP, description="The private keys, wrapped by the password.")


class BackupReplace(Body):
    login_password: str | None = refuse(**LOGIN_PASSWORD, default=None)
    backup: Wire = refuse(**BACKUP)


class IdentityReset(IdentityPublish):
    login_password: str | None = refuse(**LOGIN_PASSWORD, default=None)


class IdentitiesQuery(Body):
    ids: str = refuse(
        default="", max_length=20_000, description="Comma-separated user ids (at most 500)."
    )


class TrustPut(Body):
    record: Wire = refuse(
        "bad_trust_record",
        message="The trust record is not valid.",
        description="The trust record, sealed to the user's own identity (PROTOCOL.md §16).",
    )


# Encrypted rooms -------------------------------------------------------------------------


class Genesis(Body):
    """A room's start: its genesis entries and the first key's envelopes."""

    entries: list[Wire] = _entries()
    envelopes: list[Wire] = _envelopes()


class EncryptedRoomCreate(Genesis):
    room_uid: uuid.UUID = refuse(**ROOM_UID, description="Made by the browser.")
    name: str = refuse(max_length=1000)
    topic: str | None = refuse(default=None, max_length=1000)
    invite: IdList | None = refuse(default=None)


class EncryptedDmOpen(Genesis):
    user_id: PositiveId = refuse(**NOT_FOUND)
    room_uid: uuid.UUID = refuse(**ROOM_UID)


class StateQuery(Body):
    start: int = refuse(
        alias="from", default=0, ge=0, le=2**62, description="The first entry's index."
    )


class StateAppend(Body):
    entries: list[Wire] = _entries()


class KeyShare(Body):
    shares: list[Wire] = _shares()
    entries: list[Wire] | None = refuse(
        "bad_state", default=None, max_length=MAX_STATE_ENTRIES, description="identity entries"
    )


class EncryptedMembersAdd(Body):
    user_ids: IdList | None = refuse(default=None)
    entries: list[Wire] = _entries()
    shares: list[Wire] | None = _shares(default=None)


class KeyRotate(Body):
    replaces_key_id: str = refuse("bad_key_id", message="The key id is not valid.", max_length=100)
    entries: list[Wire] = _entries()
    envelopes: list[Wire] = _envelopes()


class EncryptedSendBody(Body):
    client_id: uuid.UUID = refuse("bad_client_id", message="client_id must be a UUID.")
    payload: Wire = refuse(**PAYLOAD, description="The encrypted, signed message.")


class EncryptedChangeBody(Body):
    payload: Wire = refuse(**PAYLOAD, description="The new ciphertext, or the signed tombstone.")


class EncryptedSend(EncryptedSendBody):
    """Socket ``e2e.message.send``."""

    room_id: PositiveId = refuse(**NOT_FOUND)


class EncryptedChange(EncryptedChangeBody):
    """Socket ``e2e.message.edit`` and ``e2e.message.delete``."""

    message_id: PositiveId = refuse(**NOT_FOUND)
