"""The Python crypto layer: membership attestations signed by a room key holder."""

import pytest

import e2e.crypto
from e2e.crypto import (
    LABELS,
    BadSignatureError,
    ParsedMembership,
    TamperedError,
    UnsupportedError,
    b64u_decode,
    b64u_encode,
    canonical,
    check_membership_wire,
    generate_identity,
    generate_room_key,
    sign_membership,
    u32,
    verify_membership,
    verify_public_identity,
)
from e2e.crypto.membership import _membership_signed_bytes

pytestmark: list[pytest.MarkDecorator] = []

ROOM = "a3c4e1f2-5b6d-4e7f-8a9b-0c1d2e3f4a5b"
OTHER_ROOM = "b3c4e1f2-5b6d-4e7f-8a9b-0c1d2e3f4a5b"
ALICE = generate_identity("42")
MALLORY = generate_identity("99")
ALICE_PUB = verify_public_identity(ALICE.public_identity, "42")
MALLORY_PUB = verify_public_identity(MALLORY.public_identity, "99")
EPOCH = generate_room_key()
NEXT_EPOCH = generate_room_key()


def alice_attests_bob(**over: object) -> dict:
    context: dict = {
        "room_id": ROOM,
        "key_id": EPOCH.key_id,
        "attester_id": "42",
        "member_id": "7",
        "signing_key": ALICE.signing_key,
    }
    return sign_membership(**(context | over))


def verify_bob(wire: object, **over: object) -> str:
    context: dict = {
        "room_id": ROOM,
        "attester_id": "42",
        "member_id": "7",
        "attester_sign_public_key": ALICE_PUB.sign_public_key,
    }
    return verify_membership(wire, **(context | over))


def flip(text: str) -> str:
    data = bytearray(b64u_decode(text))
    data[0] ^= 1
    return b64u_encode(bytes(data))


def test_an_attestation_is_exactly_v_kid_sig_and_verifies_to_its_key_id() -> None:
    """The wire holds only v, kid and sig; verifying returns the key id it names."""
    wire = alice_attests_bob()
    assert wire.keys() == {"v", "kid", "sig"}
    assert wire["v"] == 1
    assert wire["kid"] == EPOCH.key_id
    assert len(b64u_decode(wire["sig"])) == 64
    assert verify_bob(wire) == EPOCH.key_id


def test_the_same_inputs_give_the_same_attestation() -> None:
    """Ed25519 is deterministic, so an attestation is reproducible (and vector-checkable)."""
    assert alice_attests_bob() == alice_attests_bob()


def test_the_signed_bytes_are_the_canonical_encoding_under_the_membership_label() -> None:
    """Signed bytes: canonical("keyroom/v1/membership", u32(1), room, kid, attester, member)."""
    kid = b64u_decode(EPOCH.key_id)
    assert LABELS.membership == "keyroom/v1/membership"
    assert _membership_signed_bytes(ROOM, kid, "42", "7") == canonical(
        "keyroom/v1/membership", u32(1), ROOM, kid, "42", "7"
    )


@pytest.mark.parametrize(
    ("wire_over", "context_over"),
    [
        pytest.param({}, {"room_id": OTHER_ROOM}, id="another room"),
        pytest.param({}, {"member_id": "8"}, id="another member"),
        pytest.param({}, {"attester_id": "99"}, id="another attester id"),
        pytest.param({}, {"attester_id": "7", "member_id": "42"}, id="attester and member swapped"),
        pytest.param({"kid": NEXT_EPOCH.key_id}, {}, id="another key id"),
    ],
)
def test_the_signature_binds_room_key_id_attester_and_member(
    wire_over: dict, context_over: dict
) -> None:
    """Any change of room, key id, attester or member is a bad signature."""
    with pytest.raises(BadSignatureError):
        verify_bob(alice_attests_bob() | wire_over, **context_over)


def test_an_altered_signature_is_a_bad_signature() -> None:
    """One flipped bit of the signature fails verification."""
    wire = alice_attests_bob()
    with pytest.raises(BadSignatureError):
        verify_bob(wire | {"sig": flip(wire["sig"])})


def test_an_attestation_checks_only_against_the_named_attesters_pinned_key() -> None:
    """Alice's attestation fails under Mallory's key, whatever attester id is claimed."""
    wire = alice_attests_bob()
    with pytest.raises(BadSignatureError):
        verify_bob(wire, attester_sign_public_key=MALLORY_PUB.sign_public_key)
    with pytest.raises(BadSignatureError):
        verify_bob(wire, attester_id="99", attester_sign_public_key=MALLORY_PUB.sign_public_key)


def test_a_non_holder_cannot_attest_in_the_name_of_a_key_holder() -> None:
    """Mallory signing as attester 42 fails; her own attestation verifies only as hers."""
    with pytest.raises(BadSignatureError):
        verify_bob(alice_attests_bob(signing_key=MALLORY.signing_key))
    own = alice_attests_bob(attester_id="99", signing_key=MALLORY.signing_key)
    assert (
        verify_bob(own, attester_id="99", attester_sign_public_key=MALLORY_PUB.sign_public_key)
        == EPOCH.key_id
    )


@pytest.mark.parametrize("label", [LABELS.envelope_ad, LABELS.message_ad])
def test_a_signature_over_the_same_fields_under_another_label_is_refused(label: str) -> None:
    """The domain label separates an attestation from any other signed or AD input."""
    kid = b64u_decode(EPOCH.key_id)
    sig = ALICE.signing_key.sign(canonical(label, u32(1), ROOM, kid, "42", "7"))
    with pytest.raises(BadSignatureError):
        verify_bob(alice_attests_bob() | {"sig": b64u_encode(sig)})


WIRE = alice_attests_bob()


@pytest.mark.parametrize(
    "bad",
    [
        None,
        "membership",
        [WIRE],
        WIRE | {"member": "7"},
        {k: v for k, v in WIRE.items() if k != "sig"},
        WIRE | {"kid": b64u_encode(bytes(15))},
        WIRE | {"kid": b64u_encode(bytes(17))},
        WIRE | {"kid": 42},
        WIRE | {"sig": b64u_encode(bytes(63))},
        WIRE | {"sig": WIRE["sig"] + "=="},
        WIRE | {"sig": WIRE["sig"][:-1] + "*"},
    ],
)
def test_wrong_shapes_are_tampered(bad: object) -> None:
    """Not an object, wrong members, wrong sizes or bad base64url: tampered."""
    with pytest.raises(TamperedError):
        verify_bob(bad)
    with pytest.raises(TamperedError):
        check_membership_wire(bad)


@pytest.mark.parametrize(
    "bad",
    [
        WIRE | {"v": 2},
        WIRE | {"v": "1"},
        WIRE | {"v": True},
        WIRE | {"v": 1.0},
        {k: v for k, v in WIRE.items() if k != "v"},
    ],
)
def test_other_versions_are_unsupported(bad: dict) -> None:
    """Only the JSON integer 1 is a version this implementation accepts."""
    with pytest.raises(UnsupportedError):
        verify_bob(bad)
    with pytest.raises(UnsupportedError):
        check_membership_wire(bad)


@pytest.mark.parametrize("field", ["room_id", "attester_id", "member_id"])
@pytest.mark.parametrize("value", ["", "x" * 257, "\ud800", 7, None])
def test_invalid_context_ids_are_tampered(field: str, value: object) -> None:
    """An empty, overlong, non-UTF-8 or non-string id from context is tampered."""
    with pytest.raises(TamperedError):
        verify_bob(WIRE, **{field: value})


def test_check_membership_wire_returns_the_decoded_fields() -> None:
    """The shape check gives the key id, its 16 bytes and the 64-byte signature."""
    assert check_membership_wire(WIRE) == ParsedMembership(
        key_id=EPOCH.key_id, kid=b64u_decode(EPOCH.key_id), sig=b64u_decode(WIRE["sig"])
    )


@pytest.mark.parametrize(
    "over",
    [
        {"room_id": ""},
        {"member_id": 7},
        {"attester_id": None},
        {"key_id": "short"},
        {"signing_key": b"\x00" * 32},
    ],
)
def test_wrong_signing_arguments_are_type_errors(over: dict) -> None:
    """A wrong argument from our own code is a TypeError, not a crypto error."""
    with pytest.raises(TypeError):
        alice_attests_bob(**over)


def test_a_short_public_key_is_a_type_error() -> None:
    """The caller passes a 32-byte pinned key; anything else is a programming error."""
    with pytest.raises(TypeError):
        verify_bob(WIRE, attester_sign_public_key=ALICE_PUB.sign_public_key[:31])


def test_the_package_exports_the_membership_api() -> None:
    """e2e.crypto exposes sign/verify/check and the parsed type."""
    for name in ("sign_membership", "verify_membership", "check_membership_wire"):
        assert name in e2e.crypto.__all__
    assert "ParsedMembership" in e2e.crypto.__all__
