"""The live daphne server the browser tests talk to: forked from the test process, serving the
on-disk test database, with everything it prints or logs captured in a file that failing tests
show (``conftest.py``)."""

import logging
import os
import sys
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

from channels.testing.live import make_application, set_database_connection
from daphne.testing import DaphneProcess
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.db import connections


def _child_setup(log_path: str) -> None:
    """In the forked daphne process: use the test database, and send everything the server
    prints or logs (any level) to ``log_path``."""
    set_database_connection()
    log = open(log_path, "a", buffering=1)  # noqa: SIM115 (open for the process's life)
    os.dup2(log.fileno(), 1)
    os.dup2(log.fileno(), 2)
    # pytest's capture swapped sys.stderr for its own file: point Python's streams and every
    # logging stream handler at the log too.
    sys.stdout = sys.stderr = log
    loggers = [logging.getLogger(), *map(logging.getLogger, logging.root.manager.loggerDict)]
    for logger in loggers:
        for handler in logger.handlers:
            if type(handler) is logging.StreamHandler:
                handler.setStream(log)
    logging.getLogger().setLevel(logging.DEBUG)


def live_daphne(django_db_blocker: Any, log_path: Path) -> Iterator[str]:
    """Start daphne on 127.0.0.1 (a secure context for WebCrypto) with its output in
    ``log_path``; yield its base URL; stop it afterwards."""
    with django_db_blocker.unblock():
        # SQLite corrupts a database whose open connection is carried across fork(), and a
        # psycopg pool's connections and worker threads do not survive it (the two processes
        # would share sockets: answers go to the wrong side, or a query waits forever). Both
        # sides start afresh; each process makes its own pool on first use.
        connections.close_all()
        for connection in connections.all():
            if hasattr(connection, "close_pool"):
                connection.close_pool()
        process = DaphneProcess(
            "127.0.0.1",
            partial(make_application, static_wrapper=ASGIStaticFilesHandler),
            setup=partial(_child_setup, str(log_path)),
        )
        process.start()
        while not process.ready.wait(timeout=1):
            if not process.is_alive():
                raise RuntimeError(f"the test daphne server did not start; see {log_path}")
        yield f"http://127.0.0.1:{process.port.value}"
        process.terminate()
        process.join()
