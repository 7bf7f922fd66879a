"""Typed errors of the Keyroom crypto layer.

Every failure caused by untrusted input is a ``KeyroomCryptoError`` whose ``code`` is the stable
string the UI switches on (the same codes as ``static/js/crypto/errors.js``). Programming errors
(a wrong argument type from our own code) are plain ``TypeError``/``ValueError``. Messages never
hold secrets.
"""

from typing import ClassVar


class KeyroomCryptoError(Exception):
    """Base class; ``code`` names the failure."""

    code: ClassVar[str] = "error"


class MalformedError(KeyroomCryptoError):
    """An identity or backup object does not have the exact expected shape."""

    code = "malformed"


class UnsupportedError(KeyroomCryptoError):
    """A format version, KDF or parameter this implementation does not accept."""

    code = "unsupported"


class WeakKdfError(KeyroomCryptoError):
    """A backup's PBKDF2 iteration count is below the 600,000 minimum."""

    code = "weak_kdf"


class WrongPasswordError(KeyroomCryptoError):
    """A backup failed AES-GCM authentication: wrong password (or changed user id/ciphertext)."""

    code = "wrong_password"


class BadSignatureError(KeyroomCryptoError):
    """A signature did not verify against the given (pinned) Ed25519 public key."""

    code = "bad_signature"


class TamperedError(KeyroomCryptoError):
    """A message or envelope is malformed, or failed AES-GCM authentication."""

    code = "tampered"


class NoKeyError(KeyroomCryptoError):
    """A message names a room key id the reader does not hold."""

    code = "no_key"


class RollbackError(KeyroomCryptoError):
    """A trust record is older than the newest one this device has seen (server rollback)."""

    code = "rollback"


class BadChainError(KeyroomCryptoError):
    """A room-state chain entry breaks the chain's order or rules (index, prev, author, body)."""

    code = "bad_chain"


ERRORS_BY_CODE: dict[str, type[KeyroomCryptoError]] = {
    cls.code: cls
    for cls in (
        MalformedError,
        UnsupportedError,
        WeakKdfError,
        WrongPasswordError,
        BadSignatureError,
        TamperedError,
        NoKeyError,
        RollbackError,
        BadChainError,
    )
}
