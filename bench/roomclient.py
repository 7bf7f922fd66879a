"""A room's worth of signed-in sockets in one asyncio process, timing every delivery.

The sender has one socket per server process; the members are spread round-robin across the
processes. Every ``message.send`` is tracked by its ``client_id``: when it left, when its ``ack``
came back, and when each member's ``message.new`` arrived (``time.perf_counter``).
"""

import asyncio
import json
import random
import re
import uuid
from dataclasses import dataclass, field
from time import perf_counter

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake
from websockets.typing import Origin

from bench.harness import BenchError, Daphne, Person

CLIENT_ID = re.compile(rb'"client_id":\s*"([0-9a-f-]{36})"')


@dataclass(eq=False)
class Track:
    """One sent message: when it left, when its ack came back, when each member got it."""

    expected: int
    sent: float = 0.0
    acked: float | None = None
    receipts: list[float] = field(default_factory=list)
    done: asyncio.Event = field(default_factory=asyncio.Event)

    def receive(self, now: float) -> None:
        self.receipts.append(now)
        self._check()

    def ack(self, now: float) -> None:
        self.acked = now
        self._check()

    def _check(self) -> None:
        if self.acked is not None and len(self.receipts) >= self.expected:
            self.done.set()

    def latencies(self) -> list[float]:
        return [receipt - self.sent for receipt in self.receipts]

    def missing(self) -> int:
        return self.expected - len(self.receipts)


class RoomClient:
    """All sockets of one room: a sender socket per server process and one per member."""

    def __init__(self, *, room_id: int, path: str) -> None:
        self.room_id = room_id
        self.path = path
        self.senders: list[ClientConnection] = []
        self.members: list[ClientConnection] = []
        self.tracks: dict[bytes, Track] = {}
        self.errors: list[str] = []
        self.frames = 0
        self._readers: list[asyncio.Task[None]] = []
        self._typists: list[asyncio.Task[None]] = []
        self.typing_frames = 0
        self._closing = False

    async def open(self, servers: list[Daphne], *, sender: Person, members: list[Person]) -> None:
        """Connect the sender to every server and the members round-robin, then start reading."""
        self.senders = [await self._connect(server, sender) for server in servers]
        gate = asyncio.Semaphore(10)

        async def member(index: int, person: Person) -> ClientConnection:
            async with gate:
                return await self._connect(servers[index % len(servers)], person)

        connecting = (member(index, person) for index, person in enumerate(members))
        self.members = list(await asyncio.gather(*connecting))
        self._readers = [asyncio.create_task(self._read_sender(ws)) for ws in self.senders]
        self._readers += [asyncio.create_task(self._read_member(ws)) for ws in self.members]

    async def _connect(self, server: Daphne, person: Person) -> ClientConnection:
        """Open a signed-in socket and wait for the server's ``hello``."""
        try:
            ws = await connect(
                server.url(self.path),
                origin=Origin(server.origin),
                additional_headers={"Cookie": person.cookie},
                compression=None,
                proxy=None,
                ping_interval=None,
                max_queue=256,
                open_timeout=30,
            )
            hello = json.loads(await ws.recv())
        except (OSError, InvalidHandshake, ConnectionClosed) as error:
            raise BenchError(f"user {person.user_id} could not connect: {error!r}") from error
        if hello.get("type") != "hello":
            raise BenchError(f"expected hello, got {hello!r}")
        return ws

    async def send(self, sender: int, body: str) -> Track:
        """Send one message from the sender's socket on server ``sender``; return its track."""
        client_id = str(uuid.uuid4())
        frame = json.dumps(
            {
                "type": "message.send",
                "ref": client_id,
                "room_id": self.room_id,
                "client_id": client_id,
                "body": body,
            }
        )
        track = Track(expected=len(self.members))
        self.tracks[client_id.encode()] = track
        track.sent = perf_counter()
        await self.senders[sender].send(frame)
        return track

    def start_typing(self, interval: float) -> None:
        """Every member socket sends ``typing`` every ``interval`` seconds (jittered) until
        ``stop_typing``: a room where everyone types at once, each frame a keystroke."""

        async def type_on(ws: ClientConnection) -> None:
            frame = json.dumps({"type": "typing", "room_id": self.room_id, "typing": True})
            await asyncio.sleep(random.uniform(0, interval))
            while True:
                await ws.send(frame)
                self.typing_frames += 1
                await asyncio.sleep(interval * random.uniform(0.8, 1.2))

        self._typists = [asyncio.create_task(type_on(ws)) for ws in self.members]

    async def stop_typing(self) -> None:
        for task in self._typists:
            task.cancel()
        await asyncio.gather(*self._typists, return_exceptions=True)
        self._typists = []

    async def _read_member(self, ws: ClientConnection) -> None:
        # The hot path: a regex instead of json.loads keeps the client's cost per receipt low.
        try:
            while True:
                frame = await ws.recv(decode=False)
                now = perf_counter()
                self.frames += 1
                match = CLIENT_ID.search(frame) if b"message.new" in frame else None
                track = self.tracks.get(match[1]) if match else None
                if track is not None:
                    track.receive(now)
        except ConnectionClosed as closed:
            if not self._closing:
                self.errors.append(f"a member socket closed: {closed}")

    async def _read_sender(self, ws: ClientConnection) -> None:
        try:
            while True:
                data = json.loads(await ws.recv())
                now = perf_counter()
                if data.get("type") == "ack":
                    track = self.tracks.get(str(data.get("ref")).encode())
                    if track is not None:
                        track.ack(now)
                elif data.get("type") == "error":
                    self.errors.append(f"server error: {data}")
        except ConnectionClosed as closed:
            if not self._closing:
                self.errors.append(f"the sender socket closed: {closed}")

    async def wait(self, track: Track, seconds: float) -> bool:
        """Wait until every member has the message and its ack came; False after ``seconds``."""
        try:
            await asyncio.wait_for(track.done.wait(), max(seconds, 0.0))
        except TimeoutError:
            return False
        return True

    async def quiesce(self, *, quiet: float = 0.5, limit: float = 30.0) -> None:
        """Wait until no frame has arrived for ``quiet`` seconds (a backlog has drained)."""
        deadline = perf_counter() + limit
        seen = -1
        while seen != self.frames and perf_counter() < deadline:
            seen = self.frames
            await asyncio.sleep(quiet)

    def forget(self, tracks: list[Track]) -> None:
        wanted = set(map(id, tracks))
        self.tracks = {key: t for key, t in self.tracks.items() if id(t) not in wanted}

    def check(self) -> None:
        if self.errors:
            raise BenchError("; ".join(self.errors[:3]))

    async def close(self) -> None:
        self._closing = True
        await self.stop_typing()
        await asyncio.gather(
            *(ws.close() for ws in self.senders + self.members), return_exceptions=True
        )
        for task in self._readers:
            task.cancel()
