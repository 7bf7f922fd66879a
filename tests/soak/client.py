"""A browser tab without the browser: one socket, the rooms it shows, an outbox.

It follows the protocol static/js/chat/ follows (docs/ARCHITECTURE.md, "Ordering and delivery"
and "Socket protocol"):

- reconnect with backoff (socket.js: 500 ms doubling, jittered; capped lower here, 8 s, so the
  soak stays short);
- keep each room's stream of revisions: ``max_rev`` is the end of the gapless stream, revs past
  a hole wait in ``ahead`` (messages_data.js); a hole still open after the reorder window
  (400 ms) resyncs the room (room_view.js ``gapSeen``);
- resync a room (``GET /api/rooms/<id>/messages/?after_rev=<max_rev>``, pages of 500, then the
  answer's ``last_seq``) on every ``hello``, on a ``resync`` event, and on a ``digest`` that says
  the room is past ``max_rev``; one resync per room at a time, a request during one runs it
  again after it (room_view.js ``resync``);
- the outbox keeps every send until its ack, and sends again, with the SAME client_id, what a
  dropped connection left unanswered (outbox.js); a ``server_error`` or ``rate_limited`` answer
  is retried too (socket.js ``TRANSIENT``).

The view of a room is what the browser would draw: messages by id, ordered by ``seq``.
"""

import asyncio
import bisect
import contextlib
import json
import random
import urllib.error
import urllib.request
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI
from websockets.typing import Origin

from bench.harness import Person
from tests.soak.services import Server

REORDER_WINDOW_S = 0.4  # room_view.js REORDER_WINDOW_MS
RESYNC_BATCH = 500  # the server's page of ?after_rev= (chat/selectors.py list_changes_for_room)
BACKOFF_BASE_S = 0.5  # socket.js: 500 ms * 2 ** attempts, half of it jittered
BACKOFF_MAX_S = 8.0  # socket.js caps at 30 s; the soak has no time for that
RETRY_ERROR_S = 1.0  # a transient error answer (server_error): send again after this


@dataclass
class Stats:
    """Counts over all tabs (``Counter`` keys are printed as they are)."""

    counts: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)  # error answers by code
    problems: list[str] = field(default_factory=list)  # protocol breaches, first few kept

    def problem(self, text: str) -> None:
        self.counts["problems"] += 1
        if len(self.problems) < 20:
            self.problems.append(text)


@dataclass
class Seen:
    """One message as a view holds it."""

    id: int
    seq: int
    rev: int
    client_id: str
    body: str
    source: str  # how this view first learned of it: live, resync or ack


class RoomState:
    """One room as one tab shows it (messages_data.js MessageStore, for confirmed messages)."""

    def __init__(self, room_id: int) -> None:
        self.room_id = room_id
        self.by_id: dict[int, Seen] = {}
        self.seqs: list[int] = []  # sorted, as the page lists them
        self.max_rev = 0
        self.ahead: set[int] = set()
        self.gap_timer: asyncio.TimerHandle | None = None
        self.resyncing = False
        self.resync_again = False

    def note_rev(self, rev: int) -> None:
        if rev > self.max_rev:
            self.max_rev = rev
        self.ahead = {seen for seen in self.ahead if seen > self.max_rev}
        while self.max_rev + 1 in self.ahead:
            self.ahead.discard(self.max_rev + 1)
            self.max_rev += 1

    def apply(self, message: dict[str, Any], *, stream: bool, source: str) -> str:
        """Take a message; return ``added``, ``updated`` or ``ignored``."""
        rev = message["rev"]
        if stream:
            if rev > self.max_rev + 1:
                self.ahead.add(rev)
            else:
                self.note_rev(rev)
        known = self.by_id.get(message["id"])
        if known is not None:
            if rev <= known.rev:
                return "ignored"
            known.rev, known.body = rev, message["body"]
            return "updated"
        seen = Seen(
            id=message["id"],
            seq=message["seq"],
            rev=rev,
            client_id=message["client_id"],
            body=message["body"],
            source=source,
        )
        self.by_id[seen.id] = seen
        bisect.insort(self.seqs, seen.seq)
        return "added"

    def client_ids(self) -> set[str]:
        return {seen.client_id for seen in self.by_id.values()}


@dataclass
class Pending:
    """A send the outbox keeps until its ack (or until a resync shows it stored)."""

    room_id: int
    client_id: str
    body: str
    attempts: int = 0
    in_flight: bool = False
    acked: bool = False
    confirmed_by_view: bool = False
    retry: asyncio.TimerHandle | None = None


class Tab:
    """One signed-in browser tab on one server (its URL does not change across reconnects)."""

    def __init__(
        self,
        name: str,
        person: Person,
        server: Server,
        rooms: list[int],
        stats: Stats,
        *,
        resync_on_hello: bool = True,
        resync_on_event: bool = True,
        resync_on_digest: bool = True,
        resync_on_gap: bool = True,
    ) -> None:
        self.name = name
        self.person = person
        self.server = server
        self.rooms = {room_id: RoomState(room_id) for room_id in rooms}
        self.stats = stats
        self.resync_on_hello = resync_on_hello
        self.resync_on_event = resync_on_event
        self.resync_on_digest = resync_on_digest
        self.resync_on_gap = resync_on_gap
        self.ws: ClientConnection | None = None
        self.ready = asyncio.Event()
        self.stopping = False
        self.outbox: dict[str, Pending] = {}  # every send ever made, by client_id
        self.sent_edits: dict[int, str] = {}  # message id -> body it was edited to
        self.digests = 0
        self.resync_events = 0
        self.connections = 0
        self.task: asyncio.Task | None = None
        self.resyncs: set[asyncio.Task] = set()
        self.writes: set[asyncio.Task] = set()
        self._loop = asyncio.get_running_loop()

    # Connection ------------------------------------------------------------------------

    def start(self) -> None:
        self.task = asyncio.create_task(self._run(), name=f"tab {self.name}")

    async def _run(self) -> None:
        attempts = 0
        while not self.stopping:
            try:
                ws = await connect(
                    self.server.ws_url,
                    origin=Origin(self.server.origin),
                    additional_headers={"Cookie": self.person.cookie},
                    compression=None,
                    proxy=None,
                    ping_interval=None,
                    max_queue=4096,
                    open_timeout=10,
                    close_timeout=2,
                )
            except (OSError, InvalidHandshake, InvalidURI, TimeoutError):
                self.stats.counts["connect failures"] += 1
                attempts += 1
                await self._backoff(attempts)
                continue
            self.ws = ws
            hellos = self.connections
            try:
                async for frame in ws:
                    self._handle(json.loads(frame))
            except ConnectionClosed as closed:
                code = closed.rcvd.code if closed.rcvd else 1006
                if not self.stopping:
                    self.stats.counts[f"closed with {code}"] += 1
            finally:
                self.ws = None
                self.ready.clear()
                for pending in self.outbox.values():
                    pending.in_flight = False  # its ack will not come on this socket
            if self.stopping:
                return
            # socket.js: the backoff starts again after a connection that got its hello.
            attempts = 1 if self.connections > hellos else attempts + 1
            await self._backoff(attempts)

    async def _backoff(self, attempts: int) -> None:
        base = min(BACKOFF_MAX_S, BACKOFF_BASE_S * 2 ** (attempts - 1))
        await asyncio.sleep(base / 2 + random.random() * base / 2)

    async def stop(self) -> None:
        self.stopping = True
        for room in self.rooms.values():
            if room.gap_timer:
                room.gap_timer.cancel()
        for pending in self.outbox.values():
            if pending.retry:
                pending.retry.cancel()
        if self.ws is not None:
            await self.ws.close()
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
        for task in list(self.resyncs):
            task.cancel()
        await asyncio.gather(*self.resyncs, return_exceptions=True)

    def _send_frame(self, frame: dict[str, Any]) -> bool:
        ws = self.ws
        if ws is None or not self.ready.is_set():
            return False
        task = asyncio.create_task(self._write(ws, json.dumps(frame)))
        self.writes.add(task)
        task.add_done_callback(self.writes.discard)
        return True

    async def _write(self, ws: ClientConnection, text: str) -> None:
        with contextlib.suppress(ConnectionClosed):  # the reader sees it too and reconnects
            await ws.send(text)

    # Incoming --------------------------------------------------------------------------

    def _handle(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        if kind == "hello":
            if event.get("user_id") != self.person.user_id:
                self.stats.problem(f"{self.name}: hello for user {event.get('user_id')}")
            self.connections += 1
            if self.connections > 1:
                self.stats.counts["reconnects"] += 1
            self.ready.set()
            # dispatch.js: hello -> the rooms resync (the first one is the initial load).
            for room_id in self.rooms:
                if self.resync_on_hello or self.connections == 1:
                    self.resync(room_id, why="hello")
                else:
                    self._resend_room(room_id)
        elif kind == "digest":
            self.digests += 1
            for room_id, latest in event.get("rooms", {}).items():
                room = self.rooms.get(int(room_id))
                if room is None:
                    self.stats.problem(f"{self.name}: digest names room {room_id}")
                elif latest > room.max_rev and self.resync_on_digest:
                    self.resync(room.room_id, why="digest")
        elif kind == "resync":
            self.resync_events += 1
            self.stats.counts["resync events"] += 1
            if self.resync_on_event:
                for room_id in self.rooms:
                    self.resync(room_id, why="resync event")
        elif kind in ("message.new", "message.updated"):
            self._receive(event["message"], stream=True, source="live")
        elif kind == "ack":
            self._acked(event)
        elif kind == "error":
            self._error(event)
        elif kind in ("room.read", "pong"):
            pass
        else:
            self.stats.counts[f"event {kind}"] += 1

    def _receive(self, message: dict[str, Any], *, stream: bool, source: str) -> None:
        room = self.rooms.get(message["room_id"])
        if room is None:
            self.stats.problem(f"{self.name}: a message of room {message['room_id']}")
            return
        change = room.apply(message, stream=stream, source=source)
        self.stats.counts[f"{source} {change}"] += 1
        pending = self.outbox.get(message["client_id"])
        if change == "added" and pending is not None and not pending.acked:
            pending.confirmed_by_view = True  # outbox.js: a confirmed pending leaves the outbox
        if room.ahead and room.gap_timer is None and self.resync_on_gap:
            room.gap_timer = self._loop.call_later(REORDER_WINDOW_S, self._gap_closed, room)

    def _gap_closed(self, room: RoomState) -> None:
        room.gap_timer = None
        self.stats.counts["reorder windows"] += 1
        if room.ahead:
            self.resync(room.room_id, why="gap")

    # Resync ----------------------------------------------------------------------------

    def resync(self, room_id: int, *, why: str) -> None:
        room = self.rooms[room_id]
        self.stats.counts[f"resync asked ({why})"] += 1
        if room.resyncing:
            room.resync_again = True
            return
        room.resyncing = True
        task = asyncio.create_task(self._resync(room))
        self.resyncs.add(task)
        task.add_done_callback(self.resyncs.discard)

    async def _resync(self, room: RoomState) -> None:
        try:
            while True:
                room.resync_again = False
                while True:
                    after = room.max_rev
                    data = await self._get(f"/api/rooms/{room.room_id}/messages/?after_rev={after}")
                    self.stats.counts["resync requests"] += 1
                    batch = data["messages"]
                    for message in batch:
                        self._receive(message, stream=True, source="resync")
                    if len(batch) < RESYNC_BATCH:
                        room.note_rev(data["last_seq"])
                        break
                    if room.max_rev == after:
                        # The next page would be this one again (room_view.js would loop).
                        self.stats.problem(f"{self.name}: resync of room {room.room_id} stuck")
                        room.note_rev(batch[-1]["rev"])
                if not room.resync_again:
                    break
            self._resend_room(room.room_id)  # room_view.js: outbox.retryFailed() after it
        except (OSError, urllib.error.URLError, ValueError) as error:
            # The browser drops a failed resync; the next digest, gap or hello tries again.
            self.stats.counts["resync failures"] += 1
            if isinstance(error, urllib.error.HTTPError) and error.code >= 500:
                self.stats.problem(f"{self.name}: resync answered {error.code}")
        finally:
            room.resyncing = False

    async def _get(self, path: str) -> dict[str, Any]:
        request = urllib.request.Request(  # noqa: S310 (always our own http://127.0.0.1 server)
            self.server.origin + path,
            headers={"Cookie": self.person.cookie, "Accept": "application/json"},
        )

        def fetch() -> dict[str, Any]:
            with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310
                return json.loads(response.read())

        return await asyncio.to_thread(fetch)

    # Outbox ----------------------------------------------------------------------------

    def send(self, room_id: int, body: str) -> None:
        """Queue a message and send it if the socket is up (outbox.js ``send``)."""
        client_id = str(uuid.uuid4())
        self.outbox[client_id] = Pending(room_id=room_id, client_id=client_id, body=body)
        self.stats.counts["sends"] += 1
        self._deliver(self.outbox[client_id])

    def _deliver(self, pending: Pending) -> None:
        if pending.acked or pending.confirmed_by_view or pending.in_flight:
            return
        frame = {
            "type": "message.send",
            "ref": pending.client_id,
            "room_id": pending.room_id,
            "client_id": pending.client_id,
            "body": pending.body,
        }
        if self._send_frame(frame):
            pending.in_flight = True
            pending.attempts += 1
            if pending.attempts > 1:
                self.stats.counts["sends retried (same client_id)"] += 1

    def _resend_room(self, room_id: int) -> None:
        for pending in self.outbox.values():
            if pending.room_id == room_id:
                self._deliver(pending)

    def edit(self, message_id: int, body: str) -> None:
        self.sent_edits[message_id] = body
        frame = {"type": "message.edit", "ref": f"edit-{message_id}", "message_id": message_id}
        if self._send_frame({**frame, "body": body}):
            self.stats.counts["edits sent"] += 1

    def _acked(self, event: dict[str, Any]) -> None:
        ref = str(event.get("ref"))
        if ref.startswith("edit-"):
            self.stats.counts["edits acked"] += 1
            self._receive(event["message"], stream=False, source="ack")
            return
        pending = self.outbox.get(ref)
        if pending is None:
            self.stats.problem(f"{self.name}: an ack for {ref!r}, never sent")
            return
        pending.in_flight = False
        if pending.acked:
            self.stats.counts["acks again"] += 1
        pending.acked = True
        message = event["message"]
        if message["client_id"] != pending.client_id or message["body"] != pending.body:
            self.stats.problem(f"{self.name}: the ack of {ref} carries another message")
        self._receive(message, stream=False, source="ack")

    def _error(self, event: dict[str, Any]) -> None:
        code = str(event.get("code"))
        self.stats.errors[code] += 1
        pending = self.outbox.get(str(event.get("ref")))
        if pending is None:
            return  # an edit refused: the stored row is what counts
        pending.in_flight = False
        if code in ("server_error", "rate_limited"):
            wait = float(event.get("retry_after") or RETRY_ERROR_S)
            pending.retry = self._loop.call_later(wait, self._deliver, pending)
        else:
            self.stats.problem(f"{self.name}: send {pending.client_id} refused: {event}")

    # State -----------------------------------------------------------------------------

    def unconfirmed(self) -> int:
        """Sends neither acked nor seen stored."""
        return sum(1 for p in self.outbox.values() if not (p.acked or p.confirmed_by_view))

    def busy(self) -> bool:
        return any(room.resyncing or room.gap_timer or room.ahead for room in self.rooms.values())
