"""Run daphne with an access log that never shows query strings, and WebSockets that close
with a code and a reason when a client breaks the protocol.

daphne's access log (and ``runserver``'s ``django.channels.server`` log) prints each request's
full URL, so search terms (``/search/?q=``, ``/api/people/?q=``) would land in the logs. Start
Keyroom with ``python -m keyroom.serve`` (daphne's own options) instead of ``daphne``: the same
server, logging paths only. ``PathOnlyFilter`` does the same for the logger (settings.LOGGING).

daphne's WebSocket layer (autobahn) drops the TCP connection without a close frame when a frame
is over its 1 MiB limit or a text frame is not UTF-8 (autobahn's ``failByDrop``): the browser
then sees 1006 "abnormal closure" and cannot tell why. This server sends the close frame first,
1009 "message too big" or 1007 "invalid payload", with autobahn's reason. On shutdown every open
socket gets 1012 "service restart" (browsers reconnect at once).
"""

import logging
import sys
from collections.abc import Callable
from typing import Any

from autobahn.twisted.websocket import WebSocketServerProtocol
from daphne import server as daphne_server
from daphne.cli import CommandLineInterface
from daphne.server import Server
from daphne.ws_protocol import WebSocketFactory

ActionLogger = Callable[[str, str, dict[str, Any]], None]


def path_only(path: object) -> object:
    """Return ``path`` without its query string (and without a fragment)."""
    if not isinstance(path, str):
        return path
    return path.split("?", 1)[0].split("#", 1)[0]


def path_only_logger(action_logger: ActionLogger) -> ActionLogger:
    """Wrap daphne's action logger so the details it logs carry the path only."""

    def log(protocol: str, action: str, details: dict[str, Any]) -> None:
        if "path" in details:
            details = {**details, "path": path_only(details["path"])}
        action_logger(protocol, action, details)

    return log


class ClosingWebSocketFactory(WebSocketFactory):
    """daphne's WebSocket factory, failing a connection with a close frame, not a dropped TCP."""

    def setProtocolOptions(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("failByDrop", False)
        super().setProtocolOptions(*args, **kwargs)


class PathOnlyServer(Server):
    def __init__(self, *args: Any, action_logger: ActionLogger | None = None, **kwargs: Any):
        if action_logger is not None:
            action_logger = path_only_logger(action_logger)
        super().__init__(*args, action_logger=action_logger, **kwargs)

    def run(self) -> None:
        from twisted.internet import reactor  # daphne installed the asyncio reactor by now

        # daphne's run() builds its factory from this module attribute (no option for it).
        daphne_server.WebSocketFactory = ClosingWebSocketFactory  # type: ignore[misc]
        reactor.addSystemEventTrigger("before", "shutdown", self.close_websockets)
        super().run()

    def close_websockets(self) -> Any:
        """On shutdown (SIGTERM, a deploy), end every open socket with 1012 "service restart"
        so browsers reconnect at once (to another process, or to this one once it is back)
        instead of noticing a dead connection later. Return a Deferred that gives the close
        frames a moment to leave."""
        from twisted.internet import reactor
        from twisted.internet.task import deferLater

        closing = 0
        for protocol in list(self.connections):
            if (
                isinstance(protocol, WebSocketServerProtocol)
                and protocol.state == protocol.STATE_OPEN
            ):
                # (sendClose() allows only 1000 and 3000-4999: 1012 is a protocol-level code.)
                protocol.sendCloseFrame(code=1012, reasonUtf8=b"service restart")
                closing += 1
        return deferLater(reactor, 0.5 if closing else 0, lambda: None)


class PathOnlyCommandLine(CommandLineInterface):
    server_class = PathOnlyServer


class PathOnlyFilter(logging.Filter):
    """Drop query strings from a record's ``path`` argument (``django.channels.server``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, dict) and "path" in record.args:
            record.args = {**record.args, "path": path_only(record.args["path"])}
        return True


def main() -> None:
    PathOnlyCommandLine().run(sys.argv[1:])


if __name__ == "__main__":
    main()
