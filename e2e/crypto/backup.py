"""Password-protected key backup.

The 64-byte identity secret is encrypted with AES-256-GCM under a PBKDF2-SHA256 key. Blob:
``{"v": 1, "kdf": "PBKDF2-SHA256", "iterations", "salt", "iv", "ct"}`` (base64url fields).
"""

import secrets
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from .base64url import b64u_decode_exact, b64u_encode
from .encoding import LABELS, VERSION, canonical, require_id, u32, utf8
from .errors import MalformedError, UnsupportedError, WeakKdfError, WrongPasswordError
from .identity import IDENTITY_SECRET_BYTES, UnlockedIdentity, import_identity_secret
from .primitives import aes_gcm_decrypt, aes_gcm_encrypt, pbkdf2_sha256, require_bytes

BACKUP_KDF = "PBKDF2-SHA256"
MIN_ITERATIONS = 600_000
DEFAULT_ITERATIONS = 600_000
# So a hostile server cannot make the client spin for minutes.
MAX_ITERATIONS = 10_000_000
_SALT_BYTES = 16
_IV_BYTES = 12
_CT_BYTES = IDENTITY_SECRET_BYTES + 16
_BACKUP_KEYS = frozenset({"v", "kdf", "iterations", "salt", "iv", "ct"})


@dataclass(frozen=True, slots=True)
class ParsedBackup:
    """The decoded fields of a backup blob that passed check_backup_blob."""

    iterations: int
    salt: bytes
    iv: bytes
    ct: bytes = field(repr=False)


def password_bytes(password: str) -> bytes:
    """Return the PBKDF2 input for ``password``: its NFKC normal form, UTF-8 encoded."""
    if not isinstance(password, str) or not password:
        raise TypeError("password must be a non-empty string")
    return utf8(unicodedata.normalize("NFKC", password))


def _backup_ad(user_id: str, iterations: int, salt: bytes) -> bytes:
    """Return the associated data binding a backup to its user, version and KDF parameters."""
    return canonical(LABELS.backup, u32(VERSION), user_id, BACKUP_KDF, u32(iterations), salt)


def check_backup_blob(blob: object) -> ParsedBackup:
    """Check an untrusted backup blob's shape and parameters; return its decoded fields.

    Raise MalformedError, UnsupportedError (version, KDF, too many iterations) or WeakKdfError.
    """
    if not isinstance(blob, dict):
        raise MalformedError("backup: not an object")
    if type(blob.get("v")) is not int or blob["v"] != VERSION:
        raise UnsupportedError("backup: unsupported version")
    if blob.keys() != _BACKUP_KEYS:
        raise MalformedError("backup: unexpected fields")
    if blob["kdf"] != BACKUP_KDF:
        raise UnsupportedError("backup: unsupported KDF")
    iterations = blob["iterations"]
    if type(iterations) is not int:
        raise MalformedError("backup: iterations is not an integer")
    if iterations < MIN_ITERATIONS:
        raise WeakKdfError("backup: too few PBKDF2 iterations")
    if iterations > MAX_ITERATIONS:
        raise UnsupportedError("backup: too many iterations")
    return ParsedBackup(
        iterations=iterations,
        salt=b64u_decode_exact(blob["salt"], _SALT_BYTES),
        iv=b64u_decode_exact(blob["iv"], _IV_BYTES),
        ct=b64u_decode_exact(blob["ct"], _CT_BYTES),
    )


def _create_backup_with_randomness(
    secret: bytes, password: str, user_id: str, *, salt: bytes, iv: bytes, iterations: int
) -> dict[str, Any]:
    """Encrypt an identity secret with the given salt, IV and iteration count (test vectors)."""
    secret = require_bytes(secret, IDENTITY_SECRET_BYTES, "identity secret")
    salt = require_bytes(salt, _SALT_BYTES, "salt")
    iv = require_bytes(iv, _IV_BYTES, "iv")
    require_id(user_id)
    if type(iterations) is not int or not MIN_ITERATIONS <= iterations <= MAX_ITERATIONS:
        raise ValueError(f"iterations must be in [{MIN_ITERATIONS}, {MAX_ITERATIONS}]")
    key = pbkdf2_sha256(password_bytes(password), salt, iterations)
    ct = aes_gcm_encrypt(key, iv, secret, _backup_ad(user_id, iterations, salt))
    return {
        "v": VERSION,
        "kdf": BACKUP_KDF,
        "iterations": iterations,
        "salt": b64u_encode(salt),
        "iv": b64u_encode(iv),
        "ct": b64u_encode(ct),
    }


def create_backup(
    secret: bytes, password: str, user_id: str, *, iterations: int = DEFAULT_ITERATIONS
) -> dict[str, Any]:
    """Encrypt a 64-byte identity secret under ``password`` with a fresh random salt and IV."""
    return _create_backup_with_randomness(
        secret,
        password,
        user_id,
        salt=secrets.token_bytes(_SALT_BYTES),
        iv=secrets.token_bytes(_IV_BYTES),
        iterations=iterations,
    )


def _decrypt_backup_secret(blob: object, password: str, user_id: str) -> bytes:
    """Decrypt a backup to the raw 64-byte identity secret.

    Raise the errors of check_backup_blob, or WrongPasswordError when AES-GCM authentication
    fails (wrong password, or a blob made for another user id or altered).
    """
    require_id(user_id)
    pw = password_bytes(password)
    parsed = check_backup_blob(blob)
    key = pbkdf2_sha256(pw, parsed.salt, parsed.iterations)
    ad = _backup_ad(user_id, parsed.iterations, parsed.salt)
    secret = aes_gcm_decrypt(key, parsed.iv, parsed.ct, ad)
    if secret is None:
        raise WrongPasswordError("backup: wrong password")
    return secret


def unlock_backup(blob: object, password: str, user_id: str) -> UnlockedIdentity:
    """Decrypt a backup and load its private keys."""
    return import_identity_secret(_decrypt_backup_secret(blob, password, user_id), user_id)


def rewrap_backup(
    blob: object,
    old_password: str,
    new_password: str,
    user_id: str,
    *,
    iterations: int | None = None,
) -> dict[str, Any]:
    """Re-encrypt a backup under a new password with a fresh salt and IV.

    The new iteration count is ``iterations``, else the larger of the old count and
    DEFAULT_ITERATIONS.
    """
    password_bytes(new_password)
    secret = _decrypt_backup_secret(blob, old_password, user_id)
    if iterations is None:
        assert isinstance(blob, dict)
        iterations = max(blob["iterations"], DEFAULT_ITERATIONS)
    return create_backup(secret, new_password, user_id, iterations=iterations)


@dataclass(frozen=True, slots=True)
class IdentityWithBackup(UnlockedIdentity):
    """A new identity and its backup blob."""

    backup: dict[str, Any] = field(kw_only=True)


def create_identity_with_backup(
    user_id: str, password: str, *, iterations: int = DEFAULT_ITERATIONS
) -> IdentityWithBackup:
    """Generate an identity and its backup in one step."""
    secret = secrets.token_bytes(IDENTITY_SECRET_BYTES)
    unlocked = import_identity_secret(secret, user_id)
    backup = create_backup(secret, password, user_id, iterations=iterations)
    return IdentityWithBackup(
        unlocked.signing_key, unlocked.agreement_key, unlocked.public_identity, backup=backup
    )
