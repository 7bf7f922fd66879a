"""The trust record endpoint: owner only, shape-checked, and its version only grows."""

import json

import pytest
from django.test import Client

from e2e import crypto
from e2e.models import E2ESettings, UserIdentity

pytestmark = pytest.mark.django_db


def api(client: Client, method: str, url: str, body: dict | None = None):
    return client.generic(
        method, url, json.dumps(body) if body is not None else "", content_type="application/json"
    )


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def with_identity(user) -> crypto.GeneratedIdentity:
    made = crypto.generate_identity(str(user.pk))
    UserIdentity.objects.create(
        user=user, public=made.public_identity, fingerprint="f" * 64, backup={}
    )
    return made


def record(user, made: crypto.GeneratedIdentity, version: int) -> dict:
    state = {"v": 1, "user": str(user.pk), "pins": [], "rooms": []}
    return crypto.seal_trust_record(
        state,
        user_id=str(user.pk),
        version=version,
        signing_key=made.signing_key,
        agreement_key=made.agreement_key,
    )


@pytest.fixture
def enabled(db) -> E2ESettings:
    return E2ESettings.objects.create(pk=1, enabled=True)


def test_owner_stores_and_reads_the_record(enabled, make_user):
    """The owner's record comes back as stored, with its version."""
    ann = make_user()
    made = with_identity(ann)
    client = login(ann)
    assert api(client, "GET", "/api/e2e/trust/").json() == {"record": None, "version": 0}
    sent = record(ann, made, 1)
    assert api(client, "PUT", "/api/e2e/trust/", {"record": sent}).json() == {"version": 1}
    assert api(client, "GET", "/api/e2e/trust/").json() == {"record": sent, "version": 1}


def test_record_is_owner_only(enabled, make_user):
    """Another user reads and writes only their own record, never someone else's."""
    ann, bob = make_user(), make_user()
    made = with_identity(ann)
    with_identity(bob)
    api(login(ann), "PUT", "/api/e2e/trust/", {"record": record(ann, made, 5)})
    bob_client = login(bob)
    assert api(bob_client, "GET", "/api/e2e/trust/").json() == {"record": None, "version": 0}
    response = api(bob_client, "PUT", "/api/e2e/trust/", {"record": record(ann, made, 6)})
    assert response.status_code == 200
    assert UserIdentity.objects.get(user=ann).trust_version == 5
    assert UserIdentity.objects.get(user=bob).trust_version == 6


def test_logged_out_request_is_refused(enabled, make_user):
    """Without a session there is no trust record to read."""
    ann = make_user()
    with_identity(ann)
    assert Client().get("/api/e2e/trust/").status_code in {302, 401, 403}


def test_version_must_grow(enabled, make_user):
    """A record whose version is not above the stored one is refused and nothing changes."""
    ann = make_user()
    made = with_identity(ann)
    client = login(ann)
    newer = record(ann, made, 3)
    assert api(client, "PUT", "/api/e2e/trust/", {"record": newer}).status_code == 200
    for version in (3, 2):
        response = api(client, "PUT", "/api/e2e/trust/", {"record": record(ann, made, version)})
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "stale_version"
    assert api(client, "GET", "/api/e2e/trust/").json()["record"] == newer


@pytest.mark.parametrize(
    "change",
    [
        {"v": 2},
        {"version": 0},
        {"version": "4"},
        {"iv": "AAAA"},
        {"ct": "AAAA"},
        {"extra": 1},
    ],
)
def test_shape_is_checked(enabled, make_user, change):
    """A record of the wrong shape is refused before anything is stored."""
    ann = make_user()
    made = with_identity(ann)
    response = api(login(ann), "PUT", "/api/e2e/trust/", {"record": record(ann, made, 4) | change})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_trust_record"
    assert UserIdentity.objects.get(user=ann).trust_version == 0


def test_record_needs_an_identity(enabled, make_user):
    """A user without keys has no record and cannot store one."""
    ann = make_user()
    made = crypto.generate_identity(str(ann.pk))
    client = login(ann)
    assert api(client, "GET", "/api/e2e/trust/").status_code == 404
    response = api(client, "PUT", "/api/e2e/trust/", {"record": record(ann, made, 1)})
    assert response.json()["error"]["code"] == "no_identity"
