"""The signed room-state chain: members, their identities and the current room key (§15).

Each entry is signed by a current member and hash-chained to the one before; ``verify_chain``
applies a list of entries to an empty (or a given) state and returns the state, checking every rule
of docs/PROTOCOL.md §15.5 in its order. Wire:
``{"v": 1, "index", "prev", "type", "author", "ts", "signer", "body", "sig"}`` (base64url bytes;
``ts`` the author's signing time in milliseconds).
``wire`` holds the entry format, ``keys`` the key commitment and proof, ``chain`` the verifier.
"""

from .chain import TS_SKEW_MS, ChainKey, ChainState, verify_chain
from .keys import key_commitment, key_proof
from .wire import (
    ENTRY_TYPES,
    MAX_GENESIS_MEMBERS,
    EntryBody,
    GenesisBody,
    Ident,
    KeyBody,
    MemberBody,
    ParsedEntry,
    PolicyBody,
    RemovedBody,
    check_entry_wire,
    entry_hash,
    entry_signed_bytes,
    member_ident,
    sign_entry,
)

__all__ = [
    "ENTRY_TYPES",
    "MAX_GENESIS_MEMBERS",
    "TS_SKEW_MS",
    "ChainKey",
    "ChainState",
    "EntryBody",
    "GenesisBody",
    "Ident",
    "KeyBody",
    "MemberBody",
    "ParsedEntry",
    "PolicyBody",
    "RemovedBody",
    "check_entry_wire",
    "entry_hash",
    "entry_signed_bytes",
    "key_commitment",
    "key_proof",
    "member_ident",
    "sign_entry",
    "verify_chain",
]
