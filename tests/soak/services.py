"""The soak's own servers: a private redis-server and restartable ``keyroom.serve`` processes.

Everything listens on 127.0.0.1 on ports picked free at start; nothing here touches a service
another run uses (the PostgreSQL server is shared, the database on it is the soak's own).
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from bench.harness import HOST, ROOT, free_port


class SoakError(RuntimeError):
    """The soak cannot run or found a fault; the message says which."""


def require_tools(database_url: str) -> None:
    """Raise SoakError with a clear message if redis-server or PostgreSQL is missing."""
    if shutil.which("redis-server") is None:
        raise SoakError(
            "redis-server is not installed: the soak starts its own Redis "
            "(apt-get install redis-server)"
        )
    if not database_url.startswith(("postgres://", "postgresql://")):
        raise SoakError(
            f"the soak needs PostgreSQL: DATABASE_URL must name one (got {database_url!r})"
        )
    import psycopg

    try:
        psycopg.connect(database_url, connect_timeout=5).close()
    except psycopg.OperationalError as error:
        raise SoakError(
            f"PostgreSQL is not reachable at {database_url}: {error}".strip()
        ) from error


def _wait_port(port: int, *, process: subprocess.Popen, what: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SoakError(f"{what} exited with {process.returncode}")
        try:
            socket.create_connection((HOST, port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SoakError(f"{what} did not listen on port {port} within {timeout:.0f} s")


class RedisServer:
    """A redis-server of the soak's own (no persistence), stopped and started on one port."""

    def __init__(self, work_dir: Path) -> None:
        self.port = free_port()
        self.dir = work_dir / "redis"
        self.dir.mkdir()
        self.log_path = self.dir / "redis.log"
        self.process: subprocess.Popen | None = None
        self.restarts = 0

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603 (the installed binary, our arguments)
            [
                shutil.which("redis-server") or "redis-server",
                "--bind",
                HOST,
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
                "--logfile",
                str(self.log_path),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        _wait_port(self.port, process=self.process, what="redis-server", timeout=10)

    def stop(self) -> None:
        """Stop Redis (SIGTERM, as a service manager does); wait until it is gone."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def restart(self) -> None:
        self.start()
        self.restarts += 1


class Server:
    """One ``python -m keyroom.serve`` (daphne) process on one port, killed and restarted."""

    def __init__(self, index: int, *, env: dict[str, str], log_dir: Path) -> None:
        self.index = index
        self.env = env
        self.port = free_port()
        self.log_path = log_dir / f"daphne-{index}.log"
        self.process: subprocess.Popen | None = None
        self.kills = 0

    @property
    def origin(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://{HOST}:{self.port}/ws/"

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            log.write(f"--- start at {time.time():.3f}\n".encode())
            log.flush()
            self.process = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
                [
                    sys.executable,
                    "-m",
                    "keyroom.serve",
                    "-b",
                    HOST,
                    "-p",
                    str(self.port),
                    "keyroom.asgi:application",
                ],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def wait_ready(self, timeout: float = 60.0) -> None:
        assert self.process is not None
        _wait_port(self.port, process=self.process, what=f"daphne {self.index}", timeout=timeout)

    def kill(self) -> None:
        """kill -9: no close frames, no clean-up, in-flight commands cut."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self.kills += 1

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
