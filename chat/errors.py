"""Errors that actions, checks and access functions raise, each with a code clients can act on.

Views turn them into JSON responses with ``status``; the consumer into ``{"type": "error"}``.
"""

import math

from django.http import Http404


class ChatError(Exception):
    code = "error"
    status = 400
    default_message = "The request could not be carried out."

    def __init__(self, message: str | None = None, *, code: str | None = None) -> None:
        self.message = message or self.default_message
        if code:
            self.code = code
        super().__init__(self.message)


class InvalidInput(ChatError):
    code = "invalid"
    status = 400
    default_message = "The request was not valid."


class NotAllowed(ChatError):
    code = "forbidden"
    status = 403
    default_message = "You are not allowed to do that."


class NotFound(ChatError, Http404):
    """Missing, or not visible to this user: deliberately the same answer."""

    code = "not_found"
    status = 404
    default_message = "Not found."


class Conflict(ChatError):
    code = "conflict"
    status = 409
    default_message = "That conflicts with the current state."


class TooManyAttempts(ChatError):
    """Too many wrong tries of a secret in a short time: wait, then try again."""

    code = "too_many_attempts"
    status = 429
    default_message = "Too many attempts. Wait a while and try again."


class RateLimited(ChatError):
    """Too many writes in a short time: ``retry_after`` says how many seconds to wait."""

    code = "rate_limited"
    status = 429
    default_message = "You are sending too fast. Wait a moment; it will go through."

    def __init__(self, message: str | None = None, *, retry_after: float) -> None:
        # Whole seconds, at least one: what HTTP's Retry-After can carry.
        self.retry_after = max(1, math.ceil(retry_after))
        super().__init__(message)


class Unavailable(ChatError):
    """A service the check needs is down for now (e.g. the cache that counts password guesses):
    refused rather than let through unchecked; the client may try again shortly."""

    code = "unavailable"
    status = 503
