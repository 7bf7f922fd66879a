"""The signed room-state chain: members, their identities and the current room key (§15).

Each entry is signed by a current member and hash-chained to the one before; ``verify_chain``
applies a list of entries to an empty (or a given) state and returns the state, checking every rule
of docs/PROTOCOL.md §15.5 in its order. Wire:
``{"v": 1, "index", "prev", "type", "author", "signer", "body", "sig"}`` (base64url bytes).
"""

import copy
import hmac
import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from .base64url import b64u_decode_as, b64u_decode_exact, b64u_encode
from .encoding import LABELS, VERSION, canonical, is_valid_id, require_id, u32, utf8
from .errors import (
    BadChainError,
    BadSignatureError,
    KeyroomCryptoError,
    TamperedError,
    UnsupportedError,
)
from .identity import verify_public_identity
from .primitives import (
    ed25519_public,
    ed25519_verify,
    hkdf_sha256,
    hmac_sha256,
    require_bytes,
    sha256,
)
from .roomkeys import ROOM_KEY_BYTES, parse_key_id

ENTRY_TYPES = ("genesis", "member_added", "member_removed", "key", "policy", "identity")
MAX_GENESIS_MEMBERS = 10_000
_U32_LIMIT = 2**32
_ZERO_SALT = bytes(32)
_ENTRY_KEYS = frozenset({"v", "index", "prev", "type", "author", "signer", "body", "sig"})
_IDENT_KEYS = ("ed25519", "x25519", "sig")
_MEMBER_KEYS = frozenset({"user", *_IDENT_KEYS})
_BODY_KEYS = {
    "genesis": frozenset({"key_id", "commit", "share_history", "members"}),
    "member_added": _MEMBER_KEYS,
    "member_removed": frozenset({"user"}),
    "key": frozenset({"epoch", "key_id", "commit", "proof"}),
    "policy": frozenset({"share_history"}),
    "identity": _MEMBER_KEYS,
}
_BODY_LABELS = {
    "genesis": LABELS.room_state_genesis,
    "member_added": LABELS.room_state_member_added,
    "member_removed": LABELS.room_state_member_removed,
    "key": LABELS.room_state_key,
    "policy": LABELS.room_state_policy,
    "identity": LABELS.room_state_identity,
}


@dataclass(frozen=True, slots=True)
class Ident:
    """A member identity as the chain records it: raw Ed25519 and X25519 keys and §3 signature."""

    ed25519: bytes
    x25519: bytes
    sig: bytes

    def wire(self) -> dict[str, str]:
        """Return the base64url ``{"ed25519", "x25519", "sig"}`` form."""
        return {
            "ed25519": b64u_encode(self.ed25519),
            "x25519": b64u_encode(self.x25519),
            "sig": b64u_encode(self.sig),
        }


@dataclass(frozen=True, slots=True)
class MemberBody:
    """A user and their identity (``None``: none yet): genesis member, member_added, identity."""

    user: str
    ident: Ident | None


@dataclass(frozen=True, slots=True)
class RemovedBody:
    """The body of ``member_removed``."""

    user: str


@dataclass(frozen=True, slots=True)
class GenesisBody:
    """The body of ``genesis``; ``kid`` is the decoded key id of epoch 1."""

    key_id: str
    kid: bytes
    commit: bytes
    share_history: bool
    members: tuple[MemberBody, ...]


@dataclass(frozen=True, slots=True)
class KeyBody:
    """The body of ``key``."""

    epoch: int
    key_id: str
    kid: bytes
    commit: bytes
    proof: bytes


@dataclass(frozen=True, slots=True)
class PolicyBody:
    """The body of ``policy``."""

    share_history: bool


EntryBody = GenesisBody | MemberBody | RemovedBody | KeyBody | PolicyBody


@dataclass(frozen=True, slots=True)
class ParsedEntry:
    """The decoded fields of an entry that passed check_entry_wire (``prev`` is 0 or 32 bytes)."""

    index: int
    prev: bytes
    type: str
    author: str
    signer: bytes
    body: EntryBody
    sig: bytes


@dataclass(frozen=True, slots=True)
class ChainKey:
    """A room key the chain introduced; ``proven``: its proof was checked, or it is epoch 1."""

    epoch: int
    commit: bytes
    author: str
    index: int
    proven: bool


@dataclass(slots=True)
class ChainState:
    """The room state after the entries verified so far (§15.5); empty before the genesis."""

    members: dict[str, Ident | None] = field(default_factory=dict)
    identities: dict[str, list[Ident]] = field(default_factory=dict)
    joined: dict[str, int] = field(default_factory=dict)
    epoch: int = 0
    current_key_id: str = ""
    keys: dict[str, ChainKey] = field(default_factory=dict)
    share_history: bool = False
    starter: str = ""
    length: int = 0
    head: bytes | None = None

    def copy(self) -> "ChainState":
        """Return an independent copy (its dicts and lists are new; values are immutable)."""
        return ChainState(
            members=dict(self.members),
            identities={user: list(idents) for user, idents in self.identities.items()},
            joined=dict(self.joined),
            epoch=self.epoch,
            current_key_id=self.current_key_id,
            keys=dict(self.keys),
            share_history=self.share_history,
            starter=self.starter,
            length=self.length,
            head=self.head,
        )


# Shape (§15.1). Every failure here is TamperedError, except the version (UnsupportedError).


def _object(value: object, keys: frozenset[str], what: str) -> dict[str, Any]:
    if not isinstance(value, dict) or value.keys() != keys:
        raise TamperedError(f"room state: {what} has unexpected fields")
    return value


def _user(value: object) -> str:
    if not is_valid_id(value):
        raise TamperedError("room state: invalid user id")
    assert isinstance(value, str)
    return value


def _u32(value: object, what: str) -> int:
    if type(value) is not int or not 0 <= value < _U32_LIMIT:
        raise TamperedError(f"room state: {what} is not a u32 integer")
    return value


def _bool(value: object) -> bool:
    if type(value) is not bool:
        raise TamperedError("room state: share_history is not a boolean")
    return value


def _bytes(value: object, length: int) -> bytes:
    return b64u_decode_exact(value, length, TamperedError)


def _ident(obj: dict[str, Any]) -> Ident | None:
    """Return the identity of a checked member object, ``None`` when all three fields are empty."""
    if obj["ed25519"] == "" and obj["x25519"] == "" and obj["sig"] == "":
        return None
    return Ident(_bytes(obj["ed25519"], 32), _bytes(obj["x25519"], 32), _bytes(obj["sig"], 64))


def _member(value: object) -> MemberBody:
    obj = _object(value, _MEMBER_KEYS, "member")
    return MemberBody(_user(obj["user"]), _ident(obj))


def _genesis_body(body: dict[str, Any], author: str) -> GenesisBody:
    raw_members = body["members"]
    if not isinstance(raw_members, list) or not 1 <= len(raw_members) <= MAX_GENESIS_MEMBERS:
        raise TamperedError("room state: genesis members must be a list of 1 to 10000")
    members = tuple(_member(m) for m in raw_members)
    ordered = [utf8(m.user) for m in members]
    if any(a >= b for a, b in itertools.pairwise(ordered)):
        raise TamperedError("room state: genesis members are not strictly sorted")
    if all(m.user != author for m in members):
        raise TamperedError("room state: the genesis author is not one of its members")
    return GenesisBody(
        key_id=body["key_id"],
        kid=parse_key_id(body["key_id"], TamperedError),
        commit=_bytes(body["commit"], 32),
        share_history=_bool(body["share_history"]),
        members=members,
    )


def _body(entry_type: str, value: object, author: str) -> EntryBody:
    body = _object(value, _BODY_KEYS[entry_type], "body")
    if entry_type == "genesis":
        return _genesis_body(body, author)
    if entry_type in ("member_added", "identity"):
        member = _member(body)
        if entry_type == "identity" and member.ident is None:
            raise TamperedError("room state: an identity entry needs an identity")
        return member
    if entry_type == "member_removed":
        return RemovedBody(_user(body["user"]))
    if entry_type == "key":
        return KeyBody(
            epoch=_u32(body["epoch"], "epoch"),
            key_id=body["key_id"],
            kid=parse_key_id(body["key_id"], TamperedError),
            commit=_bytes(body["commit"], 32),
            proof=_bytes(body["proof"], 32),
        )
    return PolicyBody(_bool(body["share_history"]))


def check_entry_wire(wire: object) -> ParsedEntry:
    """Check an untrusted entry's shape (§15.1); return its decoded fields.

    Raise UnsupportedError (version) or TamperedError (anything else). Order, authorship and
    signature are verify_chain's.
    """
    if not isinstance(wire, dict):
        raise TamperedError("room state: not an object")
    if type(wire.get("v")) is not int or wire["v"] != VERSION:
        raise UnsupportedError("room state: unsupported version")
    if wire.keys() != _ENTRY_KEYS:
        raise TamperedError("room state: unexpected fields")
    prev = b64u_decode_as(wire["prev"], TamperedError)
    if len(prev) not in (0, 32):
        raise TamperedError("room state: prev is not empty or 32 bytes")
    entry_type = wire["type"]
    if entry_type not in ENTRY_TYPES:
        raise TamperedError("room state: unknown entry type")
    author = _user(wire["author"])
    return ParsedEntry(
        index=_u32(wire["index"], "index"),
        prev=prev,
        type=entry_type,
        author=author,
        signer=_bytes(wire["signer"], 32),
        body=_body(entry_type, wire["body"], author),
        sig=_bytes(wire["sig"], 64),
    )


# Signed bytes and hash (§15.2, §15.3).


def _ident_fields(ident: Ident | None) -> tuple[bytes, bytes, bytes]:
    return (b"", b"", b"") if ident is None else (ident.ed25519, ident.x25519, ident.sig)


def _body_bytes(entry_type: str, body: EntryBody) -> bytes:
    """Return ``canonical("keyroom/v1/room-state/<type>", the type's fields)``."""
    label = _BODY_LABELS[entry_type]
    if isinstance(body, GenesisBody):
        fields: list[str | bytes] = [
            body.kid,
            body.commit,
            u32(int(body.share_history)),
            u32(len(body.members)),
        ]
        for member in body.members:
            fields += (member.user, *_ident_fields(member.ident))
        return canonical(label, *fields)
    if isinstance(body, MemberBody):
        return canonical(label, body.user, *_ident_fields(body.ident))
    if isinstance(body, RemovedBody):
        return canonical(label, body.user)
    if isinstance(body, KeyBody):
        return canonical(label, u32(body.epoch), body.kid, body.commit, body.proof)
    return canonical(label, u32(int(body.share_history)))


def _signed_bytes(room_id: str, entry: ParsedEntry) -> bytes:
    """Return the bytes an entry's signer signs."""
    return canonical(
        LABELS.room_state,
        u32(VERSION),
        room_id,
        u32(entry.index),
        entry.prev,
        entry.type,
        entry.author,
        entry.signer,
        _body_bytes(entry.type, entry.body),
    )


def _hash(signed: bytes, sig: bytes) -> bytes:
    return sha256(canonical(LABELS.room_state_hash, signed, sig))


def entry_signed_bytes(room_id: str, wire: object) -> bytes:
    """Return the signed bytes of an entry of ``room_id``; shape errors as check_entry_wire."""
    return _signed_bytes(require_id(room_id, "room id"), check_entry_wire(wire))


def entry_hash(room_id: str, wire: object) -> bytes:
    """Return the 32-byte hash of an entry of ``room_id`` (what the next entry's prev names)."""
    entry = check_entry_wire(wire)
    return _hash(_signed_bytes(require_id(room_id, "room id"), entry), entry.sig)


def sign_entry(
    *,
    room_id: str,
    index: int,
    prev: bytes | None,
    type: str,
    author: str,
    body: dict[str, Any],
    signing_key: Ed25519PrivateKey,
) -> dict[str, Any]:
    """Return the wire entry signed by ``signing_key`` (its public key is the ``signer``).

    ``prev`` is the previous entry's hash, ``None`` at index 0. Raise ValueError if the entry
    would not pass check_entry_wire.
    """
    if not isinstance(signing_key, Ed25519PrivateKey):
        raise TypeError("signing key must be an Ed25519PrivateKey")
    room_id = require_id(room_id, "room id")
    wire: dict[str, Any] = {
        "v": VERSION,
        "index": index,
        "prev": "" if prev is None else b64u_encode(require_bytes(prev, 32, "prev")),
        "type": type,
        "author": author,
        "signer": b64u_encode(ed25519_public(signing_key)),
        "body": copy.deepcopy(body),
        "sig": b64u_encode(bytes(64)),
    }
    try:
        entry = check_entry_wire(wire)
    except KeyroomCryptoError as exc:
        raise ValueError(str(exc)) from None
    wire["sig"] = b64u_encode(signing_key.sign(_signed_bytes(room_id, entry)))
    return wire


def member_ident(public_identity: dict[str, Any] | None) -> dict[str, str]:
    """Return the ``ed25519, x25519, sig`` of a §3 public identity, or three empty strings."""
    if public_identity is None:
        return dict.fromkeys(_IDENT_KEYS, "")
    return {name: public_identity[name] for name in _IDENT_KEYS}


# Key commitment and proof (§15.4).


def key_commitment(*, room_id: str, key_id: str, key: bytes) -> bytes:
    """Return the 32-byte commitment to room key ``key`` named ``key_id`` in room ``room_id``."""
    room_id = require_id(room_id, "room id")
    kid = parse_key_id(key_id)
    key = require_bytes(key, ROOM_KEY_BYTES, "room key")
    info = canonical(LABELS.key_commit_kdf, u32(1), room_id, kid)
    commit_key = hkdf_sha256(key, _ZERO_SALT, info)
    return hmac_sha256(commit_key, canonical(LABELS.key_commit, u32(1), room_id, kid))


def key_proof(
    *,
    room_id: str,
    epoch: int,
    previous_key_id: str,
    previous_key: bytes,
    key_id: str,
    commit: bytes,
    author: str,
) -> bytes:
    """Return the 32-byte proof that ``author``, making key ``key_id``, held the previous key."""
    room_id = require_id(room_id, "room id")
    previous_kid = parse_key_id(previous_key_id)
    previous_key = require_bytes(previous_key, ROOM_KEY_BYTES, "previous room key")
    info = canonical(LABELS.key_proof_kdf, u32(1), room_id, previous_kid)
    proof_key = hkdf_sha256(previous_key, _ZERO_SALT, info)
    data = canonical(
        LABELS.key_proof,
        u32(1),
        room_id,
        u32(epoch),
        previous_kid,
        parse_key_id(key_id),
        require_bytes(commit, 32, "commit"),
        require_id(author, "author"),
    )
    return hmac_sha256(proof_key, data)


# Verification (§15.5).


def _record(state: ChainState, user: str, ident: Ident) -> None:
    known = state.identities.setdefault(user, [])
    if ident not in known:
        known.append(ident)


def _check_ident(state: ChainState, user: str, ident: Ident | None) -> None:
    """Raise BadChainError unless ``ident`` is a valid §3 identity of ``user``.

    An identity the chain already recorded for ``user`` was verified then, so it is not again.
    """
    if ident is None or ident in state.identities.get(user, ()):
        return
    try:
        verify_public_identity({"v": VERSION, "user": user, **ident.wire()}, user)
    except KeyroomCryptoError:
        raise BadChainError(f"room state: invalid identity for user {user}") from None


def _author_key(state: ChainState, entry: ParsedEntry) -> bytes:
    """Return the Ed25519 key the chain records for the author; raise BadChainError if none."""
    if isinstance(entry.body, GenesisBody):
        ident = next(m.ident for m in entry.body.members if m.user == entry.author)
    elif entry.author in state.members:
        ident = state.members[entry.author]
    else:
        raise BadChainError("room state: the author is not a current member")
    if ident is None:
        raise BadChainError("room state: the author has no identity")
    return ident.ed25519


def _apply_genesis(state: ChainState, entry: ParsedEntry, body: GenesisBody) -> None:
    for member in body.members:
        _check_ident(state, member.user, member.ident)
    for member in body.members:
        state.members[member.user] = member.ident
        state.joined[member.user] = 1
        if member.ident is not None:
            _record(state, member.user, member.ident)
    state.epoch = 1
    state.current_key_id = body.key_id
    state.keys[body.key_id] = ChainKey(1, body.commit, entry.author, entry.index, True)
    state.share_history = body.share_history
    state.starter = entry.author


def _apply_key(
    state: ChainState, room_id: str, entry: ParsedEntry, body: KeyBody, held: Mapping[str, bytes]
) -> None:
    if body.epoch != state.epoch + 1:
        raise BadChainError("room state: the key's epoch is not the next one")
    if body.key_id in state.keys:
        raise BadChainError("room state: the key id was used before")
    previous_key = held.get(state.current_key_id)
    if previous_key is not None:
        expected = key_proof(
            room_id=room_id,
            epoch=body.epoch,
            previous_key_id=state.current_key_id,
            previous_key=previous_key,
            key_id=body.key_id,
            commit=body.commit,
            author=entry.author,
        )
        if not hmac.compare_digest(expected, body.proof):
            raise BadChainError("room state: the key's proof does not match the previous key")
    proven = previous_key is not None
    state.keys[body.key_id] = ChainKey(body.epoch, body.commit, entry.author, entry.index, proven)
    state.epoch = body.epoch
    state.current_key_id = body.key_id


def _apply_rules(
    state: ChainState, room_id: str, entry: ParsedEntry, held: Mapping[str, bytes]
) -> None:
    """Check the type's rules (step 6) and apply the entry to ``state``."""
    body = entry.body
    if isinstance(body, GenesisBody):
        _apply_genesis(state, entry, body)
    elif isinstance(body, KeyBody):
        _apply_key(state, room_id, entry, body, held)
    elif isinstance(body, PolicyBody):
        state.share_history = body.share_history
    elif isinstance(body, RemovedBody):
        if body.user not in state.members:
            raise BadChainError("room state: the removed user is not a member")
        del state.members[body.user]
    elif entry.type == "member_added":
        if body.user in state.members:
            raise BadChainError("room state: the added user is already a member")
        _check_ident(state, body.user, body.ident)
        state.members[body.user] = body.ident
        state.joined[body.user] = state.epoch
        if body.ident is not None:
            _record(state, body.user, body.ident)
    else:  # identity
        if body.user not in state.members or body.user == entry.author:
            raise BadChainError("room state: an identity is accepted by another current member")
        if state.members[body.user] == body.ident:
            raise BadChainError("room state: the identity is the one already recorded")
        _check_ident(state, body.user, body.ident)
        assert body.ident is not None  # check_entry_wire refuses an empty identity entry
        state.members[body.user] = body.ident
        _record(state, body.user, body.ident)


def _apply(state: ChainState, room_id: str, wire: object, held: Mapping[str, bytes]) -> None:
    entry = check_entry_wire(wire)
    if entry.index != state.length or entry.prev != (state.head or b""):
        raise BadChainError("room state: index or prev does not continue the chain")
    if (entry.type == "genesis") != (entry.index == 0):
        raise BadChainError("room state: a genesis is at index 0 and only there")
    if entry.signer != _author_key(state, entry):
        raise BadChainError("room state: the signer is not the author's recorded key")
    signed = _signed_bytes(room_id, entry)
    if not ed25519_verify(entry.signer, entry.sig, signed):
        raise BadSignatureError("room state: bad signature")
    _apply_rules(state, room_id, entry, held)
    state.length += 1
    state.head = _hash(signed, entry.sig)


def verify_chain(
    entries: Iterable[object],
    *,
    room_id: str,
    keys: Mapping[str, bytes] | None = None,
    state: ChainState | None = None,
) -> ChainState:
    """Verify ``entries`` in order and return the room state after them (§15.5).

    Without ``state`` the entries start at the genesis; with it they continue from a copy of it
    (the first one has index ``state.length``), and ``state`` itself is left unchanged. ``keys``
    (key id → 32-byte room key) are the keys the verifier holds, used to check proofs. Raise
    UnsupportedError or TamperedError (shape), BadSignatureError, or BadChainError (any other rule).
    """
    room_id = require_id(room_id, "room id")
    held = {kid: require_bytes(k, ROOM_KEY_BYTES, "room key") for kid, k in (keys or {}).items()}
    current = ChainState() if state is None else state.copy()
    for wire in entries:
        _apply(current, room_id, wire, held)
    return current
