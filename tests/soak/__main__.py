"""The soak: two Keyroom processes on PostgreSQL + Redis, ~100 browser-like sockets, ~3,000
messages, one process killed (-9) and restarted, Redis stopped and restarted; then counts.

Run from the repository root (``make test-soak``)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python -m tests.soak

``DATABASE_URL`` names the PostgreSQL server (default: the one above); the soak creates its own
database ``keyroom_soak_<random>`` there and drops it at the end. It starts its own redis-server
on a free port (so stopping it disturbs nothing else), two ``python -m keyroom.serve`` processes,
and the tabs (tests/soak/client.py) in this process. Everything is on 127.0.0.1, traffic is
bounded by the counts below, and the run has a hard deadline.

It asserts counts, never timings: every send acked or found stored, every acked send stored
exactly once, no stored message that no tab sent, every tab's view of every room equal to the
room's stored rows in seq order, no 500 and no failed command in the servers' logs. It exits 1
and says what broke if anything did. ``--without hello,event,digest,gap`` switches off the
tabs' resync triggers (to see the checks fail when the client does not catch up).
"""

import argparse
import asyncio
import os
import secrets
import signal
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench.harness import Person, configure_django, fresh_database, session_cookie, setup_database
from tests.soak.client import Stats, Tab
from tests.soak.services import RedisServer, Server, SoakError, require_tools

DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/postgres"
TRIGGERS = ("hello", "event", "digest", "gap")


@dataclass(frozen=True)
class Plan:
    rooms: int = 5
    members: int = 20  # per room; the first few of each room also sit in the next room
    cross_members: int = 4
    senders: int = 4  # per room
    messages: int = 3000
    rate: float = 75.0  # messages a second, all senders together
    edit_every: int = 25  # each sender edits every Nth of its own acked messages
    kill_at: float = 10.0  # seconds after the sends start
    kill_for: float = 2.0
    redis_at: float = 24.0
    redis_for: float = 3.0
    digest_seconds: float = 2.0
    settle_timeout: float = 120.0  # a busy machine can be a minute behind with the acks
    deadline: float = 240.0  # the whole run, set-up included


# Set-up -------------------------------------------------------------------------------


@dataclass
class Fixture:
    room_ids: list[int]
    people: list[Person]
    rooms_of: list[list[int]]  # person index -> their rooms
    senders: list[tuple[int, int]]  # (person index, room id)


def make_fixture(plan: Plan) -> Fixture:
    """Create the users, the private groups (through ``do_create_room``) and their sessions."""
    from django.contrib.auth.hashers import make_password
    from django.db import connections

    from accounts.models import User
    from chat.actions import do_create_room

    count = plan.rooms * plan.members
    names = [f"soak-{index:04d}" for index in range(count)]
    User.objects.bulk_create([User(username=name, password=make_password(None)) for name in names])
    users = list(User.objects.filter(username__in=names).order_by("username"))
    rooms_of: list[list[int]] = [[] for _ in users]
    room_ids = []
    for r in range(plan.rooms):
        own = list(range(r * plan.members, (r + 1) * plan.members))
        nxt = (r + 1) % plan.rooms
        guests = list(range(nxt * plan.members, nxt * plan.members + plan.cross_members))
        members = own + [g for g in guests if g not in own]
        room = do_create_room(
            users[members[0]],
            kind="group",
            name=f"soak room {r}",
            invitees=[users[i] for i in members[1:]],
        )
        room_ids.append(room.pk)
        for i in members:
            rooms_of[i].append(room.pk)
    step = plan.members // plan.senders
    senders = [
        (r * plan.members + k * step, room_ids[r])
        for r in range(plan.rooms)
        for k in range(plan.senders)
    ]
    people = [Person(user.pk, session_cookie(user)) for user in users]
    connections.close_all()
    return Fixture(room_ids, people, rooms_of, senders)


# The run ------------------------------------------------------------------------------


class Run:
    def __init__(
        self,
        plan: Plan,
        fixture: Fixture,
        servers: list[Server],
        redis: RedisServer,
        *,
        without: set[str],
    ) -> None:
        self.plan = plan
        self.fixture = fixture
        self.servers = servers
        self.redis = redis
        self.without = without
        self.stats = Stats()
        self.tabs: list[Tab] = []
        self.timeline: list[str] = []
        self.before_redis: dict[int, tuple[int, int]] = {}
        self.t0 = 0.0

    def mark(self, text: str) -> None:
        line = f"  {time.monotonic() - self.t0:6.1f} s  {text}"
        self.timeline.append(line)
        print(line, flush=True)

    async def main(self) -> None:
        flags = {f"resync_on_{name}": name not in self.without for name in TRIGGERS}
        for index, person in enumerate(self.fixture.people):
            server = self.servers[index % len(self.servers)]
            tab = Tab(
                f"tab{index}", person, server, self.fixture.rooms_of[index], self.stats, **flags
            )
            self.tabs.append(tab)
        self.t0 = time.monotonic()
        for tab in self.tabs:
            tab.start()
            await asyncio.sleep(0.01)
        if not await self.until(
            lambda: all(t.ready.is_set() and not t.busy() for t in self.tabs),
            30,
            "every tab connected and loaded",
        ):
            await asyncio.gather(*(tab.stop() for tab in self.tabs))
            raise SoakError(f"the tabs could not connect: {dict(self.stats.counts)}")
        self.mark(f"{len(self.tabs)} sockets open, rooms loaded")
        faults = asyncio.create_task(self.faults())
        await asyncio.gather(*(self.sender(i) for i in range(len(self.fixture.senders))))
        self.mark(f"sends done: {self.stats.counts['sends']}")
        await faults
        await self.until(
            lambda: sum(t.unconfirmed() for t in self.tabs) == 0,
            self.plan.settle_timeout,
            "every send acked or found stored",
        )
        self.mark("every send confirmed")
        # The quiet end: nothing is sent; each tab gets two more digests from the database and
        # catches up the way a browser would (no forced resync).
        marks = {id(t): t.digests for t in self.tabs}
        await self.until(
            lambda: all(t.digests >= marks[id(t)] + 2 and not t.busy() for t in self.tabs),
            4 * self.plan.digest_seconds + 20,
            "two quiet digests per tab",
        )
        self.mark("quiet: two digests per tab, no resync running")
        await asyncio.gather(*(tab.stop() for tab in self.tabs))

    async def until(self, condition, seconds: float, what: str) -> bool:
        start = time.monotonic()
        told = start
        while not condition():
            now = time.monotonic()
            if now > start + seconds:
                self.mark(f"gave up waiting: {what}; {self.waiting()}")
                return False
            if now > told + 5:
                told = now
                self.mark(f"waiting: {what}; {self.waiting()}")
            await asyncio.sleep(0.1)
        return True

    def waiting(self) -> str:
        """Say what is still open: unconfirmed sends (by state), tabs down, busy views."""
        sends = Counter(
            "in flight" if p.in_flight else "queued"
            for tab in self.tabs
            for p in tab.outbox.values()
            if not (p.acked or p.confirmed_by_view)
        )
        down = sum(1 for tab in self.tabs if not tab.ready.is_set())
        busy = sum(1 for tab in self.tabs if tab.busy())
        return f"unconfirmed sends {dict(sends)}, tabs down {down}, tabs resyncing {busy}"

    async def sender(self, number: int) -> None:
        plan = self.plan
        person_index, room_id = self.fixture.senders[number]
        tab = self.tabs[person_index]
        count = plan.messages // len(self.fixture.senders)
        interval = len(self.fixture.senders) / plan.rate
        await asyncio.sleep(interval * number / len(self.fixture.senders))
        start = time.monotonic()
        edited: set[str] = set()
        for n in range(count):
            await asyncio.sleep(max(0.0, start + n * interval - time.monotonic()))
            tab.send(room_id, f"soak {tab.name} #{n}")
            acked = [p for p in tab.outbox.values() if p.acked and p.room_id == room_id]
            if n and n % plan.edit_every == 0 and acked:
                target = acked[-1]
                if target.client_id not in edited:
                    edited.add(target.client_id)
                    room = tab.rooms[room_id]
                    seen = next(
                        (s for s in room.by_id.values() if s.client_id == target.client_id), None
                    )
                    if seen is not None:
                        tab.edit(seen.id, f"{target.body} (edited)")

    async def faults(self) -> None:
        plan = self.plan
        start = time.monotonic()
        victim = self.servers[-1]
        await asyncio.sleep(plan.kill_at)
        victim.kill()
        self.mark(f"kill -9 daphne {victim.index} (port {victim.port})")
        await asyncio.sleep(plan.kill_for)
        victim.start()
        await asyncio.to_thread(victim.wait_ready)
        self.mark(f"daphne {victim.index} restarted")
        await asyncio.sleep(max(0.0, start + plan.redis_at - time.monotonic()))
        self.before_redis = {id(t): (t.connections, t.resync_events) for t in self.tabs}
        await asyncio.to_thread(self.redis.stop)
        self.mark("redis-server stopped")
        await asyncio.sleep(plan.redis_for)
        await asyncio.to_thread(self.redis.restart)
        self.mark("redis-server restarted")


# Checks -------------------------------------------------------------------------------


def check(run: Run) -> tuple[list[tuple[str, bool, str]], Counter]:
    """Compare what the tabs sent and saw with the database; return (checks, figures)."""
    from chat.models import Message, MessageKind, Room

    room_ids = run.fixture.room_ids
    rows = list(
        Message.objects.filter(room_id__in=room_ids)
        .order_by("room_id", "seq")
        .values("id", "room_id", "seq", "rev", "client_id", "body", "kind", "sender_id")
    )
    last_seq = dict(Room.objects.filter(pk__in=room_ids).values_list("id", "last_seq"))
    by_room: dict[int, list[dict]] = {room_id: [] for room_id in room_ids}
    for row in rows:
        row["client_id"] = str(row["client_id"])
        by_room[row["room_id"]].append(row)
    text_rows = [row for row in rows if row["kind"] == MessageKind.TEXT]
    stored_by_client: Counter = Counter(row["client_id"] for row in text_rows)

    sends = [(tab, p) for tab in run.tabs for p in tab.outbox.values()]
    sent_ids = {p.client_id for _, p in sends}
    acked = [p for _, p in sends if p.acked]
    figures = Counter(
        {
            "sockets": len(run.tabs),
            "rooms": len(room_ids),
            "sent": len(sends),
            "acked": len(acked),
            "confirmed by resync, ack lost": sum(
                1 for _, p in sends if p.confirmed_by_view and not p.acked
            ),
            "stored text rows": len(text_rows),
            "stored rows (with system lines)": len(rows),
        }
    )
    for key, value in run.stats.counts.items():
        figures[key] = value
    for code, value in run.stats.errors.items():
        figures[f"error answers {code}"] = value

    checks: list[tuple[str, bool, str]] = []

    def expect(name: str, ok: bool, detail: str = "") -> None:
        checks.append((name, ok, detail))

    unconfirmed = [p.client_id for _, p in sends if not (p.acked or p.confirmed_by_view)]
    expect(
        "every send was acked or found stored",
        not unconfirmed,
        f"{len(unconfirmed)} never confirmed, e.g. {unconfirmed[:3]}",
    )
    not_once = [p.client_id for p in acked if stored_by_client[p.client_id] != 1]
    expect(
        "every acked send is stored exactly once",
        not not_once,
        f"{len(not_once)} acked sends stored 0 or 2+ times, e.g. "
        f"{[(c, stored_by_client[c]) for c in not_once[:3]]}",
    )
    strangers = [row["client_id"] for row in text_rows if row["client_id"] not in sent_ids]
    expect(
        "no stored message that no tab sent",
        not strangers,
        f"{len(strangers)} stored rows were never sent, e.g. {strangers[:3]}",
    )
    wrong_body = [
        p.client_id
        for _, p in sends
        if not any(
            row["client_id"] == p.client_id and row["body"].startswith(p.body)
            for row in by_room[p.room_id]
        )
    ]
    expect(
        "every send is stored in its room with its text",
        not wrong_body,
        f"{len(wrong_body)} sends missing from their room, e.g. {wrong_body[:3]}",
    )

    lost = extra = misordered = stale = behind = 0
    examples: list[str] = []
    deliveries: Counter = Counter()
    for tab in run.tabs:
        for room_id, view in tab.rooms.items():
            stored = {row["id"]: row for row in by_room[room_id]}
            seen = view.by_id
            missing = stored.keys() - seen.keys()
            unknown = seen.keys() - stored.keys()
            lost += len(missing)
            extra += len(unknown)
            for message_id in stored.keys() & seen.keys():
                row, got = stored[message_id], seen[message_id]
                if (row["seq"], row["rev"], row["body"]) != (got.seq, got.rev, got.body):
                    stale += 1
                deliveries[got.source] += 1
            # The page lists view.seqs top to bottom: strictly increasing, one per message.
            increasing = all(a < b for a, b in zip(view.seqs, view.seqs[1:], strict=False))
            if not increasing or sorted(s.seq for s in seen.values()) != view.seqs:
                misordered += 1
            if view.max_rev != last_seq[room_id] or view.ahead:
                behind += 1
            if (missing or unknown) and len(examples) < 3:
                examples.append(
                    f"{tab.name} room {room_id}: {len(missing)} missing, {len(unknown)} unknown"
                )
    figures["views (tab x room)"] = sum(len(tab.rooms) for tab in run.tabs)
    for source, value in deliveries.items():
        figures[f"messages in views, first seen via {source}"] = value
    expect("no message lost from any view", lost == 0, f"{lost} missing; {examples}")
    expect("no view holds a message that is not stored", extra == 0, f"{extra}; {examples}")
    expect(
        "every view shows each message's stored seq, rev and text", stale == 0, f"{stale} differ"
    )
    expect(
        "every view is in seq order, each message once",
        misordered == 0,
        f"{misordered} views out of order or with a repeated seq",
    )
    expect(
        "every view has caught up with its room's last revision",
        behind == 0,
        f"{behind} views behind (max_rev < last_seq or a hole left)",
    )
    expect(
        "the tabs saw no protocol breach", not run.stats.problems, "; ".join(run.stats.problems[:5])
    )

    # A tab open across the Redis restart must hear that events may be lost (or reconnect).
    untold = [
        tab.name
        for tab in run.tabs
        if run.before_redis.get(id(tab)) in (None, (tab.connections, tab.resync_events))
    ]
    expect(
        "every tab was told to resync after the Redis restart (or reconnected)",
        not untold,
        f"{len(untold)} tabs were not, e.g. {untold[:3]}",
    )

    logs = "\n".join(server.log_text() for server in run.servers)
    failures = {
        "socket command failed": logs.count("socket command failed"),
        "Internal Server Error": logs.count("Internal Server Error"),
    }
    figures["tracebacks in the servers' logs"] = logs.count("Traceback (most recent call last)")
    figures["layer outages logged"] = logs.count("The channel layer is failing")
    figures["layer recoveries logged"] = logs.count("The channel layer is back")
    expect(
        "no failed socket command and no HTTP 500 in the servers' logs",
        not any(failures.values()),
        f"{failures}",
    )
    expect(
        "the faults happened (one daphne killed, Redis restarted, tabs reconnected)",
        run.servers[-1].kills == 1
        and run.redis.restarts == 1
        and run.stats.counts["reconnects"] > 0,
        f"kills {run.servers[-1].kills}, redis restarts {run.redis.restarts}, "
        f"reconnects {run.stats.counts['reconnects']}",
    )
    return checks, figures


# Entry point -----------------------------------------------------------------------------


def soak(plan: Plan, *, without: set[str], keep_logs: bool) -> int:
    database_url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE
    require_tools(database_url)
    work = Path(tempfile.mkdtemp(prefix="keyroom-soak-"))
    redis = RedisServer(work)
    redis.start()
    servers: list[Server] = []
    try:
        parts = urlsplit(database_url)
        os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path="/keyroom_soak"))
        os.environ["REDIS_URL"] = redis.url
        os.environ["REDIS_PREFIX"] = f"keyroom-soak-{secrets.token_hex(4)}"
        os.environ["SECRET_KEY"] = secrets.token_urlsafe(50)
        os.environ["KEYROOM_DIGEST_SECONDS"] = str(plan.digest_seconds)
        # The production default brake (20 writes/s per user): the senders stay under it, and
        # it keeps the cache (Redis) on every command's path, as in production.
        os.environ["KEYROOM_WRITE_RATE"] = os.environ.get("KEYROOM_WRITE_RATE", "20")
        os.environ["LOG_LEVEL"] = "WARNING"
        with fresh_database():
            env = configure_django(work)
            setup_database()
            fixture = make_fixture(plan)
            print(
                f"soak: {len(fixture.people)} users in {len(fixture.room_ids)} rooms, "
                f"database {os.environ['DATABASE_URL'].rsplit('/', 1)[-1]}, "
                f"redis on port {redis.port}",
                flush=True,
            )
            servers = [Server(i, env=env, log_dir=work) for i in range(2)]
            for server in servers:
                server.start()
            for server in servers:
                server.wait_ready()
            run = Run(plan, fixture, servers, redis, without=without)
            asyncio.run(asyncio.wait_for(run.main(), plan.deadline))
            for server in servers:
                server.stop()
            checks, figures = check(run)
    finally:
        for server in servers:
            server.stop()
        redis.stop()
    print("\nsoak figures:")
    for key in sorted(figures):
        print(f"  {key:<48} {figures[key]}")
    print("\nsoak checks:")
    for name, ok, detail in checks:
        print(f"  {'ok  ' if ok else 'FAIL'} {name}" + ("" if ok else f": {detail}"))
    failed = sum(1 for _, ok, _ in checks if not ok)
    if failed or keep_logs:
        print(f"\nservers' logs kept in {work}")
    else:
        import shutil

        shutil.rmtree(work, ignore_errors=True)
    print(f"soak: {len(checks) - failed} passed, {failed} failed")
    return 1 if failed else 0


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.soak", description=__doc__)
    parser.add_argument("--messages", type=int, default=Plan.messages)
    parser.add_argument(
        "--without", default="", help=f"resync triggers to ignore: {','.join(TRIGGERS)}"
    )
    parser.add_argument("--keep-logs", action="store_true")
    args = parser.parse_args()
    without = {name for name in args.without.split(",") if name}
    if without - set(TRIGGERS):
        parser.error(f"--without takes {', '.join(TRIGGERS)}")
    # A hard stop (make's timeout sends SIGTERM) still stops the servers and drops the database.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(124))
    started = time.monotonic()
    try:
        code = soak(Plan(messages=args.messages), without=without, keep_logs=args.keep_logs)
    except SoakError as error:
        print(f"soak: cannot run: {error}", file=sys.stderr)
        code = 2
    except TimeoutError:
        print("soak: the run passed its deadline", file=sys.stderr)
        print("soak: 0 passed, 1 failed")
        code = 1
    print(f"soak: finished in {time.monotonic() - started:.0f} s (not a check)")
    sys.exit(code)


if __name__ == "__main__":
    main()
