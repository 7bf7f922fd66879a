"""Write the Python-made crypto test vectors to tests/vectors/py/*.json.

Every input that is normally random (keys, salts, IVs, ephemeral keys, password draws) is derived
deterministically from a name, so running this again gives the same files. The JS suite checks
these files; the Python suite re-derives them.

Run ``.venv/bin/python tests/vectors/make_py_vectors.py``; ``--stdout`` prints all files as one
JSON object instead of writing them.
"""

import hashlib
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from e2e.crypto import (  # noqa: E402
    LABELS,
    b64u_decode,
    b64u_encode,
    canonical,
    encode_payload,
    entry_hash,
    entry_signed_bytes,
    fingerprint,
    import_identity_secret,
    key_commitment,
    key_proof,
    member_ident,
    safety_number,
    sign_entry,
    sign_membership,
    u32,
    verify_chain,
    verify_public_identity,
)
from e2e.crypto.backup import _create_backup_with_randomness  # noqa: E402
from e2e.crypto.envelope import (  # noqa: E402
    EnvelopeContext,
    _envelope_ad,
    _envelope_key,
    _envelope_signed_bytes,
    _seal_envelope_with_randomness,
)
from e2e.crypto.membership import _membership_signed_bytes  # noqa: E402
from e2e.crypto.message import _encrypt_message_with_randomness  # noqa: E402
from e2e.crypto.password import (  # noqa: E402
    _generate_password_with_randomness,
    normalize_passphrase,
    parse_wordlist,
    unlock_candidates,
)
from e2e.crypto.primitives import aes_gcm_encrypt, x25519  # noqa: E402
from e2e.crypto.roomstate import (  # noqa: E402
    TS_SKEW_MS,
    ChainState,
    ParsedEntry,
    check_entry_wire,
)
from e2e.crypto.roomstate.wire import signed_bytes  # noqa: E402
from e2e.crypto.trustrecord import (  # noqa: E402
    _seal_trust_record_with_iv,
    _trust_record_ad,
    _trust_record_key,
    _trust_record_signed_bytes,
    canonical_json,
)

GENERATOR = "python"
_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
OUT_DIR = Path(__file__).resolve().parent / "py"
WORDLIST = ROOT / "static" / "e2e" / "eff_large_wordlist.txt"


def det(label: str, n: int) -> bytes:
    """Return ``n`` bytes derived from ``label`` (SHA-256 counter mode): fixed test randomness."""
    out = b""
    i = 0
    while len(out) < n:
        out += hashlib.sha256(f"keyroom-vectors/{GENERATOR}/{label}/{i}".encode()).digest()
        i += 1
    return out[:n]


def det_uuid(label: str) -> str:
    h = det(label, 16).hex()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"


def flip(text: str, index: int = 0) -> str:
    """Return base64url ``text`` with one bit of byte ``index`` flipped."""
    data = bytearray(b64u_decode(text))
    data[index] ^= 0x01
    return b64u_encode(bytes(data))


def non_canonical(text: str) -> str:
    """Return base64url ``text`` (of a partial final group) with a padding bit set."""
    return text[:-1] + _B64[_B64.index(text[-1]) | 1]


def doc(kind: str, **body: Any) -> dict[str, Any]:
    return {"generator": GENERATOR, "kind": kind, **body}


def encoding_vectors() -> dict[str, Any]:
    kid = det("encoding/kid", 16)
    cases: list[tuple[str, str, list[dict[str, Any]]]] = [
        ("label only", "keyroom/v1/envelope-kdf", []),
        (
            "message associated data",
            "keyroom/v1/message-ad",
            [
                {"u32": 1},
                {"str": "12"},
                {"hex": kid.hex()},
                {"str": "42"},
                {"str": det_uuid("encoding/uuid")},
            ],
        ),
        ("empty and unicode", "keyroom/v1/test", [{"str": ""}, {"str": "héllo 🔐"}, {"hex": ""}]),
        ("split a|bc", "keyroom/v1/test", [{"str": "a"}, {"str": "bc"}]),
        ("split ab|c", "keyroom/v1/test", [{"str": "ab"}, {"str": "c"}]),
        ("u32 extremes", "keyroom/v1/test", [{"u32": 0}, {"u32": 4294967295}, {"u32": 600000}]),
    ]
    vectors = []
    for name, label, fields in cases:
        raw = [
            u32(f["u32"]) if "u32" in f else f["str"] if "str" in f else bytes.fromhex(f["hex"])
            for f in fields
        ]
        vectors.append(
            {
                "name": name,
                "label": label,
                "fields": fields,
                "expected_hex": canonical(label, *raw).hex(),
            }
        )
    return doc("encoding", vectors=vectors)


def base64url_vectors() -> dict[str, Any]:
    samples = [
        b"",
        b"\x00",
        b"\xff",
        b"\xfb\xff",
        b"\xfb\xff\xbf",
        det("b64/5", 5),
        det("b64/32", 32),
    ]
    valid = [{"hex": s.hex(), "text": b64u_encode(s)} for s in samples]
    bad_texts: list[Any] = ["A", "AA==", "AB", "AAB", "A+/A", "AA AA", "AAAA\n", "ÀAAA", 5, None]
    invalid = [{"text": t, "expect_error": "malformed"} for t in bad_texts]
    return doc("base64url", valid=valid, invalid=invalid)


def identity_fixture(name: str, user_id: str) -> dict[str, Any]:
    secret = det(f"identity/{name}", 64)
    public = import_identity_secret(secret, user_id).public_identity
    return {"user_id": user_id, "secret_hex": secret.hex(), "public_identity": public}


def identity_vectors() -> dict[str, Any]:
    valid = []
    for name, user_id in [("alice", "42"), ("bob", "7"), ("unicode", "ünï-💬")]:
        fixture = identity_fixture(name, user_id)
        verified = verify_public_identity(fixture["public_identity"], user_id)
        fixture |= {
            "name": name,
            "fingerprint_hex": fingerprint(verified).hex(),
            "safety_number": safety_number(verified),
        }
        valid.append(fixture)
    alice, bob = valid[0]["public_identity"], valid[1]["public_identity"]

    def bad(name: str, user_id: str, obj: Any, error: str) -> dict[str, Any]:
        return {"name": name, "user_id": user_id, "public_identity": obj, "expect_error": error}

    invalid = [
        bad("flipped signature bit", "42", alice | {"sig": flip(alice["sig"])}, "bad_signature"),
        bad("checked as another user", "43", alice, "bad_signature"),
        bad("user field rewritten", "43", alice | {"user": "43"}, "bad_signature"),
        bad("x25519 key swapped", "42", alice | {"x25519": bob["x25519"]}, "bad_signature"),
        bad("ed25519 key swapped", "42", alice | {"ed25519": bob["ed25519"]}, "bad_signature"),
        bad("version 2", "42", alice | {"v": 2}, "unsupported"),
        bad("version as string", "42", alice | {"v": "1"}, "unsupported"),
        bad("extra field", "42", alice | {"note": "hi"}, "malformed"),
        bad("missing signature", "42", {k: v for k, v in alice.items() if k != "sig"}, "malformed"),
        bad(
            "short ed25519 key",
            "42",
            alice | {"ed25519": b64u_encode(b64u_decode(alice["ed25519"])[:31])},
            "malformed",
        ),
        bad("padded base64", "42", alice | {"sig": alice["sig"] + "=="}, "malformed"),
        bad("empty user id", "42", alice | {"user": ""}, "malformed"),
        bad("not an object", "42", [alice], "malformed"),
    ]
    return doc("identity", valid=valid, invalid=invalid)


def backup_vectors() -> dict[str, Any]:
    cases = [
        (
            "ascii password",
            "42",
            "abacus zoom t-shirt yo-yo drop-down felt-tip zoology a b c",
            None,
        ),
        # NFKC: fullwidth letters, the "fi" ligature and a decomposed e + acute all normalise.
        (
            "nfkc password",
            "7",
            "\uff30\uff41\uff53\uff53 \ufb01ne caf\u00e9",
            "Pass fine cafe\u0301",
        ),
    ]
    valid = []
    for i, (name, user_id, password, unlock_password) in enumerate(cases):
        secret = det(f"backup/{name}/secret", 64)
        salt, iv = det(f"backup/{name}/salt", 16), det(f"backup/{name}/iv", 12)
        iterations = 600_000 + i
        blob = _create_backup_with_randomness(
            secret, password, user_id, salt=salt, iv=iv, iterations=iterations
        )
        valid.append(
            {
                "name": name,
                "user_id": user_id,
                "password": password,
                "unlock_password": unlock_password or password,
                "secret_hex": secret.hex(),
                "salt_hex": salt.hex(),
                "iv_hex": iv.hex(),
                "iterations": iterations,
                "blob": blob,
                "public_identity": import_identity_secret(secret, user_id).public_identity,
            }
        )
    good = valid[0]
    blob, pw = good["blob"], good["password"]
    short_ct = b64u_encode(b64u_decode(blob["ct"])[:79])

    def bad(name: str, obj: Any, error: str, *, password: str = pw, user: str = "42") -> dict:
        return {
            "name": name,
            "user_id": user,
            "password": password,
            "blob": obj,
            "expect_error": error,
        }

    invalid = [
        bad("wrong password", blob, "wrong_password", password=pw + "x"),
        bad("another user's id", blob, "wrong_password", user="43"),
        bad("flipped ciphertext bit", blob | {"ct": flip(blob["ct"], 5)}, "wrong_password"),
        bad("changed salt", blob | {"salt": flip(blob["salt"])}, "wrong_password"),
        bad("599999 iterations", blob | {"iterations": 599_999}, "weak_kdf"),
        bad("100000 iterations", blob | {"iterations": 100_000}, "weak_kdf"),
        bad("1000 iterations", blob | {"iterations": 1000}, "weak_kdf"),
        bad("absurd iterations", blob | {"iterations": 10_000_001}, "unsupported"),
        bad("iterations as string", blob | {"iterations": "600000"}, "malformed"),
        bad("fractional iterations", blob | {"iterations": 600000.5}, "malformed"),
        bad("version 2", blob | {"v": 2}, "unsupported"),
        bad("PBKDF2-SHA1", blob | {"kdf": "PBKDF2-SHA1"}, "unsupported"),
        bad("argon2id", blob | {"kdf": "argon2id"}, "unsupported"),
        bad("8-byte salt", blob | {"salt": b64u_encode(det("backup/salt8", 8))}, "malformed"),
        bad("16-byte iv", blob | {"iv": b64u_encode(det("backup/iv16", 16))}, "malformed"),
        bad("truncated ciphertext", blob | {"ct": short_ct}, "malformed"),
        bad("missing iv", {k: v for k, v in blob.items() if k != "iv"}, "malformed"),
        bad("extra field", blob | {"hint": "pet name"}, "malformed"),
        bad("null", None, "malformed"),
    ]
    return doc("backup", valid=valid, invalid=invalid)


def password_vectors() -> dict[str, Any]:
    words = parse_wordlist(WORDLIST.read_text(encoding="utf-8"))
    limit = 2**32 - 2**32 % len(words)
    edge = [0, 7775, 7776, limit - 1, limit, 2**32 - 1, 1, 2**31, 123456789, 3000000000, 42, 5000]
    draws = det("password/random", 4 * 12)
    random_u32s = [int.from_bytes(draws[i : i + 4], "big") for i in range(0, len(draws), 4)]
    vectors = []
    for name, u32s in [("edges and rejections", edge), ("random draws", random_u32s)]:
        it = iter(u32s)
        password = _generate_password_with_randomness(words, lambda it=it: next(it), 10)
        consumed = len(u32s) - sum(1 for _ in it)
        vectors.append({"name": name, "u32s": u32s[:consumed], "count": 10, "expected": password})
    return doc(
        "password",
        wordlist_sha256=hashlib.sha256(WORDLIST.read_bytes()).hexdigest(),
        wordlist_size=len(words),
        vectors=vectors,
        normalize=[
            {
                "name": name,
                "typed": typed,
                "normalized": normalize_passphrase(typed),
                "candidates": unlock_candidates(typed, words),
            }
            for name, typed in PASSPHRASE_TYPINGS
        ],
    )


# How a generated passphrase (or another password) may arrive from a keyboard: the same list
# is in make_js_vectors.mjs.
PASSPHRASE_TYPINGS = [
    ("generated, as shown", "abacus zoom t-shirt yo-yo"),
    ("capital first word", "Abacus zoom t-shirt yo-yo"),
    ("double space and surrounding space", "  abacus  zoom t-shirt\tyo-yo \n"),
    ("no-break and ideographic spaces", "abacus\u00a0zoom\u3000t-shirt\u2009yo-yo"),
    ("all capitals, full width", "\uff21\uff22\uff21\uff23\uff35\uff33 ZOOM"),
    ("not all list words", "Abacus zoom hunter2"),
    ("own password with capitals", "Tr0ub4dor  & Three"),
    ("non-ASCII capital kept", "\u00c1bacus zoom"),
    ("only spaces", "   "),
]


def envelope_vectors() -> dict[str, Any]:
    ids = {
        name: identity_fixture(f"envelope/{name}", uid)
        for name, uid in [("sender", "42"), ("recipient", "7"), ("other", "99")]
    }
    unlocked = {
        n: import_identity_secret(bytes.fromhex(f["secret_hex"]), f["user_id"])
        for n, f in ids.items()
    }
    public = {n: verify_public_identity(f["public_identity"], f["user_id"]) for n, f in ids.items()}
    room_key, key_id = det("envelope/room-key", 32), b64u_encode(det("envelope/kid", 16))

    def seal(label: str, recipient: str, room_id: str = "12") -> dict[str, Any]:
        return _seal_envelope_with_randomness(
            room_key,
            room_id=room_id,
            key_id=key_id,
            sender_id="42",
            recipient_id=ids[recipient]["user_id"],
            recipient_dh_public_key=public[recipient].dh_public_key,
            signing_key=unlocked["sender"].signing_key,
            ephemeral_secret=det(f"envelope/{label}/eph", 32),
            iv=det(f"envelope/{label}/iv", 12),
        )

    valid = []
    for label, recipient, room_id in [("basic", "recipient", "12"), ("to self", "sender", "3")]:
        valid.append(
            {
                "name": label,
                "room_id": room_id,
                "key_id": key_id,
                "room_key_hex": room_key.hex(),
                "sender_id": "42",
                "recipient_id": ids[recipient]["user_id"],
                "recipient": recipient,
                "ephemeral_secret_hex": det(f"envelope/{label}/eph", 32).hex(),
                "iv_hex": det(f"envelope/{label}/iv", 12).hex(),
                "envelope": seal(label, recipient, room_id),
            }
        )
    env = valid[0]["envelope"]
    recipient_dh = public["recipient"].dh_public_key

    def signed_garbage(eph: bytes, ct: bytes) -> dict[str, Any]:
        """Return an envelope the real sender signed although its ciphertext cannot open."""
        ctx = EnvelopeContext("12", b64u_decode(key_id), "42", "7")
        iv = b64u_decode(env["iv"])
        sig = unlocked["sender"].signing_key.sign(
            _envelope_signed_bytes(ctx, recipient_dh, eph, iv, ct)
        )
        return env | {"eph": b64u_encode(eph), "ct": b64u_encode(ct), "sig": b64u_encode(sig)}

    eph = b64u_decode(env["eph"])
    wrong_ad = EnvelopeContext("13", b64u_decode(key_id), "42", "7")
    # Same key derivation as the real envelope, but the AD names room 13.
    shared = x25519(unlocked["recipient"].agreement_key, eph)
    key = _envelope_key(shared, eph, recipient_dh)
    ct_wrong_ad = aes_gcm_encrypt(key, b64u_decode(env["iv"]), room_key, _envelope_ad(wrong_ad))

    def bad(name: str, obj: Any, error: str, **ctx: str) -> dict[str, Any]:
        context = {"room_id": "12", "sender_id": "42", "recipient_id": "7"}
        context |= {"sender": "sender", "recipient": "recipient"}
        return {"name": name, "envelope": obj, **(context | ctx), "expect_error": error}

    invalid = [
        bad("opened as another room", env, "bad_signature", room_id="13"),
        bad("claimed by another sender id", env, "bad_signature", sender_id="99"),
        bad("checked with another sender's key", env, "bad_signature", sender="other"),
        bad("opened by another user", env, "bad_signature", recipient="other", recipient_id="99"),
        bad("recipient id changed", env, "bad_signature", recipient_id="99"),
        bad("flipped ciphertext bit", env | {"ct": flip(env["ct"])}, "bad_signature"),
        bad("flipped ephemeral key bit", env | {"eph": flip(env["eph"])}, "bad_signature"),
        bad("key id changed", env | {"kid": b64u_encode(det("other-kid", 16))}, "bad_signature"),
        bad("signed but wrong associated data", signed_garbage(eph, ct_wrong_ad), "tampered"),
        bad(
            "signed low-order ephemeral key",
            signed_garbage(bytes(32), b64u_decode(env["ct"])),
            "tampered",
        ),
        bad("version 2", env | {"v": 2}, "unsupported"),
        bad("extra field", env | {"room": "12"}, "tampered"),
        bad("short iv", env | {"iv": b64u_encode(det("short-iv", 8))}, "tampered"),
        bad("bad base64 signature", env | {"sig": env["sig"][:-1] + "*"}, "tampered"),
        bad("not an object", "envelope", "tampered"),
        bad("empty room id", env, "tampered", room_id=""),
    ]
    return doc("envelope", identities=ids, valid=valid, invalid=invalid)


CONTENT_PAYLOAD = {
    "v": 1,
    "text": "**hi** @bob, see https://example.com/a?b=1\n> quoted",
    "format": "markdown",
    "mentions": ["7"],
    "mention_all": False,
    "x_later": {"kept": True, "n": [1, 2]},
    "rev": 0,
    "ts": 1764583380000,
    "ctr": 2,
}


def message_vectors() -> dict[str, Any]:
    ids = {
        name: identity_fixture(f"message/{name}", uid)
        for name, uid in [("alice", "42"), ("mallory", "99")]
    }
    unlocked = {
        n: import_identity_secret(bytes.fromhex(f["secret_hex"]), f["user_id"])
        for n, f in ids.items()
    }
    keys = {b64u_encode(det(f"message/kid{i}", 16)): det(f"message/key{i}", 32) for i in (1, 2)}
    (kid1, key1), (kid2, key2) = keys.items()

    def encrypt(label: str, plaintext: bytes, **over: Any) -> dict[str, Any]:
        args: dict[str, Any] = {
            "room_id": "12",
            "key_id": kid1,
            "room_key": key1,
            "sender_id": "42",
            "message_id": det_uuid(f"message/{label}/id"),
            "signing_key": unlocked["alice"].signing_key,
            "iv": det(f"message/{label}/iv", 12),
        }
        return _encrypt_message_with_randomness(plaintext, **(args | over))

    payloads = [
        ("plain text", {"text": "hello"}, kid1, key1),
        ("unicode and escapes", {"text": 'héllo 🔐 "quoted"\n\ttab \\ /'}, kid1, key1),
        ("reply in second epoch", {"text": "ok", "reply_to": det_uuid("reply")}, kid2, key2),
        # The transcript fields of §9.1: a new message, an edit of it, its tombstone.
        ("transcript fields", {"text": "hi", "rev": 0, "ts": 1764583200000, "ctr": 1}, kid1, key1),
        (
            "edit with transcript fields",
            {"text": "hi!", "rev": 1, "ts": 1764583260000, "ctr": 1},
            kid2,
            key2,
        ),
        ("tombstone", {"deleted": True, "rev": 2, "ts": 1764583320000, "ctr": 1}, kid2, key2),
        # The message content model (PROTOCOL.md "Message content") with a key of a later
        # version, which readers keep.
        ("content payload", CONTENT_PAYLOAD, kid1, key1),
    ]
    valid = []
    for label, payload, kid, key in payloads:
        plaintext = encode_payload(payload)
        valid.append(
            {
                "name": label,
                "room_id": "12",
                "key_id": kid,
                "room_key_hex": key.hex(),
                "sender_id": "42",
                "message_id": det_uuid(f"message/{label}/id"),
                "payload": payload,
                "plaintext_hex": plaintext.hex(),
                "iv_hex": det(f"message/{label}/iv", 12).hex(),
                "wire": encrypt(label, plaintext, key_id=kid, room_key=key),
            }
        )
    wire, mid = valid[0]["wire"], valid[0]["message_id"]
    all_keys = {k: v.hex() for k, v in keys.items()}

    def bad(name: str, obj: Any, error: str, **ctx: Any) -> dict[str, Any]:
        context = {"room_id": "12", "sender_id": "42", "message_id": mid, "sender": "alice"}
        context |= {"keys": all_keys}
        return {"name": name, "wire": obj, **(context | ctx), "expect_error": error}

    def signed(label: str, plaintext: bytes, **over: Any) -> dict[str, Any]:
        return encrypt(label, plaintext, message_id=mid, **over)

    forged = signed(
        "forged", b'{"text":"pay mallory"}', signing_key=unlocked["mallory"].signing_key
    )
    invalid = [
        bad("flipped ciphertext bit", wire | {"ct": flip(wire["ct"])}, "bad_signature"),
        bad("flipped iv bit", wire | {"iv": flip(wire["iv"])}, "bad_signature"),
        bad("replayed into another room", wire, "bad_signature", room_id="13"),
        bad("claimed by another sender", wire, "bad_signature", sender_id="99"),
        bad("checked with another sender's key", wire, "bad_signature", sender="mallory"),
        bad("forged by another member", forged, "bad_signature"),
        bad("message id swapped", wire, "bad_signature", message_id=det_uuid("other-id")),
        bad("key id swapped to another epoch", wire | {"kid": kid2}, "bad_signature"),
        bad(
            "unknown key id and bad signature",
            wire | {"kid": b64u_encode(det("unknown-kid", 16))},
            "bad_signature",
            keys={},
        ),
        bad("unknown key id", wire, "no_key", keys={kid2: key2.hex()}),
        bad(
            "signed with the wrong key under this id",
            signed("wrong-key", b'{"text":"x"}', room_key=key2),
            "tampered",
        ),
        bad("signed payload not JSON", signed("not-json", b"not json"), "tampered"),
        bad("signed payload a JSON array", signed("array", b"[1,2]"), "tampered"),
        bad("signed payload invalid UTF-8", signed("bad-utf8", b'{"text":"\xff"}'), "tampered"),
        bad("version 2", wire | {"v": 2}, "unsupported"),
        bad("version missing", {k: v for k, v in wire.items() if k != "v"}, "unsupported"),
        bad("extra field", wire | {"room": "12"}, "tampered"),
        bad("missing signature", {k: v for k, v in wire.items() if k != "sig"}, "tampered"),
        bad("ciphertext shorter than a tag", wire | {"ct": b64u_encode(b"12345678")}, "tampered"),
        bad(
            "non-canonical base64 signature", wire | {"sig": non_canonical(wire["sig"])}, "tampered"
        ),
        bad("not an object", None, "tampered"),
        bad("message id not a UUID", wire, "tampered", message_id="NOT-A-UUID"),
    ]
    return doc("message", identities=ids, valid=valid, invalid=invalid)


def membership_vectors() -> dict[str, Any]:
    ids = {
        name: identity_fixture(f"membership/{name}", uid)
        for name, uid in [("attester", "42"), ("other", "99")]
    }
    unlocked = {
        n: import_identity_secret(bytes.fromhex(f["secret_hex"]), f["user_id"])
        for n, f in ids.items()
    }
    kid1, kid2 = (b64u_encode(det(f"membership/kid{i}", 16)) for i in (1, 2))
    room1, room2 = (det_uuid(f"membership/room{i}") for i in (1, 2))
    cases = [
        ("basic", room1, kid1, "42", "7"),
        ("unicode member id, second epoch", room2, kid2, "42", "ünï-💬"),
    ]
    valid = []
    for name, room_id, key_id, attester_id, member_id in cases:
        signed = _membership_signed_bytes(room_id, b64u_decode(key_id), attester_id, member_id)
        wire = sign_membership(
            room_id=room_id,
            key_id=key_id,
            attester_id=attester_id,
            member_id=member_id,
            signing_key=unlocked["attester"].signing_key,
        )
        valid.append(
            {
                "name": name,
                "room_id": room_id,
                "key_id": key_id,
                "attester_id": attester_id,
                "member_id": member_id,
                "attester": "attester",
                "signed_hex": signed.hex(),
                "membership": wire,
            }
        )
    att = valid[0]["membership"]
    forged = sign_membership(
        room_id=room1,
        key_id=kid1,
        attester_id="42",
        member_id="7",
        signing_key=unlocked["other"].signing_key,
    )
    # The same field list as the envelope AD, signed under that label: domain separation.
    other_label = canonical(LABELS.envelope_ad, u32(1), room1, b64u_decode(kid1), "42", "7")
    cross_label = att | {"sig": b64u_encode(unlocked["attester"].signing_key.sign(other_label))}
    short_kid = b64u_encode(det("membership/kid15", 15))

    def bad(name: str, obj: Any, error: str, **ctx: str) -> dict[str, Any]:
        context = {"room_id": room1, "attester_id": "42", "member_id": "7", "attester": "attester"}
        return {"name": name, "membership": obj, **(context | ctx), "expect_error": error}

    invalid = [
        bad("flipped signature bit", att | {"sig": flip(att["sig"], 7)}, "bad_signature"),
        bad("verified for another room", att, "bad_signature", room_id=room2),
        bad("verified for another member", att, "bad_signature", member_id="8"),
        bad("claimed by another attester id", att, "bad_signature", attester_id="99"),
        bad(
            "checked with another attester's key",
            att,
            "bad_signature",
            attester="other",
            attester_id="99",
        ),
        bad("forged by a non-holder", forged, "bad_signature"),
        bad("key id changed", att | {"kid": kid2}, "bad_signature"),
        bad("envelope-ad label signed instead", cross_label, "bad_signature"),
        bad("version 2", att | {"v": 2}, "unsupported"),
        bad("version as string", att | {"v": "1"}, "unsupported"),
        bad("version missing", {k: v for k, v in att.items() if k != "v"}, "unsupported"),
        bad("extra field", att | {"member": "7"}, "tampered"),
        bad("missing signature", {k: v for k, v in att.items() if k != "sig"}, "tampered"),
        bad("15-byte key id", att | {"kid": short_kid}, "tampered"),
        bad("truncated signature", att | {"sig": att["sig"][:-4]}, "tampered"),
        bad("non-canonical base64 signature", att | {"sig": non_canonical(att["sig"])}, "tampered"),
        bad("padded base64 key id", att | {"kid": att["kid"] + "=="}, "tampered"),
        bad("not an object", [att], "tampered"),
        bad("null", None, "tampered"),
        bad("empty member id", att, "tampered", member_id=""),
    ]
    return doc("membership", identities=ids, valid=valid, invalid=invalid)


def chain_state_vector(state: ChainState) -> dict[str, Any]:
    """Return the part of a chain state the roomstate vectors pin (both generators' format)."""
    return {
        "members": {u: i and b64u_encode(i.ed25519) for u, i in state.members.items()},
        "joined": dict(state.joined),
        "epoch": state.epoch,
        "current_key_id": state.current_key_id,
        "share_history": state.share_history,
        "starter": state.starter,
        "length": state.length,
        "head": state.head and b64u_encode(state.head),
        "proven": {kid: k.proven for kid, k in state.keys.items()},
        "started_ts": state.started_ts,
        "head_ts": state.head_ts,
    }


def roomstate_vectors() -> dict[str, Any]:
    T0 = 1_772_582_400_000  # 2026-03-04T00:00:00Z, the genesis's ts
    # "10" sorts before "7" and "9" by UTF-8 bytes; carol ("9") starts without an identity.
    users = {"alice": "10", "bob": "7", "carol": "9", "dave": "8", "mallory": "99"}
    fixtures = {name: identity_fixture(f"roomstate/{name}", uid) for name, uid in users.items()}
    fixtures["dave2"] = identity_fixture("roomstate/dave2", "8")
    unlocked = {
        n: import_identity_secret(bytes.fromhex(f["secret_hex"]), f["user_id"])
        for n, f in fixtures.items()
    }
    public = {n: f["public_identity"] for n, f in fixtures.items()}
    room, other_room = det_uuid("roomstate/room"), det_uuid("roomstate/other-room")
    keys = {
        i: (b64u_encode(det(f"roomstate/kid{i}", 16)), det(f"roomstate/key{i}", 32))
        for i in (1, 2, 3)
    }
    A, B, C, D, M = (users[n] for n in ("alice", "bob", "carol", "dave", "mallory"))
    signer_of = {uid: unlocked[name].signing_key for name, uid in users.items()}

    def commit_of(i: int, room_id: str = room) -> bytes:
        return key_commitment(room_id=room_id, key_id=keys[i][0], key=keys[i][1])

    def proof_of(epoch: int, i: int, prev: int, author: str) -> bytes:
        return key_proof(
            room_id=room,
            epoch=epoch,
            previous_key_id=keys[prev][0],
            previous_key=keys[prev][1],
            key_id=keys[i][0],
            commit=commit_of(i),
            author=author,
        )

    def genesis(members: dict[str, dict[str, Any] | None], i: int = 1) -> dict[str, Any]:
        ordered = sorted(members, key=lambda user: user.encode())
        return {
            "key_id": keys[i][0],
            "commit": b64u_encode(commit_of(i)),
            "share_history": False,
            "members": [{"user": u, **member_ident(members[u])} for u in ordered],
        }

    def key_body(epoch: int, i: int, prev: int, author: str) -> dict[str, Any]:
        return {
            "epoch": epoch,
            "key_id": keys[i][0],
            "commit": b64u_encode(commit_of(i)),
            "proof": b64u_encode(proof_of(epoch, i, prev, author)),
        }

    def member(user: str, identity: dict[str, Any] | None) -> dict[str, Any]:
        return {"user": user, **member_ident(identity)}

    def add(chain: list[dict[str, Any]], type_: str, author: str, body: dict, **over: Any) -> None:
        """Append an entry signed by ``author`` (or ``key``) at the next index after the head,
        a minute after the one before (the genesis at T0) unless ``ts`` is given."""
        prev = entry_hash(room, chain[-1]) if chain else None
        ts = chain[-1]["ts"] + 60_000 if chain else T0
        args: dict[str, Any] = {"index": len(chain), "prev": prev, "signing_key": signer_of[author]}
        args |= {"ts": ts} | over
        chain.append(sign_entry(room_id=room, type=type_, author=author, body=body, **args))

    def resign(wire: dict[str, Any], entry: ParsedEntry, author: str) -> dict[str, Any]:
        """Return ``wire`` signed by ``author`` over ``entry`` (which may fail the shape check)."""
        sig = signer_of[author].sign(signed_bytes(room, entry))
        return wire | {"sig": b64u_encode(sig)}

    start_members = {A: public["alice"], B: public["bob"], C: None}
    started: list[dict[str, Any]] = []
    add(started, "genesis", A, genesis(start_members))
    full = list(started)
    add(full, "member_added", A, member(D, public["dave"]))
    add(full, "identity", B, member(C, public["carol"]))
    add(full, "member_removed", A, {"user": B})
    add(full, "key", A, key_body(2, 2, 1, A))
    add(full, "policy", C, {"share_history": True})
    add(full, "identity", A, member(D, public["dave2"]))
    add(full, "member_added", C, member(B, public["bob"]))
    # Exactly the allowed skew before the entry it follows: accepted (§15.5 step 2).
    add(full, "policy", A, {"share_history": False}, ts=full[-1]["ts"] - TS_SKEW_MS)

    unicode_fixtures = {u: identity_fixture(f"roomstate/{u}", u) for u in ("\uff5e", "\U0001f600")}
    for uid, fixture in unicode_fixtures.items():
        secret = bytes.fromhex(fixture["secret_hex"])
        signer_of[uid] = import_identity_secret(secret, uid).signing_key
    unicode_ids = {A: public["alice"], C: None}
    unicode_ids |= {uid: f["public_identity"] for uid, f in unicode_fixtures.items()}
    unicode_chain: list[dict[str, Any]] = []
    add(unicode_chain, "genesis", "\U0001f600", genesis(unicode_ids) | {"share_history": True})

    def positive(name: str, entries: list[dict[str, Any]], held: list[int]) -> dict[str, Any]:
        held_keys = {keys[i][0]: b64u_encode(keys[i][1]) for i in held}
        state = verify_chain(
            entries, room_id=room, keys={kid: b64u_decode(k) for kid, k in held_keys.items()}
        )
        return {
            "name": name,
            "room_id": room,
            "keys": held_keys,
            "entries": entries,
            "signed": [b64u_encode(entry_signed_bytes(room, e)) for e in entries],
            "hashes": [b64u_encode(entry_hash(room, e)) for e in entries],
            "state": chain_state_vector(state),
        }

    positives = [
        positive("every entry type, previous key held", full, [1]),
        positive("every entry type, no keys held (epoch 2 unproven)", full, []),
        positive("genesis members sorted by UTF-8 bytes, not UTF-16", unicode_chain, []),
    ]
    commitments = [
        {"room_id": r, "key_id": keys[i][0], "key": b64u_encode(keys[i][1])}
        | {"commit": b64u_encode(commit_of(i, r))}
        for r, i in ((room, 1), (room, 2), (other_room, 1))
    ]
    proofs = [
        {
            "room_id": room,
            "epoch": epoch,
            "previous_key_id": keys[prev][0],
            "previous_key": b64u_encode(keys[prev][1]),
            "key_id": keys[i][0],
            "commit": b64u_encode(commit_of(i)),
            "author": author,
            "proof": b64u_encode(proof_of(epoch, i, prev, author)),
        }
        for epoch, i, prev, author in ((2, 2, 1, A), (3, 3, 2, C), (2, 2, 1, B))
    ]

    negatives: list[dict[str, Any]] = []

    def bad(
        name: str,
        entries: list[dict[str, Any]],
        error: str,
        held: tuple[int, ...] = (),
        room_id: str = room,
    ) -> None:
        negatives.append(
            {
                "name": name,
                "room_id": room_id,
                "keys": {keys[i][0]: b64u_encode(keys[i][1]) for i in held},
                "entries": entries,
                "expect_error": error,
            }
        )

    def after(prefix: list[dict[str, Any]], type_: str, author: str, body: dict, **over: Any):
        chain = list(prefix)
        add(chain, type_, author, body, **over)
        return chain

    g = started[0]
    bad_self_sig = public["bob"] | {"sig": flip(public["bob"]["sig"])}
    wrong_sig = after(started, "member_removed", A, {"user": B})
    wrong_sig[-1] = wrong_sig[-1] | {"sig": flip(wrong_sig[-1]["sig"], 3)}
    parsed_g = check_entry_wire(g)

    def genesis_members(order: list[int]) -> dict[str, Any]:
        """Return the genesis with its members in ``order`` (by position), validly re-signed."""
        parsed = parsed_g.body.members  # type: ignore[union-attr]
        entry = replace(parsed_g, body=replace(parsed_g.body, members=[parsed[i] for i in order]))
        members = [g["body"]["members"][i] for i in order]
        return resign(g | {"body": g["body"] | {"members": members}}, entry, A)

    bad("wrong index", after(started, "member_removed", A, {"user": B}, index=2), "bad_chain")
    bad(
        "wrong prev",
        after(started, "member_removed", A, {"user": B}, prev=det("roomstate/prev", 32)),
        "bad_chain",
    )
    bad(
        "empty prev after index 0",
        after(started, "member_removed", A, {"user": B}, prev=None),
        "bad_chain",
    )
    bad(
        "prev non-empty at index 0",
        after([], "genesis", A, genesis(start_members), prev=det("roomstate/prev", 32)),
        "bad_chain",
    )
    bad(
        "genesis at index 1",
        after(started, "genesis", A, genesis({A: public["alice"]}, 2)),
        "bad_chain",
    )
    bad(
        "non-genesis at index 0",
        after([], "member_added", A, member(D, public["dave"])),
        "bad_chain",
    )
    bad(
        "author not a member",
        after(started, "member_added", M, member(D, public["dave"])),
        "bad_chain",
    )
    bad(
        "author without an identity",
        after(
            started, "policy", C, {"share_history": True}, signing_key=unlocked["carol"].signing_key
        ),
        "bad_chain",
    )
    bad(
        "removed member as author",
        after(
            after(started, "member_removed", A, {"user": B}), "policy", B, {"share_history": True}
        ),
        "bad_chain",
    )
    bad(
        "signer not the author's key",
        after(started, "member_added", A, member(D, public["dave"]), signing_key=signer_of[B]),
        "bad_chain",
    )
    bad("bad signature", wrong_sig, "bad_signature")
    bad("signature over another room", full[:2], "bad_signature", room_id=other_room)
    bad(
        "member_added of a member",
        after(started, "member_added", A, member(B, public["bob"])),
        "bad_chain",
    )
    bad(
        "member_added with another user's identity",
        after(started, "member_added", A, member(D, public["mallory"])),
        "bad_chain",
    )
    bad(
        "member_removed of a non-member",
        after(started, "member_removed", A, {"user": M}),
        "bad_chain",
    )
    bad("key epoch skipped", after(started, "key", A, key_body(3, 2, 1, A)), "bad_chain")
    bad("key epoch repeated", after(started, "key", A, key_body(1, 2, 1, A)), "bad_chain")
    bad("key id reused", after(started, "key", A, key_body(2, 1, 1, A)), "bad_chain")
    bad(
        "bad proof with the previous key held",
        after(started, "key", A, key_body(2, 2, 3, A)),
        "bad_chain",
        held=(1,),
    )
    bad(
        "proof made for another author, previous key held",
        after(started, "key", B, key_body(2, 2, 1, A)),
        "bad_chain",
        held=(1,),
    )
    bad("identity unchanged", after(started, "identity", A, member(B, public["bob"])), "bad_chain")
    bad(
        "identity by the user themself",
        after(full[:2], "identity", D, member(D, public["dave2"])),
        "bad_chain",
    )
    bad(
        "identity of a non-member",
        after(started, "identity", A, member(M, public["mallory"])),
        "bad_chain",
    )
    bad(
        "identity with a bad self-signature",
        after(
            started,
            "identity",
            A,
            member(C, public["carol"] | {"sig": flip(public["carol"]["sig"])}),
        ),
        "bad_chain",
    )
    bad(
        "identity entry without an identity",
        [*full[:2], full[2] | {"body": member(C, None)}],
        "tampered",
    )
    bad("genesis members unsorted", [genesis_members([1, 0, 2])], "tampered")
    bad("genesis members duplicated", [genesis_members([0, 0, 1, 2])], "tampered")
    bad("genesis author not in members", [genesis_members([1, 2])], "tampered")
    bad(
        "genesis author without an identity",
        after([], "genesis", A, genesis({A: None, B: public["bob"]})),
        "bad_chain",
    )
    bad(
        "genesis member with a bad self-signature",
        after([], "genesis", A, genesis({A: public["alice"], B: bad_self_sig})),
        "bad_chain",
    )
    bad(
        "genesis member with a partial identity",
        [g | {"body": g["body"] | {"members": [g["body"]["members"][0] | {"x25519": ""}]}}],
        "tampered",
    )
    bad("extra member in the entry", [g | {"room": room}], "tampered")
    bad("extra member in the body", [g | {"body": g["body"] | {"note": "x"}}], "tampered")
    bad("unknown entry type", [g | {"type": "party"}], "tampered")
    bad("index is a boolean", [g | {"index": False}], "tampered")
    bad("entry without ts", [{k: v for k, v in g.items() if k != "ts"}], "tampered")
    bad("ts is a float", [g | {"ts": T0 + 0.5}], "tampered")
    bad("ts is a boolean", [g | {"ts": True}], "tampered")
    bad("ts is a string", [g | {"ts": str(T0)}], "tampered")
    bad("ts is negative", [g | {"ts": -1}], "tampered")
    bad("ts is 2^53", [g | {"ts": 2**53}], "tampered")
    bad(
        "ts further back than the skew",
        after(started, "policy", A, {"share_history": True}, ts=T0 - TS_SKEW_MS - 1),
        "bad_chain",
    )
    bad(
        "ts changed after signing",
        [*started, after(started, "policy", A, {"share_history": True})[1] | {"ts": T0 + 1}],
        "bad_signature",
    )
    bad("share_history is an integer", [g | {"body": g["body"] | {"share_history": 0}}], "tampered")
    bad("version 2", [g | {"v": 2}], "unsupported")
    return doc(
        "roomstate", positive=positives, commitments=commitments, proofs=proofs, negative=negatives
    )


def trust_state(user_id: str, pinned: dict[str, Any], room_uid: str) -> dict[str, Any]:
    """Return a trust state with one pin of two generations and one known-encrypted room."""
    first, second = pinned["first"], pinned["second"]
    generation = [
        {
            "identity": first["public_identity"],
            "fingerprint": "first-fp",
            "first_seen": 1_700_000_000_000,
            "accepted_at": None,
        },
        {
            "identity": second["public_identity"],
            "fingerprint": "second-fp",
            "first_seen": 1_700_000_500_000,
            "accepted_at": 1_700_000_600_000,
        },
    ]
    return {
        "v": 1,
        "user": user_id,
        "pins": [{"user": "7", "generations": generation, "verified": "second-fp"}],
        "rooms": [
            {"room": "12", "uid": room_uid, "since": 1_700_000_000_123, "head": None},
            {
                "room": "13",
                "uid": None,
                "since": 1_700_000_000_456,
                "head": {"index": 3, "hash": "héad 🔐"},
                "opaque": {"kept": True},
            },
        ],
    }


def trustrecord_vectors() -> dict[str, Any]:
    ids = {
        name: identity_fixture(f"trustrecord/{name}", uid)
        for name, uid in [("owner", "42"), ("other", "99"), ("unicode", "ünï-💬")]
    }
    pinned = {n: identity_fixture(f"trustrecord/pinned-{n}", "7") for n in ("first", "second")}
    unlocked = {
        n: import_identity_secret(bytes.fromhex(f["secret_hex"]), f["user_id"])
        for n, f in ids.items()
    }
    cases = [
        ("basic", "owner", 1, trust_state("42", pinned, det_uuid("trustrecord/room"))),
        ("unicode user, empty state", "unicode", 4294967295, trust_state("ünï-💬", pinned, "")),
    ]
    cases[1][3].update(pins=[], rooms=[])
    valid = []
    for name, owner, version, state in cases:
        user_id = ids[owner]["user_id"]
        iv = det(f"trustrecord/{name}/iv", 12)
        record = _seal_trust_record_with_iv(
            state,
            user_id=user_id,
            version=version,
            signing_key=unlocked[owner].signing_key,
            agreement_key=unlocked[owner].agreement_key,
            iv=iv,
        )
        valid.append(
            {
                "name": name,
                "user_id": user_id,
                "owner": owner,
                "version": version,
                "iv_hex": iv.hex(),
                "key_hex": _trust_record_key(unlocked[owner].agreement_key, user_id).hex(),
                "plaintext_hex": canonical_json(state).encode().hex(),
                "state": state,
                "record": record,
            }
        )
    rec, state = valid[0]["record"], valid[0]["state"]
    owner = unlocked["owner"]

    def signed_raw(label: str, plaintext: bytes, key: bytes) -> dict[str, Any]:
        """Return a record the owner signed over ``plaintext`` sealed under ``key``."""
        iv = det(f"trustrecord/{label}/iv", 12)
        ct = aes_gcm_encrypt(key, iv, plaintext, _trust_record_ad("42", 2))
        sig = owner.signing_key.sign(_trust_record_signed_bytes("42", 2, iv, ct))
        return {"v": 1, "version": 2, "iv": b64u_encode(iv), "ct": b64u_encode(ct)} | {
            "sig": b64u_encode(sig)
        }

    own_key = _trust_record_key(owner.agreement_key, "42")
    other_key = _trust_record_key(unlocked["other"].agreement_key, "42")
    other_user_state = canonical_json(state | {"user": "99"}).encode()

    def bad(name: str, obj: Any, error: str, **ctx: Any) -> dict[str, Any]:
        context = {"user_id": "42", "owner": "owner", "min_version": 0}
        return {"name": name, "record": obj, **(context | ctx), "expect_error": error}

    invalid = [
        bad("opened as another user", rec, "bad_signature", user_id="99"),
        bad("checked with another identity", rec, "bad_signature", owner="other"),
        bad("flipped ciphertext bit", rec | {"ct": flip(rec["ct"], 3)}, "bad_signature"),
        bad("flipped iv bit", rec | {"iv": flip(rec["iv"])}, "bad_signature"),
        bad("version counter raised", rec | {"version": 2}, "bad_signature"),
        bad("older than the newest seen", rec, "rollback", min_version=2),
        bad("signed but sealed under another key", signed_raw("k", b"{}", other_key), "tampered"),
        bad("signed state of another user", signed_raw("u", other_user_state, own_key), "tampered"),
        bad("signed state not JSON", signed_raw("j", b"not json", own_key), "tampered"),
        bad("version 2", rec | {"v": 2}, "unsupported"),
        bad("version missing", {k: v for k, v in rec.items() if k != "v"}, "unsupported"),
        bad("extra field", rec | {"user": "42"}, "tampered"),
        bad("version counter 0", rec | {"version": 0}, "tampered"),
        bad("version counter as string", rec | {"version": "1"}, "tampered"),
        bad("short iv", rec | {"iv": b64u_encode(det("trustrecord/iv8", 8))}, "tampered"),
        bad("ciphertext shorter than a tag", rec | {"ct": b64u_encode(b"short")}, "tampered"),
        bad("not an object", [rec], "tampered"),
        bad("empty user id", rec, "tampered", user_id=""),
    ]
    return doc("trustrecord", identities=ids, valid=valid, invalid=invalid)


def build_vectors() -> dict[str, dict[str, Any]]:
    """Return every vector file's content by file name."""
    return {
        "encoding.json": encoding_vectors(),
        "base64url.json": base64url_vectors(),
        "identity.json": identity_vectors(),
        "backup.json": backup_vectors(),
        "password.json": password_vectors(),
        "envelope.json": envelope_vectors(),
        "message.json": message_vectors(),
        "membership.json": membership_vectors(),
        "trustrecord.json": trustrecord_vectors(),
        "roomstate.json": roomstate_vectors(),
    }


def main() -> None:
    vectors = build_vectors()
    if "--stdout" in sys.argv[1:]:
        sys.stdout.write(json.dumps(vectors, ensure_ascii=False) + "\n")
        return
    OUT_DIR.mkdir(exist_ok=True)
    for name, content in vectors.items():
        text = json.dumps(content, indent=2, ensure_ascii=False) + "\n"
        (OUT_DIR / name).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
