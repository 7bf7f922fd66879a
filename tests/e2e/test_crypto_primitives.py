"""The Python crypto layer: encoding, base64url, identities, backups and the password generator."""

import math
import secrets
from pathlib import Path

import pytest

from e2e.crypto import (
    LABELS,
    MIN_ITERATIONS,
    MIN_PASSWORD_BITS,
    WORD_SEPARATOR,
    BadSignatureError,
    MalformedError,
    WeakKdfError,
    WrongPasswordError,
    b64u_decode,
    b64u_encode,
    canonical,
    check_backup_blob,
    create_backup,
    create_identity_with_backup,
    fingerprint,
    format_safety_number,
    generate_identity,
    generate_password,
    import_identity_secret,
    is_generated_form,
    is_valid_id,
    is_valid_message_id,
    normalize_passphrase,
    parse_wordlist,
    rewrap_backup,
    safety_number,
    u32,
    unlock_backup,
    unlock_candidates,
    utf8,
    verify_public_identity,
)
from e2e.crypto.backup import _decrypt_backup_secret
from e2e.crypto.identity import VerifiedIdentity
from e2e.crypto.password import _generate_password_with_randomness, _uniform_index

pytestmark: list[pytest.MarkDecorator] = []

WORDLIST = Path(__file__).resolve().parents[2] / "static" / "e2e" / "eff_large_wordlist.txt"


@pytest.fixture(scope="module")
def alice():
    return generate_identity("42")


@pytest.fixture(scope="module")
def words() -> list[str]:
    return parse_wordlist(WORDLIST.read_text(encoding="utf-8"))


def test_canonical_prefixes_label_and_fields_with_big_endian_lengths() -> None:
    """canonical() writes u32be(len) || bytes for the label and each field."""
    assert canonical("ab", "c", b"\x01\x02").hex() == "00000002616200000001630000000201" + "02"


def test_canonical_keeps_field_boundaries() -> None:
    """Fields that plain concatenation would merge encode differently."""
    assert canonical("l", "a", "bc") != canonical("l", "ab", "c")
    assert canonical("l", "") != canonical("l")


def test_canonical_refuses_non_byte_fields() -> None:
    """Integers must go through u32(); anything else is a programming error."""
    with pytest.raises(TypeError):
        canonical("l", 1)  # type: ignore[arg-type]


def test_u32_and_utf8_guard_their_inputs() -> None:
    """u32 is 4 big-endian bytes in range; utf8 refuses lone surrogates."""
    assert u32(600_000).hex() == "000927c0"
    for bad in (-1, 2**32, True):
        with pytest.raises(ValueError):
            u32(bad)
    with pytest.raises(TypeError):
        utf8("\ud800")


def test_labels_are_distinct_and_versioned() -> None:
    """Every purpose has its own v1 domain label."""
    labels = [getattr(LABELS, name) for name in LABELS.__dataclass_fields__]
    assert len(set(labels)) == len(labels)
    assert all(label.startswith("keyroom/v1/") for label in labels)


def test_id_validation() -> None:
    """Ids are non-empty strings of at most 256 bytes; message ids are lowercase UUIDs."""
    assert is_valid_id("42")
    assert not is_valid_id("")
    assert not is_valid_id(42)
    assert not is_valid_id("x" * 257)
    assert not is_valid_id("\ud800")
    assert is_valid_message_id("123e4567-e89b-42d3-a456-426614174000")
    assert not is_valid_message_id("123E4567-E89B-42D3-A456-426614174000")


def test_base64url_round_trips_without_padding() -> None:
    """Every length encodes without padding and decodes back."""
    for n in range(40):
        data = secrets.token_bytes(n)
        text = b64u_encode(data)
        assert "=" not in text
        assert b64u_decode(text) == data


@pytest.mark.parametrize("bad", ["AA==", "A", "AB", "A+AA", "A/AA", " AAA", "AAA\n", 7, None])
def test_base64url_rejects_non_canonical_text(bad: object) -> None:
    """Padding, foreign characters and set padding bits are all malformed."""
    with pytest.raises(MalformedError):
        b64u_decode(bad)


def test_generated_identity_verifies_and_is_deterministic(alice) -> None:
    """The public identity verifies, and the same secret rebuilds it exactly."""
    verified = verify_public_identity(alice.public_identity, "42")
    assert len(verified.sign_public_key) == len(verified.dh_public_key) == 32
    assert import_identity_secret(alice.secret, "42").public_identity == alice.public_identity
    assert "secret" not in repr(alice)


def test_identity_signature_is_checked(alice) -> None:
    """Swapping in another X25519 key breaks the identity signature."""
    other = generate_identity("42")
    forged = alice.public_identity | {"x25519": other.public_identity["x25519"]}
    with pytest.raises(BadSignatureError):
        verify_public_identity(forged, "42")


def test_safety_number_shape_and_user_binding(alice) -> None:
    """The safety number is 12 groups of 5 digits and changes with the user id."""
    verified = verify_public_identity(alice.public_identity, "42")
    number = safety_number(verified)
    groups = number.split(" ")
    assert len(groups) == 12 and all(len(g) == 5 and g.isdigit() for g in groups)
    moved = VerifiedIdentity("43", verified.sign_public_key, verified.dh_public_key)
    assert fingerprint(moved) != fingerprint(verified)


def test_format_safety_number_is_fingerprint_mod_ten_to_the_sixty() -> None:
    """The digits are the big-endian fingerprint integer modulo 10**60, zero-padded."""
    assert format_safety_number(bytes(32)) == " ".join(["00000"] * 12)
    assert format_safety_number(bytes(31) + b"\x01").endswith("00000 00001")
    expected = str((2**256 - 1) % 10**60).zfill(60)
    assert format_safety_number(b"\xff" * 32).replace(" ", "") == expected


def test_backup_round_trip_and_wrong_password(alice) -> None:
    """A backup unlocks with its password and user id only; other cases are wrong_password."""
    blob = create_backup(alice.secret, "correct horse", "42")
    assert blob["iterations"] == 600_000
    assert len(b64u_decode(blob["salt"])) == 16 and len(b64u_decode(blob["iv"])) == 12
    assert unlock_backup(blob, "correct horse", "42").public_identity == alice.public_identity
    with pytest.raises(WrongPasswordError):
        unlock_backup(blob, "correct horsE", "42")
    with pytest.raises(WrongPasswordError):
        unlock_backup(blob, "correct horse", "43")


def test_backups_use_fresh_salt_and_iv(alice) -> None:
    """Two backups of one secret never share a salt or IV."""
    a, b = create_backup(alice.secret, "pw", "42"), create_backup(alice.secret, "pw", "42")
    assert a["salt"] != b["salt"] and a["iv"] != b["iv"]


def test_password_is_nfkc_normalised(alice) -> None:
    """Composed and decomposed forms (and compatibility ligatures) unlock the same backup."""
    blob = create_backup(alice.secret, "caf\u00e9 \ufb01", "42")
    assert unlock_backup(blob, "cafe\u0301 fi", "42").public_identity == alice.public_identity


def test_backup_creation_refuses_weak_settings(alice) -> None:
    """No backup below 600,000 iterations, and no empty password."""
    with pytest.raises(ValueError):
        create_backup(alice.secret, "pw", "42", iterations=MIN_ITERATIONS - 1)
    with pytest.raises(TypeError):
        create_backup(alice.secret, "", "42")


def test_rewrap_changes_password_salt_and_iv(alice) -> None:
    """rewrap_backup re-encrypts under the new password; the old one stops working."""
    blob = create_backup(alice.secret, "old pw", "42", iterations=700_000)
    new = rewrap_backup(blob, "old pw", "new pw", "42")
    assert new["salt"] != blob["salt"] and new["iv"] != blob["iv"]
    assert new["iterations"] == 700_000
    assert unlock_backup(new, "new pw", "42").public_identity == alice.public_identity
    with pytest.raises(WrongPasswordError):
        unlock_backup(new, "old pw", "42")
    with pytest.raises(WrongPasswordError):
        rewrap_backup(blob, "wrong", "new pw", "42")


def test_create_identity_with_backup() -> None:
    """The one-step helper returns keys, identity and a backup that restores them."""
    made = create_identity_with_backup("7", "pw")
    secret = _decrypt_backup_secret(made.backup, "pw", "7")
    assert import_identity_secret(secret, "7").public_identity == made.public_identity


def test_check_backup_blob_refuses_weak_or_malformed(alice) -> None:
    """Weak iteration counts and wrong field sizes are refused before any key derivation."""
    blob = create_backup(alice.secret, "pw", "42")
    with pytest.raises(WeakKdfError):
        check_backup_blob(blob | {"iterations": 100_000})
    with pytest.raises(MalformedError):
        check_backup_blob(blob | {"salt": blob["iv"]})
    with pytest.raises(MalformedError):
        check_backup_blob(blob | {"iterations": True})


def test_shipped_wordlist_is_the_eff_large_list(words: list[str]) -> None:
    """7776 distinct lowercase words, abacus to zoom."""
    assert len(words) == len(set(words)) == 7776
    assert (words[0], words[-1]) == ("abacus", "zoom")


def test_parse_wordlist_rejects_wrong_lists(words: list[str]) -> None:
    """Wrong size, duplicates and dice-numbered lines are refused."""
    for text in (
        "\n".join(words[1:]),
        "\n".join([*words[1:], "zoom"]),
        "11111\t" + "\n".join(words),
    ):
        with pytest.raises(MalformedError):
            parse_wordlist(text)


def test_generated_password_has_ten_listed_words(words: list[str]) -> None:
    """A password is 10 words of the list joined by single spaces, >= 128 bits."""
    password = generate_password(words)
    parts = password.split(WORD_SEPARATOR)
    assert len(parts) == 10 and all(p in words for p in parts)
    assert 10 * math.log2(len(words)) >= MIN_PASSWORD_BITS
    assert generate_password(words) != password


def test_generator_refuses_fewer_than_128_bits(words: list[str]) -> None:
    """Nine words, or a small list, would fall below 128 bits."""
    with pytest.raises(ValueError):
        generate_password(words, 9)
    with pytest.raises(ValueError):
        generate_password(words[:1000])


def test_normalize_passphrase_folds_case_and_white_space() -> None:
    """ASCII capitals go to lower case, white space runs to one space, surrounding space goes."""
    assert normalize_passphrase("  Abacus  zoom\t\nT-Shirt\u00a0 ") == "abacus zoom t-shirt"
    assert normalize_passphrase("abacus zoom") == "abacus zoom"
    assert normalize_passphrase("\u00c1bacus") == "\u00c1bacus"


def test_unlock_candidates_add_the_normal_form_only_for_list_words(words: list[str]) -> None:
    """The exact input comes first; the normal form follows only when it is all list words."""
    password = generate_password(words)
    assert normalize_passphrase(password) == password and is_generated_form(password, words)
    assert unlock_candidates("Abacus  zoom", words) == ["Abacus  zoom", "abacus zoom"]
    assert unlock_candidates("abacus zoom", words) == ["abacus zoom"]
    assert unlock_candidates("My Own  Secret", words) == ["My Own  Secret"]


def test_rejection_sampling_discards_the_biased_tail(words: list[str]) -> None:
    """Draws at or above the largest multiple of n below 2**32 are skipped."""
    limit = 2**32 - 2**32 % 7776
    draws = iter([2**32 - 1, limit, limit - 1])
    assert _uniform_index(7776, lambda: next(draws)) == (limit - 1) % 7776
    seq = iter([0, 7775, 7776, 2**32 - 1, 1, 2, 3, 4, 5, 6, 7])
    password = _generate_password_with_randomness(words, lambda: next(seq))
    assert password == "abacus zoom abacus abdomen abdominal abide abiding ability ablaze able"
