"""Plumbing shared by the benchmarks: a fresh database, signed-in users, daphne processes, CPU.

The benchmark process configures Django exactly as a server would (``keyroom.settings`` read
from the environment), makes its fixtures through the real actions, and then starts daphne
subprocesses with the same environment, so cookies made here are valid there.
"""

import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
HOST = "127.0.0.1"


class BenchError(RuntimeError):
    """Something broke (not: something was slow). The benchmark stops with this message."""


# Environment and database ----------------------------------------------------------------


def configure_django(data_dir: Path) -> dict[str, str]:
    """Point this process at ``data_dir`` and Keyroom's settings; return the servers' environment.

    ``DATABASE_URL`` and ``REDIS_URL`` pass through untouched. DEBUG is forced off (it keeps
    every query in memory) and ALLOWED_HOSTS on, so the Origin header the client sends passes.
    """
    os.environ["KEYROOM_DATA_DIR"] = str(data_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "keyroom.settings"
    os.environ["ALLOWED_HOSTS"] = f"{HOST},localhost"
    os.environ["DEBUG"] = "False"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    # The benchmarks measure fan-out, not the per-user brake on writes (docs/DEPLOY.md).
    os.environ.setdefault("KEYROOM_WRITE_RATE", "0")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    return dict(os.environ)


def describe_backend() -> str:
    """Return e.g. ``PostgreSQL + Redis`` for the database and channel layer in use."""
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    database = {"sqlite3": "SQLite", "postgresql": "PostgreSQL"}.get(engine, engine)
    backend = settings.CHANNEL_LAYERS["default"]["BACKEND"]
    layer = "Redis" if "redis" in backend.lower() else "in-memory layer"
    return f"{database} + {layer}"


def _postgres_config(database_url: str) -> dict[str, Any] | None:
    """Return Django's database settings for ``database_url`` if it is PostgreSQL, else None."""
    import environ

    config = environ.Env.db_url_config(database_url) if database_url else {}
    return config if "postgresql" in config.get("ENGINE", "") else None


def _admin_connection(config: dict[str, Any]) -> Any:
    """Connect to the server's ``postgres`` database (to create and drop databases)."""
    import psycopg

    return psycopg.connect(
        dbname="postgres",
        host=config.get("HOST") or None,
        port=config.get("PORT") or None,
        user=config.get("USER") or None,
        password=config.get("PASSWORD") or None,
        autocommit=True,
    )


def create_postgres_database(config: dict[str, Any]) -> bool:
    """Create the database ``config`` names unless it exists; return whether it was created."""
    from psycopg import sql

    with _admin_connection(config) as connection:
        name = config["NAME"]
        if connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return False
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return True


def drop_postgres_database(config: dict[str, Any]) -> None:
    from psycopg import sql

    with _admin_connection(config) as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(config["NAME"])
            )
        )


@contextmanager
def fresh_database(*, reuse: bool = False) -> Iterator[None]:
    """Give the run an empty PostgreSQL database if ``DATABASE_URL`` names one; drop it after.

    The database in the URL lends its server, credentials and name: the run creates
    ``<name>_<random>`` beside it and points ``DATABASE_URL`` there, because a database kept
    between runs may hold a schema that ``migrate`` cannot see is stale (a migration edited in
    place). With ``reuse``, the named database itself is used, created if missing, and kept.
    SQLite needs nothing here: its file lives in the run's fresh KEYROOM_DATA_DIR.
    """
    url = os.environ.get("DATABASE_URL", "")
    config = _postgres_config(url)
    if config is None or reuse:
        if config is not None:
            create_postgres_database(config)
        yield
        return
    scratch = {**config, "NAME": f"{config['NAME']}_{secrets.token_hex(4)}"}
    create_postgres_database(scratch)
    os.environ["DATABASE_URL"] = urlunsplit(urlsplit(url)._replace(path=f"/{scratch['NAME']}"))
    try:
        yield
    finally:
        os.environ["DATABASE_URL"] = url
        _close_django_connections()
        drop_postgres_database(scratch)


def _close_django_connections() -> None:
    if "django.db" in sys.modules:
        from django.db import connections

        connections.close_all()


def setup_database() -> None:
    """Start Django and apply the migrations."""
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)


# Fixtures -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    """A user and the session cookie that signs a socket in as them."""

    user_id: int
    cookie: str


def make_group(count: int, *, label: str) -> tuple[int, list[Person]]:
    """Create ``count`` users and one private group holding all of them (the first owns it).

    Return the room id and the people in creation order. Passwords are unusable (hashing
    600,000 PBKDF2 rounds per user would dominate the setup); sessions are made server-side.
    """
    from django.contrib.auth.hashers import make_password
    from django.db import connections

    from accounts.models import User
    from chat.actions import do_create_room

    names = [f"{label}-{index:04d}" for index in range(count)]
    User.objects.bulk_create([User(username=name, password=make_password(None)) for name in names])
    users = list(User.objects.filter(username__in=names).order_by("username"))
    room = do_create_room(users[0], kind="group", name=label, invitees=users[1:])
    people = [Person(user.pk, session_cookie(user)) for user in users]
    connections.close_all()
    return room.pk, people


def session_cookie(user: object) -> str:
    """Return a ``Cookie`` header value holding a fresh logged-in session for ``user``."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.utils.module_loading import import_string

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)  # type: ignore[attr-defined]
    # The backend a password login records: the first that can load users (django-axes's,
    # listed first, only refuses locked-out logins and has no get_user).
    store[BACKEND_SESSION_KEY] = next(
        path
        for path in settings.AUTHENTICATION_BACKENDS
        if hasattr(import_string(path), "get_user")
    )
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()  # type: ignore[attr-defined]
    store.create()
    return f"{settings.SESSION_COOKIE_NAME}={store.session_key}"


# Servers --------------------------------------------------------------------------------


def free_port() -> int:
    """Return a TCP port on the loopback that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def process_cpu_seconds(pid: int) -> float:
    """Return user + system CPU seconds of a process (all its threads), from /proc."""
    return sum(_cpu_fields(pid)[:2]) / CLOCK_TICKS


def _cpu_fields(pid: int) -> list[int]:
    """Return utime, stime, cutime, cstime (clock ticks) of ``pid``."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    # The command name (field 2) may contain spaces; the fields after it are fixed.
    fields = stat.rsplit(")", 1)[1].split()
    return [int(value) for value in fields[11:15]]


def service_cpu_seconds(names: Iterable[str] = ("postgres", "redis-server")) -> float:
    """Return the CPU seconds of the database and Redis servers on this machine, children included.

    Short-lived PostgreSQL backends are counted through the postmaster's reaped-children times.
    """
    wanted = set(names)
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "comm").read_text().strip() in wanted:
                total += sum(_cpu_fields(int(entry.name)))
        except (OSError, ValueError):
            continue  # the process ended while we looked
    return total / CLOCK_TICKS


class Daphne:
    """One ``daphne -b 127.0.0.1 -p PORT <app>`` subprocess, logging to a file."""

    def __init__(self, app: str, *, env: dict[str, str], log_dir: Path) -> None:
        self.app = app
        self.port = free_port()
        self.log_path = log_dir / f"daphne-{app.split('.')[0]}-{self.port}.log"
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
                [sys.executable, "-m", "daphne", "-b", HOST, "-p", str(self.port), app],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    @property
    def origin(self) -> str:
        return f"http://{HOST}:{self.port}"

    def url(self, path: str) -> str:
        return f"ws://{HOST}:{self.port}{path}"

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Return once the port accepts connections; raise if daphne exits or is too slow."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"daphne for {self.app} exited:\n{self.log_tail()}")
            try:
                socket.create_connection((HOST, self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.1)
        raise BenchError(f"daphne for {self.app} did not listen within {timeout:.0f} s")

    def cpu_seconds(self) -> float:
        return process_cpu_seconds(self.process.pid)

    def stop(self) -> None:
        """Stop this process (SIGTERM, then SIGKILL after 10 s)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


@contextmanager
def running_servers(
    app: str, count: int, *, env: dict[str, str], log_dir: Path
) -> Iterator[list[Daphne]]:
    """Start ``count`` daphne processes serving ``app``; stop them on exit."""
    with ExitStack() as stack:
        servers = []
        for _ in range(count):
            server = Daphne(app, env=env, log_dir=log_dir)
            stack.callback(server.stop)
            servers.append(server)
        for server in servers:
            server.wait_ready()
        yield servers
