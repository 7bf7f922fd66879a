"""The one canonical encoding for every signature, KDF and associated-data input.

``canonical(label, f1, ..., fn) = u32be(len(L)) || L || u32be(len(f1)) || f1 || ... || fn`` where
L is the UTF-8 domain label and each field is a byte string (strings are UTF-8, integers are first
turned into 4 bytes by ``u32``). Each label has a fixed field list (docs/PROTOCOL.md).
"""

import re
from dataclasses import dataclass

VERSION = 1
MAX_ID_BYTES = 256
_UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@dataclass(frozen=True, slots=True)
class _Labels:
    identity: str = "keyroom/v1/identity-x25519"
    fingerprint: str = "keyroom/v1/fingerprint"
    backup: str = "keyroom/v1/backup"
    envelope_salt: str = "keyroom/v1/envelope-salt"
    envelope_kdf: str = "keyroom/v1/envelope-kdf"
    envelope_ad: str = "keyroom/v1/envelope-ad"
    envelope: str = "keyroom/v1/envelope"
    message_ad: str = "keyroom/v1/message-ad"
    message: str = "keyroom/v1/message"
    membership: str = "keyroom/v1/membership"
    trust_record_kdf: str = "keyroom/v1/trust-record-kdf"
    trust_record_ad: str = "keyroom/v1/trust-record-ad"
    trust_record: str = "keyroom/v1/trust-record"
    room_state: str = "keyroom/v1/room-state"
    room_state_hash: str = "keyroom/v1/room-state-hash"
    room_state_genesis: str = "keyroom/v1/room-state/genesis"
    room_state_member_added: str = "keyroom/v1/room-state/member_added"
    room_state_member_removed: str = "keyroom/v1/room-state/member_removed"
    room_state_key: str = "keyroom/v1/room-state/key"
    room_state_policy: str = "keyroom/v1/room-state/policy"
    room_state_identity: str = "keyroom/v1/room-state/identity"
    key_commit_kdf: str = "keyroom/v1/key-commit-kdf"
    key_commit: str = "keyroom/v1/key-commit"
    key_proof_kdf: str = "keyroom/v1/key-proof-kdf"
    key_proof: str = "keyroom/v1/key-proof"


LABELS = _Labels()


def utf8(text: str) -> bytes:
    """Return the UTF-8 bytes of a string; raise TypeError on lone surrogates."""
    if not isinstance(text, str):
        raise TypeError("expected a string")
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        raise TypeError("string has lone surrogates") from None


def u32(n: int) -> bytes:
    """Return ``n`` as 4 big-endian bytes."""
    if type(n) is not int or not 0 <= n <= 0xFFFFFFFF:
        raise ValueError("u32 out of range")
    return n.to_bytes(4, "big")


def canonical(label: str, *fields: str | bytes) -> bytes:
    """Return the canonical encoding of a domain label and its fields."""
    parts = [utf8(label)]
    for field in fields:
        if isinstance(field, str):
            parts.append(utf8(field))
        elif isinstance(field, bytes):
            parts.append(field)
        else:
            raise TypeError("canonical fields are str or bytes")
    return b"".join(len(part).to_bytes(4, "big") + part for part in parts)


def is_valid_id(value: object) -> bool:
    """Return whether ``value`` is a non-empty well-formed string of at most 256 UTF-8 bytes."""
    if not isinstance(value, str) or not value:
        return False
    try:
        return len(value.encode("utf-8")) <= MAX_ID_BYTES
    except UnicodeEncodeError:
        return False


def is_valid_message_id(value: object) -> bool:
    """Return whether ``value`` is a lowercase canonical UUID string."""
    return isinstance(value, str) and _UUID_RE.fullmatch(value) is not None


def require_id(value: object, what: str = "user id") -> str:
    """Return ``value`` if it is a valid id; raise TypeError otherwise."""
    if not is_valid_id(value):
        raise TypeError(f"{what} must be a non-empty string of <= {MAX_ID_BYTES} bytes")
    assert isinstance(value, str)
    return value
