"""The WebSocket: one per browser tab, subscribed to the user's own group and to every room the
user belongs to. It is an adapter: commands go to ``chat.commands``; events from actions are
forwarded as pre-serialized text (docs/ARCHITECTURE.md, "Socket protocol")."""

import asyncio
import json
import logging
import time
from typing import Any

from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from accounts.events import account_group, session_group, token_group
from chat import presence
from chat.checks import check_write_rate
from chat.commands import COMMANDS, run_command
from chat.errors import ChatError, NotFound
from chat.events import everyone_group, room_group, send_ephemeral, user_group
from chat.models import Membership
from chat.payloads import (
    digest_event,
    presence_event,
    presence_snapshot_event,
    resync_event,
    typing_event,
)
from chat.schemas import validate
from chat.selectors import get_room_digest, list_room_peers_for_user
from chat.wire import decode_object

logger = logging.getLogger(__name__)

MAX_FRAME = 256 * 1024
# At most one "started typing" per room per socket in this many seconds; more are dropped
# (acknowledged, not sent on). Browsers repeat it every 3 s while typing (typing_data.js).
TYPING_EVERY = 2.0
# And per room, in this process, at most this many "started" a second (ROOM_TYPING_BURST at
# once):
# each goes to every member, so a room where fifty people type would cost more pushes than
# its messages. Past a few typists the line says "Several people are typing…" anyway, and each
# typist still gets through now and then (before a receiver forgets them after 6 s).
ROOM_TYPING_RATE = 4.0
ROOM_TYPING_BURST = 8


class _RoomTypingBudget:
    """Token buckets per room in this process's memory (no cache round trip per keystroke;
    each process braking its own share is enough for a hint)."""

    def __init__(self) -> None:
        self.buckets: dict[int, tuple[float, float]] = {}  # room id: (tokens, when)

    def take(self, room_id: int, now: float) -> bool:
        rate = ROOM_TYPING_RATE
        if rate <= 0:
            return True
        burst = ROOM_TYPING_BURST
        tokens, then = self.buckets.get(room_id, (burst, now))
        tokens = min(burst, tokens + (now - then) * rate)
        if tokens < 1:
            self.buckets[room_id] = (tokens, now)
            return False
        self.buckets[room_id] = (tokens - 1, now)
        if len(self.buckets) > 10_000:  # long-idle rooms: full buckets, forget them
            self.buckets = {k: v for k, v in self.buckets.items() if now - v[1] < 60}
        return True


_room_typing = _RoomTypingBudget()
# Pushed events that need no database: skip Channels' per-event connection cleanup (a thread
# hop per event per member) for them.
# Incoming frames clean up themselves, and only when a command will touch the database.
NO_DB_HANDLERS = frozenset(
    {
        "push",
        "room_joined",
        "room_left",
        "session_ended",
        "layer_resubscribed",
        "account_changed",
        "websocket_receive",
    }
)


@database_sync_to_async
def _room_ids(user_id: int) -> list[int]:
    return list(Membership.objects.filter(user_id=user_id).values_list("room_id", flat=True))


@database_sync_to_async
def _digest(user_id: int) -> dict[str, Any]:
    return digest_event(get_room_digest(user_id))


@database_sync_to_async
def _room_peers(user_id: int) -> list[tuple[int, bool]]:
    return list_room_peers_for_user(user_id)


@database_sync_to_async
def _check_write_rate(user: Any) -> None:
    check_write_rate(user)


@database_sync_to_async
def _run(name: str, user: Any, data: dict[str, Any]) -> dict[str, Any]:
    check_write_rate(user)  # the same brake as HTTP writes (chat/http.py)
    return run_command(name, user, data)


class ChatConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        self.user = self.scope.get("user")
        if self.user is None or not self.user.is_authenticated:
            await self.close(code=4401)
            return
        self.rooms: set[int] = set(await _room_ids(self.user.pk))
        self.typing_at: dict[int, float] = {}  # room id: when "typing" last went out
        self.groups_joined: set[str] = {
            everyone_group(),
            user_group(self.user.pk),
            account_group(self.user.pk),  # "appear offline" turned on or off
        }
        # Presence (chat/presence.py): None until the browser's first ``presence`` frame; a
        # socket that sends none (a script, an old client) neither counts nor hears presence.
        self.presence_state: str | None = None
        self.appear_offline = bool(getattr(self.user, "appear_offline", False))
        # Logging this session out elsewhere, or revoking this socket's token, closes it
        # (accounts/events.py).
        if token := self.scope.get("access_token"):
            self.groups_joined.add(token_group(token.pk))
        elif session_key := self.scope["session"].session_key:
            self.groups_joined.add(session_group(session_key))
        self.groups_joined |= {room_group(room_id) for room_id in self.rooms}
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        await self.send(text_data=json.dumps({"type": "hello", "user_id": self.user.pk}))
        self.digests = asyncio.get_running_loop().create_task(self._send_digests())

    async def _send_digests(self) -> None:
        """Every KEYROOM_DIGEST_SECONDS, tell the browser each room's latest revision straight
        from the database (not through the layer, which may be what lost events)."""
        interval = settings.KEYROOM_DIGEST_SECONDS
        while True:
            await asyncio.sleep(interval)
            try:
                await self.send(text_data=json.dumps(await _digest(self.user.pk)))
            except Exception:  # the database is away: the next round tries again
                logger.warning("could not send a digest", exc_info=True)
            if self.presence_state is not None:
                await self._presence_changed()  # the entry's TTL; others' expired entries

    # Presence (chat/presence.py, docs/ARCHITECTURE.md "Presence") ---------------------------

    async def _presence_changed(self, *, leaving: bool = False) -> None:
        """Write this socket's entry (or remove it, ``leaving``) and announce the person's
        state if it changed. The cache being away costs presence, never the socket."""
        try:
            state = None if leaving else self.presence_state
            real = await presence.set_socket_state(self.user.pk, self.channel_name, state)
            await presence.announce(
                self.user.pk, real, appear_offline=self.appear_offline, room_ids=set(self.rooms)
            )
        except Exception:
            logger.warning("could not update presence", exc_info=True)

    async def _send_presence_snapshot(self) -> None:
        """Send this socket what it sees of everyone who shares a room with its user."""
        try:
            states = await presence.get_states(await _room_peers(self.user.pk))
            real = await presence.get_real_state(self.user.pk)
        except Exception:
            logger.warning("could not send a presence snapshot", exc_info=True)
            return
        event = presence_snapshot_event(
            states, user_id=self.user.pk, state=real, appear_offline=self.appear_offline
        )
        await self.send(text_data=json.dumps(event))

    async def presence(self, data: dict[str, Any]) -> None:
        """``presence``: this socket's state, active or idle. The first one (each time the
        socket opens) registers the socket and is answered with the snapshot. A change takes
        a token from the write brake; a state repeated costs nothing."""
        frame = validate(COMMANDS["presence"].schema, data)
        if frame.state == self.presence_state:
            return
        await _check_write_rate(self.user)
        first = self.presence_state is None
        self.presence_state = frame.state
        await self._presence_changed()
        if first:
            await self._send_presence_snapshot()

    async def disconnect(self, code: int) -> None:
        if digests := getattr(self, "digests", None):
            digests.cancel()
        if getattr(self, "presence_state", None) is not None:
            await self._presence_changed(leaving=True)
        for room_id in getattr(self, "typing_at", {}):  # the tab went away mid-message
            event = typing_event(room_id, self.user.pk, typing=False)
            await send_ephemeral(room_group(room_id), event, skip_user=self.user.pk)
        for group in getattr(self, "groups_joined", set()):
            await self.channel_layer.group_discard(group, self.channel_name)
        raise StopConsumer

    async def dispatch(self, message: dict[str, Any]) -> None:
        handler = str(message.get("type", "")).replace(".", "_")
        if handler in NO_DB_HANDLERS:
            await getattr(self, handler)(message)
            return
        await super().dispatch(message)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        ref = None
        try:
            if text_data is None:
                raise ChatError("Send JSON text frames, not binary ones.", code="bad_frame")
            data = decode_object(text_data, limit=MAX_FRAME)
            ref = data.get("ref")
            if not isinstance(ref, int | str | None):  # it is echoed back in the reply
                ref = None
                raise ChatError("A command's ref is a number or a string.", code="bad_json")
            name = data.get("type")
            if not isinstance(name, str):
                raise ChatError("A command's type is a string.", code="bad_json")
            if name == "ping":
                await self.reply({"type": "pong", "ref": ref})
                return
            if name not in COMMANDS:
                raise ChatError(f"Unknown command {name!r}.", code="unknown_command")
            if name in ("typing", "presence"):
                await getattr(self, name)(data)
                if ref is not None:  # browsers send them without one: no ack
                    await self.reply({"type": "ack", "ref": ref})
                return
            # database_sync_to_async closes stale connections itself, in its own thread.
            result = await _run(name, self.user, data)
            await self.reply({"type": "ack", "ref": ref, **result})
        except ChatError as error:
            reply = {"type": "error", "ref": ref, "code": error.code, "message": error.message}
            if (retry_after := getattr(error, "retry_after", None)) is not None:
                reply["retry_after"] = retry_after
            await self.reply(reply)
        except Exception:
            logger.exception("socket command failed")
            await self.reply(
                {
                    "type": "error",
                    "ref": ref,
                    "code": "server_error",
                    "message": "Something went wrong on the server. Try again.",
                }
            )

    async def typing(self, data: dict[str, Any]) -> None:
        """``typing`` without a thread hop or a query: the room must be one this socket is
        subscribed to (its memberships, kept by room.joined and room.left), and it is not
        counted against the write brake (it would starve real sends). Started-typing goes out
        at most every TYPING_EVERY seconds per room and ROOM_TYPING_RATE a second per room in
        this process; a stop only after this socket's start went out."""
        frame = validate(COMMANDS["typing"].schema, data)
        if frame.room_id not in self.rooms:
            raise NotFound
        now = time.monotonic()
        last = self.typing_at.get(frame.room_id)
        if frame.typing:
            if last is not None and now - last < TYPING_EVERY:
                return
            if not _room_typing.take(frame.room_id, now):
                return
            self.typing_at[frame.room_id] = now
        else:
            if last is None:
                return
            del self.typing_at[frame.room_id]
        event = typing_event(frame.room_id, self.user.pk, typing=frame.typing)
        await send_ephemeral(room_group(frame.room_id), event, skip_user=self.user.pk)

    async def reply(self, data: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(data, default=str))

    # Events from chat.events.send_event -------------------------------------------------

    async def push(self, event: dict[str, Any]) -> None:
        if event.get("group") not in self.groups_joined:
            return  # sent to a room this socket has left since (a removed member gets nothing)
        if event.get("skip_user") == self.user.pk:
            return  # about this user (their own typing): their tabs need not hear it
        if event.get("event", "").startswith("presence") and self.presence_state is None:
            return  # a socket that does not take part in presence
        await self.send(text_data=event["text"])

    async def room_joined(self, event: dict[str, Any]) -> None:
        room_id = event["data"]["room"]["id"]
        if room_id not in self.rooms:
            self.rooms.add(room_id)
            group = room_group(room_id)
            self.groups_joined.add(group)
            await self.channel_layer.group_add(group, self.channel_name)
        await self.send(text_data=event["text"])
        if self.presence_state is None:
            return
        # The new room's members and this person learn each other's presence.
        await self._send_presence_snapshot()
        try:
            state = presence.seen_by_others(
                await presence.get_real_state(self.user.pk), appear_offline=self.appear_offline
            )
            if state != presence.OFFLINE:
                await send_ephemeral(
                    room_group(room_id),
                    presence_event(self.user.pk, state),
                    skip_user=self.user.pk,
                )
        except Exception:
            logger.warning("could not announce presence to a new room", exc_info=True)

    async def room_left(self, event: dict[str, Any]) -> None:
        room_id = event["data"]["room_id"]
        self.rooms.discard(room_id)
        self.typing_at.pop(room_id, None)
        group = room_group(room_id)
        self.groups_joined.discard(group)
        await self.channel_layer.group_discard(group, self.channel_name)
        await self.send(text_data=event["text"])

    async def layer_resubscribed(self, event: dict[str, Any]) -> None:
        # Redis was away: events for this socket may be lost (keyroom/layers.py).
        await self.send(text_data=json.dumps(resync_event()))

    async def account_changed(self, event: dict[str, Any]) -> None:
        # accounts/events.py: "appear offline" turned on or off in My Account -> Profile.
        self.appear_offline = bool(event["appear_offline"])
        if self.presence_state is not None:
            await self._presence_changed()

    async def session_ended(self, event: dict[str, Any]) -> None:
        # 4401: the browser shows "You are logged out" and does not reconnect.
        await self.close(code=4401)
