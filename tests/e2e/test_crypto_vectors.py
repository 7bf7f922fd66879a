"""Interop: the Python crypto layer checks the JS-made vectors, its own, and live JS output.

Each positive vector is re-derived from its inputs (injected randomness) and opened again; each
negative vector must fail with exactly the expected error class.
"""

import hashlib
import importlib.util
import json
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from chat.checks import check_message_content
from e2e.crypto import (
    ERRORS_BY_CODE,
    b64u_decode,
    b64u_encode,
    canonical,
    decrypt_message,
    decrypt_message_bytes,
    encode_payload,
    entry_hash,
    entry_signed_bytes,
    fingerprint,
    import_identity_secret,
    key_commitment,
    key_proof,
    normalize_passphrase,
    open_envelope,
    open_trust_record,
    parse_wordlist,
    safety_number,
    sign_membership,
    u32,
    unlock_backup,
    unlock_candidates,
    verify_chain,
    verify_membership,
    verify_public_identity,
)
from e2e.crypto.backup import _create_backup_with_randomness, _decrypt_backup_secret
from e2e.crypto.envelope import _seal_envelope_with_randomness
from e2e.crypto.membership import _membership_signed_bytes
from e2e.crypto.message import _encrypt_message_with_randomness
from e2e.crypto.password import _generate_password_with_randomness
from e2e.crypto.roomstate import ChainState
from e2e.crypto.trustrecord import _seal_trust_record_with_iv, _trust_record_key, canonical_json

pytestmark: list[pytest.MarkDecorator] = []

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "tests" / "vectors"
WORDLIST = ROOT / "static" / "e2e" / "eff_large_wordlist.txt"
VECTOR_FILES = [
    "encoding.json",
    "base64url.json",
    "identity.json",
    "backup.json",
    "password.json",
    "envelope.json",
    "trustrecord.json",
    "message.json",
    "membership.json",
    "roomstate.json",
]
# Files added after the first release of the other generator: that set may not have them yet.
NEWER_VECTOR_FILES = {"roomstate.json"}

Check = tuple[str, Callable[[], None]]


def expect_error(code: str, fn: Callable[[], object]) -> None:
    """Fail unless ``fn`` raises exactly the error class registered for ``code``."""
    expected = ERRORS_BY_CODE[code]
    try:
        fn()
    except Exception as exc:  # the exact class is asserted just below
        assert type(exc) is expected, f"expected {expected.__name__}, got {exc!r}"
        return
    pytest.fail(f"expected {expected.__name__}, but it succeeded")


def _field(f: dict[str, Any]) -> str | bytes:
    if "u32" in f:
        return u32(f["u32"])
    return f["str"] if "str" in f else bytes.fromhex(f["hex"])


def _identities(doc: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for name, f in doc.get("identities", {}).items():
        unlocked = import_identity_secret(bytes.fromhex(f["secret_hex"]), f["user_id"])
        assert unlocked.public_identity == f["public_identity"], name
        out[name] = (unlocked, verify_public_identity(f["public_identity"], f["user_id"]))
    return out


def encoding_checks(doc: dict[str, Any]) -> Iterator[Check]:
    for v in doc["vectors"]:

        def check(v: dict[str, Any] = v) -> None:
            fields = [_field(f) for f in v["fields"]]
            assert canonical(v["label"], *fields).hex() == v["expected_hex"]

        yield v["name"], check


def base64url_checks(doc: dict[str, Any]) -> Iterator[Check]:
    for v in doc["valid"]:

        def check(v: dict[str, Any] = v) -> None:
            assert b64u_encode(bytes.fromhex(v["hex"])) == v["text"]
            assert b64u_decode(v["text"]).hex() == v["hex"]

        yield f"valid {v['text']!r}", check
    for v in doc["invalid"]:
        yield (
            f"invalid {v['text']!r}",
            lambda v=v: expect_error(v["expect_error"], lambda: b64u_decode(v["text"])),
        )


def identity_checks(doc: dict[str, Any]) -> Iterator[Check]:
    for v in doc["valid"]:

        def check(v: dict[str, Any] = v) -> None:
            unlocked = import_identity_secret(bytes.fromhex(v["secret_hex"]), v["user_id"])
            assert unlocked.public_identity == v["public_identity"]
            verified = verify_public_identity(v["public_identity"], v["user_id"])
            assert fingerprint(verified).hex() == v["fingerprint_hex"]
            assert safety_number(verified) == v["safety_number"]

        yield v["name"], check
    for v in doc["invalid"]:
        yield (
            v["name"],
            lambda v=v: expect_error(
                v["expect_error"],
                lambda: verify_public_identity(v["public_identity"], v["user_id"]),
            ),
        )


def backup_checks(doc: dict[str, Any]) -> Iterator[Check]:
    for v in doc["valid"]:

        def check(v: dict[str, Any] = v) -> None:
            blob = _create_backup_with_randomness(
                bytes.fromhex(v["secret_hex"]),
                v["password"],
                v["user_id"],
                salt=bytes.fromhex(v["salt_hex"]),
                iv=bytes.fromhex(v["iv_hex"]),
                iterations=v["iterations"],
            )
            assert blob == v["blob"]
            secret = _decrypt_backup_secret(v["blob"], v["unlock_password"], v["user_id"])
            assert secret.hex() == v["secret_hex"]
            unlocked = unlock_backup(v["blob"], v["unlock_password"], v["user_id"])
            assert unlocked.public_identity == v["public_identity"]

        yield v["name"], check
    for v in doc["invalid"]:
        yield (
            v["name"],
            lambda v=v: expect_error(
                v["expect_error"], lambda: unlock_backup(v["blob"], v["password"], v["user_id"])
            ),
        )


def password_checks(doc: dict[str, Any]) -> Iterator[Check]:
    raw = WORDLIST.read_bytes()
    words = parse_wordlist(raw.decode("utf-8"))

    def check_wordlist() -> None:
        assert hashlib.sha256(raw).hexdigest() == doc["wordlist_sha256"]
        assert len(words) == doc["wordlist_size"]

    yield "wordlist", check_wordlist
    for v in doc["vectors"]:

        def check(v: dict[str, Any] = v) -> None:
            draws = iter(v["u32s"])
            password = _generate_password_with_randomness(words, lambda: next(draws), v["count"])
            assert password == v["expected"]
            assert next(draws, None) is None, "every draw must be consumed"

        yield v["name"], check
    assert doc["normalize"], "passphrase normalisation vectors"
    for v in doc["normalize"]:

        def check_normalize(v: dict[str, Any] = v) -> None:
            assert normalize_passphrase(v["typed"]) == v["normalized"]
            assert unlock_candidates(v["typed"], words) == v["candidates"]

        yield f"normalize: {v['name']}", check_normalize


def envelope_checks(doc: dict[str, Any]) -> Iterator[Check]:
    ids = _identities(doc)
    for v in doc["valid"]:

        def check(v: dict[str, Any] = v) -> None:
            recipient_unlocked, recipient = ids[v["recipient"]]
            sender_unlocked, sender = ids["sender"]
            envelope = _seal_envelope_with_randomness(
                bytes.fromhex(v["room_key_hex"]),
                room_id=v["room_id"],
                key_id=v["key_id"],
                sender_id=v["sender_id"],
                recipient_id=v["recipient_id"],
                recipient_dh_public_key=recipient.dh_public_key,
                signing_key=sender_unlocked.signing_key,
                ephemeral_secret=bytes.fromhex(v["ephemeral_secret_hex"]),
                iv=bytes.fromhex(v["iv_hex"]),
            )
            assert envelope == v["envelope"]
            opened = open_envelope(
                v["envelope"],
                room_id=v["room_id"],
                sender_id=v["sender_id"],
                recipient_id=v["recipient_id"],
                sender_sign_public_key=sender.sign_public_key,
                recipient_agreement_key=recipient_unlocked.agreement_key,
                recipient_dh_public_key=recipient.dh_public_key,
            )
            assert (opened.key_id, opened.key.hex()) == (v["key_id"], v["room_key_hex"])

        yield v["name"], check
    for v in doc["invalid"]:

        def check_bad(v: dict[str, Any] = v) -> None:
            recipient_unlocked, recipient = ids[v["recipient"]]
            expect_error(
                v["expect_error"],
                lambda: open_envelope(
                    v["envelope"],
                    room_id=v["room_id"],
                    sender_id=v["sender_id"],
                    recipient_id=v["recipient_id"],
                    sender_sign_public_key=ids[v["sender"]][1].sign_public_key,
                    recipient_agreement_key=recipient_unlocked.agreement_key,
                    recipient_dh_public_key=recipient.dh_public_key,
                ),
            )

        yield v["name"], check_bad


def message_checks(doc: dict[str, Any]) -> Iterator[Check]:
    ids = _identities(doc)
    alice_unlocked, alice = ids["alice"]
    for v in doc["valid"]:

        def check(v: dict[str, Any] = v) -> None:
            assert encode_payload(v["payload"]).hex() == v["plaintext_hex"]
            wire = _encrypt_message_with_randomness(
                bytes.fromhex(v["plaintext_hex"]),
                room_id=v["room_id"],
                key_id=v["key_id"],
                room_key=bytes.fromhex(v["room_key_hex"]),
                sender_id=v["sender_id"],
                message_id=v["message_id"],
                signing_key=alice_unlocked.signing_key,
                iv=bytes.fromhex(v["iv_hex"]),
            )
            assert wire == v["wire"]
            context: dict[str, Any] = {
                "room_id": v["room_id"],
                "sender_id": v["sender_id"],
                "message_id": v["message_id"],
                "sender_sign_public_key": alice.sign_public_key,
                "keys": {v["key_id"]: bytes.fromhex(v["room_key_hex"])},
            }
            assert decrypt_message_bytes(v["wire"], **context).hex() == v["plaintext_hex"]
            assert decrypt_message(v["wire"], **context) == v["payload"]
            if "v" in v["payload"]:
                # The content payload is the server's content model too (PROTOCOL.md
                # "Message content"): it passes the same check, every later key kept.
                content = {k: x for k, x in v["payload"].items() if k not in ("rev", "ts", "ctr")}
                assert check_message_content(content) == content

        yield v["name"], check
    for v in doc["invalid"]:

        def check_bad(v: dict[str, Any] = v) -> None:
            expect_error(
                v["expect_error"],
                lambda: decrypt_message(
                    v["wire"],
                    room_id=v["room_id"],
                    sender_id=v["sender_id"],
                    message_id=v["message_id"],
                    sender_sign_public_key=ids[v["sender"]][1].sign_public_key,
                    keys={kid: bytes.fromhex(k) for kid, k in v["keys"].items()},
                ),
            )

        yield v["name"], check_bad


def membership_checks(doc: dict[str, Any]) -> Iterator[Check]:
    ids = _identities(doc)
    for v in doc["valid"]:

        def check(v: dict[str, Any] = v) -> None:
            attester_unlocked, attester = ids[v["attester"]]
            context = {
                "room_id": v["room_id"],
                "attester_id": v["attester_id"],
                "member_id": v["member_id"],
            }
            signed = _membership_signed_bytes(
                v["room_id"], b64u_decode(v["key_id"]), v["attester_id"], v["member_id"]
            )
            assert signed.hex() == v["signed_hex"]
            wire = sign_membership(
                **context, key_id=v["key_id"], signing_key=attester_unlocked.signing_key
            )
            assert wire == v["membership"]
            key_id = verify_membership(
                v["membership"], **context, attester_sign_public_key=attester.sign_public_key
            )
            assert key_id == v["key_id"]

        yield v["name"], check
    for v in doc["invalid"]:
        yield (
            v["name"],
            lambda v=v: expect_error(
                v["expect_error"],
                lambda: verify_membership(
                    v["membership"],
                    room_id=v["room_id"],
                    attester_id=v["attester_id"],
                    member_id=v["member_id"],
                    attester_sign_public_key=ids[v["attester"]][1].sign_public_key,
                ),
            ),
        )


def _state_vector(state: ChainState) -> dict[str, Any]:
    return {
        "members": {u: i and b64u_encode(i.ed25519) for u, i in state.members.items()},
        "joined": state.joined,
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


def _held(keys: dict[str, str]) -> dict[str, bytes]:
    return {kid: b64u_decode(key) for kid, key in keys.items()}


def roomstate_checks(doc: dict[str, Any]) -> Iterator[Check]:
    for v in doc["positive"]:

        def check(v: dict[str, Any] = v) -> None:
            room, entries = v["room_id"], v["entries"]
            assert [b64u_encode(entry_signed_bytes(room, e)) for e in entries] == v["signed"]
            assert [b64u_encode(entry_hash(room, e)) for e in entries] == v["hashes"]
            state = verify_chain(entries, room_id=room, keys=_held(v["keys"]))
            assert _state_vector(state) == v["state"]

        yield v["name"], check
    for i, v in enumerate(doc["commitments"]):

        def check_commit(v: dict[str, Any] = v) -> None:
            commit = key_commitment(
                room_id=v["room_id"], key_id=v["key_id"], key=b64u_decode(v["key"])
            )
            assert b64u_encode(commit) == v["commit"]

        yield f"commitment {i}", check_commit
    for i, v in enumerate(doc["proofs"]):

        def check_proof(v: dict[str, Any] = v) -> None:
            proof = key_proof(
                room_id=v["room_id"],
                epoch=v["epoch"],
                previous_key_id=v["previous_key_id"],
                previous_key=b64u_decode(v["previous_key"]),
                key_id=v["key_id"],
                commit=b64u_decode(v["commit"]),
                author=v["author"],
            )
            assert b64u_encode(proof) == v["proof"]

        yield f"proof {i}", check_proof
    for v in doc["negative"]:
        yield (
            v["name"],
            lambda v=v: expect_error(
                v["expect_error"],
                lambda: verify_chain(v["entries"], room_id=v["room_id"], keys=_held(v["keys"])),
            ),
        )


def trustrecord_checks(doc: dict[str, Any]) -> Iterator[Check]:
    ids = _identities(doc)
    for v in doc["valid"]:

        def check(v: dict[str, Any] = v) -> None:
            unlocked, public = ids[v["owner"]]
            key = _trust_record_key(unlocked.agreement_key, v["user_id"])
            assert key.hex() == v["key_hex"]
            assert canonical_json(v["state"]).encode().hex() == v["plaintext_hex"]
            record = _seal_trust_record_with_iv(
                v["state"],
                user_id=v["user_id"],
                version=v["version"],
                signing_key=unlocked.signing_key,
                agreement_key=unlocked.agreement_key,
                iv=bytes.fromhex(v["iv_hex"]),
            )
            assert record == v["record"]
            opened = open_trust_record(
                v["record"],
                user_id=v["user_id"],
                sign_public_key=public.sign_public_key,
                agreement_key=unlocked.agreement_key,
                min_version=v["version"],
            )
            assert (opened.version, opened.state) == (v["version"], v["state"])

        yield v["name"], check
    for v in doc["invalid"]:
        yield (
            v["name"],
            lambda v=v: expect_error(
                v["expect_error"],
                lambda: open_trust_record(
                    v["record"],
                    user_id=v["user_id"],
                    sign_public_key=ids[v["owner"]][1].sign_public_key,
                    agreement_key=ids[v["owner"]][0].agreement_key,
                    min_version=v["min_version"],
                ),
            ),
        )


CHECKERS: dict[str, Callable[[dict[str, Any]], Iterator[Check]]] = {
    "encoding": encoding_checks,
    "base64url": base64url_checks,
    "identity": identity_checks,
    "backup": backup_checks,
    "password": password_checks,
    "envelope": envelope_checks,
    "message": message_checks,
    "membership": membership_checks,
    "trustrecord": trustrecord_checks,
    "roomstate": roomstate_checks,
}


def vector_checks(doc: dict[str, Any]) -> list[Check]:
    """Return (name, check) pairs for one vector file."""
    return list(CHECKERS[doc["kind"]](doc))


def _load(directory: str, name: str) -> dict[str, Any]:
    return json.loads((VECTORS / directory / name).read_text(encoding="utf-8"))


def _files(directory: str) -> list[str]:
    """Return the vector files of a set: a newer file the other generator has not written is left
    out (the Python set always has every file)."""
    return [
        name
        for name in VECTOR_FILES
        if directory == "py"
        or name not in NEWER_VECTOR_FILES
        or (VECTORS / directory / name).exists()
    ]


def _negatives(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return doc["negative"] if doc["kind"] == "roomstate" else doc["invalid"]


def _cases() -> Iterator[Any]:
    for directory, generator in (("js", "js"), ("py", "python")):
        for name in _files(directory):
            doc = _load(directory, name)
            assert doc["kind"] == name.removesuffix(".json")
            assert doc["generator"] == generator
            for check_name, check in vector_checks(doc):
                yield pytest.param(check, id=f"{directory}/{doc['kind']}/{check_name}")


@pytest.mark.parametrize("check", list(_cases()))
def test_vector(check: Callable[[], None]) -> None:
    """Each stored vector (JS-made and Python-made) holds under the Python implementation."""
    check()


@pytest.mark.parametrize("directory", ["js", "py"])
def test_every_file_has_negative_vectors(directory: str) -> None:
    """Each vector set carries negative vectors for every kind that can fail on untrusted input."""
    for name in _files(directory):
        doc = _load(directory, name)
        if doc["kind"] not in {"encoding", "password"}:
            codes = {v["expect_error"] for v in _negatives(doc)}
            assert codes, name
            assert codes <= ERRORS_BY_CODE.keys(), name


def test_python_generator_reproduces_stored_vectors() -> None:
    """make_py_vectors.py is deterministic: it rebuilds tests/vectors/py exactly."""
    spec = importlib.util.spec_from_file_location("make_py_vectors", VECTORS / "make_py_vectors.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    built = json.loads(json.dumps(module.build_vectors(), ensure_ascii=False))
    assert sorted(built) == sorted(VECTOR_FILES)
    for name in VECTOR_FILES:
        assert built[name] == _load("py", name), name


def test_live_js_generator_output_verifies_in_python() -> None:
    """JS vectors made right now by node verify in Python and match the stored ones."""
    node = shutil.which("node")
    assert node, "node is required for the interop test"
    result = subprocess.run(  # noqa: S603 - fixed argv, no shell
        [node, str(VECTORS / "make_js_vectors.mjs"), "--stdout"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        check=True,
    )
    live = json.loads(result.stdout)
    assert sorted(live) == sorted(_files("js"))
    failures = []
    for name in sorted(live):
        assert live[name] == _load("js", name), f"{name}: live JS output differs from stored"
        for check_name, check in vector_checks(live[name]):
            try:
                check()
            except AssertionError as exc:
                failures.append(f"{name}/{check_name}: {exc}")
    assert not failures, "\n".join(failures)
