"""Token buckets on Django's cache: the brake on writes (chat/checks.py ``check_write_rate``) and
on sign-ups (accounts/views.py). With ``REDIS_URL`` the cache is Redis, so every daphne process
draws from the same bucket; without it each process has its own (one process is the embedded
set-up anyway).

The bucket is GCRA, the "generic cell rate algorithm": one number per key, the time at which the
bucket will be full again. A read-then-write race between two processes can let one extra write
through; a brake does not need to be exact.
"""

import math
import time

from django.core.cache import cache


def take_token(key: str, *, rate: float, burst: int) -> float:
    """Take one token from the bucket ``key`` (``burst`` tokens, refilled at ``rate`` a second).

    Return 0.0 if a token was free (and taken), else the seconds until one will be. A ``rate``
    of 0 or less switches the brake off.
    """
    if rate <= 0:
        return 0.0
    now = time.time()
    interval = 1.0 / rate
    full_at = max(float(cache.get(key) or now), now)
    next_full_at = full_at + interval
    allowed_at = next_full_at - burst * interval
    if allowed_at > now:
        return allowed_at - now
    cache.set(key, next_full_at, timeout=math.ceil(next_full_at - now) + 1)
    return 0.0
