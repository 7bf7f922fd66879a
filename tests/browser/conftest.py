"""Browser tests: Debian's Chromium driven by Playwright against a live daphne server.

Run in their own pytest process (``make test`` does), apart from the async Channels tests: the
two fight over event loops. The server is a forked daphne process serving the on-disk test
database; tests use ``transactional_db`` so what they write is visible to it.
"""

import os
from collections.abc import Iterator
from functools import partial

import pytest
from channels.testing.live import make_application, set_database_connection
from daphne.testing import DaphneProcess
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.db import connections
from playwright.sync_api import Browser

from tests.browser.e2e_helpers import configure_e2e
from tests.browser.helpers import People

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
def keyroom_server(django_db_setup: None, django_db_blocker) -> Iterator[str]:
    """Start daphne on 127.0.0.1 (a secure context for WebCrypto); yield its base URL.

    (Not named ``live_server``: pytest-django's autouse helpers expect their own fixture.)
    """
    with django_db_blocker.unblock():
        # SQLite corrupts a database whose open connection is carried across fork(), and a
        # psycopg pool's connections and worker threads do not survive it: both sides start
        # afresh (each process makes its own pool on first use).
        connections.close_all()
        for connection in connections.all():
            if hasattr(connection, "close_pool"):
                connection.close_pool()
        process = DaphneProcess(
            "127.0.0.1",
            partial(make_application, static_wrapper=ASGIStaticFilesHandler),
            setup=set_database_connection,
        )
        process.start()
        while not process.ready.wait(timeout=1):
            if not process.is_alive():
                raise RuntimeError("the test daphne server did not start")
        yield f"http://127.0.0.1:{process.port.value}"
        process.terminate()
        process.join()


@pytest.fixture
def server(keyroom_server: str, transactional_db: None) -> str:
    """Return the live server's URL for a test that writes to the database."""
    return keyroom_server


@pytest.fixture
def people(browser: Browser, server: str) -> Iterator[People]:
    """Browser contexts per person with end-to-end encryption switched on; fail the test on any
    JavaScript or console error. (Files that need another set-up define their own.)"""
    configure_e2e()
    crowd = People(browser, server)
    yield crowd
    crowd.close()
    assert crowd.errors == []
