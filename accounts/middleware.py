"""Keep My Account -> Sessions current (who each session belongs to, its device and last use);
guard the admin's door (its login, two-factor login for administrators)."""

import time
from collections.abc import Callable
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from accounts.actions import do_record_session
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
        if user is None or not user.is_authenticated or not session.session_key:
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
