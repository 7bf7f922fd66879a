"""Strict, canonical base64url (RFC 4648 section 5) without padding.

Decoding rejects padding, whitespace, foreign characters and non-zero trailing bits, so every byte
string has exactly one accepted text form.
"""

import base64
import re

from .errors import MalformedError

_ALPHABET_RE = re.compile(r"[A-Za-z0-9_-]*")


def b64u_encode(data: bytes) -> str:
    """Return the unpadded base64url text of ``data``."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64u_decode(text: object) -> bytes:
    """Decode canonical unpadded base64url; raise MalformedError on anything else."""
    if not isinstance(text, str):
        raise MalformedError("base64url: not a string")
    if not _ALPHABET_RE.fullmatch(text):
        raise MalformedError("base64url: invalid character")
    if len(text) % 4 == 1:
        raise MalformedError("base64url: impossible length")
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if b64u_encode(data) != text:
        raise MalformedError("base64url: non-canonical trailing bits")
    return data


def b64u_decode_as(text: object, error: type[Exception]) -> bytes:
    """Decode canonical base64url, raising ``error`` instead of MalformedError."""
    try:
        return b64u_decode(text)
    except MalformedError as exc:
        raise error(str(exc)) from None


def b64u_decode_exact(text: object, length: int, error: type[Exception] = MalformedError) -> bytes:
    """Decode base64url that must be exactly ``length`` bytes long; raise ``error`` otherwise."""
    data = b64u_decode_as(text, error)
    if len(data) != length:
        raise error(f"expected {length} bytes, got {len(data)}")
    return data
