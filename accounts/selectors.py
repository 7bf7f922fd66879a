"""Account reads: the sessions and tokens My Account lists, two-factor login, the account
settings."""

import re
from dataclasses import dataclass
from datetime import datetime
from importlib import import_module

from django.conf import settings
from django.contrib.sessions.models import Session
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import AccessToken, AccountSettings, SessionRecord, User

# (pattern, name): the first that matches names the browser (order matters: Edge and Opera
# say "Chrome" too, Chrome says "Safari").
_BROWSERS = (
    (r"Edg(e|A|iOS)?/", "Edge"),
    (r"OPR/|Opera", "Opera"),
    (r"Firefox/|FxiOS/", "Firefox"),
    (r"Chrome/|CriOS/|Chromium/", "Chrome"),
    (r"Safari/", "Safari"),
)
_SYSTEMS = (
    (r"iPhone|iPad|iPod", "iOS"),
    (r"Android", "Android"),
    (r"Windows", "Windows"),
    (r"Mac OS X|Macintosh", "macOS"),
    (r"CrOS", "ChromeOS"),
    (r"Linux", "Linux"),
)


def describe_device(user_agent: str) -> str:
    """Return e.g. "Firefox on Windows" for a User-Agent header ("Unknown device" if unsure)."""
    browser = next((name for pattern, name in _BROWSERS if re.search(pattern, user_agent)), "")
    system = next((name for pattern, name in _SYSTEMS if re.search(pattern, user_agent)), "")
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or "Unknown device"


@dataclass(frozen=True)
class SessionView:
    id: int
    device: str
    ip: str
    last_seen: datetime
    created: datetime
    current: bool


def list_sessions_for_user(user: User, *, current_key: str | None) -> list[SessionView]:
    """Return ``user``'s live sessions, most recently used first; ``current`` marks this one.

    Records whose session has expired or was deleted elsewhere are left out.
    """
    records = list(SessionRecord.objects.filter(user=user))
    live = _live_session_keys([record.session_key for record in records])
    return [
        SessionView(
            id=record.pk,
            device=describe_device(record.user_agent),
            ip=record.ip or "",
            last_seen=record.last_seen,
            created=record.created,
            current=record.session_key == current_key,
        )
        for record in records
        if record.session_key == current_key or record.session_key in live
    ]


DB_SESSION_ENGINES = (
    "django.contrib.sessions.backends.db",
    "django.contrib.sessions.backends.cached_db",
)


def _live_session_keys(keys: list[str]) -> set[str]:
    """Return which of ``keys`` are sessions that still exist: one query for the database
    engines, one look-up per key for any other engine."""
    if settings.SESSION_ENGINE in DB_SESSION_ENGINES:
        return set(
            Session.objects.filter(
                session_key__in=keys, expire_date__gt=timezone.now()
            ).values_list("session_key", flat=True)
        )
    store = import_module(settings.SESSION_ENGINE).SessionStore
    return {key for key in keys if store().exists(key)}


def get_account_settings() -> AccountSettings:
    """Return the instance's account settings (the defaults until an admin saves them)."""
    found = AccountSettings.objects.filter(pk=1).first()
    return found if found is not None else AccountSettings(pk=1)


def has_two_factor(user: User) -> bool:
    """Return whether ``user`` logs in with a code after the password (a confirmed TOTP app)."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def get_pending_totp_for_user(user: User) -> TOTPDevice | None:
    """Return the TOTP secret ``user`` is setting up (not yet confirmed with a code), if any."""
    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()


def count_recovery_codes_for_user(user: User) -> int:
    """Return how many of ``user``'s recovery codes are left unused."""
    return sum(device.token_set.count() for device in StaticDevice.objects.filter(user=user))


def list_tokens_for_user(user: User) -> list[AccessToken]:
    """Return ``user``'s personal access tokens that are not revoked (expired ones included,
    marked by their ``expires``), newest first."""
    return list(AccessToken.objects.filter(user=user, revoked__isnull=True))
