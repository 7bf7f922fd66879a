"""Every HTTP request gives its database connection back, even one whose client left.

Django returns a request's connection (to psycopg's pool on PostgreSQL) on ``request_finished``.
When a client disconnects and the request then runs past daphne's ``application_close_timeout``
(a query waiting on a lock, or on a pool connection itself), daphne cancels the request's task:
``request_finished`` never comes, while the request's worker thread carries on, takes a
connection and keeps it. The pool loses that connection for good, and after a few such requests
every later one waits for a connection that never comes back: the server stops answering
(``tests/test_db_connections.py`` shows it).

This middleware runs in the request's worker thread, where the view and the other synchronous
middleware run too, and cleans up there in ``finally``: a thread cannot be cancelled, so the
connection goes back whatever happened to the task above it. A connection inside a transaction
is left alone: no request ends inside one, but a test's wrapping transaction does (Django's test
client switches the ``request_finished`` clean-up off for the same reason).
"""

from collections.abc import Callable

from django.db import connections
from django.http import HttpRequest, HttpResponse


class ReturnDatabaseConnectionsMiddleware:
    """Outermost middleware: the request's connections are given back (or, on SQLite, kept within
    ``CONN_MAX_AGE``, as ``request_finished`` would) when the request is done, in its thread."""

    sync_capable = True
    async_capable = False  # it must run in the worker thread, not on the event loop

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            return self.get_response(request)
        finally:
            for connection in connections.all(initialized_only=True):
                if not connection.in_atomic_block:
                    connection.close_if_unusable_or_obsolete()
