"""Membership attestations: a room key holder signs that a user is a member of a room.

The attester signs (room uid, key id, attester id, member id) for one key epoch. Clients seal a
room key only to a member attested by someone they know holds that key (docs/PROTOCOL.md,
"Membership attestation"). Wire: ``{"v": 1, "kid", "sig"}`` (base64url); room, attester and
member ids come from context (the server's row).
"""

from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from .base64url import b64u_decode_exact, b64u_encode
from .encoding import LABELS, VERSION, canonical, is_valid_id, require_id, u32
from .errors import BadSignatureError, TamperedError, UnsupportedError
from .primitives import ed25519_verify, require_bytes
from .roomkeys import parse_key_id

_MEMBERSHIP_KEYS = frozenset({"v", "kid", "sig"})


@dataclass(frozen=True, slots=True)
class ParsedMembership:
    """The decoded fields of an attestation that passed check_membership_wire."""

    key_id: str
    kid: bytes
    sig: bytes


def _membership_signed_bytes(room_id: str, kid: bytes, attester_id: str, member_id: str) -> bytes:
    """Return the bytes the attester signs; ``kid`` is the decoded 16-byte key id."""
    return canonical(LABELS.membership, u32(VERSION), room_id, kid, attester_id, member_id)


def sign_membership(
    *,
    room_id: str,
    key_id: str,
    attester_id: str,
    member_id: str,
    signing_key: Ed25519PrivateKey,
) -> dict[str, Any]:
    """Sign that ``member_id`` is a member of ``room_id`` for key epoch ``key_id``.

    Ed25519 is deterministic: the same inputs always give the same attestation.
    """
    if not isinstance(signing_key, Ed25519PrivateKey):
        raise TypeError("signing key must be an Ed25519PrivateKey")
    signed = _membership_signed_bytes(
        require_id(room_id, "room id"),
        parse_key_id(key_id),
        require_id(attester_id, "attester id"),
        require_id(member_id, "member id"),
    )
    return {"v": VERSION, "kid": key_id, "sig": b64u_encode(signing_key.sign(signed))}


def check_membership_wire(wire: object) -> ParsedMembership:
    """Check an untrusted attestation's shape; return its decoded fields.

    Raise UnsupportedError (version) or TamperedError (anything else).
    """
    if not isinstance(wire, dict):
        raise TamperedError("membership: not an object")
    if type(wire.get("v")) is not int or wire["v"] != VERSION:
        raise UnsupportedError("membership: unsupported version")
    if wire.keys() != _MEMBERSHIP_KEYS:
        raise TamperedError("membership: unexpected fields")
    return ParsedMembership(
        key_id=wire["kid"],
        kid=parse_key_id(wire["kid"], TamperedError),
        sig=b64u_decode_exact(wire["sig"], 64, TamperedError),
    )


def verify_membership(
    wire: object,
    *,
    room_id: str,
    attester_id: str,
    member_id: str,
    attester_sign_public_key: bytes,
) -> str:
    """Verify an attestation against the attester's pinned key; return the key id it names.

    Raise UnsupportedError (version), TamperedError (shape, sizes, invalid context ids) or
    BadSignatureError (any other room, key id, attester, member or key).
    """
    attester_sign = require_bytes(attester_sign_public_key, 32, "attester Ed25519 public key")
    parsed = check_membership_wire(wire)
    if not all(is_valid_id(value) for value in (room_id, attester_id, member_id)):
        raise TamperedError("membership: invalid room or user id")
    signed = _membership_signed_bytes(room_id, parsed.kid, attester_id, member_id)
    if not ed25519_verify(attester_sign, parsed.sig, signed):
        raise BadSignatureError("membership: bad signature")
    return parsed.key_id
