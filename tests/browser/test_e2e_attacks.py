"""A malicious server against the browser (docs/SECURITY.md, "The attacks"): each test rewrites
rows the way a compromised server could and checks that Chromium refuses what it must refuse.
Each was checked to fail with its defence in static/js/e2e/ disabled."""

import re

import pytest
from playwright.sync_api import Request, expect

from accounts.models import User
from chat.models import Membership, Message, Room
from e2e import crypto
from e2e.models import KeyEnvelope, RoomKey
from tests.browser.e2e_helpers import (
    current_key_id,
    expect_verified,
    key_icon,
    live_call,
    log_in_with_keys,
    message_with,
    open_room_page,
    python_member,
    room_settled,
    seed_encrypted,
    start_encrypted_group,
    wait_until,
)
from tests.browser.helpers import People, composer, make_account, off_the_loop, send

pytestmark = pytest.mark.browser

REFUSED_PLAINTEXT = "This room was end-to-end encrypted; Keyroom will not send it in plain text"


def failed_message(page, sender: str, reason: str):
    """A message by ``sender`` shown as the placeholder ``reason`` (never its text)."""
    item = message_with(page, reason).filter(has_text=sender)
    expect(item).to_be_visible()
    expect(key_icon(item)).to_have_count(0)
    return item


@off_the_loop
def move_message(message_id: int, *, to_room: int) -> None:
    """Move a message to another room, as a server rewriting rows could."""
    message = Message.objects.get(pk=message_id)
    room = Room.objects.get(pk=to_room)
    room.last_seq += 1
    room.save(update_fields=["last_seq"])
    message.room = room
    message.seq = message.rev = room.last_seq
    message.save(update_fields=["room", "seq", "rev"])


@off_the_loop
def rewrite_message(message_id: int, **fields: object) -> None:
    Message.objects.filter(pk=message_id).update(**fields)


def latest_text(room_id: int) -> Message:
    return Message.objects.filter(room_id=room_id, kind="text").latest("seq")


def test_a_ciphertext_moved_to_another_room_is_not_shown(people: People, server: str) -> None:
    """A message the server moves into another room fails verification there even while the
    page holds the keys of both rooms: it shows "Signature invalid", never its text
    (attack 5)."""
    ann, pym = make_account("ann"), make_account("pym", "Py Member")
    newbie = make_account("newbie")
    page = log_in_with_keys(people, ann)
    member = python_member(server, pym)
    first = start_encrypted_group(member, "first", [ann.pk, newbie.pk])
    second = start_encrypted_group(member, "second", [ann.pk])
    seed_encrypted(member, pym, first, ["meant for the first room"])
    seed_encrypted(member, pym, second, ["a message of the second room"])
    open_room_page(page, server, second)
    expect_verified(page, "a message of the second room")
    # A member of the first room sets up keys: Ann's page loads that room's keys to share.
    python_member(server, newbie)
    wait_until(page, lambda: KeyEnvelope.objects.filter(recipient=newbie).exists())

    move_message(latest_text(first).pk, to_room=second)
    # The next live message shows the page a gap in the stream: it fetches what it missed.
    member.send(second, current_key_id(second), "sent after the move")
    expect_verified(page, "sent after the move")
    room_settled(page)
    failed_message(page, "Py Member", "Signature invalid")
    expect(page.get_by_text("meant for the first room")).to_have_count(0)


def test_a_ciphertext_given_another_sender_is_not_shown(people: People, server: str) -> None:
    """A message the server attributes to another member fails verification against that
    member's pinned key: "Signature invalid" (attack 4)."""
    ann, pym, bob = make_account("ann"), make_account("pym"), make_account("bob", "Bob Baker")
    page = log_in_with_keys(people, ann)
    member = python_member(server, pym)
    python_member(server, bob)
    room_id = start_encrypted_group(member, "forgery", [ann.pk, bob.pk])
    seed_encrypted(member, pym, room_id, ["pym wrote this"])
    rewrite_message(latest_text(room_id).pk, sender=bob)

    open_room_page(page, server, room_id)
    room_settled(page)
    failed_message(page, "Bob Baker", "Signature invalid")
    expect(page.get_by_text("pym wrote this")).to_have_count(0)


def test_altered_ciphertext_shows_as_tampered(people: People, server: str) -> None:
    """A message whose stored bytes were cut shows "Message was tampered with", and one with a
    flipped byte fails its signature; neither is shown as text (attack 6)."""
    ann, pym = make_account("ann"), make_account("pym", "Py Member")
    page = log_in_with_keys(people, ann)
    member = python_member(server, pym)
    room_id = start_encrypted_group(member, "bytes", [ann.pk])
    seed_encrypted(member, pym, room_id, ["cut me short"])
    cut = latest_text(room_id)
    rewrite_message(cut.pk, payload={**cut.payload, "ct": cut.payload["ct"][:10]})
    seed_encrypted(member, pym, room_id, ["flip one of my bits"])
    flipped = latest_text(room_id)
    ct = flipped.payload["ct"]
    other = "A" if ct[5] != "A" else "B"
    rewrite_message(flipped.pk, payload={**flipped.payload, "ct": ct[:5] + other + ct[6:]})

    open_room_page(page, server, room_id)
    room_settled(page)
    failed_message(page, "Py Member", "Message was tampered with")
    failed_message(page, "Py Member", "Signature invalid")
    expect(page.get_by_text("cut me short")).to_have_count(0)
    expect(page.get_by_text("flip one of my bits")).to_have_count(0)


@off_the_loop
def flip_to_plaintext(room_id: int) -> None:
    Room.objects.filter(pk=room_id).update(encrypted=False)


def test_a_room_flipped_back_to_plaintext_gets_no_plaintext(people: People, server: str) -> None:
    """After the server says (in the database and in a pushed room.updated) that an encrypted
    room is plaintext, the browser refuses to send there, says why, and keeps the text; also
    after a reload (attack 9)."""
    ann, pym = make_account("ann", "Ann Archer"), make_account("pym")
    page = log_in_with_keys(people, ann)
    member = python_member(server, pym)
    room_id = start_encrypted_group(member, "downgrade", [ann.pk])
    open_room_page(page, server, room_id)
    send(page, "still encrypted")
    expect_verified(page, "still encrypted")

    flip_to_plaintext(room_id)
    # Any change to the room makes the server push room.updated, now saying encrypted: false.
    status, body = live_call(server, pym)("PATCH", f"/api/rooms/{room_id}/", {"topic": "open now"})
    assert status == 200 and body["room"]["encrypted"] is False, body
    expect(page.locator("#room-topic")).to_have_text("open now")
    expect(page.locator("#banners")).to_contain_text(REFUSED_PLAINTEXT)

    box = composer(page)
    box.fill("this must never be stored in the clear")
    box.press("Enter")
    expect(page.locator("#composer-error")).to_contain_text(REFUSED_PLAINTEXT)
    expect(box).to_have_value("this must never be stored in the clear")

    page.reload()
    expect(page.locator("#banners")).to_contain_text(REFUSED_PLAINTEXT)
    composer(page).fill("nor this one after a reload")
    composer(page).press("Enter")
    expect(page.locator("#composer-error")).to_contain_text(REFUSED_PLAINTEXT)
    bodies = list(Message.objects.filter(room_id=room_id).values_list("body", flat=True))
    assert not any("this must never" in b or "nor this one" in b for b in bodies), bodies
    assert not Message.objects.filter(room_id=room_id, kind="text", payload__isnull=True).exists()


@off_the_loop
def replace_envelope(room_id: int, recipient: User, *, sender: User, envelope: dict) -> None:
    KeyEnvelope.objects.filter(key__room_id=room_id, recipient=recipient).update(
        sender=sender, envelope=envelope
    )


def forged_envelope(forger, room_id: int, key_id: str, recipient: User) -> dict:
    """An envelope sealed by ``forger`` with another key under the room's key id."""
    fake = crypto.RoomKey(key_id=key_id, key=bytes(range(32)))
    forger.pin([recipient.pk])
    return forger.envelopes(forger.room_uid(room_id), fake, [recipient.pk])[0]["envelope"]


def test_an_envelope_from_a_non_member_is_refused(people: People, server: str) -> None:
    """A room key the server swaps for one sealed by someone outside the room is refused with a
    warning; the room's message stays undecryptable ("waiting"), never decrypted with the
    planted key (attacks 2 and 3)."""
    ann, pym, eve = make_account("ann"), make_account("pym", "Py Member"), make_account("eve")
    page = log_in_with_keys(people, ann)
    member = python_member(server, pym)
    intruder = python_member(server, eve)
    room_id = start_encrypted_group(member, "planted", [ann.pk])
    seed_encrypted(member, pym, room_id, ["only for real members"])
    intruder.room_uids[room_id] = member.room_uid(room_id)
    key_id = RoomKey.objects.get(room_id=room_id).key_id
    envelope = forged_envelope(intruder, room_id, key_id, ann)
    replace_envelope(room_id, ann, sender=eve, envelope=envelope)

    open_room_page(page, server, room_id)
    room_settled(page)
    failed_message(page, "Py Member", "Waiting for a member to come online to share the key")
    expect(page.locator("#banners")).to_contain_text("encryption key was refused")
    expect(page.get_by_text("only for real members")).to_have_count(0)


def test_an_envelope_not_signed_by_its_sender_is_refused(people: People, server: str) -> None:
    """An envelope that claims a member as sender but was sealed by someone else fails the
    check against the member's pinned key: refused, with a warning (attack 3)."""
    ann, pym, eve = make_account("ann"), make_account("pym", "Py Member"), make_account("eve")
    page = log_in_with_keys(people, ann)
    member = python_member(server, pym)
    intruder = python_member(server, eve)
    room_id = start_encrypted_group(member, "resigned", [ann.pk])
    seed_encrypted(member, pym, room_id, ["signed by pym only"])
    intruder.room_uids[room_id] = member.room_uid(room_id)
    key_id = RoomKey.objects.get(room_id=room_id).key_id
    envelope = forged_envelope(intruder, room_id, key_id, ann)
    replace_envelope(room_id, ann, sender=pym, envelope=envelope)

    open_room_page(page, server, room_id)
    room_settled(page)
    failed_message(page, "Py Member", "Waiting for a member to come online to share the key")
    expect(page.locator("#banners")).to_contain_text("not signed by the member who sent it")


@off_the_loop
def slip_in(room_id: int, intruder: User) -> None:
    """Add ``intruder`` to the room in the database only: no member signed a chain entry for
    them (the server cannot sign for a member)."""
    room = Room.objects.get(pk=room_id)
    Membership.objects.create(room=room, user=intruder, last_read_seq=room.last_seq)


def test_a_member_slipped_in_without_a_chain_entry_gets_no_key(people: People, server: str) -> None:
    """A member the server slips into the room (no signed member_added entry) is never sealed
    a key, while a member the genesis lists who sets up keys at the same time is (attack 2)."""
    ann, carol, mallory = make_account("ann"), make_account("carol"), make_account("mallory")
    page = log_in_with_keys(people, ann)
    room_id = start_group(page, "guarded", ["carol"])
    shares: list[dict] = []

    def record(request: Request) -> None:
        if request.method == "POST" and re.search(r"/api/e2e/rooms/\d+/share/$", request.url):
            shares.append(request.post_data_json)

    page.on("request", record)
    slip_in(room_id, mallory)
    python_member(server, mallory)  # publishing keys asks the room's key holders to share
    python_member(server, carol)

    wait_until(page, lambda: KeyEnvelope.objects.filter(recipient=carol).exists())
    recipients = {
        envelope["recipient_id"]
        for share in shares
        for item in share["shares"]
        for envelope in item["envelopes"]
    }
    assert carol.pk in recipients
    assert mallory.pk not in recipients
    assert not KeyEnvelope.objects.filter(recipient=mallory).exists()


def start_group(page, name: str, usernames: list[str]) -> int:
    """Create an encrypted group from the create dialog; return its id."""
    page.get_by_role("button", name="Create channel").click()
    dialog = page.get_by_role("dialog", name="Create a private group")
    dialog.get_by_label("Name").fill(name)
    for username in usernames:
        dialog.get_by_role("combobox", name="Invite people").fill(username)
        dialog.get_by_role("option", name=re.compile(username)).click()
    dialog.get_by_role("button", name="Create", exact=True).click()
    expect(page).to_have_url(re.compile(r"/rooms/\d+/$"))
    return int(page.url.rstrip("/").rsplit("/", 1)[1])
