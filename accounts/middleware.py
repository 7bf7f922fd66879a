"""Keep My Account -> Sessions current (who each session belongs to, its device and last use);
guard the admin's door (its login, two-factor login for administrators); authenticate a
WebSocket by a personal access token."""

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from channels.db import database_sync_to_async
from django.contrib import messages
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from accounts.access import TokenRefused, access_token_by_secret
from accounts.actions import do_note_token_used, do_record_session
from accounts.checks import check_token_rate
from accounts.models import AccessToken
from accounts.selectors import get_account_settings, has_two_factor

SEEN_EVERY_SECONDS = 60
_SEEN = "_keyroom_seen"  # in the session: when its record was last written


class SessionSeenMiddleware:
    """After each request of a logged-in session, write its record at most once a minute."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # After the view: a login has its new session key by now, a logout has none.
        user = getattr(request, "user", None)
        session = request.session
        if (
            user is None
            or not user.is_authenticated
            or not session.session_key
            # A token's request acts as the token's user, whoever the session cookie is.
            or getattr(request, "access_token", None) is not None
        ):
            return response
        now = time.time()
        if now - session.get(_SEEN, 0) >= SEEN_EVERY_SECONDS:
            do_record_session(
                user,
                session_key=session.session_key,
                user_agent=request.headers.get("user-agent", ""),
                ip=request.META.get("REMOTE_ADDR") or None,
            )
            session[_SEEN] = now
        return response


class AdminTwoFactorMiddleware:
    """Guard the Django admin's door.

    Its own login page would log a person in on the password alone: it sends them to Keyroom's
    login (which asks for the code). When the administrator requires two-factor login of
    administrators (``AccountSettings``), a staff account without it is sent to set it up first.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        admin_root = reverse("admin:index")
        if not request.path.startswith(admin_root):
            return self.get_response(request)
        if request.path == reverse("admin:login"):
            target = request.GET.get("next") or admin_root
            return redirect(f"{reverse('accounts:login')}?{urlencode({'next': target})}")
        user = request.user
        if (
            user.is_authenticated
            and user.is_staff
            and get_account_settings().admins_need_two_factor
            and not has_two_factor(user)
        ):
            messages.warning(
                request,
                "The administrator requires two-factor login for administrators: set it up "
                "here before you use the admin.",
            )
            return redirect("accounts:two_factor")
        return self.get_response(request)


def _bearer_secret(scope: dict[str, Any]) -> str | None:
    """Return the token of an ``Authorization: Bearer`` header of the upgrade request, if any."""
    for name, value in scope.get("headers", ()):
        if name.lower() == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer":
                return token.strip()
    return None


@database_sync_to_async
def _socket_token(secret: str) -> AccessToken | None:
    try:
        found = access_token_by_secret(secret)
    except TokenRefused:
        return None
    if check_token_rate(found):
        return None
    do_note_token_used(found)
    return found


class TokenSocketMiddleware:
    """ASGI middleware inside Channels' AuthMiddlewareStack: a WebSocket upgrade request with
    ``Authorization: Bearer <token>`` is its token's user (``scope["access_token"]`` set),
    whatever session cookie it has; a bad, revoked, expired or braked token makes it anonymous,
    so the consumer refuses it. Never a token in the URL (it would land in logs)."""

    def __init__(self, inner: Callable[..., Any]) -> None:
        self.inner = inner

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        secret = _bearer_secret(scope)
        if secret is not None:
            found = await _socket_token(secret)
            scope = {
                **scope,
                "user": found.user if found else AnonymousUser(),
                "access_token": found,
            }
        return await self.inner(scope, receive, send)
