"""What the server stores after the E2E identity flows: a dump of the whole database holds no
E2E password and no private key material (shared/E2EE.md, threat model: a database dump)."""

import base64
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from django.db import connection
from playwright.sync_api import Browser, Page, Request, expect

from accounts.models import User
from e2e import crypto
from e2e.models import UserIdentity
from tests.browser.helpers import (
    People,
    e2e_banner,
    make_account,
    off_the_loop,
    password_for,
    read_generated_password,
    set_e2e,
    unlock_keys,
    wait_e2e,
)

pytestmark = pytest.mark.browser


class RecordingPeople(People):
    """People whose pages record every request they send (method, URL and body)."""

    def __init__(self, browser: Browser, server: str) -> None:
        super().__init__(browser, server)
        self.sent: list[str] = []

    def new_page(self, viewport: dict | None = None) -> Page:
        page = super().new_page(viewport)
        page.context.on("request", self._record)
        return page

    def _record(self, request: Request) -> None:
        self.sent.append(f"{request.method} {request.url} {request.post_data or ''}")


@pytest.fixture
def people(browser: Browser, server: str) -> Iterator[RecordingPeople]:
    crowd = RecordingPeople(browser, server)
    yield crowd
    crowd.close()
    assert crowd.errors == []


@off_the_loop
def dump_database() -> str:
    """Return every row of every table as text (bytes also as hex and as text)."""
    lines = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            for row in cursor.fetchall():
                cells = []
                for value in row:
                    if isinstance(value, memoryview | bytes):
                        raw = bytes(value)
                        cells += [raw.hex(), raw.decode("latin-1")]
                    else:
                        cells.append(str(value))
                lines.append(f"{table}: " + " | ".join(cells))
    return "\n".join(lines)


def encodings(secret: bytes) -> set[str]:
    """Return the texts a byte string could be stored as: hex, base64, base64url, each with
    and without padding."""
    padded = [base64.b64encode(secret).decode(), base64.urlsafe_b64encode(secret).decode()]
    forms = {secret.hex(), secret.hex().upper(), *padded, *(p.rstrip("=") for p in padded)}
    return forms


def run_identity_flows(people: People, server: str, bob: User) -> tuple[Page, Page, str, str]:
    """Set up keys on a laptop, unlock them on a phone, change the password on the laptop to
    one of the user's own; return (laptop, phone, first password, second password)."""
    laptop = people.log_in(bob)
    first_password = read_generated_password(laptop)
    laptop.get_by_role("button", name="I have saved it").click()
    expect(e2e_banner(laptop)).to_be_hidden()

    phone = people.log_in(bob)
    unlock_keys(phone, first_password)

    second_password = "marmalade orbit under seven lanterns"
    laptop.goto(f"{server}/accounts/account/encryption/")
    wait_e2e(laptop, "unlocked")
    laptop.get_by_label("Current encryption password").fill(first_password)
    laptop.get_by_label("Choose my own password").check()
    laptop.get_by_label("New encryption password").fill(second_password)
    laptop.get_by_label("Repeat the new password").fill(second_password)
    laptop.locator("#e2e-change-form").get_by_label("Your login password").fill(
        password_for(bob.username)
    )
    laptop.get_by_role("button", name="Change encryption password").click()
    expect(laptop.locator("#e2e-change-status")).to_contain_text("password is changed")
    return laptop, phone, first_password, second_password


def test_database_holds_no_password_and_no_private_key(people: People, server: str) -> None:
    """After setting up keys, unlocking a second device and changing the password, the whole
    database contains neither E2E password nor the identity secret in any common encoding."""
    set_e2e(enabled=True)
    bob = make_account("bob")
    _, _, first_password, second_password = run_identity_flows(people, server, bob)

    identity = UserIdentity.objects.get(user=bob)
    secret = crypto.backup._decrypt_backup_secret(identity.backup, second_password, str(bob.pk))
    assert len(secret) == 64
    dump = dump_database()

    # Not vacuous: the dump has the user's public identity and the (encrypted) backup.
    assert identity.public["ed25519"] in dump and identity.public["x25519"] in dump
    assert identity.backup["ct"] in dump
    for password in (first_password, second_password):
        assert password not in dump
    for part in (secret, secret[:32], secret[32:]):
        for text in encodings(part):
            assert text not in dump, "private key material found in the database"


def test_passwords_never_leave_the_page(people: RecordingPeople, server: str) -> None:
    """The E2E passwords are in no request (URL or body), cookie, localStorage or
    sessionStorage during the same flows."""
    set_e2e(enabled=True)
    bob = make_account("bob")
    laptop, phone, first_password, second_password = run_identity_flows(people, server, bob)

    assert any("/api/e2e/backup/" in line and line.startswith("PUT") for line in people.sent)
    for page in (laptop, phone):
        storage = page.evaluate(
            "() => JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage)])"
        )
        assert storage == "[[],[]]"
        cookies = {c["name"]: c["value"] for c in page.context.cookies()}
        assert set(cookies) <= {"sessionid", "csrftoken"}
        for password in (first_password, second_password):
            quoted = quote(password)
            assert not any(password in line or quoted in line for line in people.sent)
            assert not any(password in value for value in cookies.values())
