"""Chain verification: apply entries in order to a state, checking §15.5 in its order."""

import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from ..encoding import VERSION, require_id
from ..errors import BadChainError, BadSignatureError, KeyroomCryptoError
from ..identity import verify_public_identity
from ..primitives import ed25519_verify, require_bytes
from ..roomkeys import ROOM_KEY_BYTES
from .keys import key_proof
from .wire import (
    GenesisBody,
    Ident,
    KeyBody,
    ParsedEntry,
    PolicyBody,
    RemovedBody,
    chain_hash,
    check_entry_wire,
    signed_bytes,
)

# How far (ms) an entry's ts may be earlier than the one before it (§15.5 step 2). Honest clocks
# drift, so a little going back is allowed; a far-back time is refused, so a later entry cannot
# claim to predate the entries before it (nor the room's genesis).
TS_SKEW_MS = 10 * 60 * 1000


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
    started_ts: int = 0
    head_ts: int = 0

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
            started_ts=self.started_ts,
            head_ts=self.head_ts,
        )


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
    state.started_ts = entry.ts


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
    if entry.index > 0 and entry.ts < state.head_ts - TS_SKEW_MS:
        raise BadChainError("room state: ts is too far before the previous entry's")
    if (entry.type == "genesis") != (entry.index == 0):
        raise BadChainError("room state: a genesis is at index 0 and only there")
    if entry.signer != _author_key(state, entry):
        raise BadChainError("room state: the signer is not the author's recorded key")
    signed = signed_bytes(room_id, entry)
    if not ed25519_verify(entry.signer, entry.sig, signed):
        raise BadSignatureError("room state: bad signature")
    _apply_rules(state, room_id, entry, held)
    state.length += 1
    state.head = chain_hash(signed, entry.sig)
    state.head_ts = entry.ts


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
