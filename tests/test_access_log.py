"""Logs carry paths, never query strings (search terms are private)."""

import io
import logging

from daphne.access import AccessLogGenerator

from keyroom.serve import PathOnlyCommandLine, PathOnlyServer

SEARCH = "/search/?q=salary+review"
DETAILS = {"path": SEARCH, "status": 200, "method": "GET", "client": "127.0.0.1:5000", "size": 10}


def test_daphne_access_log_has_no_query_string():
    """The server that ``python -m keyroom.serve`` starts logs the path of a request only."""
    stream = io.StringIO()
    server = PathOnlyServer(
        application=None, endpoints=["tcp:port=0"], action_logger=AccessLogGenerator(stream)
    )
    server.log_action("http", "complete", dict(DETAILS, time_taken=0.01))
    assert '"GET /search/"' in stream.getvalue()
    assert "salary" not in stream.getvalue()


def test_the_command_line_starts_the_path_only_server():
    """``python -m keyroom.serve`` is daphne's command line with the path-only server."""
    assert PathOnlyCommandLine.server_class is PathOnlyServer


def test_runserver_log_has_no_query_string():
    """``django.channels.server`` records (runserver) reach the console without the query."""
    handler = next(h for h in logging.getLogger().handlers if h.filters)
    stream = io.StringIO()
    old = handler.setStream(stream)
    try:
        logging.getLogger("django.channels.server").warning(
            "HTTP %(method)s %(path)s %(status)s [%(client)s]", dict(DETAILS, status=404)
        )
    finally:
        handler.setStream(old)
    assert "GET /search/ 404" in stream.getvalue() and "salary" not in stream.getvalue()
