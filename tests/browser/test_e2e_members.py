"""Members come and go in encrypted rooms, in Chromium: people added by the owner read at once
(with or without the room's history), a removed member gets no later key, a member's key change
shows a notice and is re-shared only after a person's click, and members or identities the
server slips in get nothing from the browser."""

import re

import pytest
from playwright.sync_api import Locator, Page, Request, expect

from accounts.models import User
from chat.models import Membership, Message, Room
from e2e import crypto
from e2e.models import KeyEnvelope, RoomKey, UserIdentity
from tests.browser.e2e_helpers import (
    expect_verified,
    log_in_with_keys,
    message_with,
    open_room_page,
    python_member,
    room_settled,
    seed_encrypted,
    sharing_passes,
    start_encrypted_group,
    substitute_identity,
    wait_for_sharing_pass,
    wait_until,
)
from tests.browser.e2e_helpers import (
    start_group_in_ui as start_group,
)
from tests.browser.helpers import (
    People,
    make_account,
    off_the_loop,
    password_for,
    send,
    wait_room_ready,
)
from tests.e2e.member import shared_backup

pytestmark = pytest.mark.browser

WAITING = "Waiting for a member to come online to share the key"


def add_person(page: Page, username: str) -> None:
    """Room info -> Add people -> pick ``username`` -> Add."""
    if page.locator("#room-info").is_hidden():
        page.get_by_role("button", name="Room info").click()
    page.locator("#add-people-button").click()
    dialog = page.get_by_role("dialog", name="Add people")
    dialog.get_by_role("combobox", name="People to add").fill(username)
    dialog.get_by_role("option", name=re.compile(username)).click()
    dialog.get_by_role("button", name="Add", exact=True).click()
    expect(dialog).to_be_hidden()


def set_history_sharing(page: Page, on: bool) -> None:
    """Room info -> Edit -> "New members can read earlier messages" -> Save."""
    page.get_by_role("button", name="Room info").click()
    page.get_by_role("button", name="Edit", exact=True).click()
    switch = page.get_by_role("switch", name="New members can read earlier messages")
    expect(switch).to_be_enabled()
    switch.set_checked(on)
    page.locator("#room-edit-form").get_by_role("button", name="Save").click()
    expect(page.locator("#room-edit-form")).to_be_hidden()


def record_posts(page: Page) -> list[Request]:
    posts: list[Request] = []
    page.on("request", lambda r: posts.append(r) if r.method == "POST" else None)
    return posts


def sealed_to(posts: list[Request]) -> set[int]:
    """Every recipient the page sealed an envelope to in /share/ or /members/ requests."""
    found = set()
    for request in posts:
        if re.search(r"/api/e2e/rooms/\d+/(share|members)/$", request.url):
            for share in request.post_data_json.get("shares", []):
                found |= {e["recipient_id"] for e in share["envelopes"]}
    return found


@off_the_loop
def envelopes_for(user: User, room_id: int, *, generation: int | None = None) -> int:
    rows = KeyEnvelope.objects.filter(recipient=user, key__room_id=room_id)
    if generation is not None:
        rows = rows.filter(recipient_generation=generation)
    return rows.count()


@off_the_loop
def generation_of(user: User) -> int:
    return UserIdentity.objects.get(user=user).generation


def test_a_member_added_while_the_adder_is_online_reads_at_once(
    people: People, server: str
) -> None:
    """The owner adds someone with keys to an encrypted room: one request carries the signed
    member_added entry and the keys, and the newcomer reads the earlier messages at once."""
    ann, _bob, dan = (
        make_account("ann", "Ann Archer"),
        make_account("bob"),
        make_account("dan", "Dan Dale"),
    )
    ann_page = log_in_with_keys(people, ann)
    dan_page = log_in_with_keys(people, dan)
    room_id = start_group(ann_page, "growing", ["bob"])
    send(ann_page, "said before Dan joined")
    posts = record_posts(ann_page)

    add_person(ann_page, "dan")
    adds = [r for r in posts if r.url.endswith(f"/api/e2e/rooms/{room_id}/members/")]
    assert len(adds) == 1
    [entry] = adds[0].post_data_json["entries"]
    assert (entry["type"], entry["body"]["user"]) == ("member_added", str(dan.pk))
    assert sealed_to(adds) == {dan.pk}
    assert envelopes_for(dan, room_id) == 1

    open_room_page(dan_page, server, room_id)
    expect_verified(dan_page, "said before Dan joined")
    send(ann_page, "and after")
    expect_verified(dan_page, "and after")


def test_without_history_sharing_a_newcomer_reads_only_later_messages(
    people: People, server: str
) -> None:
    """With "New members can read earlier messages" off, a newcomer reads what is sent after
    they join, and earlier messages stay placeholders."""
    ann, _bob, dan = (
        make_account("ann", "Ann Archer"),
        make_account("bob"),
        make_account("dan", "Dan Dale"),
    )
    ann_page = log_in_with_keys(people, ann)
    dan_page = log_in_with_keys(people, dan)
    room_id = start_group(ann_page, "no-history", ["bob"])
    send(ann_page, "for the founders only")
    set_history_sharing(ann_page, False)
    assert not Room.objects.get(pk=room_id).e2e.share_history

    add_person(ann_page, "dan")
    send(ann_page, "welcome Dan")
    open_room_page(dan_page, server, room_id)
    expect_verified(dan_page, "welcome Dan")
    room_settled(dan_page)
    expect(message_with(dan_page, WAITING)).to_have_count(1)
    expect(message_with(dan_page, "for the founders only")).to_have_count(0)


@off_the_loop
def stored_message(room_id: int, seq_after: int = 0) -> dict:
    """The latest text message of the room, as the API would give it."""
    row = Message.objects.filter(room_id=room_id, kind="text").order_by("-seq").first()
    return {
        "room_id": room_id,
        "client_id": str(row.client_id),
        "payload": row.payload,
        "sender": {"id": row.sender_id},
    }


def test_a_removed_member_gets_no_key_for_later_messages(people: People, server: str) -> None:
    """Right after the owner removes a member, the owner's browser rotates the key: the
    removed member (a Python client holding the old keys) has no envelope for the new epoch and
    cannot decrypt the next message."""
    ann, bob = make_account("ann", "Ann Archer"), make_account("bob", "Bob Baker")
    pym = make_account("pym", "Py Member")
    member = python_member(server, pym)
    ann_page = log_in_with_keys(people, ann)
    log_in_with_keys(people, bob)
    room_id = start_group(ann_page, "shrinking", ["bob", "pym"])
    send(ann_page, "all of us")
    member.room_uids[room_id] = str(Room.objects.get(pk=room_id).uid)
    member.fetch_keys(room_id)
    assert member.decrypt(stored_message(room_id)) == "all of us"

    ann_page.get_by_role("button", name="Room info").click()
    ann_page.get_by_role("button", name="Remove Py Member").click()
    ann_page.get_by_role("dialog", name="Remove Py Member?").get_by_role(
        "button", name="Remove"
    ).click()
    # The remover's browser rotates at once, before anyone sends.
    wait_until(ann_page, lambda: RoomKey.objects.filter(room_id=room_id, epoch=2).exists())
    new_key = RoomKey.objects.get(room_id=room_id, epoch=2)
    assert set(new_key.envelopes.values_list("recipient__username", flat=True)) == {"ann", "bob"}

    send(ann_page, "after Py left")
    expect_verified(ann_page, "after Py left")
    with pytest.raises(crypto.NoKeyError):
        member.decrypt(stored_message(room_id))


def reset_python_keys(member, username: str) -> None:
    """Reset the Python member's keys through the API (with their login password)."""
    member.identity = crypto.generate_identity(str(member.user_id))
    status, body = member.call(
        "POST",
        "/api/e2e/reset/",
        {
            "identity": member.identity.public_identity,
            "backup": shared_backup(str(member.user_id)),
            "login_password": password_for(username),
        },
    )
    assert status == 200, body


def test_a_key_reset_waits_for_a_holder_to_trust_it(people: People, server: str) -> None:
    """A member's key reset shows a notice in the shared room, and no key is sealed to the new
    identity until the holder clicks to trust it (attack 13: no setting does it for them)."""
    ann, pym = make_account("ann", "Ann Archer"), make_account("pym", "Py Member")
    member = python_member(server, pym)
    page = log_in_with_keys(people, ann)
    room_id = start_group(page, "resetting", ["pym"])
    posts = record_posts(page)
    passes = sharing_passes(page)

    reset_python_keys(member, "pym")
    generation = generation_of(pym)
    notice = page.locator("#banners").get_by_text("Py Member's encryption key changed")
    expect(notice).to_be_visible()
    wait_for_sharing_pass(page, after=passes)  # the holder looked at the need, and waited
    assert pym.pk not in sealed_to(posts)
    assert envelopes_for(pym, room_id, generation=generation) == 0

    page.get_by_role("button", name="Compare safety numbers").click()
    dialog = page.get_by_role("dialog", name="Compare safety numbers with Py Member")
    expect(dialog.locator("#e2e-verify-previous")).to_have_text(re.compile(r"^(\d{5} ){11}\d{5}$"))
    expect(dialog).to_contain_text("If it does not, close this: nothing is shared with the new key")
    expect(dialog.get_by_role("button", name="The numbers match: trust and verify")).to_be_visible()
    dialog.get_by_role("button", name="Trust new key and share room keys").click()
    expect(dialog).to_be_hidden()
    wait_until(page, lambda: envelopes_for(pym, room_id, generation=generation) == 1)
    expect(notice).to_have_count(0)


def open_verify_dialog(page: Page, name: str) -> Locator:
    """Room info -> "Verify" by ``name`` -> the verify dialog, filled in."""
    if page.locator("#room-info").is_hidden():
        page.get_by_role("button", name="Room info").click()
    page.get_by_role("button", name=f"Verify {name}", exact=True).click()
    dialog = page.get_by_role("dialog", name=f"Compare safety numbers with {name}")
    expect(dialog.locator("#e2e-verify-theirs")).to_have_text(re.compile(r"^(\d{5} ){11}\d{5}$"))
    return dialog


def mark_verified(page: Page, name: str) -> None:
    dialog = open_verify_dialog(page, name)
    dialog.get_by_role("button", name="Mark as verified").click()
    expect(dialog).to_be_hidden()


def test_marking_a_member_verified_is_remembered_on_the_device(people: People, server: str) -> None:
    """ "Mark as verified" in the verify dialog (from the member list) is kept on this device:
    after a reload the dialog says they are verified."""
    ann, pym = make_account("ann", "Ann Archer"), make_account("pym", "Py Member")
    python_member(server, pym)
    page = log_in_with_keys(people, ann)
    start_group(page, "verifying", ["pym"])

    dialog = open_verify_dialog(page, "Py Member")
    expect(dialog.locator("#e2e-verify-verified")).to_be_hidden()
    dialog.get_by_role("button", name="Mark as verified").click()
    expect(dialog).to_be_hidden()

    page.reload()
    wait_room_ready(page)
    dialog = open_verify_dialog(page, "Py Member")
    expect(dialog.locator("#e2e-verify-verified")).to_have_text(
        "Verified: you marked Py Member as verified on this device."
    )
    expect(dialog.get_by_role("button", name="Verified", exact=True)).to_be_disabled()
    expect(dialog.get_by_role("button", name="Mark as verified")).to_have_count(0)


def test_a_verified_member_whose_key_changes_is_flagged_prominently(
    people: People, server: str
) -> None:
    """When a member this device had marked verified resets their keys, the notice is the
    louder one (an error banner, role alert) and says so; the dialog repeats it."""
    ann, pym = make_account("ann", "Ann Archer"), make_account("pym", "Py Member")
    member = python_member(server, pym)
    page = log_in_with_keys(people, ann)
    start_group(page, "verified-reset", ["pym"])
    mark_verified(page, "Py Member")

    reset_python_keys(member, "pym")
    notice = page.locator("#banners .banner").filter(has_text="You verified Py Member before")
    expect(notice).to_be_visible()
    expect(notice).to_have_class(re.compile(r"\bbanner-error\b"))
    expect(notice).to_have_attribute("role", "alert")
    expect(notice).to_contain_text("their key has changed")

    notice.get_by_role("button", name="Compare safety numbers").click()
    dialog = page.get_by_role("dialog", name="Compare safety numbers with Py Member")
    expect(
        dialog.get_by_role("alert").filter(has_text="You verified Py Member before")
    ).to_be_visible()
    expect(dialog.locator("#e2e-verify-verified")).to_be_hidden()


def test_policy_flipped_by_the_server_does_not_re_share(people: People, server: str) -> None:
    """A server that tells browsers the key-change policy is "automatic" (the switch no longer
    exists, but a malicious server can say anything) gets no re-share to a reset identity
    without a click (attack 13)."""
    ann, pym = make_account("ann", "Ann Archer"), make_account("pym", "Py Member")
    member = python_member(server, pym)
    page = log_in_with_keys(people, ann)

    def automatic(route) -> None:
        response = route.fetch()
        data = response.json()
        data["settings"]["key_change_policy"] = "automatic"
        route.fulfill(response=response, json=data)

    page.route(re.compile(r"/api/e2e/$"), automatic)
    room_id = start_group(page, "auto", ["pym"])
    page.reload()
    wait_room_ready(page)
    posts = record_posts(page)
    passes = sharing_passes(page)

    reset_python_keys(member, "pym")
    generation = generation_of(pym)
    expect(
        page.locator("#banners").get_by_text("Py Member's encryption key changed")
    ).to_be_visible()
    wait_for_sharing_pass(page, after=passes)
    assert pym.pk not in sealed_to(posts)
    assert envelopes_for(pym, room_id, generation=generation) == 0


@off_the_loop
def keys_opened_by(identity: crypto.GeneratedIdentity, user: User, room_id: int) -> int:
    """Count the room's envelopes for ``user`` that ``identity``'s private key can open."""
    room = Room.objects.get(pk=room_id)
    opened = 0
    for row in KeyEnvelope.objects.filter(recipient=user, key__room=room):
        sender = crypto.verify_public_identity(
            UserIdentity.objects.get(user_id=row.sender_id).public, str(row.sender_id)
        )
        try:
            crypto.open_envelope(
                row.envelope,
                room_id=str(room.uid),
                sender_id=str(row.sender_id),
                recipient_id=str(user.pk),
                sender_sign_public_key=sender.sign_public_key,
                recipient_agreement_key=identity.agreement_key,
                recipient_dh_public_key=crypto.b64u_decode(identity.public_identity["x25519"]),
            )
        except crypto.KeyroomCryptoError:
            continue
        opened += 1
    return opened


@off_the_loop
def slip_in(room_id: int, user: User) -> None:
    """The server adds a member in the database: no chain entry from anyone."""
    room = Room.objects.get(pk=room_id)
    Membership.objects.create(room=room, user=user, last_read_seq=room.last_seq)


def test_a_substituted_identity_and_a_slipped_in_member_get_no_key(
    people: People, server: str
) -> None:
    """A member's identity swapped by the server shows the key-changed notice and gets no
    re-share; a member inserted without a chain entry gets no key (attack 2); a properly added
    newcomer still does."""
    ann, pym = make_account("ann", "Ann Archer"), make_account("pym", "Py Member")
    mallory, dan = make_account("mallory"), make_account("dan", "Dan Dale")
    python_member(server, pym)
    python_member(server, mallory)
    page = log_in_with_keys(people, ann)
    room_id = start_group(page, "guarded", ["pym"])

    substitute = substitute_identity(pym)
    slip_in(room_id, mallory)
    posts = record_posts(page)
    page.reload()
    wait_room_ready(page)
    expect(
        page.locator("#banners").get_by_text("Py Member's encryption key changed")
    ).to_be_visible()
    wait_for_sharing_pass(page, after=0)  # the reloaded page's pass over who lacks keys
    python_member(server, dan, publish=True)
    add_person(page, "dan")  # a positive control: a real newcomer is sealed to
    recipients = sealed_to(posts)
    assert dan.pk in recipients
    assert pym.pk not in recipients and mallory.pk not in recipients
    assert envelopes_for(mallory, room_id) == 0
    assert keys_opened_by(substitute, pym, room_id) == 0


def test_history_signed_with_an_earlier_key_still_verifies_and_says_so(
    people: People, server: str
) -> None:
    """After a member resets their keys and a holder trusts the new identity, what the member
    signed before still shows as verified, against the identity the room's chain recorded for
    them then, and its key icon says it was signed with their earlier key."""
    ann, pym = make_account("ann", "Ann Archer"), make_account("pym", "Py Member")
    member = python_member(server, pym)
    page = log_in_with_keys(people, ann)
    room_id = start_encrypted_group(member, "history", [ann.pk])
    seed_encrypted(member, pym, room_id, ["signed with the first key"])
    open_room_page(page, server, room_id)
    expect_verified(page, "signed with the first key")

    reset_python_keys(member, "pym")
    page.locator("#banners").get_by_role("button", name="Compare safety numbers").click()
    dialog = page.get_by_role("dialog", name="Compare safety numbers with Py Member")
    dialog.get_by_role("button", name="Trust new key and share room keys").click()
    expect(dialog).to_be_hidden()
    page.reload()
    item = message_with(page, "signed with the first key")
    expect(
        item.get_by_role("img", name="Encrypted, signed with the sender's earlier key")
    ).to_be_visible()
