"""Device search benchmark: index 10,000 encrypted-room messages in Chromium and query them.

Run from the repository root (figures in docs/BENCHMARKS.md, "Search in encrypted rooms")::

    .venv/bin/python bench/search_index.py                  # 10,000 messages, 50 queries
    .venv/bin/python bench/search_index.py --messages 2000 --json out.json

Setup: static/ served on 127.0.0.1 by a small HTTP server (the modules need nothing else); a
blank page imports the real modules (static/js/e2e/search/: DeviceIndex over SealedRecords in
a fresh IndexedDB database, the search page's createDeviceSearch) and MiniSearch. Messages are
synthetic, in 20 rooms, each as the room engine hands it over after decrypting and verifying
it (its "plaintext" event): this measures what the index adds on top of decryption, which
bench/open_room.py measures. Figures:

- **index**: ``note()`` of every message, in batches of 200 with a turn to the page between
  them (as the engine's batches come), then ``flush()`` (seal and write every block): wall
  time, and the longest main-thread task meanwhile (PerformanceObserver ``longtask``, tasks
  over 50 ms; 0 means none);
- **load**: a new DeviceIndex on the same database (a new page): open every sealed record and
  build the in-memory MiniSearch index (what the search page does once);
- **query**: the median (and p90) of ``deviceSearch.query(word, no filters)`` over the words
  of ``--queries`` random messages, against MiniSearch's own ``search()`` over an unencrypted
  in-memory index of the same documents with the same options, in the same page; and the ratio.

The exit status says whether the run worked, never whether targets were met.
"""

import argparse
import functools
import http.server
import json
import os
import socketserver
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("KEYROOM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]

SCRIPT = """
async ({messages, queries}) => {
  const longtasks = [];
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) longtasks.push(entry.duration);
  }).observe({type: "longtask"});
  const {DeviceIndex} = await import("/js/e2e/search/device_index.js");
  const {SealedRecords} = await import("/js/e2e/search/index_store.js");
  const {createDeviceSearch} = await import("/js/e2e/search/search.js");
  const {messageIndex, SEARCH_OPTIONS} = await import("/js/chat/search_rank.js");
  const WORDS = ("alpha budget call draft estimate figures garden harbor invoice journey kettle "
    + "ledger meeting notebook orbit planning quarterly review schedule timeline update vendor "
    + "window yearly zone").split(" ");
  let seed = 7;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const pick = () => WORDS[Math.floor(random() * WORDS.length)];
  const texts = [];
  for (let n = 1; n <= messages; n++) {
    const words = Array.from({length: 8 + Math.floor(random() * 16)}, pick);
    words.push(`tag${n}`);
    texts.push(words.join(" "));
  }
  const message = (n) => ({
    id: n, room_id: 1 + (n % 20), seq: Math.ceil(n / 20), rev: 0, kind: "text", encrypted: true,
    deleted: false, created_at: new Date(1767225600000 + n * 60000).toISOString(),
    sender: {id: 1 + (n % 7), name: `Person ${n % 7}`},
  });
  const turn = () => new Promise((resolve) => setTimeout(resolve, 0));

  const index = new DeviceIndex(() => SealedRecords.open("bench"));
  await index.ready;
  longtasks.length = 0;
  const t0 = performance.now();
  for (let from = 1; from <= messages; from += 200) {
    const batch = [];
    for (let n = from; n < Math.min(from + 200, messages + 1); n++) {
      batch.push(index.note(message(n), {verified: true, deleted: false, text: texts[n - 1]}));
    }
    await Promise.all(batch);
    await turn();
  }
  await index.flush();
  const indexMs = performance.now() - t0;
  await turn();
  const indexLongest = Math.max(0, ...longtasks);
  const indexLongCount = longtasks.length;

  longtasks.length = 0;
  const t1 = performance.now();
  const fresh = new DeviceIndex(() => SealedRecords.open("bench"));
  const search = createDeviceSearch(null, fresh);
  await search.query("warmup", {room: null, person: null, from: null, to: null});
  const loadMs = performance.now() - t1;
  await turn();
  const loadLongest = Math.max(0, ...longtasks);

  const plain = messageIndex();
  plain.addAll(texts.map((text, i) => ({id: i + 1, text})));
  const none = {room: null, person: null, from: null, to: null};
  const words = Array.from({length: queries}, () => {
    const words = texts[Math.floor(random() * texts.length)].split(" ");
    return `${words[0]} ${words[1]}`;
  });
  const device = [];
  const bare = [];
  let hits = 0;
  for (const query of words) {
    let s = performance.now();
    hits += (await search.query(query, none)).length;
    device.push(performance.now() - s);
    s = performance.now();
    plain.search(query, SEARCH_OPTIONS);
    bare.push(performance.now() - s);
  }
  const records = (await new Promise((ok) => {
    const r = indexedDB.open("keyroom-e2e-search-bench");
    r.onsuccess = () => ok(r.result);
  }));
  const count = await new Promise((ok) => {
    const r = records.transaction("records").objectStore("records").count();
    r.onsuccess = () => ok(r.result);
  });
  return {
    indexMs, indexLongest, indexLongCount, loadMs, loadLongest, device, bare, hits, records: count,
  };
}
"""


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def serve_static() -> tuple[socketserver.TCPServer, int]:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(ROOT / "static"))
    httpd = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, httpd.server_address[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    httpd, port = serve_static()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page()
            page.goto(f"http://127.0.0.1:{port}/img/")  # any same-origin page: a secure context
            result = page.evaluate(SCRIPT, {"messages": args.messages, "queries": args.queries})
            browser.close()
    finally:
        httpd.shutdown()
    device = quantile(result["device"], 0.5)
    bare = quantile(result["bare"], 0.5)
    figures = {
        "messages": args.messages,
        "records": result["records"],
        "index_ms": round(result["indexMs"], 1),
        "index_longest_task_ms": round(result["indexLongest"], 1),
        "index_long_tasks": result["indexLongCount"],
        "load_ms": round(result["loadMs"], 1),
        "load_longest_task_ms": round(result["loadLongest"], 1),
        "query_median_ms": round(device, 2),
        "query_p90_ms": round(quantile(result["device"], 0.9), 2),
        "bare_median_ms": round(bare, 2),
        "ratio": round(device / bare, 2) if bare else None,
        "hits": result["hits"],
    }
    print(
        f"index {args.messages} messages: {figures['index_ms']} ms into "
        f"{figures['records']} sealed records; longest task "
        f"{figures['index_longest_task_ms']} ms ({figures['index_long_tasks']} over 50 ms)"
    )
    print(
        f"load (new page: open records, build index): {figures['load_ms']} ms; "
        f"longest task {figures['load_longest_task_ms']} ms"
    )
    print(
        f"query median {figures['query_median_ms']} ms (p90 {figures['query_p90_ms']}) vs "
        f"MiniSearch in memory {figures['bare_median_ms']} ms: ratio {figures['ratio']}"
    )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
