"""Helpers for the chat browser tests: one browser context per person, and the room UI."""

import re
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import wraps

from django.db import connections
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Locator, Page, expect

from accounts.models import User
from chat import actions
from chat.checks import check_message_content
from chat.models import Message, Room, RoomKind

DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 360, "height": 740}


def off_the_loop[**P, R](function: Callable[P, R]) -> Callable[P, R]:
    """Run ``function`` in a worker thread. Playwright's sync API keeps an event loop running
    in the test thread, and actions send their events with ``async_to_sync``, which refuses to
    run there. (The events go to the test process's own channel layer: no browser hears them.)
    """

    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return function(*args, **kwargs)
        finally:
            connections.close_all()

    @wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(run, *args, **kwargs).result()

    return wrapper


def password_for(username: str) -> str:
    return f"{username}-Keyroom-2024"


@off_the_loop
def make_account(username: str, display_name: str = "") -> User:
    """Create an account (log in with ``password_for(username)``)."""
    return User.objects.create_user(
        username=username, password=password_for(username), display_name=display_name
    )


@off_the_loop
def make_group(owner: User, name: str, *members: User, kind: str = RoomKind.GROUP) -> Room:
    """Create a room through the real action (no browser is told: nobody is connected yet)."""
    return actions.do_create_room(owner, kind=kind, name=name, invitees=members)


@off_the_loop
def post(user: User, room: Room, body: str) -> Message:
    """Store a message through the real action."""
    message, _ = actions.do_send_message(user, room, client_id=uuid.uuid4(), body=body)
    return message


@off_the_loop
def post_content(user: User, room: Room, content: dict) -> Message:
    """Store a message of ``content`` (checked as a request's would be) through the real
    action."""
    message, _ = actions.do_send_message(
        user, room, client_id=uuid.uuid4(), content=check_message_content(content)
    )
    return message


@off_the_loop
def mark_all_read(user: User, room_id: int) -> None:
    """Mark the room read by ``user`` up to its newest message, through the real action (as if
    they had read it elsewhere; no browser is told: nobody is connected yet)."""
    room = Room.objects.get(pk=room_id)
    actions.do_mark_read(user, room, seq=room.last_seq)


class People:
    """Open pages in separate browser contexts (separate sessions) and collect every JavaScript
    error and console error (a CSP violation shows up there) for the test to assert on.
    ``context_options`` go to every new browser context (e.g. ``color_scheme="dark"``)."""

    def __init__(self, browser: Browser, server: str, **context_options: object) -> None:
        self.browser = browser
        self.server = server
        self.context_options = context_options
        self.contexts: list[BrowserContext] = []
        self.errors: list[str] = []
        self.allowed: list[re.Pattern[str]] = []

    def allow_console_error(self, pattern: str) -> None:
        self.allowed.append(re.compile(pattern))

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error" and not any(p.search(message.text) for p in self.allowed):
            self.errors.append(f"console: {message.text}")

    def new_page(self, viewport: dict | None = None) -> Page:
        context = self.browser.new_context(viewport=viewport or DESKTOP, **self.context_options)
        self.contexts.append(context)
        page = context.new_page()
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(f"pageerror: {error}"))
        return page

    def log_in(self, user: User, viewport: dict | None = None) -> Page:
        """Return a page logged in as ``user`` (through the login form), on the home page with
        its scripts running."""
        page = self.new_page(viewport)
        page.goto(f"{self.server}/accounts/login/")
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill(password_for(user.username))
        page.get_by_role("button", name="Log in").click()
        expect(page).to_have_url(f"{self.server}/")
        wait_connected(page)
        return page

    def sign_up(self, username: str, display_name: str = "", viewport: dict | None = None) -> Page:
        """Return a page of a new account made through the sign-up form, on the home page."""
        page = self.new_page(viewport)
        page.goto(f"{self.server}/accounts/signup/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Display name").fill(display_name)
        page.get_by_label("Password", exact=True).fill(password_for(username))
        page.get_by_label("Password confirmation").fill(password_for(username))
        page.get_by_role("button", name="Sign up").click()
        expect(page).to_have_url(f"{self.server}/")
        wait_connected(page)
        return page

    def close(self) -> None:
        for context in self.contexts:
            context.close()


# The room UI ---------------------------------------------------------------------------------


def wait_connected(page: Page) -> None:
    """Wait until the page's WebSocket is open (live events will reach it)."""
    expect(page.locator("html")).to_have_attribute("data-connection", "open")


def wait_room_ready(page: Page) -> None:
    """Wait until the room's history is loaded and its socket is open."""
    expect(page.locator("#message-scroller")).to_have_attribute("aria-busy", "false")
    wait_connected(page)


def open_room(page: Page, server: str, room: Room, query: str = "") -> None:
    page.goto(f"{server}/rooms/{room.pk}/{query}")
    wait_room_ready(page)


def composer(page: Page) -> Locator:
    return page.get_by_role("textbox", name="Message", exact=True)


def shown_messages(page: Page) -> Locator:
    """The messages the server has confirmed (not pending sends)."""
    return page.locator("#message-list > li.msg:not(.msg-pending)")


def shown_message(page: Page, text: str) -> Locator:
    return shown_messages(page).filter(has=page.get_by_text(text, exact=True))


def shown_seqs(page: Page) -> list[int]:
    """The seqs of the shown messages, top to bottom."""
    return [
        int(seq) for seq in shown_messages(page).evaluate_all("ns => ns.map(n => n.dataset.seq)")
    ]


# Making a new person's keys (PBKDF2 with 600,000 iterations, then publishing) can take several
# seconds on a loaded machine; until it is done, a private group holds sends (docs/PROTOCOL.md
# §16.6), so a send waits for the page's keys first, not for a fixed time.
KEYS_SETTLED = re.compile(r"^(disabled|locked|unlocked)$")


def send(page: Page, text: str) -> None:
    """Type and send a message once the page's E2E session has settled (a new person's keys
    are made); wait until the server confirmed it."""
    expect(page.locator("html")).to_have_attribute("data-e2e", KEYS_SETTLED, timeout=30_000)
    box = composer(page)
    box.fill(text)
    box.press("Enter")
    expect(shown_message(page, text)).to_be_visible()
    expect(page.locator("#message-list > li.msg-pending")).to_have_count(0)


# E2E identity (the banner, the password dialogs) ---------------------------------------------


@off_the_loop
def set_e2e(*, enabled: bool) -> None:
    """Switch E2E on or off in the database (no browser is told: pages read it on load)."""
    from e2e.models import E2ESettings

    E2ESettings.objects.update_or_create(pk=1, defaults={"enabled": enabled})


def wait_e2e(page: Page, state: str) -> None:
    """Wait until the page's E2E session is in ``state`` (disabled, none, locked, unlocked)."""
    expect(page.locator("html")).to_have_attribute("data-e2e", state)


def e2e_banner(page: Page) -> Locator:
    return page.locator("#banner-e2e")


def read_generated_password(page: Page) -> str:
    """Open the "Save your encryption password" dialog from the banner; return the password
    shown (the dialog stays open)."""
    expect(e2e_banner(page)).to_contain_text("Save your encryption password")
    e2e_banner(page).get_by_role("button", name="Show password").click()
    value = page.get_by_role("dialog", name="Save your encryption password").locator(
        "#e2e-password-value"
    )
    expect(value).not_to_be_empty()
    return value.inner_text().strip()


def unlock_keys(page: Page, password: str) -> None:
    """Unlock the keys on a device where they are locked, through the banner's dialog."""
    expect(e2e_banner(page)).to_contain_text("locked on this device")
    e2e_banner(page).get_by_role("button", name="Enter password").click()
    dialog = page.get_by_role("dialog", name="Unlock encrypted messages")
    dialog.get_by_role("textbox", name="Encryption password").fill(password)
    dialog.get_by_role("button", name="Unlock").click()
    # PBKDF2 with 600,000 iterations, then the trust record: seconds on a loaded machine.
    expect(page.locator("html")).to_have_attribute("data-e2e", "unlocked", timeout=20_000)
    expect(dialog).to_be_hidden()
