"""E2E password generator.

Words are drawn uniformly (rejection sampling over 32-bit random values) from a word list and
joined by single spaces (some EFF words contain hyphens, so a hyphen would not be a safe
separator). With the EFF large list (7776 words), 10 words give about 129.2 bits.
"""

import math
import re
import secrets
import unicodedata
from collections.abc import Callable, Collection, Sequence

from .errors import MalformedError

PASSWORD_WORDS = 10
WORD_SEPARATOR = " "
MIN_PASSWORD_BITS = 128
EFF_LARGE_WORDLIST_SIZE = 7776
_WORD_RE = re.compile(r"[a-z]+(?:-[a-z]+)*")


def parse_wordlist(text: str) -> list[str]:
    """Parse the shipped word list (one lowercase word per line, final newline optional).

    Raise MalformedError unless it holds exactly 7776 distinct words.
    """
    if not isinstance(text, str):
        raise MalformedError("wordlist: not text")
    words = (text.removesuffix("\n")).split("\n")
    if not all(_WORD_RE.fullmatch(word) for word in words):
        raise MalformedError("wordlist: bad word")
    if len(set(words)) != len(words):
        raise MalformedError("wordlist: duplicate words")
    if len(words) != EFF_LARGE_WORDLIST_SIZE:
        raise MalformedError(f"wordlist: expected {EFF_LARGE_WORDLIST_SIZE} words")
    return words


def _uniform_index(n: int, next_u32: Callable[[], int]) -> int:
    """Return a uniform index in [0, n), rejecting draws at or above the largest multiple of n."""
    limit = 2**32 - (2**32 % n)
    while True:
        x = next_u32()
        if type(x) is not int or not 0 <= x < 2**32:
            raise ValueError("not a u32")
        if x < limit:
            return x % n


def _generate_password_with_randomness(
    words: Sequence[str], next_u32: Callable[[], int], count: int = PASSWORD_WORDS
) -> str:
    """Generate a password from ``words`` with an injected source of 32-bit integers (vectors).

    Raise ValueError if the result would carry fewer than MIN_PASSWORD_BITS bits.
    """
    if isinstance(words, str) or not all(
        isinstance(w, str) and _WORD_RE.fullmatch(w) for w in words
    ):
        raise TypeError("words must be a sequence of lowercase words")
    if len(set(words)) != len(words):
        raise TypeError("words must be distinct")
    bits = count * math.log2(len(words)) if len(words) > 1 and type(count) is int else 0
    if bits < MIN_PASSWORD_BITS:
        raise ValueError(f"a password needs at least {MIN_PASSWORD_BITS} bits")
    return WORD_SEPARATOR.join(words[_uniform_index(len(words), next_u32)] for _ in range(count))


def generate_password(words: Sequence[str], count: int = PASSWORD_WORDS) -> str:
    """Generate a password of ``count`` words drawn uniformly from ``words`` (``secrets``)."""
    return _generate_password_with_randomness(words, lambda: secrets.randbits(32), count)


# Every white space character of Unicode (White_Space=yes) and the zero width no-break space,
# spelled out so that Python and JS (static/js/crypto/password.js) agree on the same set.
_WHITE_SPACE_RUN = re.compile(
    "[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]+"
)
_ASCII_UPPER = re.compile("[A-Z]+")


def normalize_passphrase(text: str) -> str:
    """Return the normal form of a generated passphrase as someone may have typed it.

    NFKC, ASCII capitals to lower case, every run of white space to one space, no surrounding
    space. Generated passphrases are already in this form, so normalising one changes nothing.
    """
    if not isinstance(text, str):
        raise TypeError("passphrase must be a string")
    text = unicodedata.normalize("NFKC", text)
    text = _ASCII_UPPER.sub(lambda m: m.group().lower(), text)
    return _WHITE_SPACE_RUN.sub(" ", text).strip(" ")


def is_generated_form(text: str, words: Collection[str]) -> bool:
    """Return True if ``text`` is in normal form and every word of it is one of ``words``."""
    known = words if isinstance(words, set | frozenset) else set(words)
    return (
        text != ""
        and normalize_passphrase(text) == text
        and all(word in known for word in text.split(WORD_SEPARATOR))
    )


def unlock_candidates(typed: str, words: Collection[str]) -> list[str]:
    """Return the passwords to try, in order, to unlock a backup with what the user typed.

    The exact input first; then its normal form, only if that differs and has the shape of a
    generated passphrase (a password of the user's own choosing is only ever taken exactly).
    """
    normal = normalize_passphrase(typed)
    if normal != typed and is_generated_form(normal, words):
        return [typed, normal]
    return [typed]
