"""Room keys: 32 random bytes (AES-256-GCM) per epoch, named by a random 16-byte key id."""

import secrets
from dataclasses import dataclass, field

from .base64url import b64u_decode_exact, b64u_encode

ROOM_KEY_BYTES = 32
KEY_ID_BYTES = 16


@dataclass(frozen=True, slots=True)
class RoomKey:
    """A room key and its base64url key id (22 characters)."""

    key_id: str
    key: bytes = field(repr=False)


def generate_room_key() -> RoomKey:
    """Return a fresh room key and its key id."""
    return RoomKey(
        key_id=b64u_encode(secrets.token_bytes(KEY_ID_BYTES)),
        key=secrets.token_bytes(ROOM_KEY_BYTES),
    )


def parse_key_id(key_id: object, error: type[Exception] = TypeError) -> bytes:
    """Decode a key id to its 16 bytes; raise ``error`` if it is not one."""
    return b64u_decode_exact(key_id, KEY_ID_BYTES, error)
