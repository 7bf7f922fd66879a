"""Socket commands: what a client may ask over the WebSocket, each an adapter like a view
(parse, one ``access_*``, one action, a reply). They run in a worker thread.

Each command is registered with its declared frame schema (``chat.schemas``, the same models
as the HTTP bodies where the fields match); ``run_command`` validates the frame against it
before the command runs, so a command only ever sees a parsed model, and a frame that does
not fit gets the same error (code and message) as the same mistake over HTTP.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ninja import Schema

from accounts.models import User
from chat.access import access_message_by_id, access_room_by_id
from chat.actions import do_delete_message, do_edit_message, do_mark_read, do_send_message
from chat.checks import check_message_input, check_plaintext_allowed
from chat.errors import ChatError
from chat.events import room_group, send_event
from chat.payloads import typing_event
from chat.schemas import (
    MessageEdit,
    MessageRef,
    MessageSend,
    PresenceFrame,
    RoomRead,
    TypingFrame,
    validate,
)
from chat.serializers import serialize_message

Reply = dict[str, Any]


def send_message(user: User, data: MessageSend) -> Reply:
    room = access_room_by_id(user, data.room_id, for_write=True)
    check_plaintext_allowed(room)
    content = check_message_input(body=data.body, content=data.content)
    message, _ = do_send_message(user, room, client_id=data.client_id, content=content)
    return {"message": serialize_message(message)}


def edit_message(user: User, data: MessageEdit) -> Reply:
    message = access_message_by_id(user, data.message_id, own=True)
    check_plaintext_allowed(message.room)
    content = check_message_input(body=data.body, content=data.content)
    return {"message": serialize_message(do_edit_message(user, message, content=content))}


def delete_message(user: User, data: MessageRef) -> Reply:
    message = access_message_by_id(user, data.message_id, own=True)
    return {"message": serialize_message(do_delete_message(user, message))}


def mark_read(user: User, data: RoomRead) -> Reply:
    room = access_room_by_id(user, data.room_id, for_write=True)
    do_mark_read(user, room, seq=data.seq)
    return {}


def set_typing(user: User, data: TypingFrame) -> Reply:
    """Tell the room's other members that ``user`` is (or stopped) typing; nothing is stored.

    The consumer does not call this per keystroke: it answers ``typing`` itself, checking the
    room against the rooms its socket is subscribed to (the same memberships, no query) and
    throttling per socket (chat/consumers.py ``typing``). This is the same command for any
    other caller (tests, a future HTTP route), with the usual ``access_*``.
    """
    room = access_room_by_id(user, data.room_id, for_write=True)
    event = typing_event(room.pk, user.pk, typing=data.typing)
    send_event(room_group(room.pk), event, skip_user=user.pk)
    return {}


def set_presence(user: User, data: PresenceFrame) -> Reply:
    """``presence`` is a socket's own state: only the consumer that owns the socket answers it
    (chat/consumers.py ``presence``); any other caller has no socket to set it for."""
    raise ChatError("Presence is set over the socket only.", code="unknown_command")


@dataclass(frozen=True)
class Command:
    """A socket command: the frame schema it accepts and the adapter that runs it."""

    schema: type[Schema]
    run: Callable[[User, Any], Reply]


COMMANDS: dict[str, Command] = {
    "message.send": Command(MessageSend, send_message),
    "message.edit": Command(MessageEdit, edit_message),
    "message.delete": Command(MessageRef, delete_message),
    "room.read": Command(RoomRead, mark_read),
    "typing": Command(TypingFrame, set_typing),
    "presence": Command(PresenceFrame, set_presence),
}


def register_command(
    name: str, command: Callable[[User, Any], Reply], *, schema: type[Schema]
) -> None:
    """Add a socket command from another app with its frame schema (``e2e`` adds its
    encrypted sends at startup)."""
    if name in COMMANDS:
        raise ValueError(f"socket command {name!r} is already registered")
    COMMANDS[name] = Command(schema, command)


def run_command(name: str, user: User, data: dict[str, Any]) -> Reply:
    """Run command ``name`` on a decoded frame: validate it against the command's schema
    (raise its ``Refusal``, a ChatError), then run it."""
    command = COMMANDS[name]
    return command.run(user, validate(command.schema, data))
