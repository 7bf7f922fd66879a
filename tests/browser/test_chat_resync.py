"""Events lost on the way are found again without a reload or a reconnect: each socket's
digest of its rooms' latest revisions (every KEYROOM_DIGEST_SECONDS, 2 s in the tests) makes a
browser that is behind resync the open room and the sidebar.

``post()`` stores a message through the real action in the test process, whose events go to
the test process's own channel layer: no browser hears them, exactly like an event the layer
dropped (an outage, a starved server) with nothing following it.
"""

import json
import re

import pytest
from playwright.sync_api import WebSocketRoute, expect

from tests.browser.helpers import (
    People,
    make_account,
    make_group,
    open_room,
    post,
    send,
    shown_message,
    shown_messages,
)

pytestmark = pytest.mark.browser

DIGEST_WAIT_MS = 10_000  # a few digest rounds


def test_a_message_whose_event_was_lost_shows_in_the_open_room(people: People, server: str) -> None:
    """A message stored while its event never reached this page appears in the open room."""
    ann, bob = make_account("ann"), make_account("bob")
    room = make_group(ann, "quiet", bob)
    page = people.log_in(ann)
    open_room(page, server, room)
    post(bob, room, "nobody told you about me")
    expect(shown_message(page, "nobody told you about me")).to_be_visible(timeout=DIGEST_WAIT_MS)


def test_a_lost_event_of_another_room_shows_as_unread_in_the_sidebar(
    people: People, server: str
) -> None:
    """A message of another room whose event was lost still raises that room's unread count."""
    ann, bob = make_account("ann"), make_account("bob")
    here, elsewhere = make_group(ann, "here", bob), make_group(bob, "elsewhere", ann)
    page = people.log_in(ann)
    open_room(page, server, here)
    post(bob, elsewhere, "over there")
    link = page.get_by_role("link", name=re.compile("elsewhere"))
    expect(link).to_have_accessible_name("elsewhere 1 unread", timeout=DIGEST_WAIT_MS)


def test_events_out_of_order_are_put_in_order_without_a_resync(people: People, server: str) -> None:
    """Two events of one room that arrive swapped (two server processes) wait for each other
    a moment: both show, in order, and the page asks the server for nothing."""
    ann, bob = make_account("ann"), make_account("bob")
    room = make_group(ann, "swapped", bob)
    ann_page, bob_page = people.log_in(ann), people.log_in(bob)
    held: list[str] = []
    swap = {"on": False}

    def route(ws: WebSocketRoute) -> None:
        upstream = ws.connect_to_server()

        def forward(frame: str | bytes) -> None:
            event = json.loads(frame)
            if swap["on"] and event.get("type") == "message.new":
                if not held:
                    held.append(frame)  # the first one waits for the second
                    return
                swap["on"] = False
                ws.send(frame)
                ws.send(held.pop())
                return
            ws.send(frame)

        upstream.on_message(forward)

    ann_page.route_web_socket(re.compile(r"/ws/$"), route)
    open_room(ann_page, server, room)
    open_room(bob_page, server, room)
    resyncs: list[str] = []
    ann_page.on("request", lambda r: resyncs.append(r.url) if "after_rev" in r.url else None)

    swap["on"] = True
    send(bob_page, "first")
    send(bob_page, "second")
    expect(shown_messages(ann_page)).to_have_text([re.compile("first"), re.compile("second")])
    # The reorder window closed with the hole filled: no resync was asked for.
    expect(ann_page.locator("html")).to_have_attribute("data-holes-checked", "1")
    assert resyncs == []
