"""Typing and presence in Chromium, two people, in a plaintext and an encrypted group:
"Ann is typing…" for Bob, ended on send, on blur and after silence (docs/ARCHITECTURE.md
"Typing"); Ann online, away and offline for Bob (docs/ARCHITECTURE.md "Presence")."""

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.browser.e2e_helpers import PAIR_ROOMS
from tests.browser.helpers import (
    People,
    composer,
    make_account,
    make_group,
    open_room,
    send,
    shown_message,
)

pytestmark = pytest.mark.browser

# A tab without input says "idle" after 8 s in the tests (KEYROOM_PRESENCE_IDLE_SECONDS in
# keyroom/settings_test.py); this leaves room for a loaded machine.
AWAY_MS = 30_000
# The last tab closed: offline after a 1 s grace period in the tests.
OFFLINE_MS = 15_000

# The sender stops after 5 s without a keystroke and a receiver forgets after 6 s
# (static/js/chat/typing_data.js); this leaves room for a loaded machine.
SILENCE_MS = 12_000


def typing_line(page: Page):
    return page.locator("#typing-indicator")


@pytest.mark.parametrize("make_room", PAIR_ROOMS)
def test_typing_shows_and_ends_on_send_blur_and_silence(
    people: People, server: str, make_room: Callable[[People, str], tuple[Page, Page]]
) -> None:
    """Bob sees "Ann Archer is typing…" while Ann types, in a polite live region; it ends when
    her message arrives, when she leaves the composer, and after a few seconds of silence.
    Ann never sees her own typing."""
    ann_page, bob_page = make_room(people, server)
    line = typing_line(bob_page)
    expect(line).to_have_attribute("aria-live", "polite")

    composer(ann_page).fill("meet at")
    expect(line).to_have_text("Ann Archer is typing…")
    expect(typing_line(ann_page)).to_have_text("")
    send(ann_page, "meet at noon")
    expect(shown_message(bob_page, "meet at noon")).to_be_visible()
    expect(line.get_by_text("Ann Archer is typing…")).to_be_hidden()

    composer(ann_page).fill("one more")
    expect(line).to_have_text("Ann Archer is typing…")
    composer(ann_page).blur()
    expect(line.get_by_text("Ann Archer is typing…")).to_be_hidden()

    composer(ann_page).focus()
    composer(ann_page).press_sequentially("and then")
    expect(line).to_have_text("Ann Archer is typing…")
    expect(line.get_by_text("Ann Archer is typing…")).to_be_hidden(timeout=SILENCE_MS)


def test_two_typists_are_named_together(people: People, server: str) -> None:
    """Cat sees both when Ann and Bob type at once, and one again when the other sends."""
    ann, bob = make_account("ann", "Ann Archer"), make_account("bob", "Bob Baker")
    cat = make_account("cat", "Cat Cole")
    room = make_group(ann, "trio", bob, cat)
    pages = [people.log_in(user) for user in (ann, bob, cat)]
    for page in pages:
        open_room(page, server, room)
    ann_page, bob_page, cat_page = pages
    composer(ann_page).fill("I think")
    expect(typing_line(cat_page)).to_have_text("Ann Archer is typing…")
    composer(bob_page).fill("No,")
    expect(typing_line(cat_page)).to_have_text("Ann Archer and Bob Baker are typing…")
    send(bob_page, "No, wait")
    expect(typing_line(cat_page)).to_have_text("Ann Archer is typing…")


def member_presence(page: Page, name: str):
    """Open the room info panel if needed; return ``name``'s dot and words in its member list."""
    if page.locator("#room-info").is_hidden():
        page.locator("#room-info-button").click()
    row = page.locator("#member-list .member").filter(has_text=name)
    return row.locator(".presence-dot"), row.locator(".presence-label")


@pytest.mark.parametrize("make_room", PAIR_ROOMS)
def test_presence_goes_online_away_offline(
    people: People, server: str, make_room: Callable[[People, str], tuple[Page, Page]]
) -> None:
    """Bob sees Ann online on her avatar while she uses her page (the state in words for
    screen readers), away once she has left it alone for the idle delay, online again at her
    next key, and offline after she closes it; Ann sees herself online."""
    ann_page, bob_page = make_room(people, server)
    dot, words = member_presence(bob_page, "Ann Archer")
    ann_page.mouse.move(20, 20)
    ann_page.mouse.move(40, 40)
    expect(dot).to_have_attribute("data-presence", "online")
    expect(words).to_have_text(", online")
    own_dot, _ = member_presence(ann_page, "Ann Archer")
    expect(own_dot).to_have_attribute("data-presence", "online", timeout=AWAY_MS)

    expect(dot).to_have_attribute("data-presence", "away", timeout=AWAY_MS)
    expect(words).to_have_text(", away")
    ann_page.keyboard.press("Shift")
    expect(dot).to_have_attribute("data-presence", "online")

    ann_page.close()
    expect(dot).to_have_attribute("data-presence", "offline", timeout=OFFLINE_MS)
    expect(words).to_have_text(", offline")
