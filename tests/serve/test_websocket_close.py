"""``python -m keyroom.serve`` ends a WebSocket that breaks the protocol with a close frame that
says why (1009 too big, 1007 not UTF-8), never by dropping the connection (1006)."""

import contextlib
import os
import signal
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(port: int) -> subprocess.Popen:
    """Start the project's server command on an echo application at ``port``; return it once
    it accepts connections."""
    process = subprocess.Popen(  # noqa: S603 (our interpreter, our module)
        [sys.executable, "-m", "keyroom.serve", "-b", "127.0.0.1", "-p", str(port),
         "tests.serve.echo_app:application"],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "keyroom.settings_test"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            time.sleep(0.1)  # poll (bounded by the deadline)
    process.kill()
    raise RuntimeError("the server did not start")


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """The server command on an echo application; yield its ws:// URL."""
    port = free_port()
    process = start_server(port)
    yield f"ws://127.0.0.1:{port}/"
    process.terminate()
    process.wait(timeout=10)


def close_code_after(url: str, send) -> int | None:
    with connect(url, max_size=None, open_timeout=10) as ws:
        ws.send("hello")
        assert ws.recv(timeout=10) == "hello"
        send(ws)
        with contextlib.suppress(ConnectionClosed):
            ws.recv(timeout=10)
        return ws.close_code  # None or 1006 when the connection was dropped without a frame


def test_a_frame_over_one_mib_gets_close_code_1009(server):
    """A 1.5 MiB text frame is answered with the close frame 1009 (message too big)."""
    assert close_code_after(server, lambda ws: ws.send("x" * (1536 * 1024))) == 1009


def test_a_text_frame_that_is_not_utf8_gets_close_code_1007(server):
    """A text frame holding bytes that are not UTF-8 is answered with close frame 1007."""

    def send_raw(ws) -> None:
        payload = b"\xff\xfe not text"
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        ws.socket.sendall(struct.pack("!BB", 0x81, 0x80 | len(payload)) + mask + masked)

    assert close_code_after(server, send_raw) == 1007


def test_shutdown_ends_open_sockets_with_service_restart():
    """SIGTERM (a deploy or restart) closes each open socket with 1012 "service restart"."""
    port = free_port()
    process = start_server(port)
    try:
        with connect(f"ws://127.0.0.1:{port}/", open_timeout=10) as ws:
            ws.send("hello")
            assert ws.recv(timeout=10) == "hello"
            process.send_signal(signal.SIGTERM)
            with contextlib.suppress(ConnectionClosed):
                ws.recv(timeout=10)
            assert (ws.close_code, ws.close_reason) == (1012, "service restart")
    finally:
        process.kill()
        process.wait(timeout=10)
