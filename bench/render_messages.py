"""Render benchmark: what Markdown formatting costs the message list, against plain text.

Run from the repository root (target: formatting costs at most 1.3x; explained in
docs/BENCHMARKS.md)::

    .venv/bin/python bench/render_messages.py                 # 1,000 + 1,000 messages, 9 runs
    .venv/bin/python bench/render_messages.py --messages 500 --runs 15
    .venv/bin/python bench/render_messages.py --json bench/results/render_messages.json

Setup: the repository served on an ephemeral 127.0.0.1 port (static files as they are, no Django:
only the browser's work is measured), and one Chromium page with the app's stylesheet and an
empty message list. In it, per run, a fresh ``MessageListUI`` (static/js/chat/messages_ui.js, the
real list code, with the plaintext extension points of extensions.js) draws ``--messages``
messages in one ``prependOlder`` call, the way an older history page is drawn: each message's
content lexed by the vendored marked, turned into elements (markdown_ui.js), grouped, inserted,
and laid out (``prependOlder`` reads the scroll height, which forces layout). Timed from the call
to its return, with ``performance.now()``.

Two kinds of messages of similar length, in the same run and the same page:

- **formatted**: a realistic mix in five patterns, bold and inline code with a link and a
  mention; a list of three items with italics and strikethrough; a code block; a quote with a
  link in Markdown syntax; a mention with inline code and italics;
- **plain**: sentences of the same lengths without any Markdown (they still go through the
  lexer: the price of formatting is the elements the tokens become, not the parse of plain
  text).

Runs alternate which kind goes first; one warm-up run of each is not counted. It prints the
median/min/max of each kind, per message, and the ratio of the medians. The exit status says
whether the run worked, never whether the target was met.
"""

import argparse
import json
import os
import statistics
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("KEYROOM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>render bench</title>
<link rel="stylesheet" href="/static/css/keyroom.css"></head>
<body><main class="room">
  <div id="message-scroller" style="height: 600px; overflow-y: auto">
    <ul id="message-list" class="message-list"></ul>
  </div>
  <p id="message-announcer"></p><button id="jump-latest" hidden>Jump</button>
</main></body></html>"""

# Builds the messages, then times each run in the page; returns {formatted: [ms], plain: [ms]}.
RUN = """async ({count, runs}) => {
  const { MessageListUI } = await import("/static/js/chat/messages_ui.js");
  const { createExtensions } = await import("/static/js/chat/extensions.js");
  const members = new Map([["3", {id: 3, username: "bob", name: "Bob"}]]);
  const formatted = (n) => [
    `**Deploy** of \\`api-${n}\\` is done, see https://ci.example.com/builds/${n} @bob`,
    `Plan for today:\\n- review _PR ${n}_ first\\n- fix the ~~flaky~~ test\\n- ship it`,
    `Use this to check:\\n\\`\\`\\`\\nmake bench N=${n}\\n\\`\\`\\`\\nthen compare`,
    `> quarterly numbers ${n} are in\\nlooks **good**, [details](https://example.com/q/${n})`,
    `@bob can you check \\`config.py\\` line ${n}? It *still* fails on CI today`,
  ][n % 5];
  const plain = (n) => {
    const words = "the quarterly numbers are in see the shared sheet before Thursday call ok";
    const text = `Message ${n}: ${words} ${words}`;
    return text.slice(0, formatted(n).length);
  };
  const message = (n, text) => ({
    id: n + 1, room_id: 1, seq: n + 1, rev: n + 1, client_id: `c${n}`, kind: "text",
    sender: {id: n % 3 === 0 ? 1 : 2, username: n % 3 === 0 ? "ann" : "cat", name: "Someone"},
    body: text, payload: null, encrypted: false, deleted: false, edited_at: null,
    created_at: new Date(Date.UTC(2026, 0, 1, 9, 0, n * 7)).toISOString(),
    content: {v: 1, text, format: "markdown", mentions: text.includes("@bob") ? ["3"] : [],
              mention_all: false},
  });
  const sets = {
    formatted: Array.from({length: count}, (_, n) => message(n, formatted(n))),
    plain: Array.from({length: count}, (_, n) => message(n, plain(n))),
  };
  const list = document.getElementById("message-list");
  const once = (kind) => {
    list.replaceChildren();
    const ui = new MessageListUI({
      list, scroller: document.getElementById("message-scroller"),
      announcer: document.getElementById("message-announcer"),
      jumpButton: document.getElementById("jump-latest"), userId: 1,
      extensions: createExtensions(),
      handlers: {current: () => null, member: (id) => members.get(String(id)) || null},
    });
    const started = performance.now();
    ui.prependOlder(sets[kind]);
    const took = performance.now() - started;
    if (list.querySelectorAll("li.msg").length !== count) throw new Error("not all drawn");
    return took;
  };
  const figures = {formatted: [], plain: [], checks: {}};
  once("formatted"); once("plain");  // warm-up: modules compiled, styles resolved
  for (let run = 0; run < runs; run += 1) {
    const order = run % 2 ? ["plain", "formatted"] : ["formatted", "plain"];
    for (const kind of order) figures[kind].push(once(kind));
  }
  once("formatted");
  figures.checks = {
    strong: list.querySelectorAll(".msg-content strong").length,
    links: list.querySelectorAll(".msg-content a[href]").length,
    code: list.querySelectorAll(".msg-content code").length,
    lists: list.querySelectorAll(".msg-content ul").length,
    mentions: list.querySelectorAll(".msg-content .mention").length,
  };
  return figures;
}"""


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def static_server() -> Iterator[str]:
    """Serve the repository on an ephemeral 127.0.0.1 port; yield its origin."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=str(ROOT)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def stats(values: list[float], count: int) -> str:
    median = statistics.median(values)
    return (
        f"median {median:8.1f} ms  min {min(values):8.1f}  max {max(values):8.1f}"
        f"  ({median / count * 1000:6.1f} µs a message)"
    )


def run(options: argparse.Namespace) -> dict:
    from playwright.sync_api import sync_playwright

    with static_server() as origin, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.route(
                f"{origin}/render-bench",
                lambda route: route.fulfill(body=PAGE, content_type="text/html"),
            )
            page.goto(f"{origin}/render-bench")
            figures = page.evaluate(RUN, {"count": options.messages, "runs": options.runs})
        finally:
            browser.close()
    count = options.messages
    formatted = statistics.median(figures["formatted"])
    plain = statistics.median(figures["plain"])
    print(f"render_messages: {count} formatted and {count} plain messages, {options.runs} runs")
    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    print(f"  formatted  {stats(figures['formatted'], count)}")
    print(f"  plain      {stats(figures['plain'], count)}")
    print(f"  ratio formatted / plain (medians): {formatted / plain:.2f}x (target <= 1.3x)")
    print(f"  drawn in the last formatted run: {figures['checks']}")
    return {
        "messages": count,
        "runs": options.runs,
        "formatted_ms": figures["formatted"],
        "plain_ms": figures["plain"],
        "median_formatted_ms": formatted,
        "median_plain_ms": plain,
        "ratio": formatted / plain,
        "checks": figures["checks"],
    }


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=1000, help="messages of each kind (1000)")
    parser.add_argument("--runs", type=int, default=9, help="measured runs of each kind (9)")
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    options = parser.parse_args(argv)
    if options.messages < 1 or options.runs < 1:
        parser.error("--messages and --runs must be at least 1")
    return options


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_args(argv)
    try:
        figures = run(options)
    except Exception as error:  # any failure of the run is reported as such
        print(f"render_messages: {error}", file=sys.stderr)
        return 1
    if options.json:
        options.json.parent.mkdir(parents=True, exist_ok=True)
        options.json.write_text(json.dumps(figures, indent=2) + "\n")
        print(f"figures written to {options.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
