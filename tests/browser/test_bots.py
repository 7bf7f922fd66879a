"""A bot in the chat UI: its message, sent over the API with its personal access token, shows
a "Bot" tag next to its name."""

import json
import urllib.request
import uuid
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from accounts.actions import do_create_bot, do_create_token
from tests.browser.helpers import (
    People,
    make_account,
    make_group,
    off_the_loop,
    open_room,
    shown_message,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def people(browser: Browser, server: str) -> Iterator[People]:
    crowd = People(browser, server)
    yield crowd
    crowd.close()
    assert crowd.errors == []


@off_the_loop
def make_bot_with_token(username: str, display_name: str) -> tuple[object, str]:
    bot = do_create_bot(username=username, display_name=display_name)
    return bot, do_create_token(bot, name="test", days=7)[1]


def api_post(server: str, path: str, body: dict, *, token: str) -> int:
    """POST JSON to the live server's API as a script would: the bearer header, no cookie."""
    request = urllib.request.Request(  # noqa: S310 (the live test server's http URL)
        f"{server}{path}",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return response.status


def test_a_bots_message_shows_bot_by_its_name(people: People, server: str) -> None:
    """A message a bot sends with its token arrives live, with "Bot" by the bot's name and
    none by a person's; room info's member list marks the bot too."""
    ann = make_account("ann", "Ann Archer")
    bot, token = make_bot_with_token("deploy", "Deploy Bot")
    room = make_group(ann, "builds", bot)
    page = people.log_in(ann)
    open_room(page, server, room)
    sent = {"client_id": str(uuid.uuid4()), "body": "build 42 is green"}
    assert api_post(server, f"/api/rooms/{room.pk}/messages/", sent, token=token) == 201
    message = shown_message(page, "build 42 is green")
    expect(message.locator(".msg-sender")).to_have_text("Deploy Bot")
    expect(message.locator(".msg-head .tag-bot")).to_have_text("Bot")
    page.get_by_role("button", name="Room info").click()
    members = page.locator(".member")
    expect(members.filter(has_text="Deploy Bot").locator(".tag-bot")).to_have_text("Bot")
    expect(members.filter(has_text="Ann Archer").locator(".tag-bot")).to_have_count(0)
