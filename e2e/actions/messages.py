"""Encrypted messages: stored as opaque, shape-checked ciphertext."""

import uuid
from typing import Any

from accounts.models import User
from chat import actions as chat_actions
from chat.models import Message, Room


def do_send_encrypted_message(
    user: User, room: Room, *, client_id: uuid.UUID, payload: dict[str, Any]
) -> tuple[Message, bool]:
    """Store and push an encrypted message (shape and key id already checked)."""
    return chat_actions.do_send_message(user, room, client_id=client_id, payload=payload)


def do_edit_encrypted_message(user: User, message: Message, *, payload: dict[str, Any]) -> Message:
    """Replace an encrypted message's ciphertext (re-encrypted by the sender)."""
    return chat_actions.do_edit_message(user, message, payload=payload)
