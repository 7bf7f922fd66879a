"""A request that daphne cancels still gives its database connection back
(keyroom/dbconnections.py).

daphne cancels a request's task when its client has left and it runs past
``application_close_timeout``. Django then never sends ``request_finished``; without the
middleware the worker thread keeps its connection, and on PostgreSQL the pool loses it for good
(a few of them and the server stops answering).
"""

import asyncio
import threading
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.handlers.asgi import ASGIHandler
from django.db import connection, connections
from django.http import HttpRequest, HttpResponse
from django.urls import path

from keyroom import urls as project_urls

used: list[Any] = []  # the database wrapper of the view's thread
release = threading.Event()


def slow_view(request: HttpRequest) -> HttpResponse:
    """A view that queries, then waits (as on a lock) until the test lets it go."""
    used.append(connections["default"])  # this thread's own wrapper, not the proxy
    get_user_model().objects.exists()
    release.wait(10)
    return HttpResponse("done")


urlpatterns = [path("slow/", slow_view), *project_urls.urlpatterns]


@pytest.fixture
def slow_request(settings, monkeypatch: pytest.MonkeyPatch) -> None:
    settings.ROOT_URLCONF = __name__
    # As on PostgreSQL (settings.py): a finished request closes its connection, which gives it
    # back to the pool. SQLite keeps it a while otherwise.
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 0)
    used.clear()
    release.clear()


async def test_a_cancelled_request_gives_its_connection_back(
    slow_request: None, transactional_db: None
) -> None:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/slow/",
        "raw_path": b"/slow/",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 40000),
        "server": ("testserver", 80),
    }
    messages = [{"type": "http.request", "body": b"", "more_body": False}]
    never = asyncio.Event()

    async def receive() -> dict[str, Any]:
        if messages:
            return messages.pop(0)
        await never.wait()  # the client neither sends more nor leaves
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        pass

    task = asyncio.create_task(ASGIHandler()(scope, receive, send))
    for _ in range(500):
        if used and used[0].connection is not None:
            break
        await asyncio.sleep(0.01)
    assert used and used[0].connection is not None, "the view did not reach its query"

    task.cancel()  # what daphne does to a request past application_close_timeout
    release.set()  # the view's thread carries on and finishes
    with pytest.raises(asyncio.CancelledError):
        await task

    for _ in range(500):
        if used[0].connection is None:
            break
        await asyncio.sleep(0.01)
    assert used[0].connection is None, "the request's thread kept its database connection"
