"""The Python crypto layer: room keys, key envelopes and messages."""

import pytest

from e2e.crypto import (
    BadSignatureError,
    NoKeyError,
    TamperedError,
    UnsupportedError,
    check_envelope_wire,
    check_message_wire,
    decrypt_message,
    encrypt_message,
    generate_identity,
    generate_room_key,
    open_envelope,
    parse_key_id,
    seal_envelope,
    verify_public_identity,
)

pytestmark: list[pytest.MarkDecorator] = []

MESSAGE_ID = "0b6c1a52-7f51-4e86-9d2e-6f1f7d3c2a10"
ALICE = generate_identity("42")
BOB = generate_identity("7")
ALICE_PUB = verify_public_identity(ALICE.public_identity, "42")
BOB_PUB = verify_public_identity(BOB.public_identity, "7")
ROOM = generate_room_key()


def seal_to_bob(signing_key=ALICE.signing_key) -> dict:
    return seal_envelope(
        ROOM.key,
        room_id="12",
        key_id=ROOM.key_id,
        sender_id="42",
        recipient_id="7",
        recipient_dh_public_key=BOB_PUB.dh_public_key,
        signing_key=signing_key,
    )


def bob_opens(envelope: object, **over: object):
    context: dict = {
        "room_id": "12",
        "sender_id": "42",
        "recipient_id": "7",
        "sender_sign_public_key": ALICE_PUB.sign_public_key,
        "recipient_agreement_key": BOB.agreement_key,
        "recipient_dh_public_key": BOB_PUB.dh_public_key,
    }
    return open_envelope(envelope, **(context | over))


def send(payload: object, **over: object) -> dict:
    context: dict = {
        "room_id": "12",
        "key_id": ROOM.key_id,
        "room_key": ROOM.key,
        "sender_id": "42",
        "message_id": MESSAGE_ID,
        "signing_key": ALICE.signing_key,
    }
    return encrypt_message(payload, **(context | over))  # type: ignore[arg-type]


def read(wire: object, **over: object) -> dict:
    context: dict = {
        "room_id": "12",
        "sender_id": "42",
        "message_id": MESSAGE_ID,
        "sender_sign_public_key": ALICE_PUB.sign_public_key,
        "keys": {ROOM.key_id: ROOM.key},
    }
    return decrypt_message(wire, **(context | over))


def test_room_keys_are_random_32_bytes_with_16_byte_ids() -> None:
    """A room key is 32 bytes; its id is 16 random bytes as 22 base64url characters."""
    other = generate_room_key()
    assert len(ROOM.key) == 32 and len(ROOM.key_id) == 22
    assert len(parse_key_id(ROOM.key_id)) == 16
    assert other.key != ROOM.key and other.key_id != ROOM.key_id
    assert "key=" not in repr(ROOM)
    with pytest.raises(TypeError):
        parse_key_id("short")


def test_envelope_opens_for_its_recipient_only() -> None:
    """Bob recovers the room key; Alice cannot open Bob's envelope as herself."""
    envelope = seal_to_bob()
    opened = bob_opens(envelope)
    assert (opened.key_id, opened.key) == (ROOM.key_id, ROOM.key)
    with pytest.raises(BadSignatureError):
        bob_opens(
            envelope,
            recipient_id="42",
            recipient_agreement_key=ALICE.agreement_key,
            recipient_dh_public_key=ALICE_PUB.dh_public_key,
        )


def test_envelopes_use_fresh_ephemeral_keys_and_ivs() -> None:
    """Two envelopes of one key share neither ephemeral key nor IV."""
    a, b = seal_to_bob(), seal_to_bob()
    assert a["eph"] != b["eph"] and a["iv"] != b["iv"]


def test_envelope_from_an_unpinned_key_is_refused() -> None:
    """An envelope signed by anyone but the pinned sender fails as bad_signature."""
    mallory = generate_identity("42")
    with pytest.raises(BadSignatureError):
        bob_opens(seal_to_bob(signing_key=mallory.signing_key))


def test_envelope_shape_errors_are_typed() -> None:
    """Unknown versions are unsupported; everything else malformed is tampered."""
    envelope = seal_to_bob()
    with pytest.raises(UnsupportedError):
        check_envelope_wire(envelope | {"v": 2})
    with pytest.raises(TamperedError):
        check_envelope_wire(envelope | {"ct": envelope["iv"]})
    with pytest.raises(TamperedError):
        check_envelope_wire([])


def test_message_round_trip() -> None:
    """A JSON payload comes back unchanged; the wire has exactly v, kid, iv, ct, sig."""
    payload = {"text": "héllo 🔐", "reply_to": None}
    wire = send(payload)
    assert list(wire) == ["v", "kid", "iv", "ct", "sig"]
    assert read(wire) == payload


def test_message_ivs_are_fresh() -> None:
    """Encrypting the same message twice gives different IVs and ciphertexts."""
    a, b = send({"text": "same"}), send({"text": "same"})
    assert a["iv"] != b["iv"] and a["ct"] != b["ct"]


def test_keys_may_be_a_lookup_function() -> None:
    """The key store can be a callable returning None for unknown ids."""
    wire = send({"text": "x"})
    assert read(wire, keys={ROOM.key_id: ROOM.key}.get) == {"text": "x"}
    with pytest.raises(NoKeyError):
        read(wire, keys=lambda kid: None)


@pytest.mark.parametrize(
    ("over", "error"),
    [
        ({"room_id": "13"}, BadSignatureError),
        ({"sender_id": "7"}, BadSignatureError),
        ({"message_id": MESSAGE_ID.replace("0b", "0c")}, BadSignatureError),
        ({"sender_sign_public_key": BOB_PUB.sign_public_key}, BadSignatureError),
        ({"keys": {}}, NoKeyError),
        ({"message_id": "nope"}, TamperedError),
    ],
)
def test_message_is_bound_to_its_context(over: dict, error: type[Exception]) -> None:
    """Another room, sender, id or key store yields the matching typed error."""
    with pytest.raises(error):
        read(send({"text": "x"}), **over)


def test_encrypt_refuses_bad_arguments() -> None:
    """Non-mapping payloads and non-UUID message ids are programming errors."""
    with pytest.raises(TypeError):
        send(["x"])
    with pytest.raises(TypeError):
        send({"text": "x"}, message_id="nope")


def test_message_shape_errors_are_typed() -> None:
    """Unknown versions are unsupported; everything else malformed is tampered."""
    wire = send({"text": "x"})
    with pytest.raises(UnsupportedError):
        check_message_wire(wire | {"v": 0})
    with pytest.raises(UnsupportedError):
        check_message_wire(wire | {"v": True})
    with pytest.raises(TamperedError):
        check_message_wire(wire | {"sig": wire["iv"]})
    with pytest.raises(TamperedError):
        check_message_wire("wire")
