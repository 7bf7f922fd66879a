"""Browser tests: Debian's Chromium driven by Playwright against a live daphne server.

Run in their own pytest process (``make test`` does), apart from the async Channels tests: the
two fight over event loops. The server is a forked daphne process serving the on-disk test
database (``live_server.py``); tests use ``transactional_db`` so what they write is visible to
it, and a failing test's report shows what the server logged meanwhile.
"""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from tests.browser.e2e_helpers import configure_e2e
from tests.browser.helpers import People
from tests.browser.live_server import live_daphne

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("KEYROOM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def server_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the live server's output goes (a failing test shows its part of it)."""
    return tmp_path_factory.mktemp("server") / "daphne.log"


@pytest.fixture(scope="session")
def keyroom_server(django_db_setup: None, django_db_blocker, server_log: Path) -> Iterator[str]:
    """The live daphne server's base URL.

    (Not named ``live_server``: pytest-django's autouse helpers expect their own fixture.)
    """
    yield from live_daphne(django_db_blocker, server_log)


_LOG_START = pytest.StashKey[tuple[Path, int]]()


@pytest.fixture
def server(
    keyroom_server: str, transactional_db: None, server_log: Path, request: pytest.FixtureRequest
) -> str:
    """Return the live server's URL for a test that writes to the database."""
    request.node.stash[_LOG_START] = (server_log, _size(server_log))
    return keyroom_server


def _size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> pytest.TestReport:
    """Add what the live server logged during a failing test to its report (the last 300 lines;
    tracebacks of 500s and of hung requests are there)."""
    report = yield
    if report.failed and _LOG_START in item.stash:
        path, start = item.stash[_LOG_START]
        if path.exists():
            with path.open("rb") as log:
                log.seek(start)
                lines = log.read().decode(errors="replace").splitlines()[-300:]
            report.sections.append(("live server log", "\n".join(lines)))
    return report


@pytest.fixture
def people(browser: Browser, server: str) -> Iterator[People]:
    """Browser contexts per person with end-to-end encryption switched on; fail the test on any
    JavaScript or console error. (Files that need another set-up define their own.)"""
    configure_e2e()
    crowd = People(browser, server)
    yield crowd
    crowd.close()
    assert crowd.errors == []
