"""Messages: a JSON payload encrypted with one epoch's room key and signed by the sender.

Wire: ``{"v": 1, "kid", "iv", "ct", "sig"}`` (base64url).
"""

import json
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NoReturn

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from .base64url import b64u_decode_as, b64u_decode_exact, b64u_encode
from .encoding import (
    LABELS,
    VERSION,
    canonical,
    is_valid_id,
    is_valid_message_id,
    require_id,
    u32,
    utf8,
)
from .errors import BadSignatureError, NoKeyError, TamperedError, UnsupportedError
from .primitives import aes_gcm_decrypt, aes_gcm_encrypt, ed25519_verify, require_bytes
from .roomkeys import ROOM_KEY_BYTES, parse_key_id

_MESSAGE_KEYS = frozenset({"v", "kid", "iv", "ct", "sig"})
_TAG_BYTES = 16

KeyLookup = Mapping[str, bytes] | Callable[[str], bytes | None]


@dataclass(frozen=True, slots=True)
class MessageContext:
    """What a message is bound to; ``key_id`` is the decoded 16-byte key id."""

    room_id: str
    key_id: bytes
    sender_id: str
    message_id: str


@dataclass(frozen=True, slots=True)
class ParsedMessage:
    """The decoded fields of a message that passed check_message_wire."""

    key_id: str
    kid: bytes
    iv: bytes
    ct: bytes
    sig: bytes


def _message_ad(ctx: MessageContext) -> bytes:
    """Return the AES-GCM associated data of a message."""
    return canonical(
        LABELS.message_ad, u32(VERSION), ctx.room_id, ctx.key_id, ctx.sender_id, ctx.message_id
    )


def _message_signed_bytes(ctx: MessageContext, iv: bytes, ct: bytes) -> bytes:
    """Return the bytes the sender signs."""
    return canonical(
        LABELS.message,
        u32(VERSION),
        ctx.room_id,
        ctx.key_id,
        ctx.sender_id,
        ctx.message_id,
        iv,
        ct,
    )


def encode_payload(payload: Mapping[str, Any]) -> bytes:
    """Return the compact UTF-8 JSON of a payload object."""
    if not isinstance(payload, Mapping):
        raise TypeError("payload must be a mapping")
    return utf8(json.dumps(payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False))


def _reject_constant(name: str) -> NoReturn:
    raise ValueError(f"JSON constant {name} is not allowed")


def decode_payload(data: bytes) -> dict[str, Any]:
    """Parse decrypted bytes as a JSON object; raise TamperedError otherwise."""
    try:
        payload = json.loads(data.decode("utf-8"), parse_constant=_reject_constant)
    except ValueError:
        raise TamperedError("message: payload is not UTF-8 JSON") from None
    if not isinstance(payload, dict):
        raise TamperedError("message: payload is not an object")
    return payload


def _encrypt_message_with_randomness(
    plaintext: bytes,
    *,
    room_id: str,
    key_id: str,
    room_key: bytes,
    sender_id: str,
    message_id: str,
    signing_key: Ed25519PrivateKey,
    iv: bytes,
) -> dict[str, Any]:
    """Encrypt and sign raw payload bytes with an injected IV (for test vectors)."""
    if not isinstance(plaintext, bytes):
        raise TypeError("plaintext must be bytes")
    room_key = require_bytes(room_key, ROOM_KEY_BYTES, "room key")
    iv = require_bytes(iv, 12, "iv")
    if not is_valid_message_id(message_id):
        raise TypeError("message id must be a lowercase UUID")
    ctx = MessageContext(
        room_id=require_id(room_id, "room id"),
        key_id=parse_key_id(key_id),
        sender_id=require_id(sender_id, "sender id"),
        message_id=message_id,
    )
    ct = aes_gcm_encrypt(room_key, iv, plaintext, _message_ad(ctx))
    sig = signing_key.sign(_message_signed_bytes(ctx, iv, ct))
    return {
        "v": VERSION,
        "kid": key_id,
        "iv": b64u_encode(iv),
        "ct": b64u_encode(ct),
        "sig": b64u_encode(sig),
    }


def encrypt_message(
    payload: Mapping[str, Any],
    *,
    room_id: str,
    key_id: str,
    room_key: bytes,
    sender_id: str,
    message_id: str,
    signing_key: Ed25519PrivateKey,
) -> dict[str, Any]:
    """Encrypt and sign a payload object (e.g. ``{"text": "hi"}``) with a fresh random IV."""
    return _encrypt_message_with_randomness(
        encode_payload(payload),
        room_id=room_id,
        key_id=key_id,
        room_key=room_key,
        sender_id=sender_id,
        message_id=message_id,
        signing_key=signing_key,
        iv=secrets.token_bytes(12),
    )


def check_message_wire(wire: object) -> ParsedMessage:
    """Check an untrusted message's shape; return its decoded fields.

    Raise UnsupportedError (version) or TamperedError (anything else).
    """
    if not isinstance(wire, dict):
        raise TamperedError("message: not an object")
    if type(wire.get("v")) is not int or wire["v"] != VERSION:
        raise UnsupportedError("message: unsupported version")
    if wire.keys() != _MESSAGE_KEYS:
        raise TamperedError("message: unexpected fields")
    ct = b64u_decode_as(wire["ct"], TamperedError)
    if len(ct) < _TAG_BYTES:
        raise TamperedError("message: ciphertext too short")
    return ParsedMessage(
        key_id=wire["kid"],
        kid=parse_key_id(wire["kid"], TamperedError),
        iv=b64u_decode_exact(wire["iv"], 12, TamperedError),
        ct=ct,
        sig=b64u_decode_exact(wire["sig"], 64, TamperedError),
    )


def decrypt_message_bytes(
    wire: object,
    *,
    room_id: str,
    sender_id: str,
    message_id: str,
    sender_sign_public_key: bytes,
    keys: KeyLookup,
) -> bytes:
    """Verify, then decrypt a message to its raw payload bytes.

    Raise TamperedError (malformed, bad ids, AES-GCM failure), UnsupportedError (version),
    BadSignatureError (checked before the key lookup) or NoKeyError (unknown key id).
    """
    sender_sign = require_bytes(sender_sign_public_key, 32, "sender Ed25519 public key")
    parsed = check_message_wire(wire)
    if not (is_valid_id(room_id) and is_valid_id(sender_id) and is_valid_message_id(message_id)):
        raise TamperedError("message: invalid room, sender or message id")
    ctx = MessageContext(room_id, parsed.kid, sender_id, message_id)
    signed = _message_signed_bytes(ctx, parsed.iv, parsed.ct)
    if not ed25519_verify(sender_sign, parsed.sig, signed):
        raise BadSignatureError("message: bad signature")
    room_key = keys(parsed.key_id) if callable(keys) else keys.get(parsed.key_id)
    if room_key is None:
        raise NoKeyError("message: unknown key id")
    room_key = require_bytes(room_key, ROOM_KEY_BYTES, "room key")
    plaintext = aes_gcm_decrypt(room_key, parsed.iv, parsed.ct, _message_ad(ctx))
    if plaintext is None:
        raise TamperedError("message: decryption failed")
    return plaintext


def decrypt_message(
    wire: object,
    *,
    room_id: str,
    sender_id: str,
    message_id: str,
    sender_sign_public_key: bytes,
    keys: KeyLookup,
) -> dict[str, Any]:
    """Verify, then decrypt a message to its payload object.

    Raise as decrypt_message_bytes, plus TamperedError when the payload is not a JSON object.
    """
    return decode_payload(
        decrypt_message_bytes(
            wire,
            room_id=room_id,
            sender_id=sender_id,
            message_id=message_id,
            sender_sign_public_key=sender_sign_public_key,
            keys=keys,
        )
    )
