"""Known-answer tests: the Python primitives give the bytes the standards publish.

The interop vectors only show that Python and JS agree with each other; these show that both
agree with RFC 8032 (Ed25519), RFC 7748 (X25519), RFC 5869 (HKDF-SHA256) and RFC 7914
section 11 (PBKDF2-HMAC-SHA256). The values live in tests/vectors/kat.json, which
tests/js/kat.test.mjs reads too. The checks go through e2e.crypto.primitives where it has a
wrapper, and otherwise use ``cryptography`` the way e2e.crypto does.
"""

import hashlib
import hmac
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

from e2e.crypto import primitives

KAT = json.loads((Path(__file__).parents[1] / "vectors" / "kat.json").read_text())
X = bytes.fromhex


def named(items: list[dict]) -> list:
    return [pytest.param(item, id=item["name"]) for item in items]


@pytest.mark.parametrize("vector", named(KAT["ed25519"]))
def test_ed25519_matches_rfc_8032(vector):
    """The secret key gives the published public key and signature, which verifies."""
    key = Ed25519PrivateKey.from_private_bytes(X(vector["secret_key"]))
    message, signature = X(vector["message"]), X(vector["signature"])
    assert primitives.ed25519_public(key).hex() == vector["public_key"]
    assert key.sign(message).hex() == vector["signature"]
    assert primitives.ed25519_verify(X(vector["public_key"]), signature, message)


@pytest.mark.parametrize("vector", named(KAT["ed25519"]))
def test_ed25519_refuses_an_altered_rfc_8032_signature(vector):
    """The published signature no longer verifies with one bit flipped or another message."""
    public, message = X(vector["public_key"]), X(vector["message"])
    flipped = bytearray(X(vector["signature"]))
    flipped[0] ^= 1
    assert not primitives.ed25519_verify(public, bytes(flipped), message)
    assert not primitives.ed25519_verify(public, X(vector["signature"]), message + b"\x00")


@pytest.mark.parametrize("vector", named(KAT["x25519"]))
def test_x25519_matches_rfc_7748_section_5_2(vector):
    """The scalar times the u-coordinate is the published output."""
    scalar = X25519PrivateKey.from_private_bytes(X(vector["scalar"]))
    assert primitives.x25519(scalar, X(vector["u"])).hex() == vector["output"]


def test_x25519_matches_rfc_7748_section_6_1():
    """Alice's and Bob's private keys give the published public keys and shared secret."""
    dh = KAT["x25519_dh"]
    alice = X25519PrivateKey.from_private_bytes(X(dh["alice_private"]))
    bob = X25519PrivateKey.from_private_bytes(X(dh["bob_private"]))
    assert primitives.x25519_public(alice).hex() == dh["alice_public"]
    assert primitives.x25519_public(bob).hex() == dh["bob_public"]
    assert primitives.x25519(alice, X(dh["bob_public"])).hex() == dh["shared"]
    assert primitives.x25519(bob, X(dh["alice_public"])).hex() == dh["shared"]


@pytest.mark.parametrize("vector", named(KAT["hkdf_sha256"]))
def test_hkdf_sha256_matches_rfc_5869(vector):
    """The extract step gives the published PRK and the expand step the published OKM; the
    project's 32-byte wrapper gives the OKM's first 32 bytes (HKDF output is a prefix)."""
    ikm, salt, info = X(vector["ikm"]), X(vector["salt"]), X(vector["info"])
    # RFC 5869 section 2.2: no salt means HashLen zero bytes.
    prk = hmac.new(salt or bytes(32), ikm, hashlib.sha256).digest()
    assert prk.hex() == vector["prk"]
    full = HKDF(hashes.SHA256(), vector["length"], salt, info).derive(ikm)
    assert full.hex() == vector["okm"]
    assert primitives.hkdf_sha256(ikm, salt, info).hex() == vector["okm"][:64]


@pytest.mark.parametrize("vector", named(KAT["pbkdf2_sha256"]))
def test_pbkdf2_sha256_matches_rfc_7914(vector):
    """The password, salt and count give the published key; the project's 32-byte wrapper
    gives its first 32 bytes (the first PBKDF2 block)."""
    password = vector["password_text"].encode("ascii")
    salt = vector["salt_text"].encode("ascii")
    iterations = vector["iterations"]
    full = PBKDF2HMAC(hashes.SHA256(), vector["length"], salt, iterations).derive(password)
    assert full.hex() == vector["dk"]
    assert primitives.pbkdf2_sha256(password, salt, iterations).hex() == vector["dk"][:64]
