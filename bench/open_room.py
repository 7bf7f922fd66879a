"""Open-room benchmark: how long Chromium takes to show an encrypted room's history, decrypted.

Run from the repository root (target: shared/PERFORMANCE.md, "Opening a room"; explained in
docs/BENCHMARKS.md)::

    .venv/bin/python bench/open_room.py                     # 1,000 messages, 5 runs
    .venv/bin/python bench/open_room.py --page 50           # the default history page instead
    .venv/bin/python bench/open_room.py --json bench/results/open_room.json

Setup: a fresh temporary KEYROOM_DATA_DIR (SQLite), migrations, E2E on; a writer and a reader
with identities made in Python (``e2e.crypto``, the browser's protocol); an encrypted group of
the two with its first key sealed to both; ``--messages`` messages encrypted and signed by the
writer, stored in one bulk insert; and, as a baseline, a plaintext group with the same texts.
A ``daphne`` subprocess serves ``bench.settings_open_room`` (the test settings, statics from
static/, history pages of ``--page`` messages: by default all of them, so that opening the room
decrypts every message). The reader's browser unlocks its keys once with the password (as a
second device would), then, per run:

- **open room**: ``page.goto`` the room; from navigation start to the page's
  ``keyroom:room-decrypted`` performance mark, set when every encrypted message on the page has
  been verified, decrypted and drawn (``#message-list[data-decrypted-count]`` is checked);
- **first text**: from navigation start to the first decrypted message in the DOM;
- **longest task**: the longest main-thread task during the load (PerformanceObserver
  ``longtask``, which reports tasks over 50 ms; 0 means none), and how many there were;
- **bare loop**: in the same page afterwards, the same messages verified and decrypted by
  ``decryptMessage`` (static/js/crypto/index.js) with the page's keys, one after the other (the
  floor the target compares with), and all at once (``Promise.all``);
- **plaintext room**: the same texts in a plaintext room, navigation start to the last one
  drawn: what the page costs without any crypto.

It prints median/min/max per figure, the ratio open-room / bare loop, and what encryption adds
(open-room minus plaintext room) against the bare loop. The exit status says whether the run
worked, never whether targets were met.
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make ``bench`` and the apps importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import BenchError, Daphne, configure_django, session_cookie, setup_database

CHROMIUM = os.environ.get("KEYROOM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
TIMEOUT_MS = 60_000
TEXT = "Message {n}: the quarterly numbers are in, see the shared sheet before Thursday's call."

# Injected before the page's own scripts: long tasks, and when the first decrypted text and the
# last plaintext message are drawn.
OBSERVERS = """
window.__bench = {longtasks: [], firstVerified: null, lastDrawn: null};
// Resolved by the page's own marks, so the script waits without polling the page (a poller
// would take main-thread time from what it measures).
window.__benchDecrypted = new Promise((resolve) => {
  new PerformanceObserver((list) => {
    if (list.getEntriesByName("keyroom:room-decrypted").length) resolve();
  }).observe({type: "mark", buffered: true});
});
window.__benchDrawn = new Promise((resolve) => { window.__benchDrawnResolve = resolve; });
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) window.__bench.longtasks.push(entry.duration);
}).observe({type: "longtask", buffered: true});
new MutationObserver(() => {
  const list = document.getElementById("message-list");
  if (!list) return;
  if (window.__bench.firstVerified === null && list.querySelector("[data-e2e='verified']")) {
    window.__bench.firstVerified = performance.now();
  }
  const expected = window.__benchExpect || 0;
  if (expected && list.querySelectorAll("li.msg").length >= expected
      && window.__bench.lastDrawn === null) {
    window.__bench.lastDrawn = performance.now();
    window.__benchDrawnResolve();
  }
}).observe(document, {
  childList: true, subtree: true, attributes: true, attributeFilter: ["data-e2e"],
});
"""

READ_FIGURES = """() => {
  const mark = performance.getEntriesByName("keyroom:room-decrypted")[0];
  const tasks = window.__bench.longtasks;
  return {
    open: mark ? mark.startTime : null,
    first: window.__bench.firstVerified,
    decrypted: Number(document.getElementById("message-list").dataset.decryptedCount),
    longest: tasks.length ? Math.max(...tasks) : 0,
    longtasks: tasks.length,
  };
}"""

BARE_LOOP = """async ({roomId, senderId}) => {
  const { existingEngine } = await import("/static/js/e2e/rooms_engine.js");
  const { decryptMessage } = await import("/static/js/crypto/index.js");
  const engine = existingEngine();
  const state = engine.state(roomId);
  const sender = (await engine.identities([senderId]))[senderId];
  const response = await fetch(`/api/rooms/${roomId}/messages/`, {credentials: "same-origin"});
  const messages = (await response.json()).messages.filter((m) => m.encrypted);
  const options = (m) => ({
    roomId: state.uid, senderId: String(senderId), messageId: m.client_id,
    senderSignPublicKey: sender.verified.signPublicKey, keys: state.keys,
  });
  let started = performance.now();
  for (const m of messages) await decryptMessage(m.payload, options(m));
  const sequential = performance.now() - started;
  started = performance.now();
  await Promise.all(messages.map((m) => decryptMessage(m.payload, options(m))));
  const concurrent = performance.now() - started;
  return {count: messages.length, sequential, concurrent};
}"""


def seed(messages: int) -> dict:
    """Make the users, rooms and messages; return what the browser needs."""
    from accounts.models import User
    from bench.e2e_room import (
        PASSWORD,
        bulk_encrypted_messages,
        bulk_plain_messages,
        create_encrypted_group,
        enable_e2e,
        publish_identity,
    )
    from chat.actions import do_create_room

    enable_e2e()
    writer = User.objects.create_user("writer", password=None)
    reader = User.objects.create_user("reader", password=None)
    reader_identity = publish_identity(reader, password=PASSWORD)
    room, key_writer = create_encrypted_group(
        writer, "encrypted-history", {reader.pk: reader_identity}
    )
    texts = [TEXT.format(n=n) for n in range(1, messages + 1)]
    bulk_encrypted_messages(room, key_writer, texts)
    plain = do_create_room(writer, kind="group", name="plain-history", invitees=[reader])
    bulk_plain_messages(plain, writer.pk, texts)
    return {
        "room": room.pk,
        "plain": plain.pk,
        "writer": writer.pk,
        "cookie": session_cookie(reader),
        "password": PASSWORD,
    }


def unlock(page, origin: str, password: str) -> None:
    """Unlock the reader's keys on this browser (a second device), through boot.js."""
    page.goto(f"{origin}/")
    # (Selectors, not wait_for_function: the page's CSP forbids the eval that needs.)
    page.wait_for_selector("html[data-e2e='locked']", state="attached", timeout=TIMEOUT_MS)
    page.evaluate(
        """async (password) => {
            const boot = await import("/static/js/e2e/boot.js");
            await boot.e2eControls().unlock(password);
        }""",
        password,
    )
    page.wait_for_selector("html[data-e2e='unlocked']", state="attached", timeout=TIMEOUT_MS)


def open_encrypted(page, origin: str, room_id: int, expected: int) -> dict:
    page.goto(f"{origin}/rooms/{room_id}/")
    page.evaluate("() => window.__benchDecrypted")
    figures = page.evaluate(READ_FIGURES)
    if figures["decrypted"] != expected:
        raise BenchError(f"{figures['decrypted']} of {expected} messages were decrypted")
    return figures


def open_plain(page, origin: str, room_id: int, expected: int) -> float:
    page.goto(f"{origin}/rooms/{room_id}/")
    page.evaluate("() => window.__benchDrawn")
    return page.evaluate("window.__bench.lastDrawn")


def stats(values: list[float]) -> str:
    return (
        f"median {statistics.median(values):7.1f} ms   "
        f"min {min(values):7.1f}   max {max(values):7.1f}"
    )


def run(options: argparse.Namespace, data_dir: Path) -> dict:
    from playwright.sync_api import sync_playwright

    env = configure_django(data_dir)
    setup_database()
    data = seed(options.messages)
    page_size = options.page or options.messages
    env["DJANGO_SETTINGS_MODULE"] = "bench.settings_open_room"
    env["KEYROOM_BENCH_HISTORY_PAGE"] = str(page_size)
    expected = min(page_size, options.messages)
    server = Daphne("keyroom.asgi:application", env=env, log_dir=data_dir)
    load = os.getloadavg()[0]
    results: dict[str, list[float]] = {k: [] for k in ("open", "first", "longest", "longtasks")}
    results.update({"sequential": [], "concurrent": [], "plain": []})
    try:
        server.wait_ready()
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            context = browser.new_context(viewport={"width": 1440, "height": 900})
            name, value = data["cookie"].split("=", 1)
            context.add_cookies([{"name": name, "value": value, "url": server.origin}])
            context.add_init_script(OBSERVERS)
            page = context.new_page()
            unlock(page, server.origin, data["password"])
            for run_index in range(options.runs + 1):  # the first run warms caches: not counted
                figures = open_encrypted(page, server.origin, data["room"], expected)
                bare = page.evaluate(
                    BARE_LOOP, {"roomId": data["room"], "senderId": data["writer"]}
                )
                if run_index == 0:
                    continue
                for key in ("open", "first", "longest", "longtasks"):
                    results[key].append(figures[key])
                results["sequential"].append(bare["sequential"])
                results["concurrent"].append(bare["concurrent"])
            plain_page = context.new_page()
            plain_page.add_init_script(f"window.__benchExpect = {expected};")
            for run_index in range(options.runs + 1):
                drawn = open_plain(plain_page, server.origin, data["plain"], expected)
                if run_index:
                    results["plain"].append(drawn)
            browser.close()
    except BenchError:
        print(f"--- {server.log_path.name}\n{server.log_tail()}", file=sys.stderr)
        raise
    finally:
        server.stop()
    return report(options, expected, load, results)


def report(options: argparse.Namespace, expected: int, load: float, results: dict) -> dict:
    print(
        f"\nOpening an encrypted room: {options.messages} messages, {expected} on the first page, "
        f"{options.runs} runs (load average {load:.2f} at start)\n"
    )
    print(f"  open room (all {expected} decrypted + drawn)  {stats(results['open'])}")
    print(f"  first decrypted text on screen       {stats(results['first'])}")
    print(f"  bare verify+decrypt loop (sequential) {stats(results['sequential'])}")
    print(f"  bare verify+decrypt (Promise.all)     {stats(results['concurrent'])}")
    print(f"  plaintext room, same texts drawn      {stats(results['plain'])}")
    longest = max(results["longest"])
    print(
        f"  longest main-thread task             {longest:7.1f} ms "
        f"(long tasks per load: median {statistics.median(results['longtasks']):.0f})"
    )
    bare = statistics.median(results["sequential"])
    ratio = statistics.median(results["open"]) / bare
    extra = statistics.median(results["open"]) - statistics.median(results["plain"])
    print(f"\nopen room / bare loop ratio: {ratio:.2f} (target <= 2.0)")
    print(
        f"open room minus plaintext room: {extra:.0f} ms = {extra / bare:.2f} x the bare loop "
        "(what encryption adds to opening the room)"
    )
    print(f"open room median: {statistics.median(results['open']):.0f} ms (target < 300 ms)")
    return {
        "messages": options.messages,
        "page": expected,
        "runs": options.runs,
        "load": load,
        "figures_ms": results,
        "ratio_open_to_bare": ratio,
        "extra_over_plaintext_ms": extra,
    }


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=1000, help="messages in the room (1000)")
    parser.add_argument(
        "--page", type=int, default=0, help="history page size (default: all the messages)"
    )
    parser.add_argument("--runs", type=int, default=5, help="measured runs (5)")
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    options = parser.parse_args(argv)
    if options.messages < 1 or options.runs < 1 or options.page < 0:
        parser.error("--messages and --runs must be at least 1")
    return options


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_args(argv)
    try:
        with tempfile.TemporaryDirectory(prefix="keyroom-open-room-") as data_dir:
            figures = run(options, Path(data_dir))
    except BenchError as error:
        print(f"open_room: {error}", file=sys.stderr)
        return 1
    if options.json:
        options.json.parent.mkdir(parents=True, exist_ok=True)
        options.json.write_text(json.dumps(figures, indent=2) + "\n")
        print(f"figures written to {options.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
