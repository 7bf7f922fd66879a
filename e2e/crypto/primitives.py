"""Thin wrappers over ``cryptography`` shared by the other modules."""

import hmac

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC


def require_bytes(value: object, length: int, what: str) -> bytes:
    """Return ``value`` as bytes if it is exactly ``length`` bytes; raise TypeError otherwise."""
    if not isinstance(value, bytes | bytearray) or len(value) != length:
        raise TypeError(f"{what} must be {length} bytes")
    return bytes(value)


def ed25519_public(key: Ed25519PrivateKey) -> bytes:
    """Return the raw 32-byte public key of an Ed25519 private key."""
    return key.public_key().public_bytes_raw()


def x25519_public(key: X25519PrivateKey) -> bytes:
    """Return the raw 32-byte public key of an X25519 private key."""
    return key.public_key().public_bytes_raw()


def ed25519_verify(public_key: bytes, signature: bytes, data: bytes) -> bool:
    """Return whether ``signature`` is a valid Ed25519 signature of ``data`` by ``public_key``."""
    if len(public_key) != 32 or len(signature) != 64:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, data)
    except (InvalidSignature, ValueError):
        return False
    return True


def x25519(private_key: X25519PrivateKey, peer_public_key: bytes) -> bytes:
    """Return the X25519 shared secret; raise ValueError if it is all zero (unusable peer)."""
    shared = private_key.exchange(X25519PublicKey.from_public_bytes(peer_public_key))
    if shared == bytes(32):
        raise ValueError("X25519 produced an all-zero secret")
    return shared


def hkdf_sha256(ikm: bytes, salt: bytes, info: bytes) -> bytes:
    """Return 32 bytes of HKDF-SHA256."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(ikm)


def hmac_sha256(key: bytes, data: bytes) -> bytes:
    """Return HMAC-SHA256 of ``data`` under ``key``."""
    return hmac.digest(key, data, "sha256")


def pbkdf2_sha256(password: bytes, salt: bytes, iterations: int) -> bytes:
    """Return 32 bytes of PBKDF2-HMAC-SHA256."""
    return PBKDF2HMAC(hashes.SHA256(), 32, salt, iterations).derive(password)


def sha256(data: bytes) -> bytes:
    """Return SHA-256 of ``data``."""
    digest = hashes.Hash(hashes.SHA256())
    digest.update(data)
    return digest.finalize()


def aes_gcm_encrypt(key: bytes, iv: bytes, plaintext: bytes, additional_data: bytes) -> bytes:
    """Return AES-256-GCM ciphertext || 16-byte tag."""
    return AESGCM(key).encrypt(iv, plaintext, additional_data)


def aes_gcm_decrypt(
    key: bytes, iv: bytes, ciphertext: bytes, additional_data: bytes
) -> bytes | None:
    """Return the AES-256-GCM plaintext, or None when authentication fails."""
    try:
        return AESGCM(key).decrypt(iv, ciphertext, additional_data)
    except InvalidTag:
        return None
