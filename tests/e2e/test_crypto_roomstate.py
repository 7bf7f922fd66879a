"""The Python crypto layer: the signed room-state chain (docs/PROTOCOL.md §15)."""

import hashlib
import hmac
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

import e2e.crypto.roomstate.chain as roomstate_chain
from e2e.crypto import (
    ERRORS_BY_CODE,
    LABELS,
    TS_SKEW_MS,
    BadChainError,
    BadSignatureError,
    ChainKey,
    ChainState,
    Ident,
    KeyroomCryptoError,
    RoomKey,
    TamperedError,
    UnsupportedError,
    b64u_decode,
    b64u_encode,
    canonical,
    check_entry_wire,
    entry_hash,
    entry_signed_bytes,
    generate_identity,
    generate_room_key,
    key_commitment,
    key_proof,
    member_ident,
    sign_entry,
    u32,
    verify_chain,
)
from e2e.crypto.roomstate.wire import u64

pytestmark: list[pytest.MarkDecorator] = []

ROOM = "a3c4e1f2-5b6d-4e7f-8a9b-0c1d2e3f4a5b"
OTHER_ROOM = "b3c4e1f2-5b6d-4e7f-8a9b-0c1d2e3f4a5b"
# "10" sorts before "7" and "9" by UTF-8 bytes: the genesis order is not numeric.
ALICE, BOB, CAROL, DAVE, MALLORY = "10", "7", "9", "8", "99"
IDS = {user: generate_identity(user) for user in (ALICE, BOB, CAROL, DAVE, MALLORY)}
DAVE_2 = generate_identity(DAVE)
K1, K2, K3 = generate_room_key(), generate_room_key(), generate_room_key()
# 2026-03-04T00:00:00Z: the genesis's ts; each later entry is a second after the one before.
T0 = 1_772_582_400_000


def pub(user: str) -> dict[str, Any]:
    return IDS[user].public_identity


def ident(public: dict[str, Any]) -> Ident:
    return Ident(*(b64u_decode(public[name]) for name in ("ed25519", "x25519", "sig")))


def commit(key: RoomKey, room_id: str = ROOM) -> str:
    return b64u_encode(key_commitment(room_id=room_id, key_id=key.key_id, key=key.key))


def genesis_body(
    members: dict[str, dict[str, Any] | None], key: RoomKey = K1, share_history: bool = False
) -> dict[str, Any]:
    ordered = sorted(members, key=lambda user: user.encode())
    return {
        "key_id": key.key_id,
        "commit": commit(key),
        "share_history": share_history,
        "members": [{"user": user, **member_ident(members[user])} for user in ordered],
    }


def key_body(epoch: int, key: RoomKey, previous: RoomKey, author: str) -> dict[str, Any]:
    proof = key_proof(
        room_id=ROOM,
        epoch=epoch,
        previous_key_id=previous.key_id,
        previous_key=previous.key,
        key_id=key.key_id,
        commit=b64u_decode(commit(key)),
        author=author,
    )
    return {
        "epoch": epoch,
        "key_id": key.key_id,
        "commit": commit(key),
        "proof": b64u_encode(proof),
    }


def user_body(user: str, public: dict[str, Any] | None) -> dict[str, Any]:
    return {"user": user, **member_ident(public)}


class Chain:
    """Entries signed one after the other, each chained to the previous one's hash."""

    def __init__(self, entries: list[dict[str, Any]] | None = None) -> None:
        self.entries = list(entries or [])
        self.head = entry_hash(ROOM, self.entries[-1]) if self.entries else None
        self.ts = self.entries[-1]["ts"] if self.entries else None

    def add(
        self,
        type_: str,
        author: str,
        body: dict[str, Any],
        *,
        key: Ed25519PrivateKey | None = None,
        index: int | None = None,
        prev: bytes | str | None = "head",
        ts: int | None = None,
    ) -> dict[str, Any]:
        if ts is None:
            ts = T0 if self.ts is None else self.ts + 1000
        wire = sign_entry(
            room_id=ROOM,
            index=len(self.entries) if index is None else index,
            prev=self.head if prev == "head" else prev,  # type: ignore[arg-type]
            type=type_,
            author=author,
            ts=ts,
            body=body,
            signing_key=key or IDS[author].signing_key,
        )
        self.entries.append(wire)
        self.head = entry_hash(ROOM, wire)
        self.ts = ts
        return wire

    def fork(self) -> "Chain":
        return Chain(self.entries)


def started() -> Chain:
    """Return a chain holding only a genesis: Alice, Bob, and Carol without an identity."""
    chain = Chain()
    chain.add("genesis", ALICE, genesis_body({ALICE: pub(ALICE), BOB: pub(BOB), CAROL: None}))
    return chain


def realistic() -> Chain:
    """Return a chain with every entry type (the shape of the stored vectors)."""
    chain = started()
    chain.add("member_added", ALICE, user_body(DAVE, pub(DAVE)))
    chain.add("identity", BOB, user_body(CAROL, pub(CAROL)))
    chain.add("member_removed", ALICE, {"user": BOB})
    chain.add("key", ALICE, key_body(2, K2, K1, ALICE))
    chain.add("policy", CAROL, {"share_history": True})
    chain.add("identity", ALICE, user_body(DAVE, DAVE_2.public_identity))
    return chain


def verify(chain: Chain, **kwargs: Any) -> ChainState:
    return verify_chain(chain.entries, room_id=ROOM, **kwargs)


def fails(error: type[KeyroomCryptoError], chain: Chain, **kwargs: Any) -> None:
    """Assert that verifying ``chain`` raises exactly ``error``."""
    with pytest.raises(KeyroomCryptoError) as info:
        verify(chain, **kwargs)
    assert type(info.value) is error, repr(info.value)


# Round trips, signed bytes, hash, commitment and proof.


def test_bad_chain_is_a_registered_error_code() -> None:
    """BadChainError has code bad_chain and is looked up by it like the other codes."""
    assert BadChainError.code == "bad_chain"
    assert ERRORS_BY_CODE["bad_chain"] is BadChainError
    assert issubclass(BadChainError, KeyroomCryptoError)


def test_a_signed_entry_has_the_wire_members_and_parses_back() -> None:
    """sign_entry gives exactly the §15.1 members; check_entry_wire decodes them."""
    wire = started().entries[0]
    assert wire.keys() == {*("v", "index", "prev", "type", "author", "ts", "signer", "body", "sig")}
    assert (wire["v"], wire["index"], wire["prev"], wire["type"]) == (1, 0, "", "genesis")
    assert (wire["signer"], wire["ts"]) == (pub(ALICE)["ed25519"], T0)
    parsed = check_entry_wire(wire)
    assert (parsed.index, parsed.prev, parsed.author, parsed.ts) == (0, b"", ALICE, T0)
    assert parsed.signer == b64u_decode(pub(ALICE)["ed25519"])
    assert [m.user for m in parsed.body.members] == [ALICE, BOB, CAROL]  # type: ignore[union-attr]
    assert parsed.body.members[2].ident is None  # type: ignore[union-attr]


def test_signing_is_deterministic_and_copies_the_body() -> None:
    """The same inputs give the same entry, and later edits to the body dict do not leak in."""
    body = user_body(DAVE, pub(DAVE))
    args: dict[str, Any] = {"room_id": ROOM, "index": 1, "prev": bytes(32), "type": "member_added"}
    args["ts"] = T0
    first = sign_entry(**args, author=ALICE, body=body, signing_key=IDS[ALICE].signing_key)
    body["user"] = MALLORY
    second = sign_entry(
        **args, author=ALICE, body=user_body(DAVE, pub(DAVE)), signing_key=IDS[ALICE].signing_key
    )
    assert first == second


@pytest.mark.parametrize(
    ("type_", "body"),
    [
        ("member_added", {"user": DAVE}),
        ("identity", user_body(DAVE, None)),
        ("party", {"user": DAVE}),
        ("genesis", genesis_body({BOB: pub(BOB)})),
    ],
)
def test_sign_entry_refuses_an_entry_that_would_not_pass_the_shape_check(
    type_: str, body: dict[str, Any]
) -> None:
    """Signing a malformed entry is a programming error (ValueError), not a signed bad entry."""
    with pytest.raises(ValueError):
        sign_entry(
            room_id=ROOM,
            index=0,
            prev=None,
            type=type_,
            author=ALICE,
            ts=T0,
            body=body,
            signing_key=IDS[ALICE].signing_key,
        )


@pytest.mark.parametrize("ts", [-1, 2**53, 1.5, True, "1772582400000", None])
def test_sign_entry_refuses_a_ts_that_is_not_an_integer_below_2_53(ts: object) -> None:
    """A ts outside 0 .. 2^53 - 1, or not a JSON integer, is never signed."""
    with pytest.raises(ValueError):
        sign_entry(
            room_id=ROOM,
            index=0,
            prev=None,
            type="genesis",
            author=ALICE,
            ts=ts,  # type: ignore[arg-type]
            body=genesis_body({ALICE: pub(ALICE)}),
            signing_key=IDS[ALICE].signing_key,
        )


def test_the_signed_bytes_and_hash_are_the_canonical_encodings_of_section_15() -> None:
    """signed = canonical(room-state, u32(1), room, u32(index), prev, type, author, u64(ts),
    signer, body) and hash = SHA-256(canonical(room-state-hash, signed, sig))."""
    chain = started()
    wire = chain.add("member_removed", ALICE, {"user": BOB})
    prev = entry_hash(ROOM, chain.entries[0])
    body_bytes = canonical("keyroom/v1/room-state/member_removed", BOB)
    signer = b64u_decode(pub(ALICE)["ed25519"])
    signed = canonical(
        "keyroom/v1/room-state",
        u32(1),
        ROOM,
        u32(1),
        prev,
        "member_removed",
        ALICE,
        (T0 + 1000).to_bytes(8, "big"),
        signer,
        body_bytes,
    )
    assert entry_signed_bytes(ROOM, wire) == signed
    sig = b64u_decode(wire["sig"])
    expected_hash = hashlib.sha256(canonical("keyroom/v1/room-state-hash", signed, sig)).digest()
    assert entry_hash(ROOM, wire) == expected_hash
    assert wire["prev"] == b64u_encode(prev)


def test_the_genesis_body_bytes_list_count_and_every_member_with_empty_fields_for_none() -> None:
    """Genesis body: kid, commit, u32(share_history), u32(count), then user and ident fields."""
    wire = started().entries[0]
    a, b = ident(pub(ALICE)), ident(pub(BOB))
    body_bytes = canonical(
        "keyroom/v1/room-state/genesis",
        b64u_decode(K1.key_id),
        b64u_decode(commit(K1)),
        u32(0),
        u32(3),
        *(ALICE, a.ed25519, a.x25519, a.sig),
        *(BOB, b.ed25519, b.x25519, b.sig),
        *(CAROL, b"", b"", b""),
    )
    assert entry_signed_bytes(ROOM, wire).endswith(u32(len(body_bytes)) + body_bytes)


def test_the_key_commitment_is_hmac_under_an_hkdf_key_bound_to_room_and_key_id() -> None:
    """commit = HMAC(HKDF(key, 32 zero bytes, key-commit-kdf info), key-commit data)."""
    kid = b64u_decode(K1.key_id)
    info = canonical("keyroom/v1/key-commit-kdf", u32(1), ROOM, kid)
    ck = HKDF(algorithm=hashes.SHA256(), length=32, salt=bytes(32), info=info).derive(K1.key)
    expected = hmac.digest(ck, canonical("keyroom/v1/key-commit", u32(1), ROOM, kid), "sha256")
    assert key_commitment(room_id=ROOM, key_id=K1.key_id, key=K1.key) == expected
    assert key_commitment(room_id=OTHER_ROOM, key_id=K1.key_id, key=K1.key) != expected
    assert key_commitment(room_id=ROOM, key_id=K2.key_id, key=K1.key) != expected


def test_the_key_proof_is_hmac_under_the_previous_key_over_the_new_keys_fields() -> None:
    """proof = HMAC(HKDF(previous key), key-proof(u32(1), room, epoch, ids, commit, author))."""
    prev_kid, kid, cm = b64u_decode(K1.key_id), b64u_decode(K2.key_id), b64u_decode(commit(K2))
    info = canonical("keyroom/v1/key-proof-kdf", u32(1), ROOM, prev_kid)
    pk = HKDF(algorithm=hashes.SHA256(), length=32, salt=bytes(32), info=info).derive(K1.key)
    data = canonical("keyroom/v1/key-proof", u32(1), ROOM, u32(2), prev_kid, kid, cm, ALICE)
    args: dict[str, Any] = {
        "room_id": ROOM,
        "epoch": 2,
        "previous_key_id": K1.key_id,
        "previous_key": K1.key,
        "key_id": K2.key_id,
        "commit": cm,
        "author": ALICE,
    }
    assert key_proof(**args) == hmac.digest(pk, data, "sha256")
    assert key_proof(**(args | {"author": BOB})) != key_proof(**args)
    assert key_proof(**(args | {"epoch": 3})) != key_proof(**args)


def test_the_labels_are_the_ones_of_section_15() -> None:
    """The domain labels are registered with their exact text."""
    assert (LABELS.room_state, LABELS.room_state_hash) == (
        "keyroom/v1/room-state",
        "keyroom/v1/room-state-hash",
    )
    assert LABELS.room_state_member_added == "keyroom/v1/room-state/member_added"
    assert (LABELS.key_commit_kdf, LABELS.key_commit) == (
        "keyroom/v1/key-commit-kdf",
        "keyroom/v1/key-commit",
    )
    assert (LABELS.key_proof_kdf, LABELS.key_proof) == (
        "keyroom/v1/key-proof-kdf",
        "keyroom/v1/key-proof",
    )


def test_member_ident_takes_the_three_fields_or_three_empty_strings() -> None:
    """A §3 identity becomes its ed25519, x25519 and sig; none becomes three empty strings."""
    p = pub(BOB)
    assert member_ident(p) == {"ed25519": p["ed25519"], "x25519": p["x25519"], "sig": p["sig"]}
    assert member_ident(None) == {"ed25519": "", "x25519": "", "sig": ""}
    assert ident(p).wire() == member_ident(p)


# The state.


def test_the_state_after_a_realistic_chain() -> None:
    """Members, identities, joined, epochs, keys, policy, starter, length and head as §15.5 says."""
    chain = realistic()
    state = verify(chain, keys={K1.key_id: K1.key, K2.key_id: K2.key})
    assert state.members == {
        ALICE: ident(pub(ALICE)),
        CAROL: ident(pub(CAROL)),
        DAVE: ident(DAVE_2.public_identity),
    }
    assert state.identities == {
        ALICE: [ident(pub(ALICE))],
        BOB: [ident(pub(BOB))],
        CAROL: [ident(pub(CAROL))],
        DAVE: [ident(pub(DAVE)), ident(DAVE_2.public_identity)],
    }
    assert state.joined == {ALICE: 1, BOB: 1, CAROL: 1, DAVE: 1}
    assert (state.epoch, state.current_key_id) == (2, K2.key_id)
    assert state.keys == {
        K1.key_id: ChainKey(1, b64u_decode(commit(K1)), ALICE, 0, True),
        K2.key_id: ChainKey(2, b64u_decode(commit(K2)), ALICE, 4, True),
    }
    assert state.share_history is True
    assert state.starter == ALICE
    assert (state.length, state.head) == (7, entry_hash(ROOM, chain.entries[-1]))
    assert (state.started_ts, state.head_ts) == (T0, T0 + 6000)


def test_joined_is_the_epoch_current_when_the_member_was_last_added() -> None:
    """A member added after a rotation joined at that epoch; re-adding updates it."""
    chain = started()
    chain.add("key", ALICE, key_body(2, K2, K1, ALICE))
    chain.add("member_added", ALICE, user_body(DAVE, None))
    chain.add("member_removed", ALICE, {"user": BOB})
    chain.add("key", ALICE, key_body(3, K3, K2, ALICE))
    chain.add("member_added", ALICE, user_body(BOB, pub(BOB)))
    state = verify(chain)
    assert (state.joined[DAVE], state.joined[BOB], state.joined[ALICE]) == (2, 3, 1)
    assert state.members[DAVE] is None
    assert state.identities[BOB] == [ident(pub(BOB))]


def test_an_empty_list_gives_the_empty_state() -> None:
    """No entries: no members, epoch 0, no head."""
    assert verify_chain([], room_id=ROOM) == ChainState()


def test_proofs_are_checked_only_when_the_previous_key_is_held() -> None:
    """Without the previous key a rotation is accepted unproven; with it, it is proven."""
    chain = started()
    chain.add("key", ALICE, key_body(2, K2, K1, ALICE))
    chain.add("key", ALICE, key_body(3, K3, K2, ALICE))
    state = verify(chain, keys={K2.key_id: K2.key})
    assert [state.keys[k.key_id].proven for k in (K1, K2, K3)] == [True, False, True]
    state = verify(chain)
    assert [state.keys[k.key_id].proven for k in (K1, K2, K3)] == [True, False, False]


def test_a_wrong_proof_passes_unproven_when_the_previous_key_is_not_held() -> None:
    """A proof made with another key cannot be checked without the previous key, so it stands."""
    chain = started()
    chain.add("key", ALICE, key_body(2, K2, K3, ALICE))
    assert verify(chain, keys={K2.key_id: K2.key}).keys[K2.key_id].proven is False


def test_verification_continues_from_a_state() -> None:
    """Verifying a prefix then the rest from its state gives the whole chain's state."""
    chain = realistic()
    keys = {K1.key_id: K1.key}
    prefix = verify_chain(chain.entries[:3], room_id=ROOM, keys=keys)
    assert verify_chain(chain.entries[3:], room_id=ROOM, keys=keys, state=prefix) == verify(
        chain, keys=keys
    )


def test_a_continuation_must_start_at_the_states_length() -> None:
    """Entries that do not follow the state's head are a bad chain."""
    chain = realistic()
    prefix = verify_chain(chain.entries[:3], room_id=ROOM)
    with pytest.raises(BadChainError):
        verify_chain(chain.entries[4:], room_id=ROOM, state=prefix)
    with pytest.raises(BadChainError):
        verify_chain(chain.entries[2:], room_id=ROOM, state=prefix)


def test_the_input_state_is_never_mutated() -> None:
    """Continuing from a state, whether it succeeds or fails, leaves that state as it was."""
    chain = realistic()
    prefix = verify_chain(chain.entries[:3], room_id=ROOM)
    snapshot = prefix.copy()
    identities_before = {user: list(idents) for user, idents in prefix.identities.items()}
    verify_chain(chain.entries[3:], room_id=ROOM, state=prefix)
    bad = chain.fork()
    bad.add("member_removed", ALICE, {"user": MALLORY})
    with pytest.raises(BadChainError):
        verify_chain(bad.entries[3:], room_id=ROOM, state=prefix)
    assert prefix == snapshot
    assert prefix.identities == identities_before


def test_copy_is_independent() -> None:
    """Changing a copy's members and identity lists leaves the original unchanged."""
    state = verify(realistic())
    other = state.copy()
    other.members.clear()
    other.identities[DAVE].clear()
    assert state.members and state.identities[DAVE]


def test_a_large_genesis_and_a_long_chain_verify() -> None:
    """A 500-member genesis then about a thousand removals and re-additions verify."""
    users = {str(n): generate_identity(str(n)) for n in range(1000, 1500)}
    members: dict[str, dict[str, Any] | None] = {u: i.public_identity for u, i in users.items()}
    chain = Chain()
    starter = users["1000"].signing_key
    chain.add("genesis", "1000", genesis_body(members), key=starter)
    for user in list(users)[1:]:
        chain.add("member_removed", "1000", {"user": user}, key=starter)
        chain.add("member_added", "1000", user_body(user, members[user]), key=starter)
    state = verify(chain)
    assert state.length == 999
    assert state.members == {u: ident(i.public_identity) for u, i in users.items()}


def test_an_identity_is_verified_once_per_chain(monkeypatch: pytest.MonkeyPatch) -> None:
    """Re-adding a member with an identity the chain already verified does not verify it again."""
    calls: list[str] = []
    real = roomstate_chain.verify_public_identity

    def counting(obj: object, user_id: str) -> Any:
        calls.append(user_id)
        return real(obj, user_id)

    monkeypatch.setattr(roomstate_chain, "verify_public_identity", counting)
    chain = started()
    chain.add("member_removed", ALICE, {"user": BOB})
    chain.add("member_added", ALICE, user_body(BOB, pub(BOB)))
    verify(chain)
    assert sorted(calls) == sorted([ALICE, BOB])


# §15.1 shape: tampered (unsupported for v).

GENESIS = started().entries[0]


def _without(obj: dict[str, Any], name: str) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if k != name}


def _genesis_with(**over: Any) -> dict[str, Any]:
    return GENESIS | {"body": GENESIS["body"] | over}


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param(None, id="not an object"),
        pytest.param([GENESIS], id="a list"),
        pytest.param(GENESIS | {"room": ROOM}, id="extra wire member"),
        pytest.param(_without(GENESIS, "signer"), id="missing signer"),
        pytest.param(_genesis_with(note="x"), id="extra body member"),
        pytest.param(
            GENESIS | {"body": _without(GENESIS["body"], "commit")}, id="missing body member"
        ),
        pytest.param(GENESIS | {"index": True}, id="boolean index"),
        pytest.param(GENESIS | {"index": -1}, id="negative index"),
        pytest.param(GENESIS | {"index": 2**32}, id="index too large"),
        pytest.param(GENESIS | {"index": 0.0}, id="float index"),
        pytest.param(_without(GENESIS, "ts"), id="missing ts"),
        pytest.param(GENESIS | {"ts": -1}, id="negative ts"),
        pytest.param(GENESIS | {"ts": 2**53}, id="ts of 2^53"),
        pytest.param(GENESIS | {"ts": T0 + 0.5}, id="float ts"),
        pytest.param(GENESIS | {"ts": float(T0)}, id="integral float ts"),
        pytest.param(GENESIS | {"ts": True}, id="boolean ts"),
        pytest.param(GENESIS | {"ts": str(T0)}, id="string ts"),
        pytest.param(GENESIS | {"ts": None}, id="null ts"),
        pytest.param(GENESIS | {"prev": b64u_encode(bytes(31))}, id="31-byte prev"),
        pytest.param(GENESIS | {"type": "party"}, id="unknown type"),
        pytest.param(GENESIS | {"author": ""}, id="empty author"),
        pytest.param(GENESIS | {"author": 10}, id="integer author"),
        pytest.param(GENESIS | {"signer": GENESIS["signer"] + "=="}, id="padded signer"),
        pytest.param(GENESIS | {"sig": b64u_encode(bytes(63))}, id="63-byte sig"),
        pytest.param(_genesis_with(key_id=b64u_encode(bytes(15))), id="15-byte key id"),
        pytest.param(_genesis_with(share_history=0), id="integer share_history"),
        pytest.param(_genesis_with(members=[]), id="no members"),
        pytest.param(
            _genesis_with(members=list(reversed(GENESIS["body"]["members"]))), id="unsorted members"
        ),
        pytest.param(
            _genesis_with(members=[GENESIS["body"]["members"][0]] * 2), id="duplicate member"
        ),
        pytest.param(
            _genesis_with(members=GENESIS["body"]["members"][1:]), id="author not a member"
        ),
        pytest.param(
            _genesis_with(members=[GENESIS["body"]["members"][0] | {"x25519": ""}]),
            id="partly empty identity",
        ),
        pytest.param(
            _genesis_with(members=[GENESIS["body"]["members"][0] | {"v": 1}]),
            id="extra member field",
        ),
    ],
)
def test_wrong_shapes_are_tampered(bad: object) -> None:
    """Every §15.1 shape rule: check_entry_wire and verify_chain both answer tampered."""
    with pytest.raises(TamperedError):
        check_entry_wire(bad)
    with pytest.raises(TamperedError):
        verify_chain([bad], room_id=ROOM)


@pytest.mark.parametrize(
    "bad",
    [GENESIS | {"v": 2}, GENESIS | {"v": "1"}, GENESIS | {"v": True}, _without(GENESIS, "v")],
)
def test_other_versions_are_unsupported(bad: dict[str, Any]) -> None:
    """Only the JSON integer 1 is an accepted version."""
    with pytest.raises(UnsupportedError):
        check_entry_wire(bad)


def test_an_identity_entry_without_an_identity_is_tampered() -> None:
    """The identity type needs a non-empty identity."""
    wire = realistic().entries[2]
    with pytest.raises(TamperedError):
        check_entry_wire(wire | {"body": user_body(CAROL, None)})


def test_a_key_epoch_must_be_a_u32_integer() -> None:
    """A key entry's epoch is a JSON integer in u32 range."""
    wire = realistic().entries[4]
    for epoch in (True, "2", -1, 2**32, 2.0):
        with pytest.raises(TamperedError):
            check_entry_wire(wire | {"body": wire["body"] | {"epoch": epoch}})


# §15.5, one rule each, in order.


def test_rule_2_the_index_is_its_position() -> None:
    """An entry whose index is not its position is a bad chain."""
    chain = started()
    chain.add("member_removed", ALICE, {"user": BOB}, index=2)
    fails(BadChainError, chain)


def test_rule_2_prev_is_the_hash_of_the_entry_before() -> None:
    """An entry whose prev names anything but the previous entry's hash is a bad chain."""
    chain = started()
    chain.add("member_removed", ALICE, {"user": BOB}, prev=bytes(32))
    fails(BadChainError, chain)


def test_rule_2_prev_is_empty_at_index_0() -> None:
    """A genesis with a non-empty prev is a bad chain."""
    chain = Chain()
    chain.add("genesis", ALICE, genesis_body({ALICE: pub(ALICE)}), prev=bytes(32))
    fails(BadChainError, chain)


def test_rule_2_an_empty_prev_after_index_0_is_a_bad_chain() -> None:
    """Only the genesis may have an empty prev."""
    chain = started()
    chain.add("member_removed", ALICE, {"user": BOB}, prev=None)
    fails(BadChainError, chain)


def test_u64_is_eight_big_endian_bytes() -> None:
    """ts is signed as 8 big-endian bytes (§15.2)."""
    assert u64(T0) == bytes.fromhex("0000019cb624f000")
    assert u64(2**53 - 1) == bytes.fromhex("001fffffffffffff")


def test_rule_2_a_ts_may_be_up_to_the_skew_before_the_previous_one() -> None:
    """An entry signed exactly ten minutes before the one it follows verifies; the head's ts and
    the genesis's are kept apart."""
    assert TS_SKEW_MS == 10 * 60 * 1000
    chain = started()
    chain.add("member_removed", ALICE, {"user": BOB}, ts=T0 + TS_SKEW_MS)
    chain.add("member_added", ALICE, user_body(BOB, pub(BOB)), ts=T0)
    state = verify(chain)
    assert (state.started_ts, state.head_ts) == (T0, T0)


def test_rule_2_a_ts_further_back_than_the_skew_is_a_bad_chain() -> None:
    """An entry claiming a time more than ten minutes before the entry it follows is refused."""
    chain = started()
    chain.add("member_removed", ALICE, {"user": BOB}, ts=T0 + TS_SKEW_MS)
    chain.add("member_added", ALICE, user_body(BOB, pub(BOB)), ts=T0 - 1)
    fails(BadChainError, chain)


def test_rule_2_the_skew_is_checked_against_a_continued_state() -> None:
    """Continuing from a state compares with that state's head ts."""
    chain = started()
    chain.add("member_removed", ALICE, {"user": BOB}, ts=T0 + 2 * TS_SKEW_MS)
    prefix = verify_chain(chain.entries, room_id=ROOM)
    chain.add("member_added", ALICE, user_body(BOB, pub(BOB)), ts=T0 + TS_SKEW_MS - 1)
    with pytest.raises(BadChainError):
        verify_chain(chain.entries[2:], room_id=ROOM, state=prefix)


def test_rule_2_a_genesis_may_have_any_ts() -> None:
    """The genesis has no entry before it: ts 0 verifies."""
    chain = Chain()
    chain.add("genesis", ALICE, genesis_body({ALICE: pub(ALICE)}), ts=0)
    assert verify(chain).started_ts == 0


def test_rule_5_an_altered_ts_is_a_bad_signature() -> None:
    """ts is signed: changing it breaks the signature."""
    chain = started()
    wire = chain.add("member_removed", ALICE, {"user": BOB})
    wire["ts"] += 1
    fails(BadSignatureError, chain)


def test_rule_3_a_genesis_is_only_at_index_0() -> None:
    """A second genesis is a bad chain."""
    chain = started()
    chain.add("genesis", ALICE, genesis_body({ALICE: pub(ALICE)}, key=K2), index=1)
    fails(BadChainError, chain)


def test_rule_3_index_0_is_a_genesis() -> None:
    """A chain that starts with anything but a genesis is a bad chain."""
    chain = Chain()
    chain.add("member_added", ALICE, user_body(DAVE, pub(DAVE)))
    fails(BadChainError, chain)


def test_rule_4_the_author_is_a_current_member() -> None:
    """An outsider's entry, correctly signed with her own key, is a bad chain."""
    chain = started()
    chain.add("member_added", MALLORY, user_body(DAVE, pub(DAVE)))
    fails(BadChainError, chain)


def test_rule_4_a_removed_member_is_no_longer_an_author() -> None:
    """After Bob's removal his entries are a bad chain."""
    chain = started()
    chain.add("member_removed", ALICE, {"user": BOB})
    chain.add("member_added", BOB, user_body(DAVE, pub(DAVE)))
    fails(BadChainError, chain)


def test_rule_4_the_author_has_an_identity() -> None:
    """Carol, a member without an identity, cannot author an entry."""
    chain = started()
    chain.add("policy", CAROL, {"share_history": True})
    fails(BadChainError, chain)


def test_rule_4_the_genesis_author_has_an_identity() -> None:
    """A genesis whose author is listed without an identity is a bad chain."""
    chain = Chain()
    chain.add("genesis", ALICE, genesis_body({ALICE: None, BOB: pub(BOB)}))
    fails(BadChainError, chain)


def test_rule_4_the_signer_is_the_authors_recorded_key() -> None:
    """Bob signing (validly) an entry in Alice's name is a bad chain, not a bad signature."""
    chain = started()
    chain.add("member_added", ALICE, user_body(DAVE, pub(DAVE)), key=IDS[BOB].signing_key)
    fails(BadChainError, chain)


def test_rule_4_the_signer_is_the_genesis_authors_listed_key() -> None:
    """A genesis signed by a key other than the author's listed one is a bad chain."""
    chain = Chain()
    chain.add("genesis", ALICE, genesis_body({ALICE: pub(ALICE)}), key=IDS[BOB].signing_key)
    fails(BadChainError, chain)


def test_rule_5_the_signature_verifies() -> None:
    """A flipped signature bit is a bad signature."""
    chain = started()
    wire = chain.add("member_removed", ALICE, {"user": BOB})
    sig = bytearray(b64u_decode(wire["sig"]))
    sig[0] ^= 1
    wire["sig"] = b64u_encode(bytes(sig))
    fails(BadSignatureError, chain)


def test_rule_5_the_signature_binds_the_room() -> None:
    """A chain verified as another room's is a bad signature at its genesis."""
    with pytest.raises(BadSignatureError):
        verify_chain(started().entries, room_id=OTHER_ROOM)


def test_rule_5_an_altered_body_is_a_bad_signature() -> None:
    """Changing a signed body field (here the removed user) breaks the signature."""
    chain = started()
    wire = chain.add("member_removed", ALICE, {"user": BOB})
    wire["body"] = {"user": CAROL}
    fails(BadSignatureError, chain)


def test_rules_are_checked_in_order() -> None:
    """A wrong index beats a bad signature, and a bad signature beats a broken type rule."""
    chain = started()
    wire = chain.add("member_removed", ALICE, {"user": MALLORY}, index=5)
    wire["sig"] = b64u_encode(bytes(64))
    fails(BadChainError, chain)
    chain = started()
    wire = chain.add("member_removed", ALICE, {"user": MALLORY})
    wire["sig"] = b64u_encode(bytes(64))
    fails(BadSignatureError, chain)


def _bad_ident(user: str) -> dict[str, Any]:
    """Return ``user``'s identity with a flipped bit in its self-signature."""
    public = dict(pub(user))
    sig = bytearray(b64u_decode(public["sig"]))
    sig[0] ^= 1
    return public | {"sig": b64u_encode(bytes(sig))}


@pytest.mark.parametrize(
    "build",
    [
        pytest.param(
            lambda c: c.add(
                "genesis", ALICE, genesis_body({ALICE: pub(ALICE), BOB: _bad_ident(BOB)})
            ),
            id="genesis member",
        ),
        pytest.param(
            lambda c: c.add("genesis", ALICE, genesis_body({ALICE: _bad_ident(ALICE)})),
            id="genesis author",
        ),
        pytest.param(
            lambda c: c.add("genesis", ALICE, genesis_body({ALICE: pub(ALICE), BOB: pub(DAVE)})),
            id="another user's identity",
        ),
    ],
)
def test_rule_6_every_genesis_identity_verifies_as_its_users(build: Callable[[Chain], Any]) -> None:
    """A genesis member identity whose §3 signature fails for its user is a bad chain."""
    chain = Chain()
    build(chain)
    fails(BadChainError, chain)


def test_rule_6_an_added_members_identity_verifies() -> None:
    """member_added with a broken identity is a bad chain."""
    chain = started()
    chain.add("member_added", ALICE, user_body(DAVE, _bad_ident(DAVE)))
    fails(BadChainError, chain)


def test_rule_6_an_accepted_identity_verifies() -> None:
    """An identity entry with another user's identity is a bad chain."""
    chain = started()
    chain.add("identity", ALICE, user_body(CAROL, pub(DAVE)))
    fails(BadChainError, chain)


def test_rule_6_member_added_is_not_a_current_member() -> None:
    """Adding Bob, already a member, is a bad chain."""
    chain = started()
    chain.add("member_added", ALICE, user_body(BOB, pub(BOB)))
    fails(BadChainError, chain)


def test_rule_6_member_removed_is_a_current_member() -> None:
    """Removing Mallory, never a member, is a bad chain."""
    chain = started()
    chain.add("member_removed", ALICE, {"user": MALLORY})
    fails(BadChainError, chain)


def test_rule_6_a_member_may_remove_themself() -> None:
    """Bob leaving (authoring his own removal) is allowed."""
    chain = started()
    chain.add("member_removed", BOB, {"user": BOB})
    assert BOB not in verify(chain).members


def test_rule_6_a_key_epoch_is_the_next_one() -> None:
    """A key for epoch 3 right after epoch 1 is a bad chain (and so is epoch 1 again)."""
    for epoch in (3, 1):
        chain = started()
        chain.add("key", ALICE, key_body(epoch, K2, K1, ALICE))
        fails(BadChainError, chain)


def test_rule_6_a_key_id_is_never_reused() -> None:
    """A rotation naming the genesis key id, or an earlier rotation's, is a bad chain."""
    chain = started()
    chain.add("key", ALICE, key_body(2, K1, K1, ALICE))
    fails(BadChainError, chain)
    chain = started()
    chain.add("key", ALICE, key_body(2, K2, K1, ALICE))
    chain.add("key", ALICE, key_body(3, K2, K2, ALICE))
    fails(BadChainError, chain)


def test_rule_6_a_key_proof_matches_when_the_previous_key_is_held() -> None:
    """A proof made without the previous key is a bad chain for a verifier holding that key."""
    chain = started()
    chain.add("key", ALICE, key_body(2, K2, K3, ALICE))
    fails(BadChainError, chain, keys={K1.key_id: K1.key})


def test_rule_6_a_key_proof_names_its_author() -> None:
    """Bob's rotation carrying a proof made for Alice is a bad chain for a key holder."""
    chain = started()
    chain.add("key", BOB, key_body(2, K2, K1, ALICE))
    fails(BadChainError, chain, keys={K1.key_id: K1.key})


def test_rule_6_an_identity_differs_from_the_recorded_one() -> None:
    """Accepting Bob's current identity again is a bad chain."""
    chain = started()
    chain.add("identity", ALICE, user_body(BOB, pub(BOB)))
    fails(BadChainError, chain)


def test_rule_6_an_identity_is_accepted_by_someone_else() -> None:
    """Dave cannot accept his own new identity."""
    chain = started()
    chain.add("member_added", ALICE, user_body(DAVE, pub(DAVE)))
    chain.add("identity", DAVE, user_body(DAVE, DAVE_2.public_identity))
    fails(BadChainError, chain)


def test_rule_6_an_identity_is_for_a_current_member() -> None:
    """Accepting an identity for Mallory, not a member, is a bad chain."""
    chain = started()
    chain.add("identity", ALICE, user_body(MALLORY, pub(MALLORY)))
    fails(BadChainError, chain)


def test_an_earlier_identity_may_be_accepted_again() -> None:
    """Dave's identity changed and changed back: both are recorded once, the first is current."""
    chain = started()
    chain.add("member_added", ALICE, user_body(DAVE, pub(DAVE)))
    chain.add("identity", ALICE, user_body(DAVE, DAVE_2.public_identity))
    chain.add("identity", BOB, user_body(DAVE, pub(DAVE)))
    state = verify(chain)
    assert state.members[DAVE] == ident(pub(DAVE))
    assert state.identities[DAVE] == [ident(pub(DAVE)), ident(DAVE_2.public_identity)]


@pytest.mark.parametrize("value", [b"x" * 31, "k" * 32])
def test_held_keys_must_be_32_bytes(value: object) -> None:
    """A held key of the wrong type or size is a programming error."""
    with pytest.raises(TypeError):
        verify(started(), keys={K1.key_id: value})
