"""Presence: online, away or offline, per person, shared by every daphne process through
Django's cache (Redis when ``REDIS_URL`` is set) and never stored in the database
(docs/ARCHITECTURE.md "Presence").

Each open socket keeps an entry ``[state, expires_at]`` ("active" or "idle") in its user's
cache record, refreshed by the socket's digest loop; an entry not refreshed for
``entry_ttl()`` (a process killed with -9) no longer counts. A person is online when any of
their sockets is active, away when they have sockets and all are idle, offline when they have
none, and always offline to others while they chose "appear offline".

Events go out on changes of that aggregate only, once per change: the last state announced is
in the cache too (``presence-shown:<id>``), compared and written under a per-user lock in this
process. Two processes changing one person's state in the same instant may both announce it;
receivers take the same state twice without harm. "Offline" waits ``KEYROOM_PRESENCE_GRACE_SECONDS``
first, so a reload (close, then open at once) does not flicker.

This module only runs in the consumer's event loop: no database, no transaction.
"""

import asyncio
import logging
import time
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.cache import cache

from chat.events import room_group, send_ephemeral, user_group
from chat.payloads import presence_event, presence_self_event

logger = logging.getLogger(__name__)

ACTIVE, IDLE = "active", "idle"  # a socket's own state (the browser's ``presence`` command)
ONLINE, AWAY, OFFLINE = "online", "away", "offline"  # a person's

# Per event loop (a test run has one per test) and person.
_locks: dict[tuple[int, int], asyncio.Lock] = {}
_grace_tasks: set[asyncio.Task] = set()


def entry_ttl() -> float:
    """Return how long a socket's entry counts without a refresh: three digest rounds and a
    margin, so one late round does not make a person flicker offline."""
    return 3 * settings.KEYROOM_DIGEST_SECONDS + 5


def _entries_key(user_id: int) -> str:
    return f"presence:{user_id}"


def _shown_key(user_id: int) -> str:
    return f"presence-shown:{user_id}"


def aggregate(entries: dict[str, Any] | None, now: float) -> str:
    """Return a person's state from their sockets' entries (those not yet expired)."""
    states = [state for state, expires in (entries or {}).values() if expires > now]
    if not states:
        return OFFLINE
    return ONLINE if ACTIVE in states else AWAY


def seen_by_others(state: str, *, appear_offline: bool) -> str:
    """Return what others see of a person whose real state is ``state``."""
    return OFFLINE if appear_offline else state


async def set_socket_state(user_id: int, channel: str, state: str | None) -> str:
    """Record (``state`` None: remove) one socket's entry; return the person's real state.

    A read-modify-write of the user's record: two of their sockets writing at once on two
    processes may lose one entry, which its socket writes again at its next refresh."""
    key = _entries_key(user_id)
    now = time.time()
    ttl = entry_ttl()
    entries = {c: e for c, e in (await cache.aget(key) or {}).items() if e[1] > now}
    if state is None:
        entries.pop(channel, None)
    else:
        entries[channel] = [state, now + ttl]
    if entries:
        await cache.aset(key, entries, timeout=ttl)
    else:
        await cache.adelete(key)
    return aggregate(entries, now)


async def get_states(people: Iterable[tuple[int, bool]]) -> dict[int, str]:
    """Return what others see of each ``(user id, appear_offline)``, in one cache round trip."""
    people = list(people)
    records = await cache.aget_many([_entries_key(user_id) for user_id, _ in people])
    now = time.time()
    return {
        user_id: seen_by_others(
            aggregate(records.get(_entries_key(user_id)), now), appear_offline=hidden
        )
        for user_id, hidden in people
    }


async def get_real_state(user_id: int) -> str:
    """Return a person's real state (what they see of themself)."""
    return aggregate(await cache.aget(_entries_key(user_id)), time.time())


async def announce(
    user_id: int,
    real: str,
    *,
    appear_offline: bool,
    room_ids: Iterable[int],
    final: bool = False,
) -> None:
    """Tell the person's rooms (and their own tabs) if their state changed since the last
    announcement. Going offline is announced only after the grace period (``final``: this is
    that later call), and then only if they are still offline."""
    room_ids = list(room_ids)
    if real == OFFLINE and not final:
        _start_grace(user_id, appear_offline=appear_offline, room_ids=room_ids)
        return
    key = (id(asyncio.get_running_loop()), user_id)
    lock = _locks.setdefault(key, asyncio.Lock())
    try:
        async with lock:
            await _announce_locked(user_id, real, appear_offline=appear_offline, room_ids=room_ids)
    finally:
        if not lock.locked() and not getattr(lock, "_waiters", None) and _locks.get(key) is lock:
            del _locks[key]


async def _announce_locked(
    user_id: int, real: str, *, appear_offline: bool, room_ids: list[int]
) -> None:
    shown_key = _shown_key(user_id)
    before = await cache.aget(shown_key) or [OFFLINE, False]
    now = [real, appear_offline]
    if now == before:
        return
    # A day: long past any socket's life; if it expires the next change is announced again.
    await cache.aset(shown_key, now, timeout=86400)
    state = seen_by_others(real, appear_offline=appear_offline)
    if state != seen_by_others(before[0], appear_offline=before[1]):
        event = presence_event(user_id, state)
        for room_id in room_ids:
            await send_ephemeral(room_group(room_id), event, skip_user=user_id)
    if real != OFFLINE:  # an offline person has no tab to tell
        self_event = presence_self_event(user_id, real, appear_offline=appear_offline)
        await send_ephemeral(user_group(user_id), self_event)


def _start_grace(user_id: int, *, appear_offline: bool, room_ids: list[int]) -> None:
    async def later() -> None:
        await asyncio.sleep(settings.KEYROOM_PRESENCE_GRACE_SECONDS)
        try:
            real = await get_real_state(user_id)
            if real == OFFLINE:
                await announce(
                    user_id, real, appear_offline=appear_offline, room_ids=room_ids, final=True
                )
        except Exception:  # the cache is away: others learn it from their next snapshot
            logger.warning("could not announce that someone went offline", exc_info=True)

    task = asyncio.get_running_loop().create_task(later())
    _grace_tasks.add(task)
    task.add_done_callback(_grace_tasks.discard)
