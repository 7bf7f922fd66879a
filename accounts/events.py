"""The accounts app's realtime events: a session (or a token) ended, so its open sockets close;
a person's account changed in a way their open sockets act on ("appear offline").

Each socket joins the group of the session it was opened with (``session_group``) and its
person's account group (``account_group``), both called by the chat consumer. Only the actions
in accounts/actions.py send to them, after commit.
"""

import hashlib
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction


def session_group(session_key: str) -> str:
    """Return the channel-layer group of the sockets opened with one session.

    The key itself is a credential: the group is named by a hash of it, so the key never reaches
    the channel layer (Redis).
    """
    return "session." + hashlib.sha256(session_key.encode()).hexdigest()[:40]


def session_ended_event() -> dict[str, Any]:
    """To a session's sockets: close now (code 4401, "log in again")."""
    return {"type": "session_ended"}


def send_session_ended(session_key: str) -> None:
    """Tell the sockets of ``session_key`` to close, once the transaction commits."""
    group = session_group(session_key)

    def publish() -> None:
        layer = get_channel_layer()
        if layer is not None:
            async_to_sync(layer.group_send)(group, session_ended_event())

    transaction.on_commit(publish)


def token_group(token_id: int) -> str:
    """Return the channel-layer group of the sockets opened with one personal access token."""
    return f"token.{token_id}"


def send_token_revoked(token_id: int) -> None:
    """Tell the sockets opened with token ``token_id`` to close, once the transaction commits
    (the same event as a session's end: code 4401)."""
    group = token_group(token_id)

    def publish() -> None:
        layer = get_channel_layer()
        if layer is not None:
            async_to_sync(layer.group_send)(group, session_ended_event())

    transaction.on_commit(publish)


def account_group(user_id: int) -> str:
    """Return the channel-layer group of all of one person's open sockets, for account events."""
    return f"account.{user_id}"


def account_changed_event(*, appear_offline: bool) -> dict[str, Any]:
    """To a person's sockets: they turned "appear offline" on or off (presence follows)."""
    return {"type": "account_changed", "appear_offline": appear_offline}


def send_account_changed(user_id: int, *, appear_offline: bool) -> None:
    """Tell the person's sockets their account changed, once the transaction commits."""
    group = account_group(user_id)
    event = account_changed_event(appear_offline=appear_offline)

    def publish() -> None:
        layer = get_channel_layer()
        if layer is not None:
            async_to_sync(layer.group_send)(group, event)

    transaction.on_commit(publish)
