"""Helpers for driving the WebSocket through the full ASGI stack (origin check, session)."""

import json
from typing import Any

from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from keyroom.asgi import application

ORIGIN = (b"origin", b"http://127.0.0.1")


@sync_to_async
def session_cookie(user) -> bytes:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


async def connect(user=None, *, origin=ORIGIN, token: str | None = None) -> WebsocketCommunicator:
    """A socket with ``user``'s session cookie and/or ``token`` in an Authorization header."""
    headers = [origin] if origin else []
    if user is not None:
        headers.append((b"cookie", await session_cookie(user)))
    if token is not None:
        headers.append((b"authorization", f"Bearer {token}".encode()))
    return WebsocketCommunicator(application, "/ws/", headers=headers)


async def open_socket(user=None, *, token: str | None = None) -> WebsocketCommunicator:
    socket = await connect(user, token=token)
    connected, _ = await socket.connect()
    assert connected
    assert (await socket.receive_json_from())["type"] == "hello"
    return socket


async def receive_type(socket: WebsocketCommunicator, wanted: str) -> dict[str, Any]:
    """Return the next event of type ``wanted``, skipping others (e.g. system lines)."""
    for _ in range(10):
        event = await socket.receive_json_from(timeout=2)
        if event["type"] == wanted:
            return event
    raise AssertionError(f"no {wanted} event")


def send_cmd(**fields: Any) -> str:
    return json.dumps({"ref": "r1", **fields})
