"""Socket commands: what a client may ask over the WebSocket, each an adapter like a view
(parse, one ``access_*``, one action, a reply). They run in a worker thread."""

from collections.abc import Callable
from typing import Any

from accounts.models import User
from chat.access import access_message_by_id, access_room_by_id
from chat.actions import do_delete_message, do_edit_message, do_mark_read, do_send_message
from chat.checks import check_client_id, check_message_input, check_plaintext_allowed, check_seq
from chat.serializers import serialize_message

Reply = dict[str, Any]


def send_message(user: User, data: dict[str, Any]) -> Reply:
    room = access_room_by_id(user, data.get("room_id"), for_write=True)
    client_id = check_client_id(data.get("client_id"))
    check_plaintext_allowed(room)
    content = check_message_input(body=data.get("body"), content=data.get("content"))
    message, _ = do_send_message(user, room, client_id=client_id, content=content)
    return {"message": serialize_message(message)}


def edit_message(user: User, data: dict[str, Any]) -> Reply:
    message = access_message_by_id(user, data.get("message_id"), own=True)
    check_plaintext_allowed(message.room)
    content = check_message_input(body=data.get("body"), content=data.get("content"))
    return {"message": serialize_message(do_edit_message(user, message, content=content))}


def delete_message(user: User, data: dict[str, Any]) -> Reply:
    message = access_message_by_id(user, data.get("message_id"), own=True)
    return {"message": serialize_message(do_delete_message(user, message))}


def mark_read(user: User, data: dict[str, Any]) -> Reply:
    room = access_room_by_id(user, data.get("room_id"), for_write=True)
    do_mark_read(user, room, seq=check_seq(data.get("seq")))
    return {}


Command = Callable[[User, dict[str, Any]], Reply]

COMMANDS: dict[str, Command] = {
    "message.send": send_message,
    "message.edit": edit_message,
    "message.delete": delete_message,
    "room.read": mark_read,
}


def register_command(name: str, command: Command) -> None:
    """Add a socket command from another app (``e2e`` adds its encrypted sends at startup)."""
    if name in COMMANDS:
        raise ValueError(f"socket command {name!r} is already registered")
    COMMANDS[name] = command
