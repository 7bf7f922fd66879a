"""Token buckets on Django's cache: the brake on writes (chat/checks.py ``check_write_rate``) and
on sign-ups (accounts/views.py). With ``REDIS_URL`` the cache is Redis, so every daphne process
draws from the same bucket; without it each process has its own (one process is the embedded
set-up anyway).

The bucket is GCRA, the "generic cell rate algorithm": one number per key, the time at which the
bucket will be full again. A read-then-write race between two processes can let one extra write
through; a brake does not need to be exact.

When the cache cannot be reached (Redis is down), the brake lets writes through and logs the
outage once, and once more when the cache is back: refusing every write would stop the chat for
as long as Redis is away (found by the soak test, tests/soak/).
"""

import logging
import math
import time

from django.core.cache import cache

logger = logging.getLogger(__name__)


class _CacheState:
    failing = False  # the last take_token could not reach the cache


_cache = _CacheState()


def take_token(key: str, *, rate: float, burst: int) -> float:
    """Take one token from the bucket ``key`` (``burst`` tokens, refilled at ``rate`` a second).

    Return 0.0 if a token was free (and taken), else the seconds until one will be. A ``rate``
    of 0 or less switches the brake off.
    """
    if rate <= 0:
        return 0.0
    try:
        wait = _take(key, rate=rate, burst=burst)
    except Exception:
        # The cache (Redis) is away. A brake that refused every write would stop the whole chat
        # for the outage, with a traceback per command: let writes through, say so once.
        if not _cache.failing:
            logger.exception("The cache is failing: writes are not braked until it is back")
        _cache.failing = True
        return 0.0
    if _cache.failing:
        _cache.failing = False
        logger.warning("The cache is back: writes are braked again")
    return wait


def _take(key: str, *, rate: float, burst: int) -> float:
    now = time.time()
    interval = 1.0 / rate
    full_at = max(float(cache.get(key) or now), now)
    next_full_at = full_at + interval
    allowed_at = next_full_at - burst * interval
    if allowed_at > now:
        return allowed_at - now
    cache.set(key, next_full_at, timeout=math.ceil(next_full_at - now) + 1)
    return 0.0
