"""The brakes on logging in and signing up, and the check of a two-factor code."""

from datetime import datetime

from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.http import HttpRequest
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import AccessToken, User
from keyroom.ratelimit import take_token


def check_sign_up_rate(request: HttpRequest) -> float:
    """Take one sign-up from the client address's bucket (KEYROOM_SIGNUPS_PER_HOUR); return 0.0
    if allowed, else the seconds until the next one is."""
    per_hour = settings.KEYROOM_SIGNUPS_PER_HOUR
    return take_token(
        f"keyroom:signups:{request.META.get('REMOTE_ADDR', '')}",
        rate=per_hour / 3600,
        burst=per_hour,
    )


def get_lockout_end(username: str) -> datetime:
    """Return when the login lockout of ``username`` ends (its last counted failure plus the
    cool-off: tries during the lockout are not counted, see settings)."""
    last = AccessAttempt.objects.filter(username=username).aggregate(last=Max("attempt_time"))
    return (last["last"] or timezone.now()) + get_cool_off()


def normalize_code(code: str) -> str:
    """Return a typed code without spaces or dashes, lower case ("123 456", "ABCD-EFGH")."""
    return "".join(code.split()).replace("-", "").lower()[:32]


def check_two_factor_code(user: User, *, code: str) -> bool:
    """Return whether ``code`` is a current code of ``user``'s confirmed authenticator app or one
    of their unused recovery codes. A recovery code that matches is used up; an app code is
    refused a second time (django-otp keeps the last time step used)."""
    code = normalize_code(code)
    if not code:
        return False
    with transaction.atomic():
        if len(code) == 6 and code.isdigit():
            devices = TOTPDevice.objects.filter(user=user, confirmed=True)
        else:
            devices = StaticDevice.objects.filter(user=user, confirmed=True)
        return any(device.verify_token(code) for device in devices.select_for_update())


def check_token_rate(token: AccessToken) -> float:
    """Take one request from ``token``'s bucket (every request made with it, reads too:
    KEYROOM_TOKEN_BURST at once, KEYROOM_TOKEN_RATE a second); return 0.0 if allowed, else the
    seconds until the next one is. Writes also take from the user's write bucket."""
    return take_token(
        f"keyroom:token:{token.pk}",
        rate=settings.KEYROOM_TOKEN_RATE,
        burst=settings.KEYROOM_TOKEN_BURST,
    )
