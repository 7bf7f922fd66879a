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


def check_attestations(value: object, *, key_id: str) -> dict[int, dict[str, Any]]:
    """Return ``{member id: attestation}`` for a list of ``{member_id, attestation}``.

    Each must have the membership-attestation shape and name ``key_id`` (the key the attester
    holds). Signatures are checked by the browsers against pinned identities.
    """
    if value is None:
        return {}
    return _check_signed_items(
        value,
        user_field="member_id",
        wire_field="attestation",
        check_wire=crypto.check_membership_wire,
        key_id=key_id,
        what="attestation",
        code="bad_attestations",
    )


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
