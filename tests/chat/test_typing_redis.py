"""Typing across two server processes on Redis: a typist connected to one process is heard by
a member connected to another. Two processes are two channel layers of their own (two Redis
connections and subscriptions, as two daphne processes have), with one consumer each; only
Redis joins them. Needs the Redis server of this machine (``REDIS_URL``, else 127.0.0.1:6379),
as CI has."""

import json
import os
import uuid

import pytest
from asgiref.sync import sync_to_async
from channels.auth import AuthMiddlewareStack
from channels.routing import URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from channels.testing import WebsocketCommunicator
from django.urls import path

from chat.consumers import ChatConsumer
from chat.models import RoomKind
from tests.sockets import ORIGIN, open_socket, receive_type, session_cookie

pytestmark = pytest.mark.django_db(transaction=True)

REDIS = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"


def layer(prefix: str) -> dict:
    return {
        "BACKEND": "keyroom.layers.RedisPubSubChannelLayer",
        "CONFIG": {"hosts": [REDIS], "prefix": prefix},
    }


class SecondProcessConsumer(ChatConsumer):
    channel_layer_alias = "second"


@pytest.fixture
def second_process(settings):
    """The second process's socket application, on its own layer (alias ``second``) sharing
    Redis and the prefix with the first's (``default``)."""
    prefix = f"test-typing-{uuid.uuid4().hex[:12]}"
    settings.CHANNEL_LAYERS = {"default": layer(prefix), "second": layer(prefix)}
    consumer = SecondProcessConsumer.as_asgi()
    return AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter([path("ws/", consumer)])))


async def open_on(application, user) -> WebsocketCommunicator:
    headers = [ORIGIN, (b"cookie", await session_cookie(user))]
    socket = WebsocketCommunicator(application, "/ws/", headers=headers)
    connected, _ = await socket.connect()
    assert connected
    assert (await socket.receive_json_from(timeout=5))["type"] == "hello"
    return socket


async def test_typing_reaches_a_member_on_another_process(make_user, make_room, second_process):
    """Ann types on the first process, Bob hears it on the second; her socket closing there
    says "stopped" to him too."""
    ann, bob = await sync_to_async(make_user)("ann"), await sync_to_async(make_user)("bob")
    room = await sync_to_async(make_room)(ann, kind=RoomKind.GROUP, members=(bob,))
    ann_socket = await open_socket(ann)  # the first process (layer ``default``)
    bob_socket = await open_on(second_process, bob)  # the second (layer ``second``)
    frame = {"type": "typing", "ref": "t", "room_id": room.pk, "typing": True}
    await ann_socket.send_to(text_data=json.dumps(frame))
    await receive_type(ann_socket, "ack")
    event = await bob_socket.receive_json_from(timeout=5)
    assert event == {"type": "typing", "room_id": room.pk, "user_id": ann.pk, "typing": True}
    await ann_socket.disconnect()  # a socket closed mid-message says stopped, across too
    event = await bob_socket.receive_json_from(timeout=5)
    assert (event["type"], event["typing"]) == ("typing", False)
    await bob_socket.disconnect()
