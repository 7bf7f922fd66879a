"""Accessibility in Chromium: axe-core over the main pages and dialogs (login, a plaintext and
an encrypted room, room info, the "@" autocomplete and the mention badge, the create dialog,
search and browse, My Account -> Encryption and -> Notifications, the unlock and verify
dialogs), in the light and the dark colour scheme. Any serious or critical violation fails, and
so does any violation of the rules in ``ANY_IMPACT``.

axe-core is a test dependency from npm (package.json; ``make test-browser`` installs it into
node_modules/): the test injects it into the page; the app never serves it.
"""

import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from chat import actions
from chat.models import text_content
from tests.browser.e2e_helpers import (
    configure_e2e,
    log_in_with_keys,
    python_room_seen,
)
from tests.browser.helpers import (
    People,
    composer,
    e2e_banner,
    make_account,
    make_group,
    off_the_loop,
    open_room,
    post,
    read_generated_password,
    wait_e2e,
)

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
FAILING_IMPACTS = {"serious", "critical"}
# Rules that fail at any impact: several search landmarks on a page need distinct names
# (axe rates that "moderate").
ANY_IMPACT = {"landmark-unique"}


@pytest.fixture(params=["light", "dark"])
def people(request: pytest.FixtureRequest, browser: Browser, server: str) -> Iterator[People]:
    """Browser contexts in one colour scheme, E2E on; fail the test on any console error.

    The contexts bypass the page's CSP (``script-src 'self'``), which would refuse the injected
    axe-core script; the other browser tests keep the CSP and fail on any violation of it.
    Reduced motion: no transition is half-way when axe measures colour contrast."""
    assert AXE.exists(), f"{AXE} is missing: run `npm ci` (make test-browser does)"
    configure_e2e()
    crowd = People(
        browser, server, color_scheme=request.param, reduced_motion="reduce", bypass_csp=True
    )
    yield crowd
    crowd.close()
    assert crowd.errors == []


def axe_violations(page: Page, where: str) -> list[str]:
    """Run axe-core over ``page`` as it is now; return one line per failing violation (and
    per search landmark without a name)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=AXE.read_text())
    results = page.evaluate("() => axe.run(document, { resultTypes: ['violations'] })")
    found = []
    for violation in results["violations"]:
        if violation["impact"] in FAILING_IMPACTS or violation["id"] in ANY_IMPACT:
            targets = [
                f"{json.dumps(node['target'])} {' '.join(node['html'].split())[:100]}"
                for node in violation["nodes"]
            ]
            found.append(
                f"{where}: {violation['id']} ({violation['impact']}): {violation['help']} "
                f"-- {'; '.join(targets)}"
            )
    return found + unnamed_search_landmarks(page, where)


def unnamed_search_landmarks(page: Page, where: str) -> list[str]:
    """Return a line per search landmark without a name of its own (axe accepts one unnamed
    landmark next to named ones; a screen reader's landmark list then shows a bare "search")."""
    unnamed = page.evaluate(
        """() => [...document.querySelectorAll("[role=search], search")]
            .filter((node) => !(node.getAttribute("aria-label") || "").trim()
                && !(node.getAttribute("aria-labelledby") || "").split(/\\s+/)
                    .some((id) => document.getElementById(id)?.textContent.trim()))
            .map((node) => node.outerHTML.replace(/\\s+/g, " ").slice(0, 100))"""
    )
    return [f"{where}: search landmark without a name -- {html}" for html in unnamed]


@off_the_loop
def mention(sender, room, person) -> None:
    """Store a plaintext message of ``sender`` mentioning ``person``."""
    body = f"@{person.username} look"
    content = text_content(body, mentions=[person.pk])
    actions.do_send_message(sender, room, client_id=uuid.uuid4(), content=content)


def test_main_pages_and_dialogs_have_no_serious_violations(people: People, server: str) -> None:
    """In either colour scheme, axe-core finds no serious or critical violation on the main
    pages and dialogs, and every search landmark has a name of its own."""
    ann = make_account("ann", "Ann Archer")
    bob = make_account("bob", "Bob Baker")
    pym = make_account("pym", "Py Member")
    found: list[str] = []

    login = people.new_page()
    login.goto(f"{server}/accounts/login/")
    expect(login.get_by_role("button", name="Log in")).to_be_visible()
    found += axe_violations(login, "login")

    page = log_in_with_keys(people, ann)
    read_generated_password(page)
    found += axe_violations(page, "home, save-password dialog")
    page.get_by_role("button", name="I have saved it").click()
    expect(page.get_by_role("dialog")).to_have_count(0)

    plain = make_group(ann, "plain-talk", bob)
    post(bob, plain, "hello in the clear")
    mention(bob, make_group(bob, "pinged", ann), ann)  # a mention badge in the sidebar
    open_room(page, server, plain)
    expect(page.get_by_text("hello in the clear")).to_be_visible()
    expect(page.locator(".badge-mention")).to_be_visible()
    found += axe_violations(page, "plaintext room")

    composer(page).press_sequentially("@")
    expect(page.get_by_role("listbox", name="People to mention")).to_be_visible()
    found += axe_violations(page, "mention autocomplete")
    composer(page).press("Escape")
    composer(page).fill("")

    page.get_by_role("button", name="Room info").click()
    expect(page.get_by_role("complementary", name="Room info")).to_be_visible()
    found += axe_violations(page, "room info (plaintext)")

    page.get_by_role("button", name="Create channel").click()
    expect(
        page.get_by_role("dialog", name=re.compile("Create a (channel|private group)"))
    ).to_be_visible()
    found += axe_violations(page, "create dialog")
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)

    _member, _room_id = python_room_seen(
        page, server, pym, "secret-talk", "hello in secret", invite=[ann]
    )
    found += axe_violations(page, "encrypted room")

    page.get_by_role("button", name="Room info").click()
    panel = page.get_by_role("complementary", name="Room info")
    found += axe_violations(page, "room info (encrypted)")
    panel.get_by_role("listitem").filter(has_text="Py Member").locator(
        "button", has_text="Verify"
    ).click()
    expect(page.get_by_role("dialog", name="Compare safety numbers with Py Member")).to_be_visible()
    found += axe_violations(page, "verify dialog")
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)

    page.goto(f"{server}/search/?q=hello")
    expect(page.get_by_role("heading", name="Search", exact=True)).to_be_visible()
    found += axe_violations(page, "search")
    page.goto(f"{server}/channels/")
    expect(page.get_by_role("status").filter(has_text="Loading")).to_have_count(0)
    found += axe_violations(page, "browse")

    page.goto(f"{server}/accounts/account/encryption/")
    wait_e2e(page, "unlocked")
    found += axe_violations(page, "Encryption page")
    page.goto(f"{server}/accounts/account/notifications/")
    expect(page.get_by_role("heading", name="Notifications", exact=True)).to_be_visible()
    found += axe_violations(page, "Notifications page")

    phone = people.log_in(ann)
    wait_e2e(phone, "locked")
    e2e_banner(phone).get_by_role("button", name="Enter password").click()
    expect(phone.get_by_role("dialog", name="Unlock encrypted messages")).to_be_visible()
    found += axe_violations(phone, "unlock dialog")

    assert not found, "axe-core violations:\n" + "\n".join(found)
