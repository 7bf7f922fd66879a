"""Trust records (docs/PROTOCOL.md §16): a user's trust state sealed to their own identity.

The state (pins with every identity generation, verified marks, rooms known as encrypted) is
canonical JSON, encrypted with AES-256-GCM under a key derived from the user's own X25519 key
pair and signed by their Ed25519 key, so the server can store it without reading or changing it.
Wire: ``{"v": 1, "version", "iv", "ct", "sig"}`` (base64url); the user id comes from context.
"""

import json
import secrets
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from .base64url import b64u_decode_as, b64u_decode_exact, b64u_encode
from .encoding import LABELS, VERSION, canonical, is_valid_id, require_id, u32, utf8
from .errors import BadSignatureError, RollbackError, TamperedError, UnsupportedError
from .primitives import (
    aes_gcm_decrypt,
    aes_gcm_encrypt,
    ed25519_verify,
    hkdf_sha256,
    require_bytes,
    x25519,
    x25519_public,
)

MAX_TRUST_STATE_BYTES = 512 * 1024
MAX_TRUST_VERSION = 0xFFFFFFFF
_WIRE_KEYS = frozenset({"v", "version", "iv", "ct", "sig"})
_STATE_KEYS = frozenset({"v", "user", "pins", "rooms"})


@dataclass(frozen=True, slots=True)
class ParsedTrustRecord:
    """The decoded fields of a record that passed check_trust_record_wire."""

    version: int
    iv: bytes
    ct: bytes
    sig: bytes


@dataclass(frozen=True, slots=True)
class OpenedTrustRecord:
    """A verified, decrypted record: its version counter and trust state."""

    version: int
    state: dict[str, Any]


def _check_json_value(value: object) -> None:
    """Raise TypeError for anything canonical JSON cannot carry exactly (floats, NaN, bytes)."""
    if value is None or isinstance(value, bool | str):
        return
    if isinstance(value, int):
        if abs(value) > 2**53 - 1:
            raise TypeError("canonical JSON integers must be safe integers")
        return
    if isinstance(value, list):
        for item in value:
            _check_json_value(item)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError("canonical JSON keys are strings")
            _check_json_value(item)
        return
    raise TypeError("canonical JSON cannot encode this value")


def canonical_json(value: object) -> str:
    """Return the canonical JSON of ``value``: keys sorted, no whitespace, integers only."""
    _check_json_value(value)
    # Keys are ASCII field names or decimal ids: code point order equals the JS (UTF-16) order.
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def _is_version(value: object) -> bool:
    return type(value) is int and 1 <= value <= MAX_TRUST_VERSION


def _trust_record_ad(user_id: str, version: int) -> bytes:
    """Return the associated data binding a record to its user and version counter."""
    return canonical(LABELS.trust_record_ad, u32(VERSION), user_id, u32(version))


def _trust_record_signed_bytes(user_id: str, version: int, iv: bytes, ct: bytes) -> bytes:
    """Return the bytes the identity signs."""
    return canonical(LABELS.trust_record, u32(VERSION), user_id, u32(version), iv, ct)


def _trust_record_key(agreement_key: X25519PrivateKey, user_id: str) -> bytes:
    """Return the 32-byte record key, derived from the user's own X25519 key pair only."""
    dh_public = x25519_public(agreement_key)
    shared = x25519(agreement_key, dh_public)
    info = canonical(LABELS.trust_record_kdf, u32(VERSION), user_id)
    return hkdf_sha256(shared, dh_public, info)


def _check_state(state: object, user_id: str) -> dict[str, Any]:
    """Return ``state`` if it is a trust state object of ``user_id``; raise TamperedError."""
    if not isinstance(state, dict) or state.keys() != _STATE_KEYS:
        raise TamperedError("trust record: state is not a trust state object")
    if type(state["v"]) is not int or state["v"] != VERSION:
        raise TamperedError("trust record: unsupported state version")
    if state["user"] != user_id:
        raise TamperedError("trust record: state of another user")
    if not isinstance(state["pins"], list) or not isinstance(state["rooms"], list):
        raise TamperedError("trust record: pins and rooms must be lists")
    return state


def _seal_trust_record_with_iv(
    state: dict[str, Any],
    *,
    user_id: str,
    version: int,
    signing_key: Ed25519PrivateKey,
    agreement_key: X25519PrivateKey,
    iv: bytes,
) -> dict[str, Any]:
    """seal_trust_record with a given IV (vectors only: never reuse an IV under one key)."""
    require_id(user_id)
    if not _is_version(version):
        raise ValueError("trust record version must be in [1, 2^32)")
    iv = require_bytes(iv, 12, "iv")
    _check_state(state, user_id)
    plaintext = utf8(canonical_json(state))
    if len(plaintext) > MAX_TRUST_STATE_BYTES:
        raise ValueError("trust state too large")
    key = _trust_record_key(agreement_key, user_id)
    ct = aes_gcm_encrypt(key, iv, plaintext, _trust_record_ad(user_id, version))
    sig = signing_key.sign(_trust_record_signed_bytes(user_id, version, iv, ct))
    return {
        "v": VERSION,
        "version": version,
        "iv": b64u_encode(iv),
        "ct": b64u_encode(ct),
        "sig": b64u_encode(sig),
    }


def seal_trust_record(
    state: dict[str, Any],
    *,
    user_id: str,
    version: int,
    signing_key: Ed25519PrivateKey,
    agreement_key: X25519PrivateKey,
) -> dict[str, Any]:
    """Encrypt and sign a trust state as record ``version``; random IV."""
    return _seal_trust_record_with_iv(
        state,
        user_id=user_id,
        version=version,
        signing_key=signing_key,
        agreement_key=agreement_key,
        iv=secrets.token_bytes(12),
    )


def check_trust_record_wire(wire: object) -> ParsedTrustRecord:
    """Return the decoded fields of an untrusted record if its shape is valid.

    Raise UnsupportedError (format version) or TamperedError (anything else). This is all the
    server checks: it cannot verify the signature without trusting its own copy of the identity.
    """
    if not isinstance(wire, dict):
        raise TamperedError("trust record: not an object")
    if type(wire.get("v")) is not int or wire["v"] != VERSION:
        raise UnsupportedError("trust record: unsupported version")
    if wire.keys() != _WIRE_KEYS:
        raise TamperedError("trust record: expected exactly the fields v, version, iv, ct, sig")
    if not _is_version(wire["version"]):
        raise TamperedError("trust record: bad version counter")
    ct = b64u_decode_as(wire["ct"], TamperedError)
    if not 16 <= len(ct) <= MAX_TRUST_STATE_BYTES + 16:
        raise TamperedError("trust record: ciphertext size out of range")
    return ParsedTrustRecord(
        version=wire["version"],
        iv=b64u_decode_exact(wire["iv"], 12, TamperedError),
        ct=ct,
        sig=b64u_decode_exact(wire["sig"], 64, TamperedError),
    )


def open_trust_record(
    wire: object,
    *,
    user_id: str,
    sign_public_key: bytes,
    agreement_key: X25519PrivateKey,
    min_version: int = 0,
) -> OpenedTrustRecord:
    """Verify, check the version counter, decrypt and parse a trust record.

    Raise UnsupportedError, TamperedError (shape, AEAD, state), BadSignatureError (another user,
    another identity or any changed field) or RollbackError (older than ``min_version``).
    """
    sign_public_key = require_bytes(sign_public_key, 32, "Ed25519 public key")
    parsed = check_trust_record_wire(wire)
    if not is_valid_id(user_id):
        raise TamperedError("trust record: invalid user id")
    signed = _trust_record_signed_bytes(user_id, parsed.version, parsed.iv, parsed.ct)
    if not ed25519_verify(sign_public_key, parsed.sig, signed):
        raise BadSignatureError("trust record: bad signature")
    if parsed.version < min_version:
        raise RollbackError("trust record: older than the newest version seen here")
    key = _trust_record_key(agreement_key, user_id)
    plain = aes_gcm_decrypt(key, parsed.iv, parsed.ct, _trust_record_ad(user_id, parsed.version))
    if plain is None:
        raise TamperedError("trust record: authentication failed")
    try:
        state = json.loads(plain.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError):
        raise TamperedError("trust record: state is not UTF-8 JSON") from None
    return OpenedTrustRecord(version=parsed.version, state=_check_state(state, user_id))


def _reject_constant(name: str) -> None:
    raise ValueError(f"JSON constant {name} is not allowed")
