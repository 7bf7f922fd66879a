"""Permissioned fetches of account objects, and the check of a personal access token."""

import hashlib
import hmac
import re

from django.http import Http404
from django.utils import timezone

from accounts.models import AccessToken, SessionRecord, User

# A token reads "kr_<prefix>_<secret part>" (accounts/actions.py ``do_create_token``).
TOKEN_START = "kr_"  # noqa: S105 (a marker, not a secret)


class TokenRefused(Exception):
    """The token is malformed, unknown, revoked, expired or its account inactive: the same
    answer for each (401 ``unauthenticated`` over HTTP, a refused socket)."""


def access_session_by_id(user: User, record_id: int) -> SessionRecord:
    """Return ``user``'s session record ``record_id``; raise Http404 if missing or not theirs."""
    try:
        return SessionRecord.objects.get(pk=record_id, user=user)
    except SessionRecord.DoesNotExist:
        raise Http404("No such session.") from None


def access_token_by_id(user: User, token_id: int) -> AccessToken:
    """Return ``user``'s live (not revoked) token ``token_id``; raise Http404 if missing, not
    theirs or revoked."""
    try:
        return AccessToken.objects.get(pk=token_id, user=user, revoked__isnull=True)
    except AccessToken.DoesNotExist:
        raise Http404("No such token.") from None


def token_digest(secret: str) -> str:
    """Return what is stored of a token: the SHA-256 of the whole secret, in hex."""
    return hashlib.sha256(secret.encode()).hexdigest()


def token_prefix(secret: str) -> str | None:
    """Return the non-secret id part of ``secret``, or None if it is not shaped like a token."""
    if not secret.startswith(TOKEN_START):
        return None
    prefix, sep, rest = secret[len(TOKEN_START) :].partition("_")
    # Exactly what do_create_token makes, so nothing odd (a NUL, say) reaches the query.
    return prefix if sep and rest and re.fullmatch(r"[0-9a-f]{12}", prefix) else None


def access_token_by_secret(secret: str) -> AccessToken:
    """Return the live token whose secret is ``secret`` (its user fetched with it).

    Raise TokenRefused if it is malformed, unknown, revoked, expired, or its user is inactive.
    The row is found by its prefix and the digests are compared in constant time.
    """
    prefix = token_prefix(secret)
    if prefix is None:
        raise TokenRefused
    found = AccessToken.objects.select_related("user").filter(prefix=prefix).first()
    if (
        found is None
        or not hmac.compare_digest(found.digest, token_digest(secret))
        or found.revoked is not None
        or found.expires <= timezone.now()
        or not found.user.is_active
    ):
        raise TokenRefused
    return found
