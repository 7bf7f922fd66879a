"""Key envelopes: a room key sealed to one recipient's X25519 key and signed by the sender.

Wire: ``{"v": 1, "kid", "eph", "iv", "ct", "sig"}`` (base64url; ct = 32-byte room key + tag).
"""

import secrets
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from .base64url import b64u_decode_exact, b64u_encode
from .encoding import LABELS, VERSION, canonical, is_valid_id, require_id, u32
from .errors import BadSignatureError, MalformedError, TamperedError, UnsupportedError
from .primitives import (
    aes_gcm_decrypt,
    aes_gcm_encrypt,
    ed25519_verify,
    hkdf_sha256,
    require_bytes,
    x25519,
    x25519_public,
)
from .roomkeys import ROOM_KEY_BYTES, parse_key_id

_ENVELOPE_KEYS = frozenset({"v", "kid", "eph", "iv", "ct", "sig"})


@dataclass(frozen=True, slots=True)
class EnvelopeContext:
    """What an envelope is bound to; ``key_id`` is the decoded 16-byte key id."""

    room_id: str
    key_id: bytes
    sender_id: str
    recipient_id: str


@dataclass(frozen=True, slots=True)
class ParsedEnvelope:
    """The decoded fields of an envelope that passed check_envelope_wire."""

    key_id: str
    kid: bytes
    eph: bytes
    iv: bytes
    ct: bytes
    sig: bytes


@dataclass(frozen=True, slots=True)
class OpenedEnvelope:
    """A room key recovered from an envelope."""

    key_id: str
    key: bytes = field(repr=False)


def _envelope_ad(ctx: EnvelopeContext) -> bytes:
    """Return the AES-GCM associated data of an envelope."""
    return canonical(
        LABELS.envelope_ad, u32(VERSION), ctx.room_id, ctx.key_id, ctx.sender_id, ctx.recipient_id
    )


def _envelope_signed_bytes(
    ctx: EnvelopeContext, recipient_dh_public_key: bytes, eph: bytes, iv: bytes, ct: bytes
) -> bytes:
    """Return the bytes the sender signs."""
    return canonical(
        LABELS.envelope,
        u32(VERSION),
        ctx.room_id,
        ctx.key_id,
        ctx.sender_id,
        ctx.recipient_id,
        recipient_dh_public_key,
        eph,
        iv,
        ct,
    )


def _envelope_key(shared: bytes, eph: bytes, recipient_dh_public_key: bytes) -> bytes:
    """Return HKDF-SHA256(shared, salt=canonical(salt label, eph, recipient), info=label)."""
    salt = canonical(LABELS.envelope_salt, eph, recipient_dh_public_key)
    return hkdf_sha256(shared, salt, canonical(LABELS.envelope_kdf))


def _seal_envelope_with_randomness(
    room_key: bytes,
    *,
    room_id: str,
    key_id: str,
    sender_id: str,
    recipient_id: str,
    recipient_dh_public_key: bytes,
    signing_key: Ed25519PrivateKey,
    ephemeral_secret: bytes,
    iv: bytes,
) -> dict[str, Any]:
    """Seal with an injected ephemeral X25519 private key and IV (for test vectors)."""
    room_key = require_bytes(room_key, ROOM_KEY_BYTES, "room key")
    recipient_dh = require_bytes(recipient_dh_public_key, 32, "recipient X25519 public key")
    iv = require_bytes(iv, 12, "iv")
    ctx = EnvelopeContext(
        room_id=require_id(room_id, "room id"),
        key_id=parse_key_id(key_id),
        sender_id=require_id(sender_id, "sender id"),
        recipient_id=require_id(recipient_id, "recipient id"),
    )
    eph_key = X25519PrivateKey.from_private_bytes(
        require_bytes(ephemeral_secret, 32, "ephemeral secret")
    )
    eph = x25519_public(eph_key)
    try:
        shared = x25519(eph_key, recipient_dh)
    except ValueError:
        raise MalformedError("envelope: recipient X25519 key is unusable") from None
    key = _envelope_key(shared, eph, recipient_dh)
    ct = aes_gcm_encrypt(key, iv, room_key, _envelope_ad(ctx))
    sig = signing_key.sign(_envelope_signed_bytes(ctx, recipient_dh, eph, iv, ct))
    return {
        "v": VERSION,
        "kid": key_id,
        "eph": b64u_encode(eph),
        "iv": b64u_encode(iv),
        "ct": b64u_encode(ct),
        "sig": b64u_encode(sig),
    }


def seal_envelope(
    room_key: bytes,
    *,
    room_id: str,
    key_id: str,
    sender_id: str,
    recipient_id: str,
    recipient_dh_public_key: bytes,
    signing_key: Ed25519PrivateKey,
) -> dict[str, Any]:
    """Seal ``room_key`` to a recipient: fresh ephemeral X25519 key and IV, signed by the sender."""
    return _seal_envelope_with_randomness(
        room_key,
        room_id=room_id,
        key_id=key_id,
        sender_id=sender_id,
        recipient_id=recipient_id,
        recipient_dh_public_key=recipient_dh_public_key,
        signing_key=signing_key,
        ephemeral_secret=secrets.token_bytes(32),
        iv=secrets.token_bytes(12),
    )


def check_envelope_wire(envelope: object) -> ParsedEnvelope:
    """Check an untrusted envelope's shape; return its decoded fields.

    Raise UnsupportedError (version) or TamperedError (anything else).
    """
    if not isinstance(envelope, dict):
        raise TamperedError("envelope: not an object")
    if type(envelope.get("v")) is not int or envelope["v"] != VERSION:
        raise UnsupportedError("envelope: unsupported version")
    if envelope.keys() != _ENVELOPE_KEYS:
        raise TamperedError("envelope: unexpected fields")
    return ParsedEnvelope(
        key_id=envelope["kid"],
        kid=parse_key_id(envelope["kid"], TamperedError),
        eph=b64u_decode_exact(envelope["eph"], 32, TamperedError),
        iv=b64u_decode_exact(envelope["iv"], 12, TamperedError),
        ct=b64u_decode_exact(envelope["ct"], ROOM_KEY_BYTES + 16, TamperedError),
        sig=b64u_decode_exact(envelope["sig"], 64, TamperedError),
    )


def open_envelope(
    envelope: object,
    *,
    room_id: str,
    sender_id: str,
    recipient_id: str,
    sender_sign_public_key: bytes,
    recipient_agreement_key: X25519PrivateKey,
    recipient_dh_public_key: bytes,
) -> OpenedEnvelope:
    """Verify an envelope's signature against the sender's pinned key, then decrypt the room key.

    Raise UnsupportedError, BadSignatureError, or TamperedError (malformed, bad context ids, or
    AES-GCM failure).
    """
    sender_sign = require_bytes(sender_sign_public_key, 32, "sender Ed25519 public key")
    recipient_dh = require_bytes(recipient_dh_public_key, 32, "recipient X25519 public key")
    wire = check_envelope_wire(envelope)
    if not all(is_valid_id(value) for value in (room_id, sender_id, recipient_id)):
        raise TamperedError("envelope: invalid room or user id")
    ctx = EnvelopeContext(room_id, wire.kid, sender_id, recipient_id)
    signed = _envelope_signed_bytes(ctx, recipient_dh, wire.eph, wire.iv, wire.ct)
    if not ed25519_verify(sender_sign, wire.sig, signed):
        raise BadSignatureError("envelope: bad signature")
    try:
        shared = x25519(recipient_agreement_key, wire.eph)
    except ValueError:
        raise TamperedError("envelope: unusable ephemeral key") from None
    key = _envelope_key(shared, wire.eph, recipient_dh)
    room_key = aes_gcm_decrypt(key, wire.iv, wire.ct, _envelope_ad(ctx))
    if room_key is None:
        raise TamperedError("envelope: decryption failed")
    return OpenedEnvelope(key_id=wire.key_id, key=room_key)
