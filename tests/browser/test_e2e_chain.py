"""A malicious server against the signed room-state chain (docs/SECURITY.md, attacks 2, 3, 4,
11 and 12): each test rewrites rows the way a compromised server could, and checks that
Chromium takes members, keys and the current key only from the chain its device verified.
Each was checked to fail with its defence in static/js/e2e/ disabled (docs/SECURITY.md)."""

import json
import re
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, Request, expect

from accounts.models import User
from chat.models import Membership, Message, Room
from e2e import crypto
from e2e.models import EncryptedRoom, KeyEnvelope, RoomKey, RoomStateEntry
from tests.browser.e2e_helpers import (
    current_key_id,
    expect_verified,
    key_icon,
    log_in_with_keys,
    message_with,
    open_room_page,
    python_member,
    python_room_seen,
    room_settled,
    seed_encrypted,
    start_encrypted_group,
    store_encrypted,
    wait_until,
)
from tests.browser.helpers import People, composer, make_account, off_the_loop, send
from tests.e2e.member import Member

pytestmark = pytest.mark.browser

FORKED = "it was forked"
ROLLED_BACK = "it was rolled back"


def sent_key_ids(page: Page) -> list[str]:
    """Record the key id of every encrypted message the page sends over its socket."""
    found: list[str] = []

    def frame(payload: str | bytes) -> None:
        data = json.loads(payload)
        if data.get("type") in ("e2e.message.send", "e2e.message.edit"):
            found.append(data["payload"]["kid"])

    page.on("websocket", lambda socket: socket.on("framesent", frame))
    return found


def try_to_send(page: Page, text: str) -> None:
    box = composer(page)
    box.fill(text)
    box.press("Enter")


def expect_unsent(page: Page, text: str, reason: str) -> None:
    """The message stays on the page, not sent, saying ``reason``."""
    item = page.locator("#message-list > li.msg").filter(has_text=text)
    expect(item).to_contain_text("Not sent")
    expect(item.get_by_role("alert")).to_contain_text(reason)


@off_the_loop
def plant_key(room_id: int, planter: Member, planter_user: User, victim: User) -> str:
    """``planter`` (the server's own account, in the room's member list only) seals a fresh
    key to ``victim``; the server makes it the room's current key. Return its key id."""
    room = Room.objects.get(pk=room_id)
    planter.room_uids[room_id] = str(room.uid)
    key = crypto.generate_room_key()
    planter.pin([victim.pk])
    envelope = planter.envelopes(str(room.uid), key, [victim.pk])[0]["envelope"]
    last = RoomKey.objects.filter(room=room).order_by("-epoch").first()
    planted = RoomKey.objects.create(
        room=room, key_id=key.key_id, epoch=last.epoch + 1, created_by=planter_user
    )
    KeyEnvelope.objects.create(
        key=planted, recipient=victim, sender=planter_user, envelope=envelope
    )
    EncryptedRoom.objects.filter(room=room).update(current_key=planted)
    return key.key_id


@off_the_loop
def slip_in(room_id: int, user: User) -> None:
    """The server adds ``user`` to the room's member list (no member signed it)."""
    room = Room.objects.get(pk=room_id)
    Membership.objects.get_or_create(
        room=room, user=user, defaults={"last_read_seq": room.last_seq}
    )


@off_the_loop
def replace_chain(room_id: int, entries: list[dict], author: User) -> None:
    """The server swaps the room's whole stored chain for ``entries``."""
    room = Room.objects.get(pk=room_id)
    RoomStateEntry.objects.filter(room=room).delete()
    for entry in entries:
        RoomStateEntry.objects.create(
            room=room,
            index=entry["index"],
            entry=entry,
            hash=crypto.b64u_encode(crypto.entry_hash(str(room.uid), entry)),
            author=author,
        )


@off_the_loop
def stored_key_ids(room_id: int) -> set[str]:
    return {
        m.payload["kid"]
        for m in Message.objects.filter(room_id=room_id, kind="text").filter(payload__isnull=False)
    }


def test_server_naming_its_own_account_as_starter_is_refused(people: People, server: str) -> None:
    """The server rewrites the room's chain with a genesis signed by its own account (named
    as the one who turned encryption on, listing itself as a member) and makes that account's
    key current: a device that verified the real chain sees a fork, never uses the planted
    key and seals nothing to the server's account (attack 11)."""
    ann, pym = make_account("ann", "Ann Archer"), make_account("pym", "Py Member")
    mallory = make_account("mallory")
    page = log_in_with_keys(people, ann)
    member, room_id = python_room_seen(
        page, server, pym, "founded", "from the real starter", invite=[ann]
    )

    impostor = python_member(server, mallory)
    impostor.room_uids[room_id] = member.room_uid(room_id)
    slip_in(room_id, mallory)
    key = crypto.generate_room_key()
    genesis = impostor.genesis(member.room_uid(room_id), key, [ann.pk, pym.pk])
    replace_chain(room_id, [genesis], mallory)
    planted = plant_key(room_id, impostor, mallory, ann)
    sent = sent_key_ids(page)

    page.reload()
    room_settled(page)
    expect(page.locator("#banners")).to_contain_text(FORKED)
    try_to_send(page, "not under the impostor's key")
    expect_unsent(page, "not under the impostor's key", FORKED)
    assert planted not in sent
    assert planted not in stored_key_ids(room_id)
    assert not KeyEnvelope.objects.filter(recipient=mallory).exists()


def test_slipped_in_member_planting_a_key_is_refused(people: People, server: str) -> None:
    """A member the server slipped into the room seals everyone a fresh key and the server
    marks it current: the key is refused with a warning, and messages keep using the chain's
    key, never the planted one (attack 12)."""
    ann, pym = make_account("ann", "Ann Archer"), make_account("pym", "Py Member")
    mallory = make_account("mallory")
    page = log_in_with_keys(people, ann)
    member = python_member(server, pym)
    room_id = start_encrypted_group(member, "planted", [ann.pk])
    real_key = current_key_id(room_id)
    open_room_page(page, server, room_id)
    room_settled(page)

    slip_in(room_id, mallory)
    planted = plant_key(room_id, python_member(server, mallory), mallory, ann)
    sent = sent_key_ids(page)
    page.reload()
    room_settled(page)
    expect(page.locator("#banners")).to_contain_text("encryption key was refused")
    try_to_send(page, "under the real key only")
    wait_until(page, lambda: bool(sent))
    assert set(sent) == {real_key}
    assert planted not in stored_key_ids(room_id)


def test_server_chosen_current_key_is_ignored(people: People, server: str) -> None:
    """After a rotation the server names the older key as current again (one a removed member
    still holds): the browser keeps encrypting under the key the chain made current."""
    ann, pym = make_account("ann", "Ann Archer"), make_account("pym", "Py Member")
    page = log_in_with_keys(people, ann)
    member = python_member(server, pym)
    room_id = start_encrypted_group(member, "rolled", [ann.pk])
    old_key = current_key_id(room_id)
    member.fetch_keys(room_id)
    new = crypto.generate_room_key()
    status, body = member.call(
        "POST",
        f"/api/e2e/rooms/{room_id}/rotate/",
        {
            "replaces_key_id": old_key,
            "entries": member.sign_entries(room_id, [("key", member.key_body(room_id, new))]),
            "envelopes": member.envelopes(member.room_uid(room_id), new, [pym.pk, ann.pk]),
        },
    )
    assert status == 200, body
    sent = sent_key_ids(page)
    open_room_page(page, server, room_id)
    room_settled(page)
    choose_key(room_id, old_key)

    try_to_send(page, "under the chain's key")
    wait_until(page, lambda: bool(sent))
    assert old_key not in sent
    assert set(sent) == {new.key_id}


@off_the_loop
def choose_key(room_id: int, key_id: str) -> None:
    EncryptedRoom.objects.filter(room_id=room_id).update(
        current_key=RoomKey.objects.get(room_id=room_id, key_id=key_id)
    )


def grow_chain(member: Member, room_id: int) -> None:
    """A real member appends a policy entry (the chain now has two entries)."""
    entries = member.sign_entries(room_id, [("policy", {"share_history": False})])
    status, body = member.call("POST", f"/api/e2e/rooms/{room_id}/policy/", {"entries": entries})
    assert status == 200, body


@off_the_loop
def drop_entries_from(room_id: int, index: int) -> None:
    RoomStateEntry.objects.filter(room_id=room_id, index__gte=index).delete()


def test_chain_rolled_back_is_refused(people: People, server: str) -> None:
    """The server serves an older chain than this device verified (an entry dropped): the
    page says it was rolled back and will not send under it."""
    ann, pym = make_account("ann", "Ann Archer"), make_account("pym", "Py Member")
    page = log_in_with_keys(people, ann)
    member = python_member(server, pym)
    room_id = start_encrypted_group(member, "rollback", [ann.pk])
    grow_chain(member, room_id)
    open_room_page(page, server, room_id)
    room_settled(page)
    send(page, "seen with two entries")

    drop_entries_from(room_id, 1)
    page.reload()
    room_settled(page)
    expect(page.locator("#banners")).to_contain_text(ROLLED_BACK)
    try_to_send(page, "not on a rolled-back chain")
    expect_unsent(page, "not on a rolled-back chain", ROLLED_BACK)


def test_chain_forked_is_refused(people: People, server: str) -> None:
    """The server replaces an entry this device verified with another one, validly signed by
    the same member (a fork): the page says so and will not send under it."""
    ann, pym = make_account("ann", "Ann Archer"), make_account("pym", "Py Member")
    page = log_in_with_keys(people, ann)
    member = python_member(server, pym)
    room_id = start_encrypted_group(member, "fork", [ann.pk])
    [other_branch] = member.sign_entries(room_id, [("policy", {"share_history": True})])
    grow_chain(member, room_id)  # the branch the device sees (same index, same author)
    open_room_page(page, server, room_id)
    room_settled(page)
    send(page, "seen on one branch")

    swap_entry(room_id, other_branch, pym)
    page.reload()
    room_settled(page)
    expect(page.locator("#banners")).to_contain_text(FORKED)
    try_to_send(page, "not on a forked chain")
    expect_unsent(page, "not on a forked chain", FORKED)


@off_the_loop
def swap_entry(room_id: int, entry: dict, author: User) -> None:
    room = Room.objects.get(pk=room_id)
    RoomStateEntry.objects.filter(room=room, index=entry["index"]).update(
        entry=entry, hash=crypto.b64u_encode(crypto.entry_hash(str(room.uid), entry))
    )


@off_the_loop
def change_uid(room_id: int) -> None:
    Room.objects.filter(pk=room_id).update(uid=uuid.uuid4())


def test_server_changing_the_room_uid_is_refused(people: People, server: str) -> None:
    """The server gives a room this device knows another uid (to move signed data between
    rooms): the page warns, and keeps using the uid it first saw, so the room still reads."""
    ann, pym = make_account("ann", "Ann Archer"), make_account("pym", "Py Member")
    page = log_in_with_keys(people, ann)
    _member, room_id = python_room_seen(
        page, server, pym, "renamed", "bound to the first uid", invite=[ann]
    )

    change_uid(room_id)
    page.reload()
    expect(page.locator("#banners")).to_contain_text("The server changed this room's identity")
    expect_verified(page, "bound to the first uid")


def rotation_requests(page: Page) -> list[Request]:
    """Record the page's key rotation requests (POST /api/e2e/rooms/<id>/rotate/)."""
    found: list[Request] = []

    def record(request: Request) -> None:
        if request.method == "POST" and re.search(r"/api/e2e/rooms/\d+/rotate/$", request.url):
            found.append(request)

    page.on("request", record)
    return found


def test_member_outside_the_chain_gets_no_key_at_rotation(people: People, server: str) -> None:
    """When the key rotates after a removal, a member the server slipped into the list (not
    in the chain) is not sealed the new key; the chain's remaining members are."""
    ann, bob = make_account("ann", "Ann Archer"), make_account("bob", "Bob Baker")
    pym, mallory = make_account("pym", "Py Member"), make_account("mallory")
    python_member(server, bob)
    python_member(server, mallory)
    member = python_member(server, pym)
    page = log_in_with_keys(people, ann)
    room_id = start_encrypted_group(member, "rotating", [ann.pk, bob.pk])
    open_room_page(page, server, room_id)
    room_settled(page)
    slip_in(room_id, mallory)
    rotations = rotation_requests(page)

    status, _ = member.call("DELETE", f"/api/rooms/{room_id}/members/{pym.pk}/", None)
    assert status == 200
    # What the browser sealed, whatever the server then does with it (a malicious server
    # would store an envelope to mallory that this honest one refuses).
    wait_until(page, lambda: bool(rotations))
    sealed = {e["recipient_id"] for e in rotations[0].post_data_json["envelopes"]}
    assert sealed == {ann.pk, bob.pk}
    wait_until(page, lambda: RoomKey.objects.filter(room_id=room_id, epoch=2).exists())
    new_key = RoomKey.objects.get(room_id=room_id, epoch=2)
    recipients = set(new_key.envelopes.values_list("recipient__username", flat=True))
    assert recipients == {"ann", "bob"}


@off_the_loop
def envelope_from(room_id: int, recipient: User, *, claimed: User, envelope: dict) -> None:
    KeyEnvelope.objects.filter(key__room_id=room_id, recipient=recipient).update(
        sender=claimed, envelope=envelope
    )


def test_envelope_with_right_key_and_data_but_wrong_signer_is_refused(
    people: People, server: str
) -> None:
    """An envelope holding the room's real key, with the right associated data (room, key
    id, a member as sender, the recipient) but signed by someone else, is refused on its
    signature alone (attack 3)."""
    ann, pym, eve = make_account("ann"), make_account("pym", "Py Member"), make_account("eve")
    page = log_in_with_keys(people, ann)
    member = python_member(server, pym)
    forger = python_member(server, eve)
    room_id = start_encrypted_group(member, "resigned", [ann.pk])
    seed_encrypted(member, pym, room_id, ["opened only with a good envelope"])
    key_id = current_key_id(room_id)
    forger.pin([ann.pk])
    envelope = crypto.seal_envelope(
        member.room_keys[key_id],
        room_id=member.room_uid(room_id),
        key_id=key_id,
        sender_id=str(pym.pk),
        recipient_id=str(ann.pk),
        recipient_dh_public_key=forger.pins[ann.pk].dh_public_key,
        signing_key=forger.identity.signing_key,
    )
    envelope_from(room_id, ann, claimed=pym, envelope=envelope)

    open_room_page(page, server, room_id)
    room_settled(page)
    expect(page.locator("#banners")).to_contain_text("not signed by the member who sent it")
    expect(page.get_by_text("opened only with a good envelope")).to_have_count(0)


def test_key_holder_forging_a_message_as_another_member_is_refused(
    people: People, server: str
) -> None:
    """A member who holds the room key encrypts a message bound to another member's id (the
    right room, key and message id) and signs it with their own key: it shows as "Signature
    invalid", never as that member's words (attack 4)."""
    ann, pym, eve = make_account("ann"), make_account("pym", "Py Member"), make_account("eve")
    page = log_in_with_keys(people, ann)
    member = python_member(server, pym)
    forger = python_member(server, eve)
    room_id = start_encrypted_group(member, "forged", [ann.pk, eve.pk])
    forger.fetch_keys(room_id)
    key_id = current_key_id(room_id)
    client_id = "6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
    payload = crypto.encrypt_message(
        {"text": "words pym never wrote"},
        room_id=forger.room_uid(room_id),
        key_id=key_id,
        room_key=forger.room_keys[key_id],
        sender_id=str(pym.pk),
        message_id=client_id,
        signing_key=forger.identity.signing_key,
    )
    store_encrypted(pym, room_id, client_id, payload)

    open_room_page(page, server, room_id)
    room_settled(page)
    item = message_with(page, "Signature invalid").filter(has_text="Py Member")
    expect(item).to_be_visible()
    expect(key_icon(item)).to_have_count(0)
    expect(page.get_by_text("words pym never wrote")).to_have_count(0)


def test_member_sealing_another_key_under_the_current_id_is_refused(
    people: People, server: str
) -> None:
    """A real member (in the chain, signing with their own key) seals the reader a different
    key under the room's current key id: it does not match the chain's commitment, so it is
    refused with a warning and never used (attack 12)."""
    ann, pym, eve = make_account("ann"), make_account("pym", "Py Member"), make_account("eve")
    page = log_in_with_keys(people, ann)
    member = python_member(server, pym)
    insider = python_member(server, eve)
    room_id = start_encrypted_group(member, "equivocal", [ann.pk, eve.pk])
    seed_encrypted(member, pym, room_id, ["under the committed key"])
    key_id = current_key_id(room_id)
    other = crypto.RoomKey(key_id=key_id, key=bytes(range(32)))
    insider.pin([ann.pk])
    [sealed] = insider.envelopes(member.room_uid(room_id), other, [ann.pk])
    envelope_from(room_id, ann, claimed=eve, envelope=sealed["envelope"])

    open_room_page(page, server, room_id)
    room_settled(page)
    expect(page.locator("#banners")).to_contain_text("not a key the room's signed record names")
    expect(
        message_with(page, "Waiting for a member to come online to share the key")
    ).to_be_visible()


@off_the_loop
def age_key(room_id: int, *, days: int) -> None:
    RoomKey.objects.filter(room_id=room_id).update(created_at=timezone.now() - timedelta(days=days))


def test_key_past_its_schedule_is_rotated_by_the_next_sender(people: People, server: str) -> None:
    """When the room key is older than the schedule (a week by default), the next sender's
    browser makes a new key through the chain and the message goes out under it."""
    ann, pym = make_account("ann", "Ann Archer"), make_account("pym", "Py Member")
    page = log_in_with_keys(people, ann)
    member = python_member(server, pym)
    room_id = start_encrypted_group(member, "weekly", [ann.pk])
    old_key = current_key_id(room_id)
    open_room_page(page, server, room_id)
    room_settled(page)

    age_key(room_id, days=8)
    send(page, "after a week")
    expect_verified(page, "after a week")
    new_key = current_key_id(room_id)
    assert new_key != old_key
    assert stored_key_ids(room_id) == {new_key}
    assert RoomStateEntry.objects.filter(room_id=room_id, entry__type="key").count() == 1
