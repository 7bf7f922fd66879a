"""The composer and the message list as people use them (issue 9): what happens to a message of
only spaces, a failed send's reason, the message buttons on a phone, the create dialog's title,
and the keyboard (the list is one tab stop with arrow keys inside; Up in an empty composer edits
one's last message) in plaintext and encrypted rooms."""

import json
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, WebSocketRoute, expect

from chat.models import Message
from tests.browser.e2e_helpers import log_in_with_keys, start_group_in_ui
from tests.browser.helpers import (
    PHONE,
    People,
    composer,
    make_account,
    make_group,
    open_room,
    post,
    send,
    set_e2e,
    shown_message,
)

pytestmark = pytest.mark.browser

FOCUSED_ROW = """() => {
  const row = document.activeElement?.closest("#message-list > li");
  return row && row === document.activeElement ? row.textContent : null;
}"""


@pytest.fixture
def people(browser: Browser, server: str) -> Iterator[People]:
    """Open browser contexts per device; fail the test on any JavaScript or console error."""
    crowd = People(browser, server)
    yield crowd
    crowd.close()
    assert crowd.errors == []


def room_with_my_messages(people: People, server: str, texts: list[str], **viewport) -> Page:
    """Log Ann in to a group where she wrote ``texts`` (oldest first); return the open room."""
    ann, bob = make_account("ann"), make_account("bob")
    room = make_group(ann, "desk", bob)
    for text in texts:
        post(ann, room, text)
    page = people.log_in(ann, **viewport)
    open_room(page, server, room)
    return page


def test_a_message_of_only_spaces_says_why_and_keeps_the_text(people: People, server: str) -> None:
    """Sending only spaces shows a reason in the composer and leaves the spaces there."""
    page = room_with_my_messages(people, server, [])
    composer(page).fill("   ")
    composer(page).press("Enter")
    expect(page.locator("#composer-error")).to_contain_text("only spaces")
    expect(composer(page)).to_have_value("   ")
    expect(composer(page)).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#message-list > li.msg-pending")).to_have_count(0)


def test_a_failed_message_shows_its_reason_above_the_composer(people: People, server: str) -> None:
    """When the server refuses a send, the failed row's reason and buttons are scrolled into
    sight, not left under the composer."""
    page = room_with_my_messages(people, server, [f"line {n}" for n in range(40)])

    def route(ws: WebSocketRoute) -> None:
        upstream = ws.connect_to_server()

        def from_page(frame: str | bytes) -> None:
            command = json.loads(frame)
            if command.get("type") != "message.send":
                upstream.send(frame)
                return
            refusal = {"type": "error", "ref": command["ref"], "code": "server_error"}
            ws.send(json.dumps(refusal | {"message": "The server could not store it."}))

        ws.on_message(from_page)

    page.route_web_socket(re.compile(r"/ws/$"), route)
    page.reload()
    expect(page.locator("#message-scroller")).to_have_attribute("aria-busy", "false")
    expect(page.locator("html")).to_have_attribute("data-connection", "open")
    composer(page).fill("this one fails")
    composer(page).press("Enter")
    failed = page.locator("#message-list > li.msg-failed")
    expect(failed.get_by_role("alert")).to_contain_text("could not store it")
    expect(failed.locator(".msg-failed-actions")).to_be_in_viewport(ratio=1)
    assert not Message.objects.filter(body="this one fails").exists()


def test_on_a_phone_the_message_buttons_leave_the_text_free(people: People, server: str) -> None:
    """On a narrow screen the Edit and Delete buttons of one's own message do not cover its
    first line."""
    text = "a long message that fills the whole first line of the list on a small phone screen"
    page = room_with_my_messages(people, server, [text], viewport=PHONE)
    mine = shown_message(page, text)
    body = mine.locator(".msg-body").bounding_box()
    actions = mine.locator(".msg-actions").bounding_box()
    assert body and actions
    overlap = (
        actions["x"] < body["x"] + body["width"]
        and body["x"] < actions["x"] + actions["width"]
        and actions["y"] < body["y"] + body["height"]
        and body["y"] < actions["y"] + actions["height"]
    )
    assert not overlap, (body, actions)


def test_the_create_dialog_title_follows_the_private_switch(people: People, server: str) -> None:
    """The create dialog is titled "Create a private group" while Private is on and "Create a
    channel" once it is off."""
    page = people.log_in(make_account("ann"))
    page.get_by_role("button", name="Create channel").click()
    dialog = page.locator("#create-channel-dialog")
    expect(dialog).to_have_accessible_name("Create a private group")
    dialog.get_by_role("switch", name="Private").uncheck()
    expect(dialog).to_have_accessible_name("Create a channel")


def test_shift_tab_from_the_composer_stops_once_in_the_message_list(
    people: People, server: str
) -> None:
    """Shift+Tab from the composer lands on the newest message, and the next Shift+Tab leaves
    the list instead of walking through every Edit and Delete button."""
    page = room_with_my_messages(people, server, ["first note", "second note", "third note"])
    composer(page).focus()
    page.keyboard.press("Shift+Tab")
    assert "third note" in (page.evaluate(FOCUSED_ROW) or "")
    page.keyboard.press("Shift+Tab")
    assert (
        page.evaluate(
            "() => document.getElementById('message-list').contains(document.activeElement)"
        )
        is False
    )


def test_arrow_keys_move_between_messages_and_tab_enters_one(people: People, server: str) -> None:
    """In the message list Up, Down, Home and End move between messages, and Tab goes to the
    focused message's own Edit button."""
    page = room_with_my_messages(people, server, ["first note", "second note", "third note"])
    composer(page).focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("ArrowUp")
    assert "second note" in (page.evaluate(FOCUSED_ROW) or "")
    page.keyboard.press("Home")
    assert "first note" in (page.evaluate(FOCUSED_ROW) or "")
    page.keyboard.press("ArrowDown")
    assert "second note" in (page.evaluate(FOCUSED_ROW) or "")
    page.keyboard.press("End")
    assert "third note" in (page.evaluate(FOCUSED_ROW) or "")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Tab")
    first = shown_message(page, "second note").get_by_role("button", name="Reply")
    expect(first).to_be_focused()
    page.keyboard.press("Tab")
    edit = shown_message(page, "second note").get_by_role("button", name="Edit message")
    expect(edit).to_be_focused()


def test_up_in_an_empty_composer_edits_my_last_message(people: People, server: str) -> None:
    """Up in an empty composer opens the editor on one's newest message; Escape goes back to
    the composer."""
    page = room_with_my_messages(people, server, ["older words", "newest words"])
    composer(page).focus()
    page.keyboard.press("ArrowUp")
    editor = page.get_by_role("textbox", name="Edit message")
    expect(editor).to_be_focused()
    expect(editor).to_have_value("newest words")
    editor.press("Escape")
    expect(composer(page)).to_be_focused()


def test_up_in_an_empty_composer_edits_my_last_encrypted_message(
    people: People, server: str
) -> None:
    """In an encrypted room, Up in an empty composer edits one's newest message's decrypted
    text, and saving shows the new text."""
    set_e2e(enabled=True)
    page = log_in_with_keys(people, make_account("ann"))
    start_group_in_ui(page, "vault", [])
    send(page, "sealed words")
    composer(page).focus()
    page.keyboard.press("ArrowUp")
    editor = page.get_by_role("textbox", name="Edit message")
    expect(editor).to_have_value("sealed words")
    editor.fill("sealed words, amended")
    editor.press("Enter")
    expect(shown_message(page, "sealed words, amended")).to_be_visible()
    expect(composer(page)).to_be_focused()
