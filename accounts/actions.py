"""Account writes. Ending a session closes its open sockets (accounts/events.py), after commit."""

from importlib import import_module

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.db import transaction
from django.utils import timezone

from accounts.events import send_session_ended
from accounts.models import SessionRecord, User


def do_sign_up(*, username: str, password: str, display_name: str = "") -> User:
    """Create an account; the first account on a fresh instance becomes its administrator."""
    with transaction.atomic():
        first = not User.objects.select_for_update().exists()
        user = User.objects.create_user(
            username=username,
            password=password,
            display_name=display_name,
            is_staff=first,
            is_superuser=first,
        )
    return user


def do_update_profile(user: User, *, display_name: str) -> User:
    """Change the name other people see."""
    user.display_name = display_name
    user.save(update_fields=["display_name"])
    return user


def do_record_session(user: User, *, session_key: str, user_agent: str, ip: str | None) -> None:
    """Note that ``user``'s session ``session_key`` was just used, from this device."""
    SessionRecord.objects.update_or_create(
        session_key=session_key,
        defaults={
            "user": user,
            "user_agent": user_agent[:400],
            "ip": ip,
            "last_seen": timezone.now(),
        },
    )


def _session_store(session_key: str) -> SessionBase:
    return import_module(settings.SESSION_ENGINE).SessionStore(session_key=session_key)


def do_end_session(user: User, *, session_key: str) -> None:
    """Log ``user``'s session ``session_key`` out: delete it and its record, close its sockets.

    Also what logging out does to the current session (after Django's ``logout`` flushed it).
    """
    with transaction.atomic():
        SessionRecord.objects.filter(user=user, session_key=session_key).delete()
        _session_store(session_key).delete()
        send_session_ended(session_key)


def do_end_other_sessions(user: User, *, keep_session_key: str) -> int:
    """Log out every session of ``user`` but ``keep_session_key``; return how many ended."""
    with transaction.atomic():
        records = list(
            SessionRecord.objects.select_for_update()
            .filter(user=user)
            .exclude(session_key=keep_session_key)
        )
        for record in records:
            do_end_session(user, session_key=record.session_key)
    return len(records)
