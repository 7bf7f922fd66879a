"""Validation of the E2E data clients send. The server checks shapes, sizes and public
signatures; it never sees a password or an unwrapped private key."""

from typing import Any

from chat.errors import InvalidInput
from e2e import crypto
from e2e.crypto import KeyroomCryptoError


def check_public_identity(value: object, *, user_id: int) -> tuple[dict[str, Any], str]:
    """Return the identity and its fingerprint (hex) if well formed, self-signed and ``user_id``'s.

    Raise InvalidInput otherwise: the X25519 key must be signed by the Ed25519 key over the
    user's own id, so nobody can publish an identity claiming to be someone else.
    """
    try:
        verified = crypto.verify_public_identity(value, str(user_id))
    except KeyroomCryptoError as error:
        raise InvalidInput(
            f"The public identity is not valid ({error}).", code="bad_identity"
        ) from None
    assert isinstance(value, dict)
    return value, crypto.fingerprint(verified).hex()


def check_backup(value: object) -> dict[str, Any]:
    """Return the key backup blob if its shape and KDF parameters are acceptable."""
    try:
        crypto.check_backup_blob(value)
    except crypto.WeakKdfError:
        raise InvalidInput(
            f"The key backup must use at least {crypto.MIN_ITERATIONS} PBKDF2 iterations.",
            code="weak_kdf",
        ) from None
    except KeyroomCryptoError as error:
        raise InvalidInput(f"The key backup is not valid ({error}).", code="bad_backup") from None
    assert isinstance(value, dict)
    return value
