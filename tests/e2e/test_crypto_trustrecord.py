"""The trust record: sealed to and signed by the user's own identity, versioned (PROTOCOL §16)."""

import pytest

from e2e import crypto

USER = "42"


@pytest.fixture(scope="module")
def owner() -> crypto.GeneratedIdentity:
    return crypto.generate_identity(USER)


def state(user: str = USER) -> dict:
    room = {"room": "12", "uid": "u-12", "since": 1, "head": {"index": 2, "hash": "h"}}
    return {"v": 1, "user": user, "pins": [], "rooms": [room]}


def open_as(owner: crypto.GeneratedIdentity, record: dict, **options) -> crypto.OpenedTrustRecord:
    verified = crypto.verify_public_identity(owner.public_identity, USER)
    return crypto.open_trust_record(
        record,
        user_id=options.pop("user_id", USER),
        sign_public_key=options.pop("sign_public_key", verified.sign_public_key),
        agreement_key=owner.agreement_key,
        **options,
    )


def seal(owner: crypto.GeneratedIdentity, version: int = 3) -> dict:
    return crypto.seal_trust_record(
        state(),
        user_id=USER,
        version=version,
        signing_key=owner.signing_key,
        agreement_key=owner.agreement_key,
    )


def test_round_trip(owner):
    """A sealed record opens to the same state and version for its owner."""
    opened = open_as(owner, seal(owner, 3), min_version=3)
    assert (opened.version, opened.state) == (3, state())


def test_wrong_user_is_refused(owner):
    """A record opened as another user id fails its signature."""
    with pytest.raises(crypto.BadSignatureError):
        open_as(owner, seal(owner), user_id="43")


def test_another_identity_is_refused(owner):
    """A record checked against another identity's key fails its signature."""
    other = crypto.verify_public_identity(crypto.generate_identity(USER).public_identity, USER)
    with pytest.raises(crypto.BadSignatureError):
        open_as(owner, seal(owner), sign_public_key=other.sign_public_key)


def test_tampered_ciphertext_is_refused(owner):
    """One changed ciphertext byte is caught by the signature."""
    record = seal(owner)
    ct = bytearray(crypto.b64u_decode(record["ct"]))
    ct[0] ^= 1
    with pytest.raises(crypto.BadSignatureError):
        open_as(owner, record | {"ct": crypto.b64u_encode(bytes(ct))})


def test_relabelled_version_is_refused(owner):
    """The version counter is signed: raising it on an old record breaks the signature."""
    with pytest.raises(crypto.BadSignatureError):
        open_as(owner, seal(owner, 3) | {"version": 4})


def test_older_version_is_refused(owner):
    """A record older than the newest seen on this device is a rollback."""
    with pytest.raises(crypto.RollbackError):
        open_as(owner, seal(owner, 3), min_version=4)


def test_state_of_another_user_is_refused(owner):
    """Sealing refuses a state that names another user."""
    with pytest.raises(crypto.TamperedError):
        crypto.seal_trust_record(
            state("43"),
            user_id=USER,
            version=1,
            signing_key=owner.signing_key,
            agreement_key=owner.agreement_key,
        )


def test_canonical_json_refuses_floats():
    """Canonical JSON carries integers only, so both languages encode the same bytes."""
    assert crypto.canonical_json({"b": 1, "a": [True, None, "é"]}) == '{"a":[true,null,"é"],"b":1}'
    with pytest.raises(TypeError):
        crypto.canonical_json({"a": 1.5})
