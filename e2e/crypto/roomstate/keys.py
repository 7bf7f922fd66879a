"""Room key commitment and proof of the previous key (§15.4)."""

from ..encoding import LABELS, canonical, require_id, u32
from ..primitives import hkdf_sha256, hmac_sha256, require_bytes
from ..roomkeys import ROOM_KEY_BYTES, parse_key_id

_ZERO_SALT = bytes(32)


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
