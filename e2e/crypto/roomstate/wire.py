"""Room-state entries on the wire: shape check, signed bytes, hash and signing (§15.1-15.3)."""

import copy
import itertools
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ..base64url import b64u_decode_as, b64u_decode_exact, b64u_encode
from ..encoding import LABELS, VERSION, canonical, is_valid_id, require_id, u32, utf8
from ..errors import KeyroomCryptoError, TamperedError, UnsupportedError
from ..primitives import ed25519_public, require_bytes, sha256
from ..roomkeys import parse_key_id

ENTRY_TYPES = ("genesis", "member_added", "member_removed", "key", "policy", "identity")
MAX_GENESIS_MEMBERS = 10_000
_U32_LIMIT = 2**32
# ts is milliseconds since the epoch; below 2^53 so both languages hold it exactly.
_TS_LIMIT = 2**53
_ENTRY_KEYS = frozenset({"v", "index", "prev", "type", "author", "ts", "signer", "body", "sig"})
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
    ts: int
    signer: bytes
    body: EntryBody
    sig: bytes


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


def _ts(value: object) -> int:
    if type(value) is not int or not 0 <= value < _TS_LIMIT:
        raise TamperedError("room state: ts is not an integer from 0 to 2^53 - 1")
    return value


def u64(n: int) -> bytes:
    """Return ``n`` (0 <= n < 2^64) as 8 big-endian bytes, the encoding of ``ts`` (§15.2)."""
    return n.to_bytes(8, "big")


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
        ts=_ts(wire["ts"]),
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


def signed_bytes(room_id: str, entry: ParsedEntry) -> bytes:
    """Return the bytes the signer of a checked entry signs (§15.2)."""
    return canonical(
        LABELS.room_state,
        u32(VERSION),
        room_id,
        u32(entry.index),
        entry.prev,
        entry.type,
        entry.author,
        u64(entry.ts),
        entry.signer,
        _body_bytes(entry.type, entry.body),
    )


def chain_hash(signed: bytes, sig: bytes) -> bytes:
    """Return the entry hash of §15.3 from its signed bytes and signature."""
    return sha256(canonical(LABELS.room_state_hash, signed, sig))


def entry_signed_bytes(room_id: str, wire: object) -> bytes:
    """Return the signed bytes of an entry of ``room_id``; shape errors as check_entry_wire."""
    return signed_bytes(require_id(room_id, "room id"), check_entry_wire(wire))


def entry_hash(room_id: str, wire: object) -> bytes:
    """Return the 32-byte hash of an entry of ``room_id`` (what the next entry's prev names)."""
    entry = check_entry_wire(wire)
    return chain_hash(signed_bytes(require_id(room_id, "room id"), entry), entry.sig)


def sign_entry(
    *,
    room_id: str,
    index: int,
    prev: bytes | None,
    type: str,
    author: str,
    ts: int,
    body: dict[str, Any],
    signing_key: Ed25519PrivateKey,
) -> dict[str, Any]:
    """Return the wire entry signed by ``signing_key`` (its public key is the ``signer``).

    ``prev`` is the previous entry's hash, ``None`` at index 0; ``ts`` the author's time of
    signing in milliseconds since the epoch. Raise ValueError if the entry would not pass
    check_entry_wire.
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
        "ts": ts,
        "signer": b64u_encode(ed25519_public(signing_key)),
        "body": copy.deepcopy(body),
        "sig": b64u_encode(bytes(64)),
    }
    try:
        entry = check_entry_wire(wire)
    except KeyroomCryptoError as exc:
        raise ValueError(str(exc)) from None
    wire["sig"] = b64u_encode(signing_key.sign(signed_bytes(room_id, entry)))
    return wire


def member_ident(public_identity: dict[str, Any] | None) -> dict[str, str]:
    """Return the ``ed25519, x25519, sig`` of a §3 public identity, or three empty strings."""
    if public_identity is None:
        return dict.fromkeys(_IDENT_KEYS, "")
    return {name: public_identity[name] for name in _IDENT_KEYS}
