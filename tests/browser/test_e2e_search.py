"""Search inside encrypted rooms, on the device (issue 13): a word is found only once this
device decrypted it, after a reload, not on another device until that one indexes it, not after
a delete or a logout; the index's IndexedDB records hold no plaintext; the server never sees a
device-only query; "Index older messages" backfills with a progress bar; filters apply."""

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.utils.crypto import get_random_string
from playwright.sync_api import Page, expect

from accounts.models import User
from tests.browser.e2e_helpers import (
    assert_no_plaintext,
    configure_e2e,
    database_dump,
    expect_verified,
    log_in_with_keys,
    message_with,
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
    password_for,
    post,
    read_generated_password,
    send,
    unlock_keys,
    wait_connected,
)
from tests.browser.live_server import live_daphne

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("server") / "daphne.log"


@pytest.fixture(scope="module")
def keyroom_server(django_db_setup: None, django_db_blocker, server_log: Path) -> Iterator[str]:
    """This module's own daphne, whose output goes to ``server_log``."""
    yield from live_daphne(django_db_blocker, server_log)


@pytest.fixture(autouse=True)
def e2e_on() -> None:
    configure_e2e()


def unique_word() -> str:
    """A word found nowhere else (letters only: one token)."""
    return "zq" + get_random_string(12, allowed_chars="abcdefghijklmnopqrstuvwxyz")


def device_search(page: Page, server: str, word: str, **filters: str) -> None:
    """Search ``word`` on this device only (the server is not asked) with ``filters`` (the
    form's labels: room, person, since, until)."""
    if "/search/" not in page.url:
        page.goto(f"{server}/search/")
        wait_connected(page)
    expect(page.locator("#search-page")).to_have_attribute("data-search-ready", "true")
    page.locator("#search-input").fill(word)
    if "room" in filters:
        page.get_by_label("Room", exact=True).select_option(label=filters["room"])
    if "person" in filters:
        page.get_by_label("From", exact=True).select_option(label=filters["person"])
    if "since" in filters:
        page.get_by_label("Sent on or after").fill(filters["since"])
    if "until" in filters:
        page.get_by_label("Sent on or before").fill(filters["until"])
    page.get_by_label("Only encrypted rooms, on this device").check()
    page.locator("#search-form").get_by_role("button", name="Search", exact=True).click()
    expect(page.locator("#search-results-area")).to_have_attribute("data-device-searched", "true")


def indexed(page: Page) -> None:
    """Wait until what the page decrypted is written to its search index."""
    expect(page.locator("html")).to_have_attribute("data-search-index-pending", "false")


def device_results(page: Page):
    return page.locator('#search-results li[data-source="device"]')


def expect_count(page: Page, word: str, count: int) -> None:
    expect(
        page.get_by_role("heading", name=re.compile(rf"^{count} results? for “{word}”"))
    ).to_be_visible()
    expect(device_results(page)).to_have_count(count)


def encrypted_room_with(
    people: People, server: str, owner: User, reader: User, texts: list[str], name: str = "vault"
):
    """A Python member ``owner`` starts an encrypted group with ``reader`` and writes ``texts``."""
    member = python_member(server, owner)
    room_id = start_encrypted_group(member, name, [reader.pk])
    seed_encrypted(member, owner, room_id, texts)
    return member, room_id


def index_records(page: Page, user: User) -> str:
    """Every record of this device's search index as IndexedDB holds it: strings as they are,
    byte arrays as UTF-8 and as latin-1 text (so no encoding hides a word)."""
    return page.evaluate(
        """async (name) => {
        const db = await new Promise((ok, fail) => {
            const r = indexedDB.open(name);
            r.onsuccess = () => ok(r.result);
            r.onerror = () => fail(r.error);
        });
        const read = (method) => new Promise((ok) => {
            const r = db.transaction("records").objectStore("records")[method]();
            r.onsuccess = () => ok(r.result);
        });
        const all = await read("getAll");
        const keys = await read("getAllKeys");
        db.close();
        const out = [JSON.stringify(keys)];
        const walk = (value) => {
            if (value instanceof Uint8Array || value instanceof ArrayBuffer) {
                const bytes = new Uint8Array(value);
                out.push(new TextDecoder().decode(bytes), String.fromCharCode(...bytes));
            } else if (value && typeof value === "object") {
                for (const item of Object.values(value)) walk(item);
            } else out.push(String(value));
        };
        walk(all);
        return JSON.stringify({count: all.length, text: out.join("\\n")});
    }""",
        f"keyroom-e2e-search-{user.pk}",
    )


def test_found_only_after_this_device_decrypted_it(people: People, server: str) -> None:
    """A word of an encrypted room is not found before this device opened the room; after
    that it is, marked "On this device", also after a reload, and the result jumps to it."""
    ann, pym = make_account("ann"), make_account("pym", "Py Member")
    word = unique_word()
    page = log_in_with_keys(people, ann)
    page.goto("about:blank")  # no page of ann's decrypts them before the test does
    _, room_id = encrypted_room_with(people, server, pym, ann, [f"the {word} plan"])

    device_search(page, server, word)
    expect_count(page, word, 0)

    open_room_page(page, server, room_id)
    expect_verified(page, f"the {word} plan")
    indexed(page)
    device_search(page, server, word)
    expect_count(page, word, 1)
    result = device_results(page).first
    expect(result).to_contain_text(f"the {word} plan")
    expect(result).to_contain_text("On this device")
    expect(result).to_contain_text("Py Member")

    page.reload()
    wait_connected(page)
    device_search(page, server, word)
    expect_count(page, word, 1)
    device_results(page).first.get_by_role("link").click()
    expect(page).to_have_url(re.compile(rf"/rooms/{room_id}/\?m=\d+$"))
    expect_verified(page, f"the {word} plan")


def test_search_everywhere_merges_server_and_device_results(people: People, server: str) -> None:
    """A search of all rooms shows the server's plaintext result and the device's encrypted one
    in one list, each marked with where it came from."""
    ann, bob = make_account("ann"), make_account("bob")
    word = unique_word()
    plain = make_group(ann, "open", bob)
    post(ann, plain, f"{word} in the clear")
    page = log_in_with_keys(people, ann)
    page.goto("about:blank")  # no page of ann's decrypts them before the test does
    _, room_id = encrypted_room_with(people, server, bob, ann, [f"{word} under wraps"])
    open_room_page(page, server, room_id)
    expect_verified(page, f"{word} under wraps")
    indexed(page)

    page.goto(f"{server}/search/?q={word}")
    expect(page.locator("#search-page")).to_have_attribute("data-search-ready", "true")
    expect(page.get_by_role("heading", name=f"2 results for “{word}”")).to_be_visible()
    server_item = page.locator('#search-results li[data-source="server"]')
    expect(server_item).to_have_count(1)
    expect(server_item).to_contain_text("Server")
    expect(server_item).to_contain_text(f"{word} in the clear")
    expect(device_results(page)).to_contain_text(f"{word} under wraps")


def test_another_device_finds_it_only_after_indexing(people: People, server: str) -> None:
    """Ann's second browser (keys unlocked there) does not find what her first one indexed
    until it decrypts the room itself, here with "Index older messages"."""
    ann, pym = make_account("ann"), make_account("pym", "Py Member")
    word = unique_word()
    laptop = log_in_with_keys(people, ann)
    password = read_generated_password(laptop)
    laptop.keyboard.press("Escape")
    _, room_id = encrypted_room_with(people, server, pym, ann, [f"laptop saw {word}"])
    open_room_page(laptop, server, room_id)
    expect_verified(laptop, f"laptop saw {word}")
    indexed(laptop)
    device_search(laptop, server, word)
    expect_count(laptop, word, 1)

    phone = people.log_in(ann)
    unlock_keys(phone, password)
    device_search(phone, server, word)
    expect_count(phone, word, 0)
    row = phone.locator(f'.device-room[data-room-id="{room_id}"]')
    row.get_by_role("button", name=re.compile("^Index older messages")).click()
    expect(row.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "100")
    expect(row).to_have_attribute("data-indexed", "1")
    device_search(phone, server, word)
    expect_count(phone, word, 1)


def test_a_deleted_message_leaves_the_index(people: People, server: str) -> None:
    """One's own message is found, and no longer once it was deleted."""
    ann, bob = make_account("ann"), make_account("bob")
    word = unique_word()
    page = log_in_with_keys(people, ann)
    page.goto("about:blank")  # no page of ann's decrypts them before the test does
    _, room_id = encrypted_room_with(people, server, bob, ann, ["hello"])
    open_room_page(page, server, room_id)
    expect_verified(page, "hello")
    indexed(page)
    send(page, f"soon gone {word}")
    indexed(page)
    device_search(page, server, word)
    expect_count(page, word, 1)

    open_room_page(page, server, room_id)
    mine = message_with(page, f"soon gone {word}")
    mine.hover()
    mine.get_by_role("button", name="Delete message").click()
    page.get_by_role("dialog", name="Delete this message?").get_by_role(
        "button", name="Delete"
    ).click()
    room_settled(page)
    expect(message_with(page, "Message deleted")).to_have_count(1)
    indexed(page)
    device_search(page, server, word)
    expect_count(page, word, 0)


def test_logout_wipes_the_index(people: People, server: str) -> None:
    """After logging out and in again (keys unlocked), the word is not found until the room is
    decrypted again."""
    ann, pym = make_account("ann"), make_account("pym", "Py Member")
    word = unique_word()
    page = log_in_with_keys(people, ann)
    password = read_generated_password(page)
    page.keyboard.press("Escape")
    _, room_id = encrypted_room_with(people, server, pym, ann, [f"before logout {word}"])
    open_room_page(page, server, room_id)
    expect_verified(page, f"before logout {word}")
    indexed(page)
    device_search(page, server, word)
    expect_count(page, word, 1)

    page.get_by_role("button", name="Log out").click()
    expect(page.locator("html")).to_have_attribute("data-e2e-wiped", "true")
    page.get_by_label("Username").fill(ann.username)
    page.get_by_label("Password").fill(password_for(ann.username))
    page.get_by_role("button", name="Log in").click()
    wait_connected(page)
    unlock_keys(page, password)
    device_search(page, server, word)
    expect_count(page, word, 0)
    open_room_page(page, server, room_id)
    expect_verified(page, f"before logout {word}")
    indexed(page)
    device_search(page, server, word)
    expect_count(page, word, 1)


def test_the_stored_index_holds_no_plaintext(people: People, server: str) -> None:
    """Every record of the search index in IndexedDB is ciphertext: the indexed words, the
    sender's name and the text appear nowhere in them."""
    ann, pym = make_account("ann"), make_account("pym", "Pym Sendername")
    word = unique_word()
    page = log_in_with_keys(people, ann)
    page.goto("about:blank")  # no page of ann's decrypts them before the test does
    _, room_id = encrypted_room_with(people, server, pym, ann, [f"stored {word} here"])
    open_room_page(page, server, room_id)
    expect_verified(page, f"stored {word} here")
    indexed(page)
    device_search(page, server, word)
    expect_count(page, word, 1)  # so the index was written and read back

    dump = index_records(page, ann)
    assert '"count":0' not in dump
    for secret in [word, "Sendername", "stored"]:
        assert secret not in dump, f"{secret!r} is in the stored index"


def test_the_server_never_sees_a_device_query(
    people: People, server: str, server_log: Path
) -> None:
    """A device-only search sends the word in no request (URL or body), and it reaches neither
    the server's log nor its database."""
    ann, pym = make_account("ann"), make_account("pym", "Py Member")
    word = unique_word()
    page = log_in_with_keys(people, ann)
    page.goto("about:blank")  # no page of ann's decrypts them before the test does
    _, room_id = encrypted_room_with(people, server, pym, ann, [f"private {word}"])
    open_room_page(page, server, room_id)
    expect_verified(page, f"private {word}")
    indexed(page)
    page.goto(f"{server}/search/")
    wait_connected(page)

    sent: list[str] = []
    page.on("request", lambda request: sent.append(f"{request.url}\n{request.post_data or ''}"))
    page.on("websocket", lambda ws: ws.on("framesent", lambda frame: sent.append(str(frame))))
    device_search(page, server, word)
    expect_count(page, word, 1)
    page.get_by_label("Room", exact=True).select_option(index=0)
    page.wait_for_load_state("networkidle")
    assert_no_plaintext([word], where="page's requests", haystack="\n".join(sent))
    assert_no_plaintext([word], where="server log", haystack=server_log.read_text())
    assert_no_plaintext([word], where="database", haystack=database_dump())


def test_index_older_messages_backfills_with_progress(people: People, server: str) -> None:
    """Messages never opened on this device are found after "Index older messages", whose
    progress bar goes to 100; the room says how many it indexed."""
    ann, pym = make_account("ann"), make_account("pym", "Py Member")
    word = unique_word()
    page = log_in_with_keys(people, ann)
    texts = [f"ancient {word}"] + [f"filler {n}" for n in range(1, 120)]
    page.goto("about:blank")  # no page of ann's hears them arrive: none is decrypted yet
    _, room_id = encrypted_room_with(people, server, pym, ann, texts)
    mark_all_read(ann, room_id)

    device_search(page, server, word)
    expect_count(page, word, 0)
    row = page.locator(f'.device-room[data-room-id="{room_id}"]')
    expect(row).to_contain_text("0 of ~")
    row.get_by_role("button", name=re.compile("^Index older messages")).click()
    bar = row.get_by_role("progressbar")
    expect(bar).to_be_visible()
    expect(bar).to_have_attribute("aria-valuenow", "100", timeout=30_000)
    expect(row).to_contain_text("120 of ~")
    device_search(page, server, word)
    expect_count(page, word, 1)


def test_a_backfill_cut_off_by_a_reload_resumes_where_it_stopped(
    people: People, server: str
) -> None:
    """A backfill interrupted by a reload goes on by itself when the search page opens again,
    from where it stopped: the history pages it had already indexed are not fetched again."""
    ann, pym = make_account("ann"), make_account("pym", "Py Member")
    word = unique_word()
    page = log_in_with_keys(people, ann)
    texts = [f"ancient {word}"] + [f"filler {n}" for n in range(1, 150)]
    page.goto("about:blank")  # no page of ann's hears them arrive: none is decrypted yet
    _, room_id = encrypted_room_with(people, server, pym, ann, texts)
    mark_all_read(ann, room_id)
    history = re.compile(rf"/api/rooms/{room_id}/messages/\?(.*&)?before=(\d+)")
    asked: list[str] = []
    held: list[str] = []
    after: list[str] = []
    holding = [True]

    def hold_the_second_older_page(route) -> None:
        before = history.search(route.request.url).group(2)
        if not holding[0]:
            after.append(before)
            route.continue_()
        elif not asked:
            asked.append(before)
            route.continue_()
        else:
            asked.append(before)
            held.append(before)  # never answered: the reload cuts the backfill off here

    page.route(history, hold_the_second_older_page)
    device_search(page, server, word)
    row = page.locator(f'.device-room[data-room-id="{room_id}"]')
    row.get_by_role("button", name=re.compile("^Index older messages")).click()
    expect(row.get_by_role("progressbar")).to_be_visible()
    wait_until(page, lambda: bool(held), seconds=30)  # the backfill asked for a second page
    # What the first page indexed, and how far the backfill got, are stored before the reload.
    expect(page.locator("html")).to_have_attribute("data-search-index-pending", "false")
    holding[0] = False
    page.reload()
    wait_connected(page)
    row = page.locator(f'.device-room[data-room-id="{room_id}"]')
    expect(row).to_contain_text(f"{len(texts)} of ~", timeout=30_000)
    assert asked[0] not in after, (asked, after)
    assert held[0] in after, (held, after)
    device_search(page, server, word)
    expect_count(page, word, 1)


def test_filters_apply_to_device_results(people: People, server: str) -> None:
    """Room, person and date filters narrow the device's results like the server's."""
    ann, pym, kit = make_account("ann"), make_account("pym", "Py Member"), make_account("kit")
    word = unique_word()
    page = log_in_with_keys(people, ann)
    page.goto("about:blank")  # no page of ann's decrypts them before the test does
    _, first = encrypted_room_with(people, server, pym, ann, [f"{word} one"], name="first")
    _, second = encrypted_room_with(people, server, kit, ann, [f"{word} two"], name="second")
    for room_id in (first, second):
        open_room_page(page, server, room_id)
        room_settled(page)
        indexed(page)

    device_search(page, server, word)
    expect_count(page, word, 2)
    device_search(page, server, word, room="second (encrypted)")
    expect_count(page, word, 1)
    expect(device_results(page)).to_contain_text(f"{word} two")
    page.get_by_label("Room", exact=True).select_option(index=0)
    device_search(page, server, word, person="Py Member (@pym)")
    expect_count(page, word, 1)
    expect(device_results(page)).to_contain_text(f"{word} one")
    page.get_by_label("From", exact=True).select_option(index=0)
    device_search(page, server, word, until="2000-01-01")
    expect_count(page, word, 0)
    device_search(page, server, word, until="", since="2000-01-01")
    expect_count(page, word, 2)
