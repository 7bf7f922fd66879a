"""Reading in Chromium: the room opens at a "New messages" divider above the first unread
message, read state follows the person across tabs and devices, one sender's consecutive
messages are grouped under one name, avatars come from the user id (plaintext and encrypted
rooms alike), and the service worker of the installable app stores nothing but the static
shell (never a response of /api/ or a page)."""

import re
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from accounts.models import User
from chat import actions
from chat.models import Membership, Message, Room
from tests.browser.e2e_helpers import (
    expect_verified,
    key_icon,
    live_call,
    log_in_with_keys,
    mark_page,
    message_with,
    not_reloaded,
    open_room_page,
    python_member,
    room_settled,
    seed_encrypted,
    start_encrypted_group,
    wait_until,
)
from tests.browser.helpers import (
    People,
    make_account,
    make_group,
    mark_all_read,
    off_the_loop,
    open_room,
    post,
    send,
    shown_message,
    shown_messages,
    wait_connected,
)

pytestmark = pytest.mark.browser


def divider(page: Page) -> Locator:
    return page.get_by_role("separator", name="New messages")


def after_divider(page: Page) -> Locator:
    """The message right below the divider."""
    return page.locator("#message-list > .unread-divider + li.msg")


def before_divider(page: Page) -> Locator:
    return page.locator("#message-list > li.msg:has(+ .unread-divider)")


def badge(page: Page, room_id: int) -> Locator:
    return page.locator(f'#room-list a[data-room-id="{room_id}"] .badge')


def continued(message: Locator) -> bool:
    return "msg-continued" in (message.get_attribute("class") or "").split()


def avatar_colour(user_id: int) -> int:
    """The colour index static/js/lib/avatar.js derives from a user id."""
    return (user_id * 2654435761) % 2**32 % 10


@off_the_loop
def backdate(message: Message, minutes: int) -> None:
    Message.objects.filter(pk=message.pk).update(
        created_at=timezone.now() - timedelta(minutes=minutes)
    )


def say(server: str, user: User, room: Room, text: str) -> int:
    """Post ``text`` as ``user`` through the live server's API (its sockets tell the browsers,
    unlike ``post``); return the message's seq."""
    status, body = live_call(server, user)(
        "POST", f"/api/rooms/{room.pk}/messages/", {"client_id": str(uuid.uuid4()), "body": text}
    )
    assert status == 201, body
    return body["message"]["seq"]


@off_the_loop
def read_up_to(user: User, room: Room) -> int:
    return Membership.objects.get(user=user, room=room).last_read_seq


@off_the_loop
def add_member(owner: User, room: Room, person: User) -> None:
    """Add ``person`` through the real action (a system line "... added ...")."""
    actions.do_add_members(owner, Room.objects.get(pk=room.pk), people=[person])


# The "New messages" divider -----------------------------------------------------------------


def test_room_opens_at_the_first_unread_message(people: People, server: str) -> None:
    """With unread messages the room opens at a "New messages" separator above the first of
    them (older pages loaded up to it), not at the bottom; it stays while new messages come in,
    and once everything is read the room opens at the bottom without one."""
    ann, bob = make_account("ann", "Ann Archer"), make_account("bob", "Bob Baker")
    room = make_group(ann, "backlog", bob)
    for n in range(1, 11):
        post(ann, room, f"read {n}")
    mark_all_read(bob, room.pk)
    for n in range(1, 61):  # more than one page (50): the first unread is on an older page
        post(ann, room, f"unread {n}")
    page = people.log_in(bob)
    expect(badge(page, room.pk)).to_contain_text("60")
    open_room(page, server, room)

    expect(divider(page)).to_have_count(1)
    expect(divider(page)).to_be_in_viewport()
    expect(after_divider(page)).to_contain_text("unread 1")
    expect(before_divider(page)).to_contain_text("read 10")
    expect(shown_message(page, "unread 60")).not_to_be_in_viewport()
    # The divider is at the top of the view (the message above it out of sight, but for a
    # rounding pixel).
    offset = divider(page).evaluate(
        "n => n.getBoundingClientRect().top"
        " - document.getElementById('message-scroller').getBoundingClientRect().top"
    )
    assert -2 <= offset <= 12, offset
    expect(badge(page, room.pk)).to_have_count(0)

    say(server, ann, room, "while reading")
    expect(shown_message(page, "while reading")).to_be_attached()
    expect(divider(page)).to_have_count(1)
    expect(after_divider(page)).to_contain_text("unread 1")

    page.reload()
    expect(page.locator("#message-scroller")).to_have_attribute("aria-busy", "false")
    expect(shown_message(page, "while reading")).to_be_in_viewport()
    expect(divider(page)).to_have_count(0)


def test_encrypted_room_opens_at_the_first_unread_message(people: People, server: str) -> None:
    """In an encrypted room too the divider sits above the first unread message, and that
    sender's later messages are grouped under one name, each still verified."""
    ann, pym = make_account("ann", "Ann Archer"), make_account("pym", "Py Member")
    page = log_in_with_keys(people, ann)
    member = python_member(server, pym)
    room_id = start_encrypted_group(member, "secret-backlog", [ann.pk])
    seed_encrypted(member, pym, room_id, ["seen before"])
    mark_all_read(ann, room_id)
    seed_encrypted(member, pym, room_id, ["first new", "second new", "third new"])

    open_room_page(page, server, room_id)
    room_settled(page)
    expect(divider(page)).to_have_count(1)
    expect(after_divider(page)).to_contain_text("first new")
    expect(before_divider(page)).to_contain_text("seen before")
    for text in ("first new", "second new", "third new"):
        expect_verified(page, text)
    assert not continued(message_with(page, "first new"))  # the divider breaks the group
    assert continued(message_with(page, "second new"))
    assert continued(message_with(page, "third new"))
    # A grouped encrypted message keeps its key icon in sight.
    expect(key_icon(message_with(page, "third new"))).to_be_in_viewport()


# Read state across tabs and devices ---------------------------------------------------------


def test_reading_in_one_tab_clears_the_badge_in_the_others(people: People, server: str) -> None:
    """When the person reads a room in one tab (or on another device), the room's unread badge
    in their other tabs clears live, without a reload."""
    ann, bob = make_account("ann"), make_account("bob")
    room = make_group(ann, "news", bob)
    post(ann, room, "one")
    post(ann, room, "two")
    elsewhere = people.log_in(bob)
    expect(badge(elsewhere, room.pk)).to_contain_text("2")
    mark_page(elsewhere)

    reader = people.log_in(bob)
    open_room(reader, server, room)
    expect(badge(elsewhere, room.pk)).to_have_count(0)
    assert not_reloaded(elsewhere)

    # A new message counts again in the other tab; reading it there clears it here too.
    three = say(server, ann, room, "three")
    expect(shown_message(reader, "three")).to_be_visible()
    wait_until(reader, lambda: read_up_to(bob, room) == three)  # poll
    reader.goto(f"{server}/")  # the reader moves on: the next message stays unread
    wait_connected(reader)
    say(server, ann, room, "four")
    expect(badge(reader, room.pk)).to_contain_text("1")
    expect(badge(elsewhere, room.pk)).to_contain_text("1")
    open_room(elsewhere, server, room)
    expect(badge(reader, room.pk)).to_have_count(0)


# Grouping and avatars -----------------------------------------------------------------------


def test_one_senders_messages_are_grouped(people: People, server: str) -> None:
    """Consecutive messages of one sender within five minutes show one avatar, name and time;
    the later ones keep the name for screen readers only. Another sender, a longer pause or a
    system line starts a new group, and messages arriving live join the group."""
    ann, bob = make_account("ann", "Ann Archer"), make_account("bob", "Bob Baker")
    cat = make_account("cat", "Cat Cole")
    room = make_group(ann, "groups", bob)
    early = post(ann, room, "early")
    backdate(early, 20)
    post(ann, room, "later one")
    post(ann, room, "later two")
    post(bob, room, "bob says")
    post(ann, room, "ann again")
    add_member(ann, room, cat)
    post(ann, room, "after the line")
    mark_all_read(ann, room.pk)
    page = people.log_in(ann)
    open_room(page, server, room)

    heads = ["early", "later one", "bob says", "ann again", "after the line"]
    for text in heads:
        message = shown_message(page, text)
        assert not continued(message), text
        expect(message.locator(".msg-avatar")).to_be_visible()
        expect(message.locator(".msg-sender")).to_be_visible()
    grouped = shown_message(page, "later two")
    assert continued(grouped)
    expect(grouped.locator(".msg-avatar")).to_be_hidden()
    # The name is there for screen readers, not on screen.
    sender = grouped.locator(".msg-sender")
    expect(sender).to_have_text("Ann Archer")
    assert sender.evaluate("n => n.getBoundingClientRect().width") <= 1
    assert (
        shown_message(page, "later one")
        .locator(".msg-sender")
        .evaluate("n => n.getBoundingClientRect().width")
        > 10
    )

    send(page, "typed live")
    assert continued(shown_message(page, "typed live"))
    say(server, bob, room, "bob live")
    expect(shown_message(page, "bob live")).to_be_visible()
    assert not continued(shown_message(page, "bob live"))


def test_avatars_are_initials_on_a_colour_from_the_user_id(people: People, server: str) -> None:
    """Each person's avatar shows their initials on the colour their user id gives, the same
    by their messages and in the member list."""
    ann, bob = make_account("ann", "Ann Archer"), make_account("bob", "bob")
    room = make_group(ann, "faces", bob)
    post(bob, room, "hi")
    post(ann, room, "hello")
    page = people.log_in(ann)
    open_room(page, server, room)

    page.get_by_role("button", name="Room info").click()
    members = page.get_by_role("complementary", name="Room info").locator(".member")
    for user, initials, text in ((ann, "AA", "hello"), (bob, "B", "hi")):
        colour = re.compile(rf"\bavatar-c{avatar_colour(user.pk)}\b")
        in_message = shown_message(page, text).locator(".msg-avatar")
        expect(in_message).to_have_text(initials)
        expect(in_message).to_have_class(colour)
        expect(in_message).to_have_attribute("aria-hidden", "true")
        in_list = members.filter(has_text=f"@{user.username}").locator(".member-avatar")
        expect(in_list).to_have_text(initials)
        expect(in_list).to_have_class(colour)


# The service worker -------------------------------------------------------------------------

CACHED_URLS = """async () => {
  const found = [];
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    for (const request of await cache.keys()) {
      const response = await cache.match(request);
      found.push({ cache: name, url: request.url, type: response.headers.get("Content-Type") });
    }
  }
  return found;
}"""


def test_service_worker_caches_only_the_static_shell(people: People, server: str) -> None:
    """Once the service worker controls the app, pages, API calls, messages and keys go on
    working, and its caches hold only static files (CSS, JS modules, icons): no response from
    /api/ or /ws/ and no HTML page."""
    ann, bob = make_account("ann", "Ann Archer"), make_account("bob")
    room = make_group(ann, "cached", bob)
    post(bob, room, "private words")
    page = people.log_in(ann)
    manifest = page.evaluate(
        "fetch(document.querySelector('link[rel=manifest]').href).then(r => r.json())"
    )
    assert (manifest["start_url"], manifest["display"]) == ("/", "standalone")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    wait_until(page, lambda: page.evaluate("Boolean(navigator.serviceWorker.controller)"))  # poll

    # Under the worker: a room (history from /api/), a send, an API call, search, My Account.
    open_room(page, server, room)
    assert page.evaluate("Boolean(navigator.serviceWorker.controller)")
    expect(shown_message(page, "private words")).to_be_visible()
    send(page, "sent under the worker")
    rooms = page.evaluate("fetch('/api/rooms/').then(r => r.json())")
    assert rooms["rooms"][0]["name"] == "cached"
    page.goto(f"{server}/search/?q=private")
    expect(page.get_by_role("link", name=re.compile("private words"))).to_be_visible()
    page.goto(f"{server}/accounts/account/")
    open_room(page, server, room)
    expect(shown_messages(page)).to_have_count(2)

    entries = page.evaluate(CACHED_URLS)
    urls = [entry["url"] for entry in entries]
    assert any(url.endswith("/static/css/keyroom.css") for url in urls), urls
    assert any("/static/js/chat/" in url for url in urls), urls
    for entry in entries:
        path = entry["url"].removeprefix(server)
        assert re.match(r"^/static/(css|js|img|vendor)/[^?]+$", path), entry
        assert not (entry["type"] or "").startswith(("text/html", "application/json")), entry
