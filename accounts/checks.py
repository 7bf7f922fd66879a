"""The brakes on logging in and signing up."""

from datetime import datetime

from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max
from django.http import HttpRequest
from django.utils import timezone

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
