"""Fan-out benchmark: how fast a message reaches every member of a room, Keyroom vs the floor.

Run from the repository root (PERFORMANCE.md states the targets; docs/BENCHMARKS.md explains)::

    .venv/bin/python bench/fanout.py                      # SQLite + in-memory layer, sequential
    .venv/bin/python bench/fanout.py --mode saturate      # highest rate with p99 < 500 ms
    REDIS_URL=redis://127.0.0.1:6379/0 \\
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/keyroom_bench \\
        .venv/bin/python bench/fanout.py --mode both --processes 2

Setup: a fresh temporary KEYROOM_DATA_DIR (with the SQLite database in it) or, when
DATABASE_URL names PostgreSQL, a fresh database ``<name>_<random>`` beside the named one, dropped
at the end (``--reuse-db``: the named database itself, created if missing, kept); migrations;
N+1 users in one private group (made by ``do_create_room``) and server-side sessions. The first
user is the sender; the other N are the members whose receipts are measured. Then, one server
kind after the other (never both at once, so they do not share the CPUs), it starts ``daphne``
subprocesses serving

- ``keyroom``: ``keyroom.asgi:application``, the real consumer (validate, store, push);
- ``naive``: ``bench.naive_asgi:application``, a bare Channels broadcast that stores nothing,

connects every member with the ``websockets`` library from this one asyncio process (members
split round-robin across ``--processes``; the sender has one socket per process) and measures:

- per-member latency: for every member and message, the time from handing the frame to the
  socket to that member receiving ``message.new`` (``time.perf_counter`` in this process); the
  median, p95 and p99 of all those samples, and of the time until *all* members had it;
- messages per second, and server CPU per message: the daphne processes' user + system time
  (/proc/<pid>/stat) over the measured messages; PostgreSQL + Redis CPU is shown apart;
- sequential mode: one message at a time (send, wait for every member and the ack, next);
- saturate mode: a paced stream at increasing rates (a short geometric search, or ``--rate``)
  for ``--step-seconds`` each, a failed step tried twice; the highest rate whose p99 stayed under
  500 ms (a receipt that never came counts as infinitely late).

- ``--typing-storm`` (keyroom, sequential): the same messages again while every member sends a
  ``typing`` frame every ``--typing-interval`` seconds (0.2 s: one per keystroke, far more than
  a browser's one per 3 s; the consumer sends on at most one per 2 s per socket); the delivery
  latency is printed against the quiet room's of the same run (target within 1.2x).

It prints a table and the Keyroom / naive ratios, and ``--json PATH`` writes the figures. The
exit status says whether the run worked, never whether targets were met.
"""

import argparse
import asyncio
import json
import math
import os
import secrets
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from time import perf_counter

if __package__ in (None, ""):  # run as a script: make ``bench`` and the apps importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.e2e_room import encrypted_fanout_room, room_client
from bench.fanout_report import (
    P99_LIMIT_S,
    Saturation,
    Sequential,
    ServerResult,
    Step,
    describe_step,
    report,
)
from bench.harness import (
    BenchError,
    Daphne,
    Person,
    configure_django,
    describe_backend,
    fresh_database,
    make_group,
    running_servers,
    setup_database,
)
from bench.measure import CpuMeter, summarize
from bench.roomclient import RoomClient, Track

APPS = {"keyroom": "keyroom.asgi:application", "naive": "bench.naive_asgi:application"}
DELIVERY_TIMEOUT_S = 10.0  # sequential: a message not everywhere by then means something broke
DRAIN_S = 2.0  # saturate: after the last send; a receipt later than this is far past p99 anyway
SEARCH_GROWTH = 1.5
PADDING = "x" * 80


# Phases ---------------------------------------------------------------------------------


def body(index: int) -> str:
    return f"fan-out {index} {PADDING}"


async def send_one_at_a_time(client: RoomClient, count: int) -> list[Track]:
    """Send ``count`` messages from the first sender, each after the previous arrived everywhere."""
    tracks = []
    for index in range(count):
        track = await client.send(0, body(index))
        if not await client.wait(track, DELIVERY_TIMEOUT_S):
            client.check()
            raise BenchError(
                f"message {index} reached {len(track.receipts)} of {track.expected} members "
                f"(ack: {track.acked is not None}) within {DELIVERY_TIMEOUT_S:.0f} s"
            )
        tracks.append(track)
    client.forget(tracks)
    return tracks


async def run_sequential(client: RoomClient, servers: list[Daphne], count: int) -> Sequential:
    meter = CpuMeter(servers)
    started = perf_counter()
    tracks = await send_one_at_a_time(client, count)
    elapsed = perf_counter() - started
    cpu = meter.finish(count)
    return Sequential(
        messages=count,
        per_member=summarize([s for track in tracks for s in track.latencies()]),
        all_members=summarize([max(track.receipts) - track.sent for track in tracks]),
        ack=summarize([track.acked - track.sent for track in tracks if track.acked is not None]),
        messages_per_second=round(count / elapsed, 1),
        cpu=cpu,
    )


async def run_step(client: RoomClient, servers: list[Daphne], rate: float, seconds: float) -> Step:
    """Send at ``rate`` messages per second for ``seconds`` (senders in turn), then drain."""
    count = max(10, round(rate * seconds))
    meter = CpuMeter(servers)
    tracks: list[Track] = []
    started = perf_counter()
    for index in range(count):
        delay = started + index / rate - perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tracks.append(await client.send(index % len(client.senders), body(index)))
    sent_per_second = count / max(perf_counter() - started, 1e-9) if count > 1 else rate
    deadline = perf_counter() + DRAIN_S
    for track in tracks:
        if not await client.wait(track, deadline - perf_counter()):
            break
    cpu = meter.finish(count)
    await client.quiesce()
    client.forget(tracks)
    client.check()
    lost = sum(track.missing() for track in tracks)
    latency = summarize([s for track in tracks for s in track.latencies()], missing=lost)
    ack = summarize([track.acked - track.sent for track in tracks if track.acked is not None])
    ok = latency.p99 is not None and latency.p99 < P99_LIMIT_S * 1000
    return Step(rate, round(sent_per_second, 1), count, latency, ack, lost, cpu, ok)


async def run_saturation(
    client: RoomClient, servers: list[Daphne], options: argparse.Namespace, label: str
) -> Saturation:
    """Find the highest rate with p99 < 500 ms: the ``--rate`` list, else grow then bisect."""
    result = Saturation()

    async def attempt(rate: float) -> bool:
        # A failed step runs once more: a noisy neighbour on the machine can spike one p99.
        for _ in range(2):
            step = await run_step(client, servers, rate, options.step_seconds)
            result.steps.append(step)
            print(f"  {label} @ {rate:g} msg/s: {describe_step(step)}", flush=True)
            if step.ok:
                return True
        return False

    if options.rate:
        for rate in options.rate:
            if not await attempt(rate):
                break
        return result
    low, high, rate = 0.0, math.inf, options.start_rate
    while len(result.steps) < options.max_steps:
        if await attempt(rate):
            low = rate
        else:
            high = rate
        rate = round(rate * SEARCH_GROWTH) if math.isinf(high) else round((low + high) / 2)
        if not math.isinf(high) and (high / max(low, 1) < 1.15 or rate in (low, high)):
            break
    return result


async def measure(
    kind: str,
    servers: list[Daphne],
    *,
    room_id: int,
    people: list[Person],
    options: argparse.Namespace,
) -> ServerResult:
    """Connect the room to ``servers``, warm up, and run the chosen modes."""
    path = "/ws/" if kind == "keyroom" else f"/ws/{room_id}/"
    client = room_client(options, kind, room_id=room_id, path=path)
    result = ServerResult(kind)
    try:
        await client.open(servers, sender=people[0], members=people[1:])
        await send_one_at_a_time(client, options.warmup)
        if options.mode in ("sequential", "both"):
            result.sequential = await run_sequential(client, servers, options.messages)
            if options.typing_storm and kind == "keyroom":
                client.start_typing(options.typing_interval)
                before = client.typing_frames
                try:
                    result.storm = await run_sequential(client, servers, options.messages)
                finally:
                    await client.stop_typing()
                result.typing_frames = client.typing_frames - before
                await client.quiesce()
        if options.mode in ("saturate", "both"):
            result.saturation = await run_saturation(client, servers, options, kind)
    finally:
        await client.close()
    return result


# Command line ---------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=50, help="members who receive (50)")
    parser.add_argument("--messages", type=int, default=200, help="measured messages (200)")
    parser.add_argument("--warmup", type=int, default=20, help="unmeasured messages first (20)")
    parser.add_argument("--mode", choices=["sequential", "saturate", "both"], default="sequential")
    parser.add_argument(
        "--rate",
        type=lambda text: [float(part) for part in text.split(",")],
        help="saturate: comma-separated rates to try in order (default: search)",
    )
    parser.add_argument("--start-rate", type=float, default=10, help="saturate search start")
    parser.add_argument("--max-steps", type=int, default=14, help="saturate steps, at most")
    parser.add_argument("--step-seconds", type=float, default=3.0, help="seconds per rate")
    parser.add_argument("--server", choices=["both", "keyroom", "naive"], default="both")
    parser.add_argument(
        "--encrypted",
        action="store_true",
        help="an encrypted room: Python-made ciphertext of the same texts (e2e.message.send)",
    )
    parser.add_argument(
        "--processes", type=int, default=1, help="daphne processes per server (needs REDIS_URL)"
    )
    parser.add_argument(
        "--typing-storm",
        action="store_true",
        help="keyroom, sequential: measure again while every member sends typing frames, and "
        "print the delivery latency against the quiet room of the same run",
    )
    parser.add_argument(
        "--typing-interval",
        type=float,
        default=0.2,
        help="typing storm: seconds between one member's typing frames (0.2: a keystroke "
        "each, not the browser's one per 3 s)",
    )
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    parser.add_argument(
        "--reuse-db",
        action="store_true",
        help="PostgreSQL: use (and keep) the database in DATABASE_URL, not a fresh one beside it",
    )
    options = parser.parse_args(argv)
    if options.members < 1 or options.messages < 1 or options.processes < 1:
        parser.error("--members, --messages and --processes must be at least 1")
    if options.processes > 1 and not os.environ.get("REDIS_URL"):
        parser.error("--processes > 1 needs REDIS_URL (the in-memory layer is per process)")
    return options


def run(options: argparse.Namespace, data_dir: Path) -> dict:
    env = configure_django(data_dir)
    setup_database()
    backend = describe_backend()
    load = os.getloadavg()[0]  # other work on the machine skews every figure
    label = f"fanout-{secrets.token_hex(4)}"
    room_id, people = make_group(options.members + 1, label=label)
    options.writer = encrypted_fanout_room(room_id, people[0]) if options.encrypted else None
    kinds = ["keyroom", "naive"] if options.server == "both" else [options.server]
    results = []
    for kind in kinds:
        with running_servers(APPS[kind], options.processes, env=env, log_dir=data_dir) as servers:
            pids = ", ".join(f"{s.process.pid} on port {s.port}" for s in servers)
            print(f"{kind}: daphne pid {pids}", flush=True)
            try:
                results.append(
                    asyncio.run(
                        measure(kind, servers, room_id=room_id, people=people, options=options)
                    )
                )
            except BenchError:
                for server in servers:
                    print(f"--- {server.log_path.name}\n{server.log_tail()}", file=sys.stderr)
                raise
    return report(options, backend, load, results)


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_args(argv)
    try:
        with (
            tempfile.TemporaryDirectory(prefix="keyroom-fanout-") as data_dir,
            fresh_database(reuse=options.reuse_db),
        ):
            figures = run(options, Path(data_dir))
    except BenchError as error:
        print(f"fanout: {error}", file=sys.stderr)
        return 1
    if options.json:
        options.json.parent.mkdir(parents=True, exist_ok=True)
        options.json.write_text(json.dumps(figures, indent=2, default=str) + "\n")
        print(f"figures written to {options.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
