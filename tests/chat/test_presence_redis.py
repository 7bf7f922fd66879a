"""Presence across two server processes on Redis: the cache and the channel layer are Redis,
each process has its own layer (as two daphne processes have), and a person's tabs on both
count together (mirrors tests/chat/test_typing_redis.py). Needs this machine's Redis
(``REDIS_URL``, else 127.0.0.1:6379), as CI has."""

import json
import uuid

import pytest
from asgiref.sync import sync_to_async
from channels.auth import AuthMiddlewareStack
from channels.routing import URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from django.urls import path

from chat.models import RoomKind
from tests.chat.test_presence import heard, next_presence, presence_frame
from tests.chat.test_typing_redis import REDIS, SecondProcessConsumer, layer, open_on
from tests.sockets import open_socket, receive_type

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def second_process(settings):
    """The second process's socket application; both processes' layers and Django's cache on
    one Redis, under a prefix of this test's own."""
    prefix = f"test-presence-{uuid.uuid4().hex[:12]}"
    settings.CHANNEL_LAYERS = {"default": layer(prefix), "second": layer(prefix)}
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS,
            "KEY_PREFIX": prefix,
        }
    }
    consumer = SecondProcessConsumer.as_asgi()
    return AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter([path("ws/", consumer)])))


async def present(socket, state: str = "active") -> dict:
    await socket.send_to(text_data=presence_frame(state))
    return await receive_type(socket, "presence.snapshot")


async def test_presence_is_shared_by_two_processes(make_user, make_room, second_process):
    """Ann online on the first process is heard by Bob on the second and is in his snapshot;
    her second tab, on the second process, keeps her online when the first goes idle (one
    event for two tabs); that tab closing leaves her away; the last closing, offline."""
    ann, bob = await sync_to_async(make_user)("ann"), await sync_to_async(make_user)("bob")
    await sync_to_async(make_room)(ann, kind=RoomKind.GROUP, members=(bob,))
    bob_socket = await open_on(second_process, bob)
    await present(bob_socket)
    ann_tab1 = await open_socket(ann)  # the first process (layer ``default``)
    await present(ann_tab1)
    event = await next_presence(bob_socket)
    assert (event["user_id"], event["state"]) == (ann.pk, "online")
    ann_tab2 = await open_on(second_process, ann)
    await present(ann_tab2)
    other_bob = await open_socket(bob)  # a snapshot made on the other process
    assert (await present(other_bob))["users"] == {str(ann.pk): "online"}
    await ann_tab1.send_to(text_data=presence_frame("idle"))
    assert await heard(bob_socket) == []
    await ann_tab2.disconnect()
    assert [e["state"] for e in await heard(bob_socket, within=3.0)] == ["away"]
    await ann_tab1.disconnect()
    event = await next_presence(bob_socket, within=10.0)  # after the grace period
    assert (event["user_id"], event["state"]) == (ann.pk, "offline")
    await bob_socket.disconnect()
    await other_bob.disconnect()


async def test_typing_and_presence_cross_together(make_user, make_room, second_process):
    """On the same two processes, Ann's typing reaches Bob too (the typing test's layer
    set-up with presence on)."""
    ann, bob = await sync_to_async(make_user)("ann"), await sync_to_async(make_user)("bob")
    room = await sync_to_async(make_room)(ann, kind=RoomKind.GROUP, members=(bob,))
    ann_socket = await open_socket(ann)
    await present(ann_socket)
    bob_socket = await open_on(second_process, bob)
    assert (await present(bob_socket))["users"] == {str(ann.pk): "online"}
    frame = {"type": "typing", "room_id": room.pk, "typing": True}
    await ann_socket.send_to(text_data=json.dumps(frame))
    event = await receive_type(bob_socket, "typing")
    assert (event["user_id"], event["typing"]) == (ann.pk, True)
    await ann_socket.disconnect()
    await bob_socket.disconnect()
