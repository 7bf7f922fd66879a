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


def check_envelopes(value: object, *, key_id: str) -> dict[int, dict[str, Any]]:
    """Return ``{recipient user id: envelope}`` for a list of ``{recipient_id, envelope}``.

    Each envelope must have the envelope shape and carry ``key_id``; recipients are distinct.
    Whether each recipient may receive the key is the caller's business (membership).
    """
    if not isinstance(value, list) or len(value) > MAX_ENVELOPES:
        raise InvalidInput(
            f"Send a list of at most {MAX_ENVELOPES} envelopes.", code="bad_envelopes"
        )
    result: dict[int, dict[str, Any]] = {}
    for item in value:
        if not isinstance(item, dict) or item.keys() != {"recipient_id", "envelope"}:
            raise InvalidInput("Each envelope is {recipient_id, envelope}.", code="bad_envelopes")
        recipient = item["recipient_id"]
        if type(recipient) is not int or recipient <= 0 or recipient in result:
            raise InvalidInput(
                "Envelope recipients must be distinct user ids.", code="bad_envelopes"
            )
        try:
            parsed = crypto.check_envelope_wire(item["envelope"])
        except KeyroomCryptoError as error:
            raise InvalidInput(
                f"An envelope is not valid ({error}).", code="bad_envelopes"
            ) from None
        if parsed.key_id != key_id:
            raise InvalidInput("An envelope carries another key id.", code="bad_envelopes")
        result[recipient] = item["envelope"]
    return result


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
    if not isinstance(value, list) or len(value) > MAX_ENVELOPES:
        raise InvalidInput("Send a list of attestations.", code="bad_attestations")
    result: dict[int, dict[str, Any]] = {}
    for item in value:
        if not isinstance(item, dict) or item.keys() != {"member_id", "attestation"}:
            raise InvalidInput(
                "Each attestation is {member_id, attestation}.", code="bad_attestations"
            )
        member = item["member_id"]
        if type(member) is not int or member <= 0 or member in result:
            raise InvalidInput(
                "Attested members must be distinct user ids.", code="bad_attestations"
            )
        try:
            parsed = crypto.check_membership_wire(item["attestation"])
        except KeyroomCryptoError as error:
            raise InvalidInput(
                f"An attestation is not valid ({error}).", code="bad_attestations"
            ) from None
        if parsed.key_id != key_id:
            raise InvalidInput("An attestation names another key.", code="bad_attestations")
        result[member] = item["attestation"]
    return result


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
