"""User flows of the chat UI in Chromium: two or three people, each in their own browser context,
against the live daphne server."""

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, WebSocketRoute, expect

from chat.models import Message, RoomKind
from tests.browser.helpers import (
    PHONE,
    People,
    composer,
    make_account,
    make_group,
    open_room,
    post,
    send,
    shown_message,
    shown_messages,
    shown_seqs,
    wait_connected,
    wait_room_ready,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def people(browser: Browser, server: str) -> Iterator[People]:
    """Open browser contexts per person; fail the test on any JavaScript or console error."""
    crowd = People(browser, server)
    yield crowd
    crowd.close()
    assert crowd.errors == []


def test_two_people_sign_up_make_a_group_and_chat_live(people: People, server: str) -> None:
    """The first sign-up is the admin; a private group made with "Create channel" carries
    messages both ways live, without a reload."""
    ann = people.sign_up("ann", "Ann Archer")
    expect(ann.get_by_role("status").filter(has_text="administrator")).to_be_visible()
    expect(ann.get_by_role("link", name="Admin")).to_be_visible()

    bob = people.sign_up("bob", "Bob Baker")
    expect(bob.get_by_role("link", name="Admin")).to_have_count(0)
    wait_connected(bob)

    ann.get_by_role("button", name="Create channel").click()
    dialog = ann.get_by_role("dialog", name="Create a private group")
    dialog.get_by_label("Name").fill("launch-plan")
    dialog.get_by_label("Topic").fill("Shipping on Friday")
    expect(dialog.get_by_role("switch", name="Private")).to_be_checked()
    dialog.get_by_role("combobox", name="Invite people").fill("bob")
    dialog.get_by_role("option", name=re.compile("Bob Baker")).click()
    expect(dialog.get_by_role("button", name="Remove Bob Baker")).to_be_visible()
    dialog.get_by_role("button", name="Create", exact=True).click()

    expect(ann).to_have_url(re.compile(r"/rooms/\d+/$"))
    expect(ann.get_by_role("heading", name="launch-plan", level=1)).to_be_visible()
    expect(ann.locator("#room-topic")).to_have_text("Shipping on Friday")
    wait_room_ready(ann)

    # Bob was added while looking at the home page: the room appears in his sidebar live.
    private_groups = bob.get_by_role("region", name="Private groups")
    private_groups.get_by_role("link", name="launch-plan").click()
    wait_room_ready(bob)

    send(ann, "Hello Bob, the plan is ready")
    expect(shown_message(bob, "Hello Bob, the plan is ready")).to_be_visible()
    expect(shown_message(bob, "Hello Bob, the plan is ready")).to_contain_text("Ann Archer")

    send(bob, "Great, reading it now")
    expect(shown_message(ann, "Great, reading it now")).to_be_visible()
    expect(shown_message(ann, "Great, reading it now")).to_contain_text("Bob Baker")
    assert Message.objects.filter(room__name="launch-plan").count() == 2


def test_sent_message_survives_a_reload(people: People, server: str) -> None:
    """What was sent is stored: a reload shows it again, in order."""
    ann = make_account("ann")
    room = make_group(ann, "notes")
    page = people.log_in(ann)
    open_room(page, server, room)
    send(page, "first thought")
    send(page, "second thought")

    page.reload()
    wait_room_ready(page)
    expect(shown_messages(page)).to_have_text([re.compile("first thought"), re.compile("second")])


def test_older_pages_load_when_scrolling_up(people: People, server: str) -> None:
    """The newest 50 messages load first; scrolling to the top loads older ones in place."""
    ann = make_account("ann")
    room = make_group(ann, "archive")
    for n in range(1, 61):
        post(ann, room, f"message number {n}")
    page = people.log_in(ann)
    open_room(page, server, room)

    expect(shown_message(page, "message number 60")).to_be_in_viewport()
    expect(shown_messages(page)).to_have_count(50)
    expect(shown_message(page, "message number 1")).to_have_count(0)

    scroller = page.locator("#message-scroller")
    scroller.evaluate("node => { node.scrollTop = 0; }")
    expect(shown_messages(page)).to_have_count(60)
    expect(page.get_by_text("This is the beginning of archive.")).to_be_attached()
    # The reader stays where they were instead of jumping to the very top of the new page.
    assert scroller.evaluate("node => node.scrollTop") > 0
    assert shown_seqs(page) == list(range(1, 61))


def test_an_edit_shows_up_live_for_the_other_person(people: People, server: str) -> None:
    """Editing your own message changes it for everyone in the room, marked "(edited)"."""
    ann, bob = make_account("ann"), make_account("bob")
    room = make_group(ann, "edits", bob)
    post(ann, room, "see you at 10")
    ann_page, bob_page = people.log_in(ann), people.log_in(bob)
    open_room(ann_page, server, room)
    open_room(bob_page, server, room)

    mine = shown_message(ann_page, "see you at 10")
    mine.hover()
    mine.get_by_role("button", name="Edit message").click()
    editor = ann_page.get_by_role("textbox", name="Edit message")
    expect(editor).to_be_focused()
    editor.fill("see you at 11")
    editor.press("Enter")

    expect(shown_message(bob_page, "see you at 11")).to_contain_text("(edited)")
    expect(shown_message(bob_page, "see you at 10")).to_have_count(0)
    expect(shown_message(ann_page, "see you at 11")).to_contain_text("(edited)")
    # Only the sender may edit: Bob gets no edit button on Ann's message.
    expect(bob_page.get_by_role("button", name="Edit message")).to_have_count(0)


def test_a_delete_shows_up_live_for_the_other_person(people: People, server: str) -> None:
    """Deleting (after confirming) leaves a "deleted" placeholder for everyone, text gone."""
    ann, bob = make_account("ann"), make_account("bob")
    room = make_group(ann, "deletes", bob)
    post(ann, room, "oops, wrong room")
    post(bob, room, "no worries")
    ann_page, bob_page = people.log_in(ann), people.log_in(bob)
    open_room(ann_page, server, room)
    open_room(bob_page, server, room)

    mine = shown_message(ann_page, "oops, wrong room")
    mine.focus()
    mine.get_by_role("button", name="Delete message").click()
    confirm = ann_page.get_by_role("dialog", name="Delete this message?")
    confirm.get_by_role("button", name="Delete").click()
    expect(confirm).to_be_hidden()

    expect(bob_page.get_by_text("oops, wrong room")).to_have_count(0)
    expect(shown_message(bob_page, "This message was deleted")).to_be_visible()
    expect(shown_message(bob_page, "no worries")).to_be_visible()
    expect(shown_message(ann_page, "This message was deleted")).to_be_visible()
    assert Message.objects.get(room=room, seq=1).body == ""


def test_a_delete_can_be_cancelled(people: People, server: str) -> None:
    """Cancelling the confirmation keeps the message."""
    ann = make_account("ann")
    room = make_group(ann, "keep")
    post(ann, room, "keep me")
    page = people.log_in(ann)
    open_room(page, server, room)

    mine = shown_message(page, "keep me")
    mine.hover()
    mine.get_by_role("button", name="Delete message").click()
    page.get_by_role("dialog", name="Delete this message?").get_by_role(
        "button", name="Cancel"
    ).click()
    expect(shown_message(page, "keep me")).to_be_visible()
    assert not Message.objects.get(room=room).deleted


def test_a_non_member_cannot_open_a_private_room(people: People, server: str) -> None:
    """Someone outside a private group gets the plain 404 page and none of its content."""
    ann, carol = make_account("ann"), make_account("carol")
    room = make_group(ann, "secret-plans")
    post(ann, room, "the password is swordfish")
    people.allow_console_error("status of 404")
    page = people.log_in(carol)

    response = page.goto(f"{server}/rooms/{room.pk}/")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    content = page.content()
    assert "secret-plans" not in content
    assert "swordfish" not in content
    api = page.request.get(f"{server}/api/rooms/{room.pk}/messages/")
    assert api.status == 404
    assert "swordfish" not in api.text()


def test_search_result_opens_the_room_at_the_message(people: People, server: str) -> None:
    """A search hit links into its room, which loads back to that message and highlights it."""
    ann = make_account("ann")
    room = make_group(ann, "long-history")
    for n in range(1, 121):
        post(ann, room, "the zebra crossing plan" if n == 7 else f"filler {n}")
    page = people.log_in(ann)

    search = page.get_by_role("searchbox", name="Search messages").first
    search.fill("zebra")
    search.press("Enter")
    expect(page).to_have_url(re.compile(r"/search/\?q=zebra"))
    note = "Messages in end-to-end encrypted rooms are not included in server search."
    expect(page.get_by_text(note)).to_be_visible()
    result = page.get_by_role("link", name=re.compile("zebra crossing"))
    expect(result).to_have_count(1)
    expect(result).to_contain_text("long-history")
    result.click()

    expect(page).to_have_url(re.compile(rf"/rooms/{room.pk}/\?m=7$"))
    target = page.locator("#msg-7")
    expect(target).to_have_class(re.compile("msg-highlight"))
    expect(target).to_contain_text("the zebra crossing plan")
    expect(target).to_be_in_viewport()


def test_search_says_when_nothing_matches(people: People, server: str) -> None:
    """A search without hits shows an empty state, not a blank page."""
    ann = make_account("ann")
    page = people.log_in(ann)
    page.goto(f"{server}/search/?q=nothing-like-this")
    expect(page.get_by_role("heading", name="No messages found")).to_be_visible()


def test_an_overlong_message_is_refused_and_the_text_kept(people: People, server: str) -> None:
    """Past the limit, sending shows the reason, stores nothing and leaves the text to fix."""
    ann = make_account("ann")
    room = make_group(ann, "limits")
    page = people.log_in(ann)
    open_room(page, server, room)
    limit = page.evaluate("JSON.parse(document.getElementById('keyroom-config').textContent)")[
        "message_max_chars"
    ]
    text = "x" * (limit + 1)

    box = composer(page)
    box.fill(text)
    expect(page.locator("#composer-counter")).to_have_text(f"1 character over the limit of {limit}")
    box.press("Enter")
    expect(page.locator("#composer-error")).to_contain_text(f"at most {limit} characters")
    expect(box).to_have_value(text)

    # A message sent after it goes through; the long one never reached the server.
    box.fill("short and sweet")
    box.press("Enter")
    expect(shown_message(page, "short and sweet")).to_be_visible()
    assert list(Message.objects.filter(room=room).values_list("body", flat=True)) == [
        "short and sweet"
    ]


def test_messages_missed_while_disconnected_appear_after_reconnect(
    people: People, server: str
) -> None:
    """Events lost while the socket was down are fetched on reconnect, without a reload."""
    ann, bob = make_account("ann"), make_account("bob")
    room = make_group(ann, "flaky", bob)
    ann_page, bob_page = people.log_in(ann), people.log_in(bob)

    # Put Ann's socket behind a switch: while "cut", server events never reach her page.
    sockets: list[tuple[WebSocketRoute, WebSocketRoute]] = []
    cut = {"on": False}

    def route(ws: WebSocketRoute) -> None:
        upstream = ws.connect_to_server()
        upstream.on_message(lambda message: None if cut["on"] else ws.send(message))
        sockets.append((ws, upstream))

    ann_page.route_web_socket(re.compile(r"/ws/$"), route)
    open_room(ann_page, server, room)
    open_room(bob_page, server, room)
    send(bob_page, "before the outage")
    expect(shown_message(ann_page, "before the outage")).to_be_visible()

    cut["on"] = True
    send(bob_page, "during the outage")
    send(bob_page, "still during the outage")
    expect(shown_message(ann_page, "during the outage")).to_have_count(0)

    cut["on"] = False
    page_side, server_side = sockets[-1]
    server_side.close()
    page_side.close()  # the connection drops; the page reconnects on its own
    expect(shown_message(ann_page, "during the outage")).to_be_visible()
    expect(shown_message(ann_page, "still during the outage")).to_be_visible()
    assert len(sockets) >= 2
    seqs = shown_seqs(ann_page)
    assert seqs == sorted(seqs)

    # And live delivery works again on the new connection.
    send(bob_page, "after the outage")
    expect(shown_message(ann_page, "after the outage")).to_be_visible()


def test_a_lost_event_is_noticed_at_the_next_one(people: People, server: str) -> None:
    """If the event stream skips a change (the channel layer dropped it), the next event shows
    the gap and the page fetches what it missed, without reconnecting."""
    ann, bob = make_account("ann"), make_account("bob")
    room = make_group(ann, "lossy", bob)
    ann_page, bob_page = people.log_in(ann), people.log_in(bob)
    sockets: list[WebSocketRoute] = []
    cut = {"on": False}

    def route(ws: WebSocketRoute) -> None:
        upstream = ws.connect_to_server()
        upstream.on_message(lambda message: None if cut["on"] else ws.send(message))
        sockets.append(ws)

    ann_page.route_web_socket(re.compile(r"/ws/$"), route)
    open_room(ann_page, server, room)
    open_room(bob_page, server, room)

    cut["on"] = True
    send(bob_page, "lost in transit")
    cut["on"] = False
    send(bob_page, "arrives fine")

    expect(shown_messages(ann_page)).to_have_text(
        [re.compile("lost in transit"), re.compile("arrives fine")]
    )
    assert len(sockets) == 1


def test_a_message_written_offline_is_kept_and_sent_on_reconnect(
    people: People, server: str
) -> None:
    """With no connection, a sent message stays on screen as "Will send when reconnected", and
    it goes out exactly once when the connection is back."""
    ann, bob = make_account("ann"), make_account("bob")
    room = make_group(ann, "commute", bob)
    ann_page, bob_page = people.log_in(ann), people.log_in(bob)
    people.allow_console_error("ERR_INTERNET_DISCONNECTED")
    sockets: list[WebSocketRoute] = []
    down = {"on": False}

    def route(ws: WebSocketRoute) -> None:
        sockets.append(ws)
        if not down["on"]:
            ws.connect_to_server()  # else: a socket that never answers, like a dead network

    ann_page.route_web_socket(re.compile(r"/ws/$"), route)
    open_room(ann_page, server, room)
    open_room(bob_page, server, room)

    down["on"] = True
    ann_page.context.set_offline(True)
    sockets[-1].close()
    expect(ann_page.locator("html")).not_to_have_attribute("data-connection", "open")
    composer(ann_page).fill("written on the train")
    composer(ann_page).press("Enter")
    unsent = ann_page.locator("#message-list > li.msg-queued")
    expect(unsent).to_contain_text("written on the train")
    expect(unsent).to_contain_text("Will send when reconnected")
    expect(unsent).not_to_contain_text("Not sent")
    assert not Message.objects.filter(room=room).exists()

    down["on"] = False
    ann_page.context.set_offline(False)
    sockets[-1].close()
    expect(shown_message(ann_page, "written on the train")).to_be_visible()
    expect(unsent).to_have_count(0)
    expect(shown_message(bob_page, "written on the train")).to_be_visible()
    assert Message.objects.filter(room=room).count() == 1


def test_unread_counts_rise_live_in_the_sidebar(people: People, server: str) -> None:
    """A message in a room you are not looking at shows as an unread count on that room."""
    ann, bob = make_account("ann"), make_account("bob")
    room = make_group(ann, "busy-room", bob)
    ann_page, bob_page = people.log_in(ann), people.log_in(bob)
    wait_connected(bob_page)
    open_room(ann_page, server, room)

    send(ann_page, "one")
    send(ann_page, "two")
    link = bob_page.get_by_role("link", name=re.compile("busy-room"))
    expect(link).to_have_accessible_name("busy-room 2 unread")

    link.click()
    wait_room_ready(bob_page)
    expect(bob_page.get_by_role("link", name=re.compile("busy-room"))).to_have_accessible_name(
        "busy-room"
    )


def test_a_public_channel_is_read_only_until_joined(people: People, server: str) -> None:
    """A public channel you have not joined can be read; "Join channel" lets you post."""
    ann, bob = make_account("ann"), make_account("bob")
    room = make_group(ann, "town-square", kind=RoomKind.CHANNEL)
    post(ann, room, "welcome everyone")
    page = people.log_in(bob)
    page.get_by_role("navigation", name="Workspace").get_by_role(
        "link", name="Browse channels"
    ).click()
    page.get_by_role("link", name="town-square", exact=True).click()
    wait_room_ready(page)

    expect(shown_message(page, "welcome everyone")).to_be_visible()
    expect(composer(page)).to_be_hidden()
    page.get_by_role("button", name="Join channel").click()
    expect(composer(page)).to_be_visible()
    send(page, "glad to be here")
    expect(page.get_by_role("region", name="Channels").get_by_role("link")).to_have_text(
        ["town-square"]
    )


def test_create_channel_dialog_is_modal_and_closes_on_escape(people: People, server: str) -> None:
    """The dialog takes focus, shows server errors inline, and Escape closes it."""
    ann = make_account("ann")
    make_group(ann, "taken-name")
    people.allow_console_error("status of 400")  # the refused create request
    page = people.log_in(ann)
    opener = page.get_by_role("button", name="Create channel")
    opener.click()
    dialog = page.get_by_role("dialog", name="Create a private group")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Name")).to_be_focused()

    dialog.get_by_label("Name").fill("taken-name")
    dialog.get_by_role("button", name="Create", exact=True).click()
    expect(dialog.get_by_text("already exists")).to_be_visible()
    expect(dialog.get_by_label("Name")).to_have_attribute("aria-invalid", "true")

    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(opener).to_be_focused()


def test_icon_buttons_have_names_on_a_phone(people: People, server: str) -> None:
    """At 360 px the sidebar hides behind "Menu"; icon-only buttons are named for screen
    readers, and the room info panel opens and closes."""
    ann, bob = make_account("ann"), make_account("bob")
    room = make_group(ann, "pocket", bob)
    page = people.log_in(ann, viewport=PHONE)
    open_room(page, server, room)

    expect(page.get_by_role("button", name="Create channel")).to_be_hidden()
    page.get_by_role("button", name="Menu").click()
    expect(page.get_by_role("button", name="Create channel")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("button", name="Create channel")).to_be_hidden()

    page.get_by_role("button", name="Room info").click()
    panel = page.get_by_role("complementary", name="Room info")
    expect(panel).to_be_visible()
    expect(panel.get_by_role("listitem")).to_have_count(2)
    expect(panel.get_by_role("button", name="Remove bob")).to_be_visible()
    panel.get_by_role("button", name="Close room info").click()
    expect(panel).to_be_hidden()
    expect(page.get_by_role("button", name="Send")).to_be_visible()


def test_owner_adds_and_removes_people_in_room_info(people: People, server: str) -> None:
    """The owner adds someone through the panel's people picker; the list updates live."""
    ann, bob = make_account("ann"), make_account("bob")
    make_account("carol", "Carol C")
    room = make_group(ann, "crew", bob)
    ann_page, bob_page = people.log_in(ann), people.log_in(bob)
    open_room(ann_page, server, room)
    open_room(bob_page, server, room)

    ann_page.get_by_role("button", name="Room info").click()
    ann_page.get_by_role("button", name="Add people").click()
    dialog = ann_page.get_by_role("dialog", name="Add people")
    dialog.get_by_role("combobox", name="People to add").fill("car")
    dialog.get_by_role("option", name=re.compile("Carol C")).click()
    dialog.get_by_role("button", name="Add", exact=True).click()
    expect(dialog).to_be_hidden()

    bob_page.get_by_role("button", name="Room info").click()
    bob_members = bob_page.get_by_role("complementary", name="Room info").get_by_role("listitem")
    expect(bob_members.filter(has_text="Carol C")).to_have_count(1)
    expect(shown_message(bob_page, "ann added Carol C")).to_be_visible()

    ann_panel = ann_page.get_by_role("complementary", name="Room info")
    ann_panel.get_by_role("button", name="Remove Carol C").click()
    ann_page.get_by_role("dialog", name="Remove Carol C?").get_by_role(
        "button", name="Remove"
    ).click()
    expect(bob_members.filter(has_text="Carol C")).to_have_count(0)
    assert sorted(room.memberships.values_list("user__username", flat=True)) == ["ann", "bob"]


def test_direct_message_from_the_new_dm_dialog(people: People, server: str) -> None:
    """Picking a person in "New direct message" opens a DM titled with their name."""
    ann, _bob = make_account("ann"), make_account("bob", "Bob Baker")
    page = people.log_in(ann)
    page.get_by_role("navigation", name="Workspace").get_by_role(
        "button", name="New direct message"
    ).click()
    dialog = page.get_by_role("dialog", name="New direct message")
    expect(dialog.get_by_role("combobox", name="Person")).to_be_focused()
    dialog.get_by_role("combobox", name="Person").fill("bob")
    dialog.get_by_role("option", name=re.compile("Bob Baker")).click()

    expect(page).to_have_url(re.compile(r"/rooms/\d+/$"))
    expect(page.get_by_role("heading", name="Bob Baker", level=1)).to_be_visible()
    dms = page.get_by_role("region", name="Direct messages")
    expect(dms.get_by_role("link")).to_have_text(["Bob Baker"])
    wait_room_ready(page)
    send(page, "hi Bob")
