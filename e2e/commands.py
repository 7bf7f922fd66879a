"""Socket commands for encrypted rooms, registered into the chat consumer at startup
(``E2EConfig.ready``). Adapters: parse, one ``access_*``, checks, one action, reply."""

from typing import Any

from accounts.models import User
from chat.access import access_message_by_id, access_room_by_id
from chat.checks import check_client_id
from chat.errors import InvalidInput
from chat.models import Room
from chat.serializers import serialize_message
from e2e import actions
from e2e.checks import check_encrypted_payload
from e2e.selectors import get_encrypted_room, rotation_due


def current_key_id(room: Room) -> str:
    """Return the id of the room's current key; refuse rooms that are not encrypted."""
    encrypted = get_encrypted_room(room.pk)
    if not room.encrypted or encrypted is None:
        raise InvalidInput("This room is not end-to-end encrypted.", code="not_encrypted")
    if rotation_due(encrypted):
        raise InvalidInput(
            "Someone left this room, so its key must change before anyone sends again.",
            code="rotation_due",
        )
    return encrypted.current_key.key_id


def send_encrypted(user: User, data: dict[str, Any]) -> dict[str, Any]:
    room = access_room_by_id(user, data.get("room_id"), for_write=True)
    client_id = check_client_id(data.get("client_id"))
    payload = check_encrypted_payload(data.get("payload"), current_key_id=current_key_id(room))
    message, _ = actions.do_send_encrypted_message(user, room, client_id=client_id, payload=payload)
    return {"message": serialize_message(message)}


def edit_encrypted(user: User, data: dict[str, Any]) -> dict[str, Any]:
    message = access_message_by_id(user, data.get("message_id"), own=True)
    payload = check_encrypted_payload(
        data.get("payload"), current_key_id=current_key_id(message.room)
    )
    return {
        "message": serialize_message(
            actions.do_edit_encrypted_message(user, message, payload=payload)
        )
    }


COMMANDS = {"e2e.message.send": send_encrypted, "e2e.message.edit": edit_encrypted}
