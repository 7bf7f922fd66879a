"""A malicious server against an encrypted room's transcript (docs/SECURITY.md attack 15): it
rolls an edit back, replays a message, withholds one, or deletes one without the sender's signed
tombstone, by rewriting rows while Chromium watches; each shows as a calm line in the timeline
(static/js/e2e/transcript.js, docs/PROTOCOL.md §9.1). Each test was checked to fail with its
check in transcript.js disabled."""

import re
import time
import uuid

import pytest
from django.db.models import F
from playwright.sync_api import Page, expect

from accounts.models import User
from chat.models import Message, Room
from tests.browser.e2e_helpers import (
    current_key_id,
    expect_verified,
    log_in_with_keys,
    message_with,
    open_room_page,
    python_member,
    room_settled,
    start_encrypted_group,
    store_encrypted,
)
from tests.browser.helpers import People, make_account, off_the_loop, send, shown_messages
from tests.e2e.member import Member

pytestmark = pytest.mark.browser


def now_ms() -> int:
    return int(time.time() * 1000)


def seed(member: Member, user: User, room_id: int, text: str) -> Message:
    """Store a new message of ``member`` with the transcript fields (rev 0, its next ctr)."""
    client_id = str(uuid.uuid4())
    content = {"text": text, "rev": 0, "ts": now_ms(), "ctr": member.next_ctr(room_id)}
    payload = member.seal(room_id, current_key_id(room_id), content, client_id)
    return store_encrypted(user, room_id, client_id, payload)


@off_the_loop
def next_rev(room_id: int) -> int:
    """Take the room's next counter value, as a server stamping a change does."""
    Room.objects.filter(pk=room_id).update(last_seq=F("last_seq") + 1)
    return Room.objects.get(pk=room_id).last_seq


@off_the_loop
def rewrite(message_id: int, **fields: object) -> None:
    Message.objects.filter(pk=message_id).update(**fields)


@off_the_loop
def copy_as_new(message_id: int) -> None:
    """Replay a stored message as a new one at the end of its room (same sender, message id
    and ciphertext; the original's id is changed so the copy fits the unique index)."""
    original = Message.objects.get(pk=message_id)
    Message.objects.filter(pk=message_id).update(client_id=uuid.uuid4())
    seq = next_rev.__wrapped__(original.room_id)
    Message.objects.create(
        room_id=original.room_id,
        sender_id=original.sender_id,
        client_id=original.client_id,
        payload=original.payload,
        seq=seq,
        rev=seq,
    )


def nudge(member: Member, room_id: int, text: str) -> None:
    """Send a live message: the page sees a gap in the stream and fetches what it missed
    (the rows the server rewrote behind its back)."""
    client_id = str(uuid.uuid4())
    content = {"text": text, "rev": 0, "ts": now_ms(), "ctr": member.next_ctr(room_id)}
    payload = member.seal(room_id, current_key_id(room_id), content, client_id)
    status, body = member.call(
        "POST", f"/api/e2e/rooms/{room_id}/messages/", {"client_id": client_id, "payload": payload}
    )
    assert status == 201, body


def warning(page: Page, text: str):
    """The transcript warning line ``text`` in the timeline."""
    return page.locator("#message-list .msg-e2e-warning").filter(
        has_text=re.compile(rf"^{re.escape(text)}$")
    )


def room_with_pym(people: People, server: str, name: str) -> tuple[Page, Member, User, int]:
    ann, pym = make_account("ann"), make_account("pym", "Py Member")
    page = log_in_with_keys(people, ann)
    member = python_member(server, pym)
    room_id = start_encrypted_group(member, name, [ann.pk])
    return page, member, pym, room_id


def test_edit_rolled_back_by_server_is_shown(people: People, server: str) -> None:
    """An edit the page has seen, rolled back by the server to the earlier signed version,
    shows "This edit was rolled back by the server" and keeps the newer text."""
    page, member, pym, room_id = room_with_pym(people, server, "rollback")
    first = seed(member, pym, room_id, "the first version")
    open_room_page(page, server, room_id)
    expect_verified(page, "the first version")

    content = {"text": "the corrected version", "rev": 1, "ts": now_ms(), "ctr": 1}
    edit = member.seal(room_id, current_key_id(room_id), content, str(first.client_id))
    status, body = member.call("PATCH", f"/api/e2e/messages/{first.pk}/", {"payload": edit})
    assert status == 200, body
    expect_verified(page, "the corrected version")

    rewrite(first.pk, payload=first.payload, rev=next_rev(room_id))
    nudge(member, room_id, "sent after the rollback")
    expect_verified(page, "sent after the rollback")
    room_settled(page)
    expect(warning(page, "This edit was rolled back by the server")).to_have_count(1)
    expect_verified(page, "the corrected version")
    expect(message_with(page, "the first version")).to_have_count(0)


def test_replayed_message_is_dropped(people: People, server: str) -> None:
    """A message the server replays as a new row (same signed ciphertext and message id) is
    dropped with a line; the original stays, shown once."""
    page, member, pym, room_id = room_with_pym(people, server, "replay")
    original = seed(member, pym, room_id, "pay the invoice today")
    seed(member, pym, room_id, "thanks")
    open_room_page(page, server, room_id)
    expect_verified(page, "thanks")

    copy_as_new(original.pk)
    nudge(member, room_id, "sent after the replay")
    expect_verified(page, "sent after the replay")
    room_settled(page)
    expect(warning(page, "A repeated copy of an earlier message was dropped")).to_have_count(1)
    expect(message_with(page, "pay the invoice today")).to_have_count(1)


def test_withheld_message_shows_counter_gap(people: People, server: str) -> None:
    """A message the server removed from the room shows as a gap in its sender's counter:
    "1 message from Py Member was withheld", before the next message of that sender."""
    page, member, pym, room_id = room_with_pym(people, server, "withheld")
    for text in ("one", "two", "three (withheld)", "four"):
        seed(member, pym, room_id, text)
    Message.objects.filter(room_id=room_id, seq=3).delete()

    open_room_page(page, server, room_id)
    room_settled(page)
    expect_verified(page, "four")
    gap = warning(page, "1 message from Py Member was withheld")
    expect(gap).to_have_count(1)
    expect(message_with(page, "four").locator(".msg-e2e-warning")).to_have_count(1)
    expect(page.locator("#message-list .msg-e2e-warning")).to_have_count(1)


def test_server_side_deletion_is_shown(people: People, server: str) -> None:
    """A message the server marks deleted without the sender's signed tombstone shows
    "Removed by the server"; a real deletion (a tombstone from Python, and one this browser
    makes from the UI) shows "Message deleted"."""
    page, member, pym, room_id = room_with_pym(people, server, "deletions")
    seed(member, pym, room_id, "kept")
    stripped = seed(member, pym, room_id, "the server strips me")
    flagged = seed(member, pym, room_id, "the server flags me")
    deleted = seed(member, pym, room_id, "pym deletes me")
    content = {"deleted": True, "rev": 1, "ts": now_ms(), "ctr": 4}
    tombstone = member.seal(room_id, current_key_id(room_id), content, str(deleted.client_id))
    status, body = member.call("DELETE", f"/api/e2e/messages/{deleted.pk}/", {"payload": tombstone})
    assert status == 200, body
    rewrite(stripped.pk, deleted=True, payload=None)
    rewrite(flagged.pk, deleted=True)  # the old ciphertext, no tombstone

    open_room_page(page, server, room_id)
    send(page, "ann deletes me")
    mine = message_with(page, "ann deletes me")
    mine.hover()
    mine.get_by_role("button", name="Delete message").click()
    page.get_by_role("dialog", name="Delete this message?").get_by_role(
        "button", name="Delete"
    ).click()
    room_settled(page)
    expect(message_with(page, "Removed by the server")).to_have_count(2)
    expect(message_with(page, "Message deleted")).to_have_count(2)
    expect(shown_messages(page).filter(has_text="strips me")).to_have_count(0)
    expect(shown_messages(page).filter(has_text="flags me")).to_have_count(0)
    row = Message.objects.get(room_id=room_id, sender__username="ann", kind="text")
    assert row.deleted and row.payload and row.payload != {}
