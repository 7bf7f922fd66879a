"""Untrusted JSON in, for HTTP bodies and socket frames alike: one decoder with one set of bounds
and one error shape (``bad_json`` / ``too_large``), so both transports refuse the same input with
the same answer and no request reaches a view or command with data the database cannot store.

Refused before any rule runs:
- more than ``limit`` bytes (the caller's transport limit);
- not JSON, or not a JSON object at the top;
- nested deeper than ``MAX_DEPTH`` arrays/objects (Python's parser would recurse until a
  ``RecursionError``; later code that walks the value would too);
- a string (key or value) holding a NUL character (PostgreSQL cannot store one in text, SQLite
  can: both set-ups must answer alike) or a lone UTF-16 surrogate such as ``"\\ud800"`` (not
  Unicode text: it cannot be encoded to UTF-8 for the database or the reply).
"""

import json
from typing import Any

from chat.errors import InvalidInput

MAX_DEPTH = 32


def decode_object(raw: str | bytes, *, limit: int) -> dict[str, Any]:
    """Return the JSON object in ``raw``; raise InvalidInput (``too_large`` or ``bad_json``)."""
    if len(raw) > limit:
        raise InvalidInput(f"Send at most {limit // 1024} KiB.", code="too_large")
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise InvalidInput("That was not valid JSON.", code="bad_json") from None
    if not isinstance(data, dict):
        raise InvalidInput("Send a JSON object.", code="bad_json")
    check_value(data)
    return data


def check_value(value: Any) -> None:
    """Raise InvalidInput ``bad_json`` if ``value`` (parsed JSON) nests deeper than
    ``MAX_DEPTH`` or holds a string that is not storable text (see the module docstring)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            check_text(item)
        elif isinstance(item, dict | list):
            if depth > MAX_DEPTH:
                raise InvalidInput(
                    f"JSON nested deeper than {MAX_DEPTH} levels is refused.", code="bad_json"
                )
            if isinstance(item, dict):
                for key, child in item.items():
                    check_text(key)
                    stack.append((child, depth + 1))
            else:
                stack.extend((child, depth + 1) for child in item)


def check_text(text: str) -> None:
    """Raise InvalidInput ``bad_json`` for a NUL character or a lone surrogate in ``text``."""
    if "\x00" in text:
        raise InvalidInput("Text cannot contain NUL characters.", code="bad_json")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput("Text must be valid Unicode.", code="bad_json") from None
