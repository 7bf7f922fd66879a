"""Keep My Account -> Sessions current: who each session belongs to, its device and last use."""

import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from accounts.actions import do_record_session

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
