"""The JS crypto layer checks the Python-made vectors inside a real Chromium.

Serves the repository root with a plain http.server on 127.0.0.1 (a secure context for
WebCrypto) and opens tests/browser/crypto_page/, which imports /static/js/crypto/*.js as native
modules, runs every check from tests/vectors/check_vectors.mjs on tests/vectors/py/*.json, and
exposes the results as ``window.keyroomCryptoResults``.
"""

import json
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import Browser

pytestmark = [pytest.mark.browser]

ROOT = Path(__file__).resolve().parents[2]
VECTOR_FILES = sorted(p.name for p in (ROOT / "tests" / "vectors" / "py").glob("*.json"))


class _QuietHandler(SimpleHTTPRequestHandler):
    extensions_map = {
        **SimpleHTTPRequestHandler.extensions_map,
        ".js": "text/javascript",
        ".mjs": "text/javascript",
        ".json": "application/json",
    }

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def static_server() -> Iterator[str]:
    """Serve the repository root on an ephemeral 127.0.0.1 port; yield its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=str(ROOT)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="module")
def crypto_browser(browser: Browser) -> Browser:
    """Debian's Chromium, headless, from pytest-playwright (launch args in conftest.py)."""
    return browser


def test_python_vectors_hold_in_chromium(crypto_browser: Browser, static_server: str) -> None:
    """Every Python-made vector re-derives and opens in Chromium's WebCrypto, keys stay locked."""
    page = crypto_browser.new_page()
    page_errors: list[str] = []
    page.on("pageerror", lambda exc: page_errors.append(str(exc)))
    try:
        page.goto(f"{static_server}/tests/browser/crypto_page/index.html")
        page.wait_for_function("() => window.keyroomCryptoResults !== undefined", timeout=30_000)
        results = page.evaluate("() => window.keyroomCryptoResults")
        status = page.text_content("#status")
    finally:
        page.close()

    assert not page_errors, page_errors
    failures = [r for r in results if not r["ok"]]
    assert not failures, json.dumps(failures, indent=2)
    files = {r["file"] for r in results}
    assert files == {f"py/{name}" for name in VECTOR_FILES} | {"browser"}
    negative = sum(1 for r in results if r["file"] in {"py/message.json", "py/envelope.json"})
    assert negative >= 30, "the message and envelope vectors must all have run"
    if "roomstate.json" in VECTOR_FILES:
        chain = [r for r in results if r["file"] == "py/roomstate.json"]
        assert len(chain) >= 20, "the room-state chain vectors must all have run"
    assert status == f"{len(results)} passed, 0 failed"
