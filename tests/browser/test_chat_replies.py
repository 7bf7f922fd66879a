"""Replies in Chromium (issue 11): Reply on a message, "Replying to …" above the composer, the
quote drawn from the reader's own copy of the answered message, a click on it going there
(loading history as needed); the same in plaintext and encrypted rooms, and a server that puts
another message in the answered one's place is not believed."""

import json
import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Locator, Page, Route, expect

from tests.browser.e2e_helpers import (
    PAIR_ROOMS,
    log_in_with_keys,
    open_room_page,
    python_member,
    room_settled,
    seed_encrypted,
    start_encrypted_group,
)
from tests.browser.helpers import (
    People,
    composer,
    make_account,
    make_group,
    open_room,
    post,
    post_content,
    send,
    shown_messages,
)

pytestmark = pytest.mark.browser


def row(page: Page, text: str) -> Locator:
    """The message row whose own text (not a quote) is ``text``."""
    return shown_messages(page).filter(
        has=page.locator(".msg-content").get_by_text(text, exact=True)
    )


def quote(message: Locator) -> Locator:
    return message.locator("button.msg-reply")


@pytest.mark.parametrize("make_room", PAIR_ROOMS)
def test_a_reply_quotes_the_message_it_answers_and_goes_there(
    people: People, server: str, make_room: Callable[[People, str], tuple[Page, Page]]
) -> None:
    """Bob replies to Ann's message: the composer says whom he answers (Escape drops it, the
    button brings it back), both see the reply with a quote of Ann's words, and a click on the
    quote moves focus to her message."""
    ann_page, bob_page = make_room(people, server)
    send(ann_page, "lunch at noon?")
    send(ann_page, "or later")
    original = row(bob_page, "lunch at noon?")
    original.hover()
    original.get_by_role("button", name="Reply").click()
    bar = bob_page.locator("#composer-reply")
    expect(bar).to_contain_text("Replying to Ann Archer")
    expect(bar).to_contain_text("lunch at noon?")
    expect(composer(bob_page)).to_be_focused()
    composer(bob_page).press("Escape")
    expect(bar).to_be_hidden()
    original.get_by_role("button", name="Reply").click()
    expect(bar).to_be_visible()
    send(bob_page, "noon works")
    expect(bar).to_be_hidden()

    for page in (bob_page, ann_page):
        answer = row(page, "noon works")
        expect(quote(answer)).to_have_accessible_name(
            "Reply to Ann Archer: lunch at noon?. Go to that message."
        )
        expect(quote(answer)).to_contain_text("lunch at noon?")
    quote(row(ann_page, "noon works")).click()
    expect(row(ann_page, "lunch at noon?")).to_be_focused()
    expect(row(ann_page, "lunch at noon?")).to_have_class(re.compile(r"\bmsg-highlight\b"))


def test_a_quote_of_an_old_message_is_fetched_and_the_jump_loads_history(
    people: People, server: str
) -> None:
    """A reply to a message far above the loaded page still shows its quote; a click loads
    older pages until the message is there."""
    ann, bob = make_account("ann", "Ann Archer"), make_account("bob", "Bob Baker")
    room = make_group(ann, "plans", bob)
    old = post(ann, room, "the very first plan")
    for n in range(60):
        post(ann, room, f"filler {n}")
    reply = {
        "v": 1,
        "text": "back to this",
        "reply_to": {
            "id": str(old.pk),
            "seq": old.seq,
            "client_id": str(old.client_id),
            "sender": str(ann.pk),
        },
    }
    post_content(bob, room, reply)
    page = people.log_in(bob)
    open_room(page, server, room)
    answer = row(page, "back to this")
    expect(quote(answer)).to_contain_text("the very first plan")
    expect(row(page, "the very first plan")).to_have_count(0)  # not in the loaded page
    quote(answer).click()
    expect(row(page, "the very first plan")).to_be_focused()


def test_a_server_that_puts_another_message_in_the_answered_ones_place_is_not_believed(
    people: People, server: str
) -> None:
    """Encrypted room: Ann's reply answers Pym's first message. The server leaves that message
    out of the page and, asked for it, serves Pym's other message (validly signed) with the
    first one's id and number. The quote does not show the other message's words."""
    ann, pym = make_account("ann", "Ann Archer"), make_account("pym", "Py Member")
    member = python_member(server, pym)
    page = log_in_with_keys(people, ann)  # her keys first: the room's first key is sealed to them
    room_id = start_encrypted_group(member, "vault", [ann.pk])
    open_room_page(page, server, room_id)
    room_settled(page)
    seed_encrypted(member, pym, room_id, ["the real question", "another message entirely"])
    page.reload()
    room_settled(page)
    row(page, "the real question").get_by_role("button", name="Reply").click()
    send(page, "my answer")
    messages = page.evaluate(
        "async (id) => (await (await fetch(`/api/rooms/${id}/messages/`)).json()).messages",
        room_id,
    )
    target, other = sorted(
        (m for m in messages if m["encrypted"] and m["sender"]["id"] == pym.pk),
        key=lambda m: m["seq"],
    )

    def lie(route: Route) -> None:
        body = route.fetch().json()
        if "before=" in route.request.url:
            body["messages"] = [
                {**other, "id": target["id"], "seq": target["seq"]}
                if m["id"] == target["id"]
                else m
                for m in body["messages"]
            ]
        else:  # the first page leaves the answered message out
            body["messages"] = [m for m in body["messages"] if m["id"] != target["id"]]
        route.fulfill(status=200, content_type="application/json", body=json.dumps(body))

    page.route(f"**/api/rooms/{room_id}/messages/**", lie)
    page.reload()
    answer = row(page, "my answer")
    expect(quote(answer)).to_contain_text("not in this room")
    expect(quote(answer)).not_to_contain_text("another message entirely")
