"""Encrypted rooms in Chromium: creating and converting groups and DMs, talking with key icons,
history, search, a Python member on the same protocol, and members queued for keys. Each
person is a browser context; E2E is switched on before they log in, so every browser makes its
keys on its first page."""

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import WebSocketRoute, expect

from accounts.models import User
from chat.models import Message, Room
from e2e import crypto
from e2e.models import KeyEnvelope, RoomKey
from tests.browser.e2e_helpers import (
    assert_no_plaintext,
    configure_e2e,
    current_key_id,
    database_dump,
    expect_verified,
    key_icon,
    log_in_with_keys,
    mark_page,
    message_with,
    not_reloaded,
    open_room_page,
    python_member,
    room_settled,
    seed_encrypted,
    start_encrypted_group,
    start_group_in_ui,
    wait_e2e,
    wait_until,
)
from tests.browser.helpers import (
    People,
    make_account,
    make_group,
    mark_all_read,
    off_the_loop,
    password_for,
    post,
    send,
    shown_messages,
    wait_connected,
    wait_room_ready,
)
from tests.browser.live_server import live_daphne
from tests.e2e.member import shared_backup

pytestmark = pytest.mark.browser

# Every plaintext a test typed into an encrypted room; none may reach the server log.
SECRETS: list[str] = []


@pytest.fixture(scope="module")
def server_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This module's own server log (read whole by the no-plaintext checks)."""
    return tmp_path_factory.mktemp("server") / "daphne.log"


@pytest.fixture(scope="module")
def keyroom_server(django_db_setup: None, django_db_blocker, server_log: Path) -> Iterator[str]:
    """This module's own daphne, whose output (all levels) goes to ``server_log``."""
    yield from live_daphne(django_db_blocker, server_log)
    assert_no_plaintext(SECRETS, where="server log", haystack=server_log.read_text())


@pytest.fixture
def secrets() -> Iterator[list[str]]:
    """Texts typed into encrypted rooms: after the test, none may be in the database."""
    typed: list[str] = []
    yield typed
    SECRETS.extend(typed)
    assert_no_plaintext(typed, where="database", haystack=database_dump())


def say(page, text: str, secrets: list[str]) -> None:
    """Send ``text`` in the open (encrypted) room and wait until it is confirmed."""
    secrets.append(text)
    send(page, text)


def test_create_an_encrypted_group_and_talk(
    people: People, server: str, secrets: list[str]
) -> None:
    """A private group made with the Encrypted switch on carries messages both ways live,
    decrypted, with key icons by the senders' names, in the sidebar and in the header; the
    server stores only ciphertext."""
    ann, bob = make_account("ann", "Ann Archer"), make_account("bob", "Bob Baker")
    ann_page = log_in_with_keys(people, ann)
    bob_page = log_in_with_keys(people, bob)

    ann_page.get_by_role("button", name="Create channel").click()
    dialog = ann_page.get_by_role("dialog", name="Create a private group")
    dialog.get_by_label("Name").fill("vault")
    expect(dialog.get_by_role("switch", name="Encrypted")).to_be_checked()
    dialog.get_by_role("combobox", name="Invite people").fill("bob")
    dialog.get_by_role("option", name=re.compile("Bob Baker")).click()
    dialog.get_by_role("button", name="Create", exact=True).click()
    expect(ann_page).to_have_url(re.compile(r"/rooms/\d+/$"))
    wait_room_ready(ann_page)
    expect(ann_page.locator("#room-title").get_by_role("img", name="Encrypted")).to_be_visible()
    vault = Room.objects.get(name="vault")
    assert vault.encrypted

    groups = bob_page.get_by_role("region", name="Private groups")
    expect(
        groups.get_by_role("link", name="vault").get_by_role("img", name="Encrypted")
    ).to_be_visible()
    groups.get_by_role("link", name="vault").click()
    wait_room_ready(bob_page)

    say(ann_page, "the combination is 4-8-15", secrets)
    expect_verified(ann_page, "the combination is 4-8-15")
    expect_verified(bob_page, "the combination is 4-8-15")
    expect(message_with(bob_page, "the combination is 4-8-15")).to_contain_text("Ann Archer")
    say(bob_page, "noted, burning this note", secrets)
    expect_verified(ann_page, "noted, burning this note")

    rows = list(Message.objects.filter(room=vault, kind="text"))
    assert len(rows) == 2
    assert all(row.encrypted and row.body == "" and row.payload["ct"] for row in rows)
    assert set(
        KeyEnvelope.objects.filter(key__room=vault).values_list("recipient__username", flat=True)
    ) == {
        "ann",
        "bob",
    }


def test_public_channels_cannot_be_encrypted(people: People, server: str) -> None:
    """With "Private" off the Encrypted switch is off and disabled, and the dialog says why."""
    page = log_in_with_keys(people, make_account("ann"))
    page.get_by_role("button", name="Create channel").click()
    dialog = page.get_by_role("dialog", name=re.compile("^Create a (private group|channel)$"))
    encrypted = dialog.get_by_role("switch", name="Encrypted")
    expect(encrypted).to_be_checked()
    dialog.get_by_role("switch", name="Private").uncheck()
    expect(encrypted).to_be_disabled()
    expect(encrypted).not_to_be_checked()
    expect(dialog).to_contain_text(
        "Public channels cannot be encrypted: anyone can join and read them."
    )
    dialog.get_by_role("switch", name="Private").check()
    expect(encrypted).to_be_enabled()
    expect(encrypted).to_be_checked()


def test_the_create_switch_follows_the_admin_default(people: People, server: str) -> None:
    """The Encrypted switch starts off when the administrator's default for groups is off, and
    a group made that way is a plaintext one."""
    configure_e2e(groups=False)
    page = log_in_with_keys(people, make_account("ann"))
    page.get_by_role("button", name="Create channel").click()
    dialog = page.get_by_role("dialog", name="Create a private group")
    expect(dialog.get_by_role("switch", name="Encrypted")).not_to_be_checked()
    dialog.get_by_label("Name").fill("open-notes")
    dialog.get_by_role("button", name="Create", exact=True).click()
    wait_room_ready(page)
    assert Room.objects.get(name="open-notes").encrypted is False
    expect(page.locator("#room-title").get_by_role("img", name="Encrypted")).to_be_hidden()


def test_edits_are_encrypted_and_show_live(people: People, server: str, secrets: list[str]) -> None:
    """Editing an encrypted message re-encrypts it; the other member sees the new text,
    verified and marked "(edited)"."""
    ann, bob = make_account("ann"), make_account("bob")
    ann_page, bob_page = log_in_with_keys(people, ann), log_in_with_keys(people, bob)
    room_id = start_group_in_ui(ann_page, "plans", ["bob"])
    open_room_page(bob_page, server, room_id)
    say(ann_page, "meet at noon", secrets)
    expect_verified(bob_page, "meet at noon")

    mine = message_with(ann_page, "meet at noon")
    mine.hover()
    mine.get_by_role("button", name="Edit message").click()
    editor = ann_page.get_by_role("textbox", name="Edit message")
    expect(editor).to_have_value("meet at noon")
    secrets.append("meet at one instead")
    editor.fill("meet at one instead")
    editor.press("Enter")

    expect_verified(bob_page, "meet at one instead")
    expect(message_with(bob_page, "meet at one instead")).to_contain_text("(edited)")
    expect(message_with(bob_page, "meet at noon")).to_have_count(0)
    row = Message.objects.get(room_id=room_id, kind="text")
    assert row.body == "" and row.payload and row.edited_at


def turn_on_encryption(page) -> None:
    """Room info -> Edit -> Encrypted on -> Save -> confirm."""
    page.get_by_role("button", name="Room info").click()
    page.get_by_role("button", name="Edit", exact=True).click()
    switch = page.get_by_role("switch", name="Encrypted")
    expect(switch).not_to_be_checked()
    switch.check()
    page.locator("#room-edit-form").get_by_role("button", name="Save").click()
    confirm = page.get_by_role("dialog", name="Turn on end-to-end encryption?")
    confirm.get_by_role("button", name="Turn on encryption").click()
    expect(page.locator("#room-edit-form")).to_be_hidden()


def test_owner_converts_a_group_from_room_info(
    people: People, server: str, secrets: list[str]
) -> None:
    """The owner turns on encryption in room info -> Edit: the system line appears, earlier
    messages stay shown without the key icon, later ones carry it, and the switch then stays on,
    disabled, with the reason."""
    ann, bob = make_account("ann", "Ann Archer"), make_account("bob", "Bob Baker")
    room = make_group(ann, "team", bob)
    post(ann, room, "this was said in the clear")
    ann_page, bob_page = log_in_with_keys(people, ann), log_in_with_keys(people, bob)
    open_room_page(ann_page, server, room.pk)
    open_room_page(bob_page, server, room.pk)
    mark_page(bob_page)

    turn_on_encryption(ann_page)
    line = "Ann Archer turned on end-to-end encryption"
    expect(ann_page.locator(".msg-system").filter(has_text=line)).to_be_visible()
    expect(bob_page.locator(".msg-system").filter(has_text=line)).to_be_visible()
    expect(bob_page.locator("#room-title").get_by_role("img", name="Encrypted")).to_be_visible()

    say(bob_page, "now only we can read this", secrets)
    expect_verified(ann_page, "now only we can read this")
    before = message_with(ann_page, "this was said in the clear")
    expect(before).to_be_visible()
    expect(key_icon(before)).to_have_count(0)
    assert not_reloaded(bob_page)

    ann_page.get_by_role("button", name="Edit", exact=True).click()
    switch = ann_page.get_by_role("switch", name="Encrypted")
    expect(switch).to_be_checked()
    expect(switch).to_be_disabled()
    expect(ann_page.locator("#room-edit-form")).to_contain_text("Encryption cannot be turned off.")


@off_the_loop
def open_dm(user: User, other: User) -> Room:
    from chat import actions

    room, _ = actions.do_open_dm(user, other=other)
    return room


def test_owner_converts_a_dm_from_room_info(
    people: People, server: str, secrets: list[str]
) -> None:
    """The DM's owner turns on encryption from room info -> Edit; both then talk encrypted."""
    ann, bob = make_account("ann", "Ann Archer"), make_account("bob", "Bob Baker")
    dm = open_dm(ann, bob)
    post(bob, dm, "hi before the switch")
    ann_page, bob_page = log_in_with_keys(people, ann), log_in_with_keys(people, bob)
    open_room_page(ann_page, server, dm.pk)
    open_room_page(bob_page, server, dm.pk)

    turn_on_encryption(ann_page)
    line = "Ann Archer turned on end-to-end encryption"
    expect(bob_page.locator(".msg-system").filter(has_text=line)).to_be_visible()
    say(ann_page, "a private word", secrets)
    expect_verified(bob_page, "a private word")
    expect(key_icon(message_with(bob_page, "hi before the switch"))).to_have_count(0)
    assert Room.objects.get(pk=dm.pk).encrypted


def test_non_owners_cannot_convert(people: People, server: str) -> None:
    """A member who is not the owner sees no Edit and no Encrypted switch, and the server
    refuses their direct request with 403."""
    ann, bob = make_account("ann"), make_account("bob")
    room = make_group(ann, "team", bob)
    bob_page = log_in_with_keys(people, bob)
    open_room_page(bob_page, server, room.pk)
    bob_page.get_by_role("button", name="Room info").click()
    expect(bob_page.locator("#room-info-name")).to_have_text("team")
    expect(bob_page.get_by_role("button", name="Edit", exact=True)).to_be_hidden()
    expect(bob_page.get_by_role("switch", name="Encrypted")).to_be_hidden()

    people.allow_console_error(r"status of 403")
    status = bob_page.evaluate(
        """async (roomId) => {
            const token = document.getElementById("e2e-config").dataset.csrfToken;
            const response = await fetch(`/api/e2e/rooms/${roomId}/encrypt/`, {
                method: "POST",
                headers: {"Content-Type": "application/json", "X-CSRFToken": token},
                // Fits the declared schema (a body that does not is refused with 400 before
                // any access check): the refusal comes from the owner check.
                body: JSON.stringify({entries: [{}], envelopes: []}),
            });
            return response.status;
        }""",
        room.pk,
    )
    assert status == 403
    assert Room.objects.get(pk=room.pk).encrypted is False


def test_server_search_leaves_out_encrypted_messages(
    people: People, server: str, secrets: list[str]
) -> None:
    """Server search finds a plaintext message but not an encrypted one with the same word;
    that one comes from this device's own index, marked as such (test_e2e_search.py)."""
    ann, bob = make_account("ann"), make_account("bob")
    plain = make_group(ann, "open", bob)
    post(ann, plain, "the pelican plan in the clear")
    ann_page = log_in_with_keys(people, ann)
    log_in_with_keys(people, bob)
    room_id = start_group_in_ui(ann_page, "secret", ["bob"])
    say(ann_page, "the pelican plan, encrypted", secrets)
    assert Message.objects.filter(room_id=room_id, kind="text").count() == 1
    expect(ann_page.locator("html")).to_have_attribute("data-search-index-pending", "false")

    ann_page.get_by_role("searchbox", name="Search messages").fill("pelican")
    ann_page.get_by_role("searchbox", name="Search messages").press("Enter")
    expect(ann_page.get_by_role("heading", name=re.compile("2 results"))).to_be_visible()
    from_server = ann_page.locator('.search-result[data-source="server"]')
    expect(from_server).to_have_count(1)
    expect(from_server).to_contain_text("the pelican plan in the clear")
    from_device = ann_page.locator('.search-result[data-source="device"]')
    expect(from_device).to_contain_text("the pelican plan, encrypted")
    expect(from_device).to_contain_text("On this device")
    expect(
        ann_page.get_by_text("The server cannot read encrypted rooms.", exact=False)
    ).to_be_visible()


def test_history_is_decrypted_after_a_reload_and_on_older_pages(
    people: People, server: str, secrets: list[str]
) -> None:
    """Opening (and reloading) an encrypted room shows its history decrypted and verified, the
    newest page first and older pages when scrolling up."""
    ann, pym = make_account("ann"), make_account("pym", "Py Member")
    page = log_in_with_keys(people, ann)
    member = python_member(server, pym)
    room_id = start_encrypted_group(member, "archive", [ann.pk])
    texts = [f"old secret number {n}" for n in range(1, 61)]
    secrets.extend(texts)
    seed_encrypted(member, pym, room_id, texts)
    # Read already (elsewhere): with unread messages the room would open at the first of them
    # (test_chat_reading.py), loading older pages up to it.
    mark_all_read(ann, room_id)

    open_room_page(page, server, room_id)
    room_settled(page)
    expect(shown_messages(page)).to_have_count(50)
    expect_verified(page, "old secret number 60")
    expect(page.locator("#message-list")).to_have_attribute("data-decrypted-count", "50")
    page.locator("#message-scroller").evaluate("node => { node.scrollTop = 0; }")
    expect(shown_messages(page)).to_have_count(60)
    expect_verified(page, "old secret number 1")
    room_settled(page)

    say(page, "written after the history", secrets)
    page.reload()
    wait_room_ready(page)
    room_settled(page)
    expect_verified(page, "written after the history")
    expect_verified(page, "old secret number 59")
    expect(page.locator("#message-list [data-e2e]:not([data-e2e='verified'])")).to_have_count(0)


def test_a_python_member_reads_and_writes_with_the_browser(
    people: People, server: str, secrets: list[str]
) -> None:
    """The Python member (same protocol) decrypts and verifies what the browser sent, and what
    it sends shows in the browser live with the key icon."""
    ann, pym = make_account("ann", "Ann Archer"), make_account("pym", "Py Member")
    page = log_in_with_keys(people, ann)
    member = python_member(server, pym)
    room_id = start_group_in_ui(page, "bridge", ["pym"])
    say(page, "hello from Chromium", secrets)

    member.fetch_keys(room_id)
    status, body = member.call("GET", f"/api/rooms/{room_id}/messages/", None)
    assert status == 200, body
    (sent,) = [m for m in body["messages"] if m["kind"] == "text"]
    assert sent["sender"]["id"] == ann.pk
    assert member.decrypt(sent) == "hello from Chromium"

    secrets.append("hello from Python")
    member.send(room_id, current_key_id(room_id), "hello from Python")
    expect_verified(page, "hello from Python")
    expect(message_with(page, "hello from Python")).to_contain_text("Py Member")


def test_a_queued_member_gets_the_key_when_setting_up_keys(
    people: People, server: str, secrets: list[str]
) -> None:
    """A member added before they had keys gets the room key from a member whose page is open
    as soon as their browser makes keys, and reads the history: no reload on either side."""
    ann, bob = make_account("ann", "Ann Archer"), make_account("bob", "Bob Baker")
    carol = make_account("carol", "Carol Cole")
    ann_page = log_in_with_keys(people, ann)
    log_in_with_keys(people, bob)
    room_id = start_group_in_ui(ann_page, "queue", ["bob", "carol"])
    say(ann_page, "written before Carol had keys", secrets)
    mark_page(ann_page)
    assert not KeyEnvelope.objects.filter(recipient=carol).exists()

    # Carol's first page is the room itself: her browser makes her keys there.
    carol_page = people.new_page()
    carol_page.goto(f"{server}/accounts/login/?next=/rooms/{room_id}/")
    carol_page.get_by_label("Username").fill("carol")
    carol_page.get_by_label("Password").fill(password_for("carol"))
    carol_page.get_by_role("button", name="Log in").click()
    expect(carol_page).to_have_url(f"{server}/rooms/{room_id}/")
    mark_page(carol_page)

    expect_verified(carol_page, "written before Carol had keys")
    assert not_reloaded(carol_page) and not_reloaded(ann_page)
    assert KeyEnvelope.objects.filter(recipient=carol, key__room_id=room_id).exists()
    say(carol_page, "thanks, I can read it", secrets)
    expect_verified(ann_page, "thanks, I can read it")


def test_waiting_for_the_key_resolves_when_a_holder_comes_online(
    people: People, server: str, secrets: list[str]
) -> None:
    """With no key holder online a queued member sees "Waiting for a member to come online to
    share the key"; when a holder opens the room, the key is shared and the message shows,
    without a reload."""
    ann, carol = make_account("ann", "Ann Archer"), make_account("carol", "Carol Cole")
    ann_page = log_in_with_keys(people, ann)
    room_id = start_group_in_ui(ann_page, "later", ["carol"])
    say(ann_page, "read me when you can", secrets)
    ann_page.goto("about:blank")  # Ann goes offline (her keys stay on her device)

    carol_page = log_in_with_keys(people, carol)
    open_room_page(carol_page, server, room_id)
    waiting = message_with(carol_page, "Waiting for a member to come online to share the key")
    expect(waiting).to_be_visible()
    expect(key_icon(waiting)).to_have_count(0)
    mark_page(carol_page)

    open_room_page(ann_page, server, room_id)
    expect_verified(carol_page, "read me when you can")
    assert not_reloaded(carol_page)


@pytest.mark.parametrize("holder_path", ["/", "/accounts/account/encryption/"])
def test_a_holder_on_any_page_shares_the_key_when_a_newcomer_sets_up_keys(
    people: People, server: str, secrets: list[str], holder_path: str
) -> None:
    """An online, unlocked key holder whose page shows something else (the home page, or My
    Account) seals the room key to a member who just set up keys, pushed by the server's
    "key needed" event: the holder never opens the room."""
    ann, carol = make_account("ann", "Ann Archer"), make_account("carol", "Carol Cole")
    ann_page = log_in_with_keys(people, ann)
    room_id = start_group_in_ui(ann_page, "elsewhere", ["carol"])
    say(ann_page, "shared while I was elsewhere", secrets)
    ann_page.goto(f"{server}{holder_path}")
    wait_connected(ann_page)
    wait_e2e(ann_page, "unlocked")

    carol_page = log_in_with_keys(people, carol, next_path=f"/rooms/{room_id}/")
    expect_verified(carol_page, "shared while I was elsewhere")
    assert ann_page.url == f"{server}{holder_path}"


def test_database_and_server_log_hold_no_plaintext(
    people: People, server: str, server_log: Path, secrets: list[str]
) -> None:
    """After creating, talking, editing and converting, neither a dump of the whole database
    nor the server's log contains any text typed into an encrypted room (while a plaintext
    room's text is in the dump, so the check can see text)."""
    ann, bob = make_account("ann"), make_account("bob")
    ann_page, bob_page = log_in_with_keys(people, ann), log_in_with_keys(people, bob)
    room_id = start_group_in_ui(ann_page, "leakcheck", ["bob"])
    open_room_page(bob_page, server, room_id)
    say(ann_page, "zebra-quartz-7731 is the passphrase", secrets)
    say(bob_page, "violet-marmot-2208 confirmed", secrets)
    expect_verified(ann_page, "violet-marmot-2208 confirmed")

    team = make_group(ann, "plainroom", bob)
    post(ann, team, "plaintext-canary-5150")
    open_room_page(ann_page, server, team.pk)
    turn_on_encryption(ann_page)
    say(ann_page, "orchid-falcon-9090 after conversion", secrets)
    expect_verified(ann_page, "orchid-falcon-9090 after conversion")

    dump = database_dump()
    assert "plaintext-canary-5150" in dump
    assert_no_plaintext(secrets, where="database", haystack=dump)
    log = server_log.read_text()
    assert "/api/e2e/rooms/" in log  # the log is there and records requests
    assert_no_plaintext(secrets, where="server log", haystack=log)


def test_after_a_member_is_removed_the_next_message_rotates_the_key(
    people: People, server: str, secrets: list[str]
) -> None:
    """Removing a member makes the next sender's browser rotate the key (sealed to the members
    left) before sending; the others read on, the removed member gets no new key."""
    ann, bob = make_account("ann", "Ann Archer"), make_account("bob", "Bob Baker")
    carol = make_account("carol", "Carol Cole")
    ann_page, bob_page = log_in_with_keys(people, ann), log_in_with_keys(people, bob)
    log_in_with_keys(people, carol)
    room_id = start_group_in_ui(ann_page, "shrinking", ["bob", "carol"])
    open_room_page(bob_page, server, room_id)
    say(ann_page, "all three of us", secrets)
    expect_verified(bob_page, "all three of us")

    # Ann's browser rotates right after the removal while Bob's send may rotate too: the
    # loser's 409 already_rotated is the designed outcome (Chromium logs it).
    people.allow_console_error(r"status of 409 \(Conflict\)")
    ann_page.get_by_role("button", name="Room info").click()
    ann_page.get_by_role("button", name="Remove Carol Cole").click()
    ann_page.get_by_role("dialog", name="Remove Carol Cole?").get_by_role(
        "button", name="Remove"
    ).click()
    expect(bob_page.locator(".msg-system").filter(has_text="removed Carol Cole")).to_be_visible()

    say(bob_page, "just the two of us now", secrets)
    expect_verified(ann_page, "just the two of us now")
    expect_verified(ann_page, "all three of us")
    keys = list(RoomKey.objects.filter(room_id=room_id).order_by("epoch"))
    assert [k.epoch for k in keys] == [1, 2]
    assert set(keys[1].envelopes.values_list("recipient__username", flat=True)) == {"ann", "bob"}


def test_a_message_goes_over_http_while_the_socket_is_down(
    people: People, server: str, secrets: list[str]
) -> None:
    """With the socket down, an encrypted message goes through the HTTP endpoint, still as
    ciphertext, and shows decrypted with its key icon."""
    ann, bob = make_account("ann"), make_account("bob")
    ann_page = log_in_with_keys(people, ann)
    log_in_with_keys(people, bob)
    room_id = start_group_in_ui(ann_page, "offline-ish", ["bob"])
    cut = {"on": False}

    def route(ws: WebSocketRoute) -> None:
        if cut["on"]:
            ws.close()  # the server is unreachable: every reconnect fails at once
            return
        ws.connect_to_server()

    ann_page.route_web_socket(re.compile(r"/ws/$"), route)
    open_room_page(ann_page, server, room_id)
    posts: list[str] = []
    ann_page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    cut["on"] = True
    ann_page.evaluate("() => window.dispatchEvent(new Event('offline'))")  # drops the socket
    expect(ann_page.locator("html")).not_to_have_attribute("data-connection", "open")

    say(ann_page, "sent the slow way", secrets)
    expect_verified(ann_page, "sent the slow way")
    assert any(re.search(rf"/api/e2e/rooms/{room_id}/messages/$", url) for url in posts), posts
    row = Message.objects.get(room_id=room_id, kind="text")
    assert row.body == "" and row.payload


def test_a_key_rotated_while_the_socket_was_down_is_fetched_on_reconnect(
    people: People, server: str, secrets: list[str]
) -> None:
    """A member whose socket was down while the key was rotated (their e2e.envelope and
    e2e.key_rotated were lost) fetches the room's keys again once it reconnects (the
    onConnected extension point), and reads what was sent under the new key."""
    ann, bob = make_account("ann", "Ann Archer"), make_account("bob", "Bob Baker")
    python_member(server, make_account("pym", "Py Member"))
    ann_page = log_in_with_keys(people, ann)
    bob_page = log_in_with_keys(people, bob)
    room_id = start_group_in_ui(ann_page, "rotated-offline", ["bob", "pym"])
    cut = {"on": False}

    def route(ws: WebSocketRoute) -> None:
        if cut["on"]:
            ws.close()  # the server is unreachable: every reconnect fails at once
            return
        ws.connect_to_server()

    bob_page.route_web_socket(re.compile(r"/ws/$"), route)
    open_room_page(bob_page, server, room_id)
    say(ann_page, "before the rotation", secrets)
    expect_verified(bob_page, "before the rotation")
    cut["on"] = True
    bob_page.evaluate("() => window.dispatchEvent(new Event('offline'))")  # drops the socket
    expect(bob_page.locator("html")).not_to_have_attribute("data-connection", "open")

    # Ann removes Py: her browser rotates the key at once (envelopes for Ann and Bob).
    ann_page.get_by_role("button", name="Room info").click()
    ann_page.get_by_role("button", name="Remove Py Member").click()
    ann_page.get_by_role("dialog", name="Remove Py Member?").get_by_role(
        "button", name="Remove"
    ).click()
    wait_until(ann_page, lambda: RoomKey.objects.filter(room_id=room_id, epoch=2).exists())
    say(ann_page, "after the rotation", secrets)

    cut["on"] = False
    bob_page.evaluate("() => window.dispatchEvent(new Event('online'))")
    expect(bob_page.locator("html")).to_have_attribute("data-connection", "open")
    expect_verified(bob_page, "after the rotation")


def test_a_message_signed_by_a_changed_key_says_so(
    people: People, server: str, secrets: list[str]
) -> None:
    """A member whose identity changed after this browser pinned it (a reset, or a server
    swapping keys) gets "Sender's key changed" on messages signed with the new key; what they
    signed before still shows."""
    ann, pym = make_account("ann"), make_account("pym", "Py Member")
    page = log_in_with_keys(people, ann)
    member = python_member(server, pym)
    room_id = start_encrypted_group(member, "pinned", [ann.pk])
    secrets.extend(["before the reset", "after the reset"])
    member.send(room_id, current_key_id(room_id), "before the reset")
    open_room_page(page, server, room_id)
    expect_verified(page, "before the reset")

    member.identity = crypto.generate_identity(str(pym.pk))
    status, body = member.call(
        "POST",
        "/api/e2e/reset/",
        {
            "identity": member.identity.public_identity,
            "backup": shared_backup(str(pym.pk)),
            "login_password": password_for(pym.username),
        },
    )
    assert status == 200, body
    member.send(room_id, current_key_id(room_id), "after the reset")
    changed = message_with(page, "Sender's key changed")
    expect(changed).to_be_visible()
    expect(key_icon(changed)).to_have_count(0)
    expect_verified(page, "before the reset")
