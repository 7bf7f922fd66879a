"""Identities: an Ed25519 signing key and an X25519 key-agreement key per user.

The secret form is 64 bytes: Ed25519 seed (32) || X25519 private key (32). The public form is a
JSON object whose signature binds both public keys to the user id.
"""

import secrets
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from .base64url import b64u_decode_exact, b64u_encode
from .encoding import LABELS, VERSION, canonical, is_valid_id, require_id, u32
from .errors import BadSignatureError, MalformedError, UnsupportedError
from .primitives import ed25519_public, ed25519_verify, require_bytes, sha256, x25519_public

IDENTITY_SECRET_BYTES = 64
_PUBLIC_IDENTITY_KEYS = frozenset({"v", "user", "ed25519", "x25519", "sig"})


@dataclass(frozen=True, slots=True)
class VerifiedIdentity:
    """A public identity whose signature was checked; raw 32-byte public keys."""

    user_id: str
    sign_public_key: bytes
    dh_public_key: bytes


@dataclass(frozen=True, slots=True)
class UnlockedIdentity:
    """Private keys of an identity and its signed public form (a JSON-able dict)."""

    signing_key: Ed25519PrivateKey = field(repr=False)
    agreement_key: X25519PrivateKey = field(repr=False)
    public_identity: dict[str, Any]


@dataclass(frozen=True, slots=True)
class GeneratedIdentity(UnlockedIdentity):
    """A new identity plus its 64-byte secret, needed only to make the key backup."""

    secret: bytes = field(repr=False, kw_only=True)


def _identity_signed_bytes(user_id: str, sign_public_key: bytes, dh_public_key: bytes) -> bytes:
    """Return the bytes the identity signature covers."""
    return canonical(LABELS.identity, u32(VERSION), user_id, sign_public_key, dh_public_key)


def import_identity_secret(secret: bytes, user_id: str) -> UnlockedIdentity:
    """Load a 64-byte identity secret and build its signed public identity."""
    secret = require_bytes(secret, IDENTITY_SECRET_BYTES, "identity secret")
    require_id(user_id)
    signing_key = Ed25519PrivateKey.from_private_bytes(secret[:32])
    agreement_key = X25519PrivateKey.from_private_bytes(secret[32:])
    sign_public = ed25519_public(signing_key)
    dh_public = x25519_public(agreement_key)
    sig = signing_key.sign(_identity_signed_bytes(user_id, sign_public, dh_public))
    public_identity = {
        "v": VERSION,
        "user": user_id,
        "ed25519": b64u_encode(sign_public),
        "x25519": b64u_encode(dh_public),
        "sig": b64u_encode(sig),
    }
    return UnlockedIdentity(signing_key, agreement_key, public_identity)


def generate_identity(user_id: str) -> GeneratedIdentity:
    """Generate a new identity; its ``secret`` is for create_backup only."""
    secret = secrets.token_bytes(IDENTITY_SECRET_BYTES)
    unlocked = import_identity_secret(secret, user_id)
    return GeneratedIdentity(
        unlocked.signing_key, unlocked.agreement_key, unlocked.public_identity, secret=secret
    )


def verify_public_identity(obj: object, user_id: str) -> VerifiedIdentity:
    """Check an untrusted public identity claimed for ``user_id``; return its raw keys.

    Raise MalformedError (shape), UnsupportedError (version) or BadSignatureError (signature, or
    the object names another user).
    """
    require_id(user_id)
    if not isinstance(obj, dict):
        raise MalformedError("identity: not an object")
    if type(obj.get("v")) is not int or obj["v"] != VERSION:
        raise UnsupportedError("identity: unsupported version")
    if obj.keys() != _PUBLIC_IDENTITY_KEYS:
        raise MalformedError("identity: unexpected fields")
    if not is_valid_id(obj["user"]):
        raise MalformedError("identity: bad user id")
    sign_public_key = b64u_decode_exact(obj["ed25519"], 32)
    dh_public_key = b64u_decode_exact(obj["x25519"], 32)
    sig = b64u_decode_exact(obj["sig"], 64)
    if obj["user"] != user_id:
        raise BadSignatureError("identity: made for another user")
    signed = _identity_signed_bytes(user_id, sign_public_key, dh_public_key)
    if not ed25519_verify(sign_public_key, sig, signed):
        raise BadSignatureError("identity: bad signature")
    return VerifiedIdentity(user_id, sign_public_key, dh_public_key)


def fingerprint(identity: VerifiedIdentity) -> bytes:
    """Return SHA-256(canonical(fingerprint label, user id, Ed25519 public, X25519 public))."""
    require_id(identity.user_id)
    sign_public = require_bytes(identity.sign_public_key, 32, "Ed25519 public key")
    dh_public = require_bytes(identity.dh_public_key, 32, "X25519 public key")
    return sha256(canonical(LABELS.fingerprint, identity.user_id, sign_public, dh_public))


def format_safety_number(fp: bytes) -> str:
    """Render a fingerprint as 12 space-separated groups of 5 digits.

    The digits are the fingerprint read as a big-endian integer, modulo 10**60, zero-padded to 60.
    """
    fp = require_bytes(fp, 32, "fingerprint")
    digits = str(int.from_bytes(fp, "big") % 10**60).zfill(60)
    return " ".join(digits[i : i + 5] for i in range(0, 60, 5))


def safety_number(identity: VerifiedIdentity) -> str:
    """Return the safety number of a verified identity."""
    return format_safety_number(fingerprint(identity))
