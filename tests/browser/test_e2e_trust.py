"""Durable trust in Chromium (docs/SECURITY.md attacks 14 and 16): logout and forced logouts wipe
secrets, not trust; the encrypted trust record carries pins, verified marks and known-encrypted
rooms to a new device; and a browser asks before it drops its keys because of what the server
says."""

import re

import pytest
from django.contrib.sessions.models import Session
from playwright.sync_api import Page, expect

from accounts.models import User
from chat import actions as chat_actions
from chat.models import Message, Room, RoomKind
from e2e.models import UserIdentity
from tests.browser.e2e_helpers import (
    log_in_with_keys,
    open_room_page,
    python_room_seen,
    substitute_identity,
    wait_until,
)
from tests.browser.helpers import (
    People,
    composer,
    e2e_banner,
    make_account,
    off_the_loop,
    password_for,
    read_generated_password,
    unlock_keys,
    wait_e2e,
)

pytestmark = pytest.mark.browser

REFUSED_PLAINTEXT = "This room was end-to-end encrypted; Keyroom will not send it in plain text"
KEY_CHANGED = "Py Member's encryption key changed"


def keys_and_password(people: People, user: User) -> tuple[Page, str]:
    """Log ``user`` in on a new device (first keys made there); return the page and the E2E
    password, saved."""
    page = log_in_with_keys(people, user)
    password = read_generated_password(page)
    page.get_by_role("button", name="I have saved it").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    return page, password


@off_the_loop
def end_sessions(user: User) -> None:
    """End every session of ``user`` on the server (a forced logout: no logout page runs)."""
    for session in Session.objects.all():
        if session.get_decoded().get("_auth_user_id") == str(user.pk):
            session.delete()


@off_the_loop
def withhold_trust_record(user: User) -> None:
    """The server "loses" ``user``'s trust record, so only what the device kept can help."""
    UserIdentity.objects.filter(user=user).update(trust_record=None, trust_version=0)


def force_logout(page: Page, user: User) -> str:
    """End ``user``'s sessions on the server while the device is away from the page (so no
    request of the old page meets the ended session), and withhold the trust record that
    would bring the trust back (test_trust_follows_user_to_new_device tests that path): what
    this device trusts must survive on the device itself. Return the page's address."""
    url = page.url
    page.goto("about:blank")
    end_sessions(user)
    withhold_trust_record(user)
    return url


def log_in_again(page: Page, user: User, password: str, url: str) -> None:
    """Come back after a forced logout: the log-in page (which wipes this device's secrets),
    then log in and unlock the keys with the E2E password."""
    page.goto(url)
    expect(page).to_have_url(re.compile("/accounts/login/"))
    expect(page.locator("html")).to_have_attribute("data-e2e-wiped", "true")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(password_for(user.username))
    page.get_by_role("button", name="Log in").click()
    wait_e2e(page, "locked")
    unlock_keys(page, password)


@off_the_loop
def flip_to_plaintext(room_id: int) -> None:
    Room.objects.filter(pk=room_id).update(encrypted=False)


def local(page: Page, user: User, store: str, key: int | str):
    """Return the record ``key`` of this device's E2E ``store`` (IndexedDB), or None."""
    return page.evaluate(
        """async ([userId, store, key]) => {
            const { Store } = await import("/static/js/e2e/store.js");
            const opened = await Store.open(userId);
            const value = await opened.get(store, key);
            opened.close();
            return value ? JSON.parse(JSON.stringify(value, (k, v) =>
                v instanceof CryptoKey ? "CryptoKey" : v)) : null;
        }""",
        [user.pk, store, key],
    )


def encrypted_room_seen(people: People, server: str, ann: User) -> tuple[Page, str, int, User]:
    """Ann (keys, password) reads an encrypted group started by Py Member (a Python client): Ann's
    device pins Py's identity and remembers the room as encrypted. Return (page, password,
    room id, pym)."""
    pym = make_account("pym", "Py Member")
    page, password = keys_and_password(people, ann)
    _member, room_id = python_room_seen(page, server, pym, "trusted", "hello from Py", invite=[ann])
    assert local(page, ann, "rooms", room_id)["encrypted"] is True
    # What the device learnt is in the trust record before anything else happens.
    expect(page.locator("html")).to_have_attribute("data-e2e-trust", "synced")
    return page, password, room_id, pym


def test_forced_logout_then_identity_swap_still_warns(people: People, server: str) -> None:
    """A pinned person's identity swapped by the server after it ended the viewer's session
    still shows "key changed" once the viewer logs in again: the pin survived (attacks 1, 14)."""
    ann = make_account("ann", "Ann Archer")
    page, password, room_id, pym = encrypted_room_seen(people, server, ann)

    url = force_logout(page, ann)
    substitute_identity(pym)
    log_in_again(page, ann, password, url)

    expect(page).to_have_url(re.compile(rf"/rooms/{room_id}/$"))
    expect(page.locator("#banners").get_by_text(KEY_CHANGED)).to_be_visible()


def test_forced_logout_then_room_flipped_to_plaintext_is_refused(
    people: People, server: str
) -> None:
    """After a forced logout and a new login, a room this device knew as encrypted and the
    server now calls plaintext gets no plaintext: the memory survived (attacks 9, 14)."""
    ann = make_account("ann", "Ann Archer")
    page, password, room_id, _ = encrypted_room_seen(people, server, ann)

    url = force_logout(page, ann)
    flip_to_plaintext(room_id)
    log_in_again(page, ann, password, url)

    expect(page).to_have_url(re.compile(rf"/rooms/{room_id}/$"))
    box = composer(page)
    box.fill("this must never be stored in the clear")
    box.press("Enter")
    expect(page.locator("#composer-error")).to_contain_text(REFUSED_PLAINTEXT)
    expect(box).to_have_value("this must never be stored in the clear")
    assert not Room.objects.get(pk=room_id).messages.filter(body__contains="must never").exists()


def test_trust_follows_user_to_new_device(people: People, server: str) -> None:
    """A verified mark and a known-encrypted room made on device A are known on a fresh browser
    B once it unlocks: they came in the encrypted trust record, not from the server's word."""
    ann = make_account("ann", "Ann Archer")
    laptop, password, room_id, pym = encrypted_room_seen(people, server, ann)
    laptop.get_by_role("button", name="Room info").click()
    laptop.get_by_role("button", name="Verify Py Member", exact=True).click()
    dialog = laptop.get_by_role("dialog", name="Compare safety numbers with Py Member")
    dialog.get_by_role("button", name="Mark as verified").click()
    expect(dialog).to_be_hidden()
    assert local(laptop, ann, "pins", pym.pk)["verified"] is True
    expect(laptop.locator("html")).to_have_attribute("data-e2e-trust", "synced")

    # The server now says the room is plaintext: device B cannot learn it was encrypted from it.
    flip_to_plaintext(room_id)
    phone = people.log_in(ann)
    wait_e2e(phone, "locked")
    assert local(phone, ann, "rooms", room_id) is None
    unlock_keys(phone, password)
    expect(phone.locator("html")).to_have_attribute("data-e2e-trust", "synced")

    assert local(phone, ann, "pins", pym.pk)["verified"] is True
    room = local(phone, ann, "rooms", room_id)
    assert room["encrypted"] is True and room["uid"] == str(Room.objects.get(pk=room_id).uid)
    open_room_page(phone, server, room_id)
    composer(phone).fill("not in the clear")
    composer(phone).press("Enter")
    expect(phone.locator("#composer-error")).to_contain_text(REFUSED_PLAINTEXT)


@off_the_loop
def hide_identity(user: User) -> dict:
    """The server "loses" ``user``'s identity row; return its fields to put it back."""
    row = UserIdentity.objects.get(user=user)
    saved = {f: getattr(row, f) for f in ("public", "fingerprint", "backup", "generation")}
    row.delete()
    return saved


@off_the_loop
def restore_identity(user: User, saved: dict) -> None:
    UserIdentity.objects.create(user=user, password_saved=True, **saved)


def test_server_claimed_no_identity_keeps_keys(people: People, server: str) -> None:
    """When the server says the user has no identity, the device keeps its keys, says the
    server lost or hid it, and makes no new keys over it (attack 16)."""
    ann = make_account("ann", "Ann Archer")
    page, _ = keys_and_password(people, ann)
    saved = hide_identity(ann)

    page.reload()
    expect(page.locator("html")).to_have_attribute("data-e2e-claim", "no_identity")
    expect(e2e_banner(page)).to_contain_text("the server lost or hid your identity")
    assert local(page, ann, "identity", "self")["publicIdentity"] == saved["public"]
    assert not UserIdentity.objects.filter(user=ann).exists()

    # The identity comes back: the keys kept here unlock at once, without the password.
    restore_identity(ann, saved)
    page.reload()
    wait_e2e(page, "unlocked")
    expect(page.locator("html")).to_have_attribute("data-e2e-claim", "")


def test_server_claimed_other_identity_asks_first(people: People, server: str) -> None:
    """When the server shows another identity than the keys here, the device asks before it
    drops them: Escape or "This wasn't me" keep the keys (with a warning that stays); only
    "Use the new keys" drops them and locks (attack 16)."""
    ann = make_account("ann", "Ann Archer")
    page, _ = keys_and_password(people, ann)
    mine = local(page, ann, "identity", "self")["publicIdentity"]
    substitute_identity(ann)

    page.reload()
    asked = page.get_by_role("dialog", name="Your encryption keys were reset elsewhere")
    expect(asked).to_contain_text(
        re.compile(r"reset on another device at .+ \(the time is the server's claim\)")
    )
    expect(asked.get_by_role("button", name="This wasn't me")).to_be_focused()
    assert local(page, ann, "identity", "self")["publicIdentity"] == mine

    page.keyboard.press("Escape")
    expect(asked).to_be_hidden()
    expect(e2e_banner(page)).to_contain_text("other encryption keys for you")
    wait_e2e(page, "unlocked")
    assert local(page, ann, "identity", "self")["publicIdentity"] == mine

    e2e_banner(page).get_by_role("button", name="Review").click()
    asked.get_by_role("button", name="This wasn't me").click()
    expect(asked).to_be_hidden()
    expect(e2e_banner(page)).to_contain_text("you said this wasn't you")
    wait_e2e(page, "unlocked")
    assert local(page, ann, "identity", "self")["publicIdentity"] == mine

    page.reload()
    asked.get_by_role("button", name="Use the new keys").click()
    wait_e2e(page, "locked")
    expect(e2e_banner(page)).to_contain_text("locked on this device")
    assert local(page, ann, "identity", "self") is None


def test_trust_of_an_earlier_version_is_moved_not_lost(people: People, server: str) -> None:
    """Pins and rooms an earlier version kept in its one database ("keyroom-e2e-<user>") move to
    the trust database on the next page, and the old database goes."""
    ann = make_account("ann", "Ann Archer")
    page, _ = keys_and_password(people, ann)
    page.evaluate(
        """(userId) => new Promise((resolve, reject) => {
            const request = indexedDB.open(`keyroom-e2e-${userId}`, 1);
            request.onupgradeneeded = () => {
                for (const name of ["identity", "pins", "rooms", "pending"]) {
                    request.result.createObjectStore(name);
                }
            };
            request.onsuccess = () => {
                const tx = request.result.transaction("rooms", "readwrite");
                const room = {roomId: 77, uid: "u77", encrypted: true, since: 1};
                tx.objectStore("rooms").put(room, "77");
                tx.oncomplete = () => { request.result.close(); resolve(); };
                tx.onerror = () => reject(tx.error);
            };
            request.onerror = () => reject(request.error);
        })""",
        ann.pk,
    )
    page.reload()
    wait_e2e(page, "unlocked")
    assert local(page, ann, "rooms", 77)["uid"] == "u77"
    names = page.evaluate("async () => (await indexedDB.databases()).map((db) => db.name)")
    assert f"keyroom-e2e-{ann.pk}" not in names


@off_the_loop
def plain_group_with(owner: User, other: User) -> int:
    room = chat_actions.do_create_room(
        owner, kind=RoomKind.GROUP, name="plain-talk", topic="", invitees=[other]
    )
    return room.pk


def test_locked_device_waits_before_sending_where_it_cannot_tell(
    people: People, server: str
) -> None:
    """On a new device whose keys are still locked (no trust record merged yet), a message to a
    private group the server calls plaintext is held, saying why, and goes out once the keys are
    unlocked and the trust record shows the group is not one this user knew as encrypted."""
    ann, bob = make_account("ann", "Ann Archer"), make_account("bob")
    _, password = keys_and_password(people, ann)
    room_id = plain_group_with(ann, bob)
    phone = people.log_in(ann)
    wait_e2e(phone, "locked")
    open_room_page(phone, server, room_id)
    composer(phone).fill("held until unlocked")
    composer(phone).press("Enter")
    item = phone.locator("#message-list > li.msg").filter(has_text="held until unlocked")
    expect(item.get_by_role("alert")).to_contain_text("Unlock your encryption keys to send here")
    assert not sent_plainly(room_id, "held until unlocked")

    unlock_keys(phone, password)  # what waited for the keys is sent again by itself
    expect(phone.locator("html")).to_have_attribute("data-e2e-trust", "synced")
    expect(item).not_to_contain_text("Not sent")
    wait_until(phone, lambda: sent_plainly(room_id, "held until unlocked"))


@off_the_loop
def sent_plainly(room_id: int, text: str) -> bool:
    return Message.objects.filter(room_id=room_id, body=text).exists()
