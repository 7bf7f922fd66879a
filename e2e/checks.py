"""Validation of the E2E data clients send. The server checks shapes, sizes and public
signatures; it never sees a password or an unwrapped private key."""

import logging
from typing import Any

from django.core.cache import cache

from accounts.models import User
from chat.errors import InvalidInput, NotAllowed, TooManyAttempts, Unavailable
from e2e import crypto
from e2e.crypto import KeyroomCryptoError

logger = logging.getLogger(__name__)

# The brake on guessing the login password through the E2E reset and backup endpoints.
LOGIN_PASSWORD_MAX_FAILURES = 5
LOGIN_PASSWORD_WINDOW_SECONDS = 15 * 60


def _login_failures_key(user_id: int) -> str:
    return f"e2e:login-password-failures:{user_id}"


def check_login_password(user: User, value: object) -> None:
    """Return if ``value`` is ``user``'s current login password; raise otherwise.

    Guards the writes that replace what protects a user's keys (identity reset, backup
    replacement): a stolen session cookie alone must not be enough (attack 16). Call it inside
    the transaction that stores the write, with ``user`` read in that transaction.

    Raise NotAllowed (403, ``login_password_required``) for a missing or wrong password, and
    TooManyAttempts (429) once ``LOGIN_PASSWORD_MAX_FAILURES`` wrong ones were sent within
    ``LOGIN_PASSWORD_WINDOW_SECONDS`` (counted from the first), whatever is sent then.
    """
    key = _login_failures_key(user.pk)
    too_many = TooManyAttempts(
        "Too many wrong login passwords. Wait 15 minutes, then try again.",
        code="too_many_attempts",
    )
    if not isinstance(value, str) or not value:
        raise NotAllowed(
            "Enter your login password to confirm this.", code="login_password_required"
        )
    # Unlike the write brake, this one fails closed: with the cache (Redis) away, guesses could
    # not be counted, so nothing that replaces a person's keys is accepted until it is back.
    try:
        if cache.get(key, 0) >= LOGIN_PASSWORD_MAX_FAILURES:
            raise too_many
        # Count the try before checking it, so parallel guesses cannot all slip under the limit.
        cache.add(key, 0, timeout=LOGIN_PASSWORD_WINDOW_SECONDS)
        try:
            tries = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=LOGIN_PASSWORD_WINDOW_SECONDS)
            tries = 1
    except TooManyAttempts:
        raise
    except Exception:
        logger.warning("The cache is failing: login-password checks are refused until it is back")
        raise Unavailable(
            "Keyroom cannot check this right now. Try again in a minute.", code="unavailable"
        ) from None
    if tries > LOGIN_PASSWORD_MAX_FAILURES:
        raise too_many
    if not user.check_password(value):
        raise NotAllowed(
            "That is not your login password. Check it and try again.",
            code="login_password_required",
        )
    cache.delete(key)


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


def check_trust_record(value: object) -> dict[str, Any]:
    """Return a trust record if its shape and sizes are acceptable (docs/PROTOCOL.md §16).

    The server cannot open it: the record is sealed to the user's own identity. Its version
    counter is checked against the stored one by ``do_put_trust_record``, under the row lock.
    """
    try:
        crypto.check_trust_record_wire(value)
    except KeyroomCryptoError as error:
        raise InvalidInput(
            f"The trust record is not valid ({error}).", code="bad_trust_record"
        ) from None
    assert isinstance(value, dict)
    return value


MAX_ENVELOPES = 1000
# Ciphertext of the longest message plus JSON, base64url and the signature, with room to spare.
MAX_PAYLOAD_CHARS = 64 * 1024


def check_key_id(value: object) -> str:
    """Return a room key id (16 bytes as 22 base64url characters)."""
    try:
        crypto.parse_key_id(value)
    except (KeyroomCryptoError, TypeError, ValueError):
        raise InvalidInput("The key id is not valid.", code="bad_key_id") from None
    assert isinstance(value, str)
    return value


def _check_signed_items(
    value: object,
    *,
    user_field: str,
    wire_field: str,
    check_wire: Any,
    key_id: str,
    what: str,
    code: str,
) -> dict[int, dict[str, Any]]:
    """Return ``{user id: wire}`` from a list of ``{<user_field>, <wire_field>}`` objects.

    Users are distinct positive ids; each wire passes ``check_wire`` and names ``key_id``.
    """
    if not isinstance(value, list) or len(value) > MAX_ENVELOPES:
        raise InvalidInput(f"Send a list of at most {MAX_ENVELOPES} {what}s.", code=code)
    result: dict[int, dict[str, Any]] = {}
    for item in value:
        if not isinstance(item, dict) or item.keys() != {user_field, wire_field}:
            raise InvalidInput(f"Each {what} is {{{user_field}, {wire_field}}}.", code=code)
        user_id = item[user_field]
        if type(user_id) is not int or user_id <= 0 or user_id in result:
            raise InvalidInput(f"Each {what} must name a different user id.", code=code)
        try:
            parsed = check_wire(item[wire_field])
        except KeyroomCryptoError as error:
            raise InvalidInput(f"An {what} is not valid ({error}).", code=code) from None
        if parsed.key_id != key_id:
            raise InvalidInput(f"An {what} names another key.", code=code)
        result[user_id] = item[wire_field]
    return result


def check_envelopes(value: object, *, key_id: str) -> dict[int, dict[str, Any]]:
    """Return ``{recipient user id: envelope}`` for a list of ``{recipient_id, envelope}``.

    Each envelope must have the envelope shape and carry ``key_id``; recipients are distinct.
    Whether each recipient may receive the key is the caller's business (membership).
    """
    return _check_signed_items(
        value,
        user_field="recipient_id",
        wire_field="envelope",
        check_wire=crypto.check_envelope_wire,
        key_id=key_id,
        what="envelope",
        code="bad_envelopes",
    )


def check_encrypted_payload(value: object, *, current_key_id: str) -> dict[str, Any]:
    """Return an encrypted message if it has the message shape and uses the room's current key.

    The server cannot check the signature's meaning or the plaintext; receivers do.
    """
    try:
        parsed = crypto.check_message_wire(value)
    except KeyroomCryptoError as error:
        raise InvalidInput(
            f"The encrypted message is not valid ({error}).", code="bad_ciphertext"
        ) from None
    assert isinstance(value, dict)
    if len(value["ct"]) > MAX_PAYLOAD_CHARS:
        raise InvalidInput("The message is too long.", code="too_long")
    if parsed.key_id != current_key_id:
        raise InvalidInput(
            "The room's key has changed: fetch the new key and send again.", code="stale_key"
        )
    return value


def check_key_shares(value: object) -> list[tuple[str, dict[int, dict[str, Any]]]]:
    """Return ``[(key id, {recipient: envelope})]`` from ``[{key_id, envelopes}]``."""
    if not isinstance(value, list) or len(value) > 100:
        raise InvalidInput("Send a list of at most 100 keys to share.", code="bad_envelopes")
    shares = []
    for item in value:
        if not isinstance(item, dict) or item.keys() != {"key_id", "envelopes"}:
            raise InvalidInput("Each share is {key_id, envelopes}.", code="bad_envelopes")
        key_id = check_key_id(item["key_id"])
        shares.append((key_id, check_envelopes(item["envelopes"], key_id=key_id)))
    return shares


MAX_STATE_ENTRIES = 1000


def check_state_entries(value: object) -> list[dict[str, Any]]:
    """Return a list of room-state entries (docs/PROTOCOL.md §15) whose shapes are valid.

    Their order, signatures and meaning are checked against the stored chain by the action,
    under the room's lock.
    """
    if not isinstance(value, list) or not 0 < len(value) <= MAX_STATE_ENTRIES:
        raise InvalidInput(
            f"Send a list of 1 to {MAX_STATE_ENTRIES} room state entries.", code="bad_state"
        )
    for entry in value:
        try:
            crypto.check_entry_wire(entry)
        except KeyroomCryptoError as error:
            raise InvalidInput(
                f"A room state entry is not valid ({error}).", code="bad_state"
            ) from None
    return value


def check_optional_state_entries(value: object) -> list[dict[str, Any]]:
    """Return the entries, or an empty list when none were sent."""
    return [] if value is None or value == [] else check_state_entries(value)
