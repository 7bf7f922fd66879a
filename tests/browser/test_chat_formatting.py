"""Formatted messages (issue 10) as people see them, the same in a plaintext group and in an
end-to-end encrypted one: Markdown renders as the right elements, a URL becomes a safe link, a
``javascript:`` link and raw HTML stay text, a picked mention is highlighted, an edit is drawn
again, and a message waiting for the connection shows formatted too."""

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Locator, Page, WebSocketRoute, expect

from chat.models import Message
from tests.browser.e2e_helpers import log_in_with_keys, open_room_page, start_group_in_ui
from tests.browser.helpers import (
    People,
    composer,
    make_account,
    make_group,
    open_room,
    set_e2e,
    shown_messages,
)

pytestmark = pytest.mark.browser

FORMATTED = (
    "**bold** _italic_ ~~strike~~ `inline code` see https://example.com/path?q=1\n"
    "second line\n\n"
    "> quoted words\n\n"
    "- first item\n"
    "- second item\n\n"
    "1. numbered\n\n"
    "```python\nprint('<b>')\n```"
)
HOSTILE = "[click me](javascript:alert(1)) and <img src=x onerror=alert(1)> <b>raw</b>"


def message_having(page: Page, selector: str, text: str) -> Locator:
    """The confirmed message holding ``selector`` with ``text`` in its formatted body."""
    return shown_messages(page).filter(has=page.locator(f".msg-content {selector}", has_text=text))


def pick_mention(page: Page, partial: str, username: str) -> None:
    """Type "@<partial>" in the composer and pick ``username`` from the autocomplete."""
    box = composer(page)
    box.press_sequentially(f"@{partial}")
    listbox = page.get_by_role("listbox", name="People to mention")
    expect(listbox.get_by_role("option", selected=True)).to_contain_text(f"@{username}")
    box.press("Enter")
    expect(listbox).to_be_hidden()


def send_raw(page: Page, text: str) -> None:
    """Add ``text`` (newlines and all) to the composer, send it, wait for the confirmation."""
    composer(page).focus()
    page.keyboard.press("End")
    page.keyboard.insert_text(text)
    composer(page).press("Enter")
    expect(page.locator("#message-list > li.msg-pending")).to_have_count(0)


def expect_formatted(page: Page, *, viewer_mentioned: bool) -> Locator:
    """Check every element of FORMATTED (sent after "@bob ") in ``page``; return the message."""
    message = message_having(page, "strong", "bold")
    expect(message).to_have_count(1)
    body = message.locator(".msg-content")
    expect(body.locator("em")).to_have_text("italic")
    expect(body.locator("del")).to_have_text("strike")
    expect(body.locator("p > code")).to_have_text("inline code")
    expect(body.locator("br")).to_have_count(1)
    expect(body.locator("blockquote")).to_have_text("quoted words")
    expect(body.locator("ul > li")).to_have_text(["first item", "second item"])
    expect(body.locator("ol > li")).to_have_text(["numbered"])
    code = body.locator("pre > code")
    expect(code).to_have_text("print('<b>')")
    expect(code).to_have_class("language-python")
    link = body.get_by_role("link", name="https://example.com/path?q=1")
    expect(link).to_have_attribute("href", "https://example.com/path?q=1")
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    mention = body.locator(".mention")
    expect(mention).to_have_text("@bob")
    if viewer_mentioned:
        expect(mention).to_have_class(re.compile(r"\bmention-me\b"))
    else:
        expect(mention).not_to_have_class(re.compile(r"\bmention-me\b"))
    return message


def expect_inert(page: Page) -> None:
    """HOSTILE shows as its text: no javascript: link, no image, no bold from raw HTML."""
    message = shown_messages(page).filter(has_text="click me")
    expect(message).to_have_count(1)
    body = message.locator(".msg-body")
    expect(body).to_contain_text("[click me](javascript:alert(1))")
    expect(body).to_contain_text("<img src=x onerror=alert(1)>")
    expect(body).to_contain_text("<b>raw</b>")
    expect(message.locator("a")).to_have_count(0)
    expect(page.locator("#message-list a[href^='javascript' i]")).to_have_count(0)
    expect(message.locator("img, b")).to_have_count(0)


def edit_last(page: Page, old: Locator, text: str) -> None:
    old.hover()
    old.get_by_role("button", name="Edit message").click()
    editor = page.get_by_role("textbox", name="Edit message")
    expect(editor).to_be_focused()
    editor.fill(text)
    editor.press("Enter")
    expect(editor).to_have_count(0)


def conversation(
    writer: Page, reader: Page, *, go_offline: Callable[[], None], go_online: Callable[[], None]
) -> None:
    """The shared scenario: Ann (``writer``) formats, mentions Bob (``reader``), tries to
    smuggle a script, edits, and writes while offline."""
    alerts: list[str] = []
    for page in (writer, reader):
        page.on("dialog", lambda dialog: (alerts.append(dialog.message), dialog.dismiss()))

    pick_mention(writer, "bo", "bob")
    send_raw(writer, FORMATTED)
    expect_formatted(reader, viewer_mentioned=True)
    mine = expect_formatted(writer, viewer_mentioned=False)

    send_raw(writer, HOSTILE)
    expect_inert(reader)
    expect_inert(writer)

    edit_last(writer, mine, "now **stronger** and `other` code")
    for page in (reader, writer):
        edited = message_having(page, "strong", "stronger")
        expect(edited).to_contain_text("(edited)")
        expect(edited.locator(".msg-content code")).to_have_text("other")
        expect(message_having(page, "strong", "bold")).to_have_count(0)

    go_offline()
    composer(writer).fill("offline **kept** _still_")
    composer(writer).press("Enter")
    pending = writer.locator("#message-list > li.msg-pending")
    expect(pending.locator(".msg-content strong")).to_have_text("kept")
    expect(pending.locator(".msg-content em")).to_have_text("still")
    go_online()
    expect(message_having(reader, "strong", "kept")).to_have_count(1)
    expect(pending).to_have_count(0)
    assert alerts == []


def offline_switch(page: Page, people: People) -> tuple[Callable[[], None], Callable[[], None]]:
    """Route ``page``'s socket so that the test can cut the connection (call before the room
    opens). Return (go_offline, go_online)."""
    people.allow_console_error("ERR_INTERNET_DISCONNECTED")
    sockets: list[WebSocketRoute] = []
    down = {"on": False}

    def route(ws: WebSocketRoute) -> None:
        sockets.append(ws)
        if not down["on"]:
            ws.connect_to_server()  # else: a socket that never answers, like a dead network

    page.route_web_socket(re.compile(r"/ws/$"), route)

    def go_offline() -> None:
        down["on"] = True
        page.context.set_offline(True)
        sockets[-1].close()
        expect(page.locator("html")).not_to_have_attribute("data-connection", "open")

    def go_online() -> None:
        down["on"] = False
        page.context.set_offline(False)
        sockets[-1].close()
        expect(page.locator("html")).to_have_attribute("data-connection", "open")

    return go_offline, go_online


def test_formatting_in_a_plaintext_group(people: People, server: str) -> None:
    """In a plaintext group the server stores the content (its Markdown as typed, the mention
    by id) and both people see it formatted; a link stays out of the tab order until its
    message is entered."""
    set_e2e(enabled=False)
    ann, bob = make_account("ann", "Ann A"), make_account("bob", "Bob B")
    room = make_group(ann, "desk", bob)
    writer, reader = people.log_in(ann), people.log_in(bob)
    go_offline, go_online = offline_switch(writer, people)
    open_room(writer, server, room)
    open_room(reader, server, room)

    conversation(writer, reader, go_offline=go_offline, go_online=go_online)

    first = Message.objects.filter(room=room, kind="text").order_by("seq").first()
    assert first.body == "now **stronger** and `other` code"
    assert first.content["format"] == "markdown" and first.content["mentions"] == []
    hostile = Message.objects.get(room=room, body=HOSTILE)
    assert hostile.content["text"] == HOSTILE

    # The composer's "Formatting" toggle shows the syntax, and says whether it is open.
    toggle = writer.get_by_role("button", name="Formatting")
    help_box = writer.locator("#composer-formatting-help")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(help_box).to_be_hidden()
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(help_box).to_contain_text("**bold**")
    expect(help_box).to_contain_text("~~strike~~")
    toggle.press("Escape")
    expect(help_box).to_be_hidden()
    expect(toggle).to_have_attribute("aria-expanded", "false")

    # The message list stays one tab stop: a link in a message is reached by entering it.
    pick_mention(writer, "bo", "bob")
    send_raw(writer, "read https://example.org/doc")
    row = shown_messages(writer).last
    link = row.get_by_role("link", name="https://example.org/doc")
    expect(link).to_have_attribute("tabindex", "-1")
    row.focus()
    expect(row).to_be_focused()
    writer.keyboard.press("Tab")
    expect(link).to_be_focused()
    writer.keyboard.press("Shift+Tab")
    expect(row).to_be_focused()
    writer.keyboard.press("ArrowUp")
    expect(row).not_to_be_focused()
    expect(link).to_have_attribute("tabindex", "-1")


def test_formatting_in_an_encrypted_group(people: People, server: str) -> None:
    """In an encrypted group the content travels inside the signed ciphertext (the server
    stores neither text nor mentions) and renders exactly as in a plaintext group."""
    set_e2e(enabled=True)
    ann, bob = make_account("ann", "Ann A"), make_account("bob", "Bob B")
    writer = log_in_with_keys(people, ann)
    reader = log_in_with_keys(people, bob)
    go_offline, go_online = offline_switch(writer, people)
    room_id = start_group_in_ui(writer, "vault", ["bob"])
    open_room_page(writer, server, room_id)  # a new page load: its socket is routed
    open_room_page(reader, server, room_id)

    conversation(writer, reader, go_offline=go_offline, go_online=go_online)

    rows = Message.objects.filter(room_id=room_id, kind="text")
    assert rows.count() == 3
    for row in rows:
        assert row.body == "" and row.content is None and row.payload
        assert "bold" not in str(row.payload) and "kept" not in str(row.payload)
