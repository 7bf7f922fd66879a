"""Two Keyroom instances on one Redis never hear each other's events (issue "Resilience").

channels-redis pub/sub ignores the database number in the URL, so isolation comes from the
prefix of every channel and group name: ``REDIS_PREFIX``, by default derived from the secret
key. Needs the Redis server of this machine (``REDIS_URL``, else 127.0.0.1:6379), as CI has.
"""

import asyncio
import os
import runpy
import uuid
from pathlib import Path

from channels_redis.pubsub import RedisPubSubChannelLayer

from keyroom import settings as settings_module
from keyroom.settings import redis_prefix

REDIS = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"


def test_the_default_prefix_follows_the_secret_key():
    """Each secret key gives its own, stable prefix (processes of one instance share it)."""
    assert redis_prefix("one secret") == redis_prefix("one secret")
    assert redis_prefix("one secret") != redis_prefix("another secret")
    assert "one secret" not in redis_prefix("one secret")


async def _heard(listener_prefix: str, sender_prefix: str) -> bool:
    """Whether a socket of the instance with ``listener_prefix`` hears a group send by the
    instance with ``sender_prefix`` (same Redis, same group name)."""
    listener = RedisPubSubChannelLayer(hosts=[REDIS], prefix=listener_prefix)
    sender = RedisPubSubChannelLayer(hosts=[REDIS], prefix=sender_prefix)
    try:
        channel = await listener.new_channel()
        await listener.group_add("room.1", channel)
        await asyncio.sleep(0.2)  # the subscription reaches Redis
        await sender.group_send("room.1", {"type": "push", "text": "secret words"})
        try:
            await asyncio.wait_for(listener.receive(channel), timeout=1.0)
            return True
        except TimeoutError:
            return False
    finally:
        await listener.flush()
        await sender.flush()


async def test_instances_with_different_prefixes_do_not_hear_each_other():
    """A room event of one instance does not reach a socket of another on the same Redis."""
    a, b = f"test-a-{uuid.uuid4().hex}", f"test-b-{uuid.uuid4().hex}"
    assert not await _heard(a, b)


async def test_processes_of_one_instance_hear_each_other():
    """The same prefix (two processes of one instance) does deliver: the test above can fail."""
    shared = f"test-{uuid.uuid4().hex}"
    assert await _heard(shared, shared)


def test_settings_give_the_layer_and_the_cache_the_instance_prefix(monkeypatch):
    """With REDIS_URL set, the channel layer and the cache both use the prefix derived from
    the secret key (so the isolation above is what a deployment gets)."""
    monkeypatch.setenv("REDIS_URL", REDIS)
    monkeypatch.setenv("SECRET_KEY", "an instance's secret key")
    monkeypatch.delenv("REDIS_PREFIX", raising=False)
    values = runpy.run_path(str(Path(settings_module.__file__)))
    expected = redis_prefix("an instance's secret key")
    assert values["CHANNEL_LAYERS"]["default"]["CONFIG"]["prefix"] == expected
    assert values["CACHES"]["default"]["KEY_PREFIX"] == expected
