"""Socket commands for encrypted rooms, registered into the chat consumer at startup
(``E2EConfig.ready``). Adapters: parse, one ``access_*``, one action, reply. Every rule about
an encrypted write runs inside the action's transaction (e2e/actions/messages.py), the same
code the HTTP views call."""

from typing import Any

from accounts.models import User
from chat.access import access_message_by_id, access_room_by_id
from chat.serializers import serialize_message
from e2e import actions
from e2e.schemas import EncryptedChange, EncryptedSend


def send_encrypted(user: User, data: EncryptedSend) -> dict[str, Any]:
    room = access_room_by_id(user, data.room_id, for_write=True)
    message, _ = actions.do_send_encrypted_message(
        user, room, client_id=data.client_id, payload=data.payload
    )
    return {"message": serialize_message(message)}


def edit_encrypted(user: User, data: EncryptedChange) -> dict[str, Any]:
    message = access_message_by_id(user, data.message_id, own=True)
    edited = actions.do_edit_encrypted_message(user, message, payload=data.payload)
    return {"message": serialize_message(edited)}


def delete_encrypted(user: User, data: EncryptedChange) -> dict[str, Any]:
    message = access_message_by_id(user, data.message_id, own=True)
    deleted = actions.do_delete_encrypted_message(user, message, payload=data.payload)
    return {"message": serialize_message(deleted)}


# name: (frame schema, command), registered with ``chat.commands.register_command``.
COMMANDS = {
    "e2e.message.send": (EncryptedSend, send_encrypted),
    "e2e.message.edit": (EncryptedChange, edit_encrypted),
    "e2e.message.delete": (EncryptedChange, delete_encrypted),
}
