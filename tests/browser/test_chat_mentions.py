"""Mentions and notifications (issue 10) as people use them: the composer's "@" autocomplete by
keyboard, a mention notifies only the mentioned person, each person's notification level is
obeyed, the mention badge and the tab title's unread count, in plaintext and encrypted rooms.

Desktop notifications are recorded, not shown: each context is granted the permission and an
init script wraps ``window.Notification`` so every notification made lands in
``window.keyroomNotes``.
"""

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from chat.models import Membership, Mention, Message, RoomKind
from tests.browser.e2e_helpers import (
    live_call,
    log_in_with_keys,
    start_group_in_ui,
    wait_until,
)
from tests.browser.helpers import (
    People,
    composer,
    make_account,
    make_group,
    off_the_loop,
    open_room,
    send,
    set_e2e,
    shown_message,
)

pytestmark = pytest.mark.browser

RECORD_NOTIFICATIONS = """(() => {
  const Real = window.Notification;
  window.keyroomNotes = [];
  function Recorded(title, options = {}) {
    window.keyroomNotes.push({ title, body: options.body ?? "" });
    return { close() {}, onclick: null };
  }
  Object.defineProperty(Recorded, "permission", { get: () => Real.permission });
  Recorded.requestPermission = (...args) => Real.requestPermission(...args);
  window.Notification = Recorded;
})();"""


@pytest.fixture
def people(browser: Browser, server: str) -> Iterator[People]:
    """Browser contexts per person (E2E off unless a test turns it on); fail the test on any
    JavaScript or console error."""
    set_e2e(enabled=False)
    crowd = People(browser, server)
    yield crowd
    crowd.close()
    assert crowd.errors == []


def record_notifications(page: Page, server: str) -> None:
    """Grant ``page``'s context the notification permission and record what it shows, from
    the next navigation on."""
    page.context.grant_permissions(["notifications"], origin=server)
    page.context.add_init_script(RECORD_NOTIFICATIONS)


def notes(page: Page) -> list[dict]:
    return page.evaluate("() => window.keyroomNotes || []")


def go_home(page: Page, server: str) -> None:
    """Put ``page`` on the home page (no room open)."""
    page.goto(f"{server}/")
    expect(page.locator("html")).to_have_attribute("data-connection", "open")


def mention_by_keyboard(page: Page, partial: str, option: str, key: str = "Enter") -> None:
    """Type "@<partial>" in the composer and pick ``option`` with the arrow keys and ``key``."""
    box = composer(page)
    box.press_sequentially(f"@{partial}")
    listbox = page.get_by_role("listbox", name="People to mention")
    expect(listbox).to_be_visible()
    for _ in range(listbox.get_by_role("option").count()):
        if listbox.get_by_role("option", selected=True).filter(has_text=option).count():
            break
        box.press("ArrowDown")
    expect(listbox.get_by_role("option", selected=True)).to_contain_text(option)
    box.press(key)
    expect(listbox).to_be_hidden()


def send_typed(page: Page, rest: str, shown: str) -> None:
    """Type ``rest`` after what is in the composer, send, and wait for ``shown``."""
    composer(page).press_sequentially(rest)
    composer(page).press("Enter")
    expect(shown_message(page, shown)).to_be_visible()
    expect(page.locator("#message-list > li.msg-pending")).to_have_count(0)


def mention_badge(page: Page, room_name: str):
    link = page.locator(".room-link").filter(has_text=room_name)
    return link.locator(".badge-mention")


@off_the_loop
def set_level(user, room_id: int, level: str) -> None:
    Membership.objects.filter(user=user, room_id=room_id).update(notify_level=level)


@off_the_loop
def mentions_stored(room_id: int) -> list[tuple[int | None, str]]:
    return list(
        Mention.objects.filter(message__room_id=room_id).values_list("user_id", "message__body")
    )


@off_the_loop
def bodies(room_id: int) -> list[str]:
    return list(Message.objects.filter(room_id=room_id, kind="text").values_list("body", flat=True))


# Plaintext rooms ----------------------------------------------------------------------------


def test_autocomplete_by_keyboard(people: People, server: str) -> None:
    """ "@" lists the room's members (and @here/@all where allowed), announced; Up/Down choose,
    Escape closes, Enter and Tab pick; the picks are sent as the message's mentions."""
    ann, bob, bea = make_account("ann"), make_account("bob", "Bob B"), make_account("bea")
    cat = make_account("cat")
    room = make_group(ann, "desk", bob, bea, cat)
    page = people.log_in(ann)
    open_room(page, server, room)
    box = composer(page)
    box.press_sequentially("hi @b")
    listbox = page.get_by_role("listbox", name="People to mention")
    expect(listbox.get_by_role("option")).to_have_text([re.compile("@bea"), re.compile("@bob")])
    expect(box).to_have_attribute("aria-controls", "mention-options")
    expect(page.locator("#mention-status")).to_contain_text("2 suggestions")
    box.press("ArrowDown")
    expect(listbox.get_by_role("option", selected=True)).to_contain_text("@bob")
    expect(box).to_have_attribute("aria-activedescendant", re.compile(f"{bob.pk}$"))
    box.press("Escape")
    expect(listbox).to_be_hidden()
    expect(box).to_have_value("hi @b")  # Escape closes the list, keeps the text, sends nothing
    box.press_sequentially("o")
    expect(listbox.get_by_role("option")).to_have_text([re.compile("@bob")])
    box.press("Enter")  # picks; does not send
    expect(box).to_have_value("hi @bob ")
    box.press_sequentially("and @c")
    box.press("Tab")
    expect(box).to_have_value("hi @bob and @cat ")
    expect(box).to_be_focused()
    box.press_sequentially("and @a")
    expect(listbox.get_by_role("option")).to_have_text([re.compile("@all")])  # a group allows it
    box.press("Escape")
    box.press_sequentially("nn ok")  # "@ann" typed, not picked: no mention
    box.press("Enter")
    expect(shown_message(page, "hi @bob and @cat and @ann ok")).to_be_visible()
    wait_until(page, lambda: len(mentions_stored(room.pk)) == 2)
    assert sorted(user for user, _ in mentions_stored(room.pk)) == [bob.pk, cat.pk]


def test_an_edit_can_mention_someone_picked_from_the_autocomplete(
    people: People, server: str
) -> None:
    """The inline editor has the "@" list too (its own, below it, by keyboard): the edited
    message then mentions the person picked, and the server stores the mention."""
    ann, bob = make_account("ann", "Ann A"), make_account("bob", "Bob B")
    room = make_group(ann, "plans", bob)
    page = people.log_in(ann)
    open_room(page, server, room)
    send(page, "lunch?")
    mine = shown_message(page, "lunch?")
    mine.hover()
    mine.get_by_role("button", name="Edit message").click()
    editor = page.get_by_role("textbox", name="Edit message")
    editor.press("End")
    editor.press_sequentially(" @bo")
    listbox = page.get_by_role("listbox", name="People to mention").last
    expect(listbox.get_by_role("option", selected=True)).to_contain_text("@bob")
    editor.press("Enter")  # picks; does not save
    expect(listbox).to_be_hidden()
    expect(editor).to_have_value("lunch? @bob ")
    editor.press("Enter")
    expect(shown_message(page, "lunch? @bob")).to_be_visible()
    wait_until(page, lambda: mentions_stored(room.pk) == [(bob.pk, "lunch? @bob")])
    expect(page.locator("ul.mention-options")).to_have_count(1)  # the editor's went with it


def test_channel_offers_no_mention_all_until_the_owner_allows_it(people: People, server: str):
    """A channel forbids @here/@all by default; the owner allows them in room info -> Edit."""
    ann, bob = make_account("ann"), make_account("bob")
    room = make_group(ann, "town", bob, kind=RoomKind.CHANNEL)
    page = people.log_in(ann)
    open_room(page, server, room)
    composer(page).press_sequentially("@")
    listbox = page.get_by_role("listbox", name="People to mention")
    expect(listbox.get_by_role("option")).to_have_text([re.compile("@bob")])
    composer(page).press("Escape")
    composer(page).fill("")
    page.get_by_role("button", name="Room info").click()
    page.get_by_role("button", name="Edit").click()
    switch = page.get_by_role("switch", name="Allow @here and @all")
    expect(switch).not_to_be_checked()
    switch.check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("button", name="Edit")).to_be_visible()
    page.get_by_role("button", name="Close room info").click()
    composer(page).press_sequentially("@")
    expect(listbox.get_by_role("option")).to_have_text(
        [re.compile("@bob"), re.compile("@here"), re.compile("@all")]
    )


def test_plaintext_mention_notifies_only_the_mentioned_person(people: People, server: str):
    """In a channel (mentions only by default) a mention notifies the mentioned person, with
    sender and text, and nobody else; it shows as a mention badge; the title counts unread."""
    ann, bob, cat = make_account("ann", "Ann A"), make_account("bob"), make_account("cat")
    room = make_group(ann, "town", bob, cat, kind=RoomKind.CHANNEL)
    writer = people.log_in(ann)
    bob_page, cat_page = people.log_in(bob), people.log_in(cat)
    for page in (bob_page, cat_page):
        record_notifications(page, server)
        go_home(page, server)
    open_room(writer, server, room)
    mention_by_keyboard(writer, "bo", "@bob")
    send_typed(writer, "lunch?", "@bob lunch?")
    send_typed(writer, "plain words", "plain words")
    wait_until(bob_page, lambda: len(notes(bob_page)) >= 1)
    expect(bob_page).to_have_title("(2) Keyroom")
    expect(cat_page).to_have_title("(2) Keyroom")
    assert notes(bob_page) == [{"title": "Ann A in town", "body": "@bob lunch?"}]
    expect(mention_badge(bob_page, "town")).to_have_text("@1 mention")
    expect(mention_badge(cat_page, "town")).to_have_count(0)
    assert notes(cat_page) == []
    # After a reload the server's count says the same (plaintext rooms).
    bob_page.reload()
    expect(mention_badge(bob_page, "town")).to_have_text("@1 mention")
    expect(bob_page).to_have_title("(2) Keyroom")


def test_plaintext_levels_are_obeyed(people: People, server: str) -> None:
    """ "Nothing" notifies nothing, "All messages" everything; set in room info; the open room
    of a visible tab never notifies."""
    ann, bob, cat = make_account("ann", "Ann A"), make_account("bob"), make_account("cat")
    room = make_group(ann, "desk", bob, cat)
    writer = people.log_in(ann)
    bob_page, cat_page = people.log_in(bob), people.log_in(cat)
    record_notifications(bob_page, server)
    record_notifications(cat_page, server)
    open_room(bob_page, server, room)
    page_info = bob_page.get_by_role("button", name="Room info")
    page_info.click()
    level = bob_page.get_by_label("Notify me about")
    expect(level).to_have_value("all")  # a group's default
    level.select_option("nothing")
    expect(bob_page.locator("#room-notify-status")).to_have_text("Saved.")
    go_home(bob_page, server)
    open_room(cat_page, server, room)  # cat reads the room: no notification there
    open_room(writer, server, room)
    mention_by_keyboard(writer, "bo", "@bob")
    send_typed(writer, "hello", "@bob hello")
    expect(shown_message(cat_page, "@bob hello")).to_be_visible()
    expect(bob_page).to_have_title("(1) Keyroom")
    assert notes(bob_page) == []  # nothing, even for a mention
    assert notes(cat_page) == []  # the open room of a visible tab
    go_home(cat_page, server)
    send_typed(writer, "second", "second")
    wait_until(cat_page, lambda: len(notes(cat_page)) == 1)
    assert notes(cat_page) == [{"title": "Ann A in desk", "body": "second"}]
    assert notes(bob_page) == []


# Encrypted rooms -----------------------------------------------------------------------------


def test_encrypted_mention_and_levels(people: People, server: str) -> None:
    """In an encrypted group the mention is found after decryption on each device: it
    notifies only the mentioned person, with the decrypted text (the server stores no mention
    and no text); the mention badge and title count come from the browser; a level set
    elsewhere is obeyed."""
    set_e2e(enabled=True)
    ann, bob, cat = make_account("ann", "Ann A"), make_account("bob"), make_account("cat")
    writer = log_in_with_keys(people, ann)
    bob_page, cat_page = log_in_with_keys(people, bob), log_in_with_keys(people, cat)
    room_id = start_group_in_ui(writer, "vault", ["bob", "cat"])
    set_level(bob, room_id, "mentions")
    set_level(cat, room_id, "mentions")
    for page in (bob_page, cat_page):
        record_notifications(page, server)
        go_home(page, server)
        expect(page.locator("html")).to_have_attribute("data-e2e", "unlocked")
    mention_by_keyboard(writer, "bo", "@bob")
    send_typed(writer, "the code is 42", "@bob the code is 42")
    wait_until(bob_page, lambda: len(notes(bob_page)) == 1, seconds=15)
    assert notes(bob_page) == [{"title": "Ann A in vault", "body": "@bob the code is 42"}]
    expect(mention_badge(bob_page, "vault")).to_have_text("@1 mention")
    expect(bob_page).to_have_title("(1) Keyroom")
    expect(cat_page).to_have_title("(1) Keyroom")
    expect(mention_badge(cat_page, "vault")).to_have_count(0)
    assert notes(cat_page) == []
    assert mentions_stored(room_id) == []
    assert all("42" not in body for body in bodies(room_id))
    # Cat turns "All messages" on (the endpoint room info uses), then reopens Keyroom.
    status, _ = live_call(server, cat)(
        "PATCH", f"/api/rooms/{room_id}/notifications/", {"notify_level": "all"}
    )
    assert status == 200
    go_home(cat_page, server)
    expect(cat_page.locator("html")).to_have_attribute("data-e2e", "unlocked")
    send_typed(writer, "no names here", "no names here")
    wait_until(cat_page, lambda: len(notes(cat_page)) == 1, seconds=15)
    assert notes(cat_page) == [{"title": "Ann A in vault", "body": "no names here"}]
    expect(bob_page).to_have_title("(2) Keyroom")
    assert len(notes(bob_page)) == 1  # mentions only


FAKE_PERMISSION = """(() => {
  // A browser that has not been asked yet: "default" until requestPermission() is called.
  window.keyroomAsked = 0;
  let state = "default";
  function Fake() {
    return { close() {}, onclick: null };
  }
  Object.defineProperty(Fake, "permission", { get: () => state });
  Fake.requestPermission = async () => {
    window.keyroomAsked += 1;
    state = "granted";
    return state;
  };
  window.Notification = Fake;
})();"""


def test_permission_is_asked_only_from_the_settings_button(people: People, server: str) -> None:
    """Opening Keyroom never asks for the notification permission; My Account ->
    Notifications asks when its button is pressed, and saves the defaults and the sound."""
    ann, bob = make_account("ann"), make_account("bob")
    room = make_group(ann, "desk", bob)
    page = people.log_in(ann)
    page.context.add_init_script(FAKE_PERMISSION)
    open_room(page, server, room)
    go_home(page, server)
    assert page.evaluate("() => window.keyroomAsked") == 0
    page.goto(f"{server}/accounts/account/")
    page.get_by_role("link", name="Notifications").click()
    expect(page.get_by_role("link", name="Notifications")).to_have_attribute("aria-current", "page")
    status = page.locator("#notify-permission")
    expect(status).to_contain_text("off in this browser")
    assert page.evaluate("() => window.keyroomAsked") == 0
    page.get_by_role("button", name="Turn on desktop notifications").click()
    expect(status).to_have_text("Desktop notifications are on in this browser.")
    expect(page.get_by_role("button", name="Turn on desktop notifications")).to_be_hidden()
    assert page.evaluate("() => window.keyroomAsked") == 1
    page.get_by_label("New private groups").select_option("mentions")
    page.get_by_label("Play a sound with each notification").uncheck()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Notification settings saved.")).to_be_visible()
    expect(page.get_by_label("New private groups")).to_have_value("mentions")
    expect(page.get_by_label("Play a sound with each notification")).not_to_be_checked()
