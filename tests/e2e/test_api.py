"""The E2E endpoints: the switch, publishing identities, backups, resets; shapes and access."""

import json

import pytest
from django.test import Client

from e2e import checks as e2e_checks
from e2e import crypto
from e2e.models import E2ESettings, UserIdentity

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="session")
def backup_blob() -> dict:
    """A real key backup (600,000 PBKDF2 iterations: made once for the whole session)."""
    made = crypto.generate_identity("1")
    return crypto.create_backup(made.secret, "correct horse battery staple", "1")


@pytest.fixture
def enabled(db) -> E2ESettings:
    return E2ESettings.objects.create(pk=1, enabled=True)


def api(client: Client, method: str, url: str, body: dict | None = None):
    return client.generic(
        method, url, json.dumps(body) if body is not None else "", content_type="application/json"
    )


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def publish(client: Client, user, backup: dict):
    public = crypto.generate_identity(str(user.pk)).public_identity
    return api(client, "POST", "/api/e2e/identity/", {"identity": public, "backup": backup})


def test_state_reports_disabled_by_default(make_user):
    """E2E is off on a fresh instance and the user has no identity."""
    body = api(login(make_user()), "GET", "/api/e2e/").json()
    assert body["settings"]["enabled"] is False
    assert body["identity"] is None


def test_publish_refused_while_disabled(make_user, backup_blob):
    """Nobody can publish keys until an administrator enables E2E."""
    ann = make_user()
    response = publish(login(ann), ann, backup_blob)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "e2e_disabled"
    assert not UserIdentity.objects.exists()


def test_publish_identity_once(enabled, make_user, backup_blob):
    """A user publishes an identity with a backup once; a second publish is a conflict."""
    ann = make_user()
    client = login(ann)
    assert publish(client, ann, backup_blob).status_code == 201
    assert publish(client, ann, backup_blob).status_code == 409
    state = api(client, "GET", "/api/e2e/").json()
    assert state["identity"]["user"] == str(ann.pk)
    assert state["password_saved"] is False


def test_identity_for_another_user_is_refused(enabled, make_user, backup_blob):
    """An identity signed over someone else's user id is refused."""
    ann, bob = make_user(), make_user()
    public = crypto.generate_identity(str(bob.pk)).public_identity
    response = api(
        login(ann), "POST", "/api/e2e/identity/", {"identity": public, "backup": backup_blob}
    )
    assert response.json()["error"]["code"] == "bad_identity"
    assert not UserIdentity.objects.exists()


def _tampered_signature(public: dict) -> dict:
    sig = bytearray(crypto.b64u_decode(public["sig"]))
    sig[0] ^= 1
    return {**public, "sig": crypto.b64u_encode(bytes(sig))}


@pytest.mark.parametrize(
    "mangle",
    [
        lambda p: _tampered_signature(p),
        lambda p: {**p, "v": 2},
        lambda p: {**p, "x25519": "AAAA"},
        lambda p: {**p, "extra": 1},
        lambda p: "not an object",
        lambda p: None,
        lambda p: [p],
    ],
)
def test_bad_identities_are_refused(enabled, make_user, backup_blob, mangle):
    """Malformed, unsigned or altered identities get a clear 400 and nothing is stored."""
    ann = make_user()
    public = crypto.generate_identity(str(ann.pk)).public_identity
    response = api(
        login(ann),
        "POST",
        "/api/e2e/identity/",
        {"identity": mangle(public), "backup": backup_blob},
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_identity"
    assert not UserIdentity.objects.exists()


@pytest.mark.parametrize(
    ("mangle", "code"),
    [
        (lambda b: {**b, "iterations": 100_000}, "weak_kdf"),
        (lambda b: {**b, "iterations": 1000}, "weak_kdf"),
        (lambda b: {**b, "kdf": "PBKDF2-SHA1"}, "bad_backup"),
        (lambda b: {**b, "salt": "AAAA"}, "bad_backup"),
        (lambda b: {**b, "ct": b["ct"] + "AAAA"}, "bad_backup"),
        (lambda b: {**b, "password": "hunter2"}, "bad_backup"),
        (lambda b: "x" * 10_000, "bad_backup"),
    ],
)
def test_bad_backups_are_refused(enabled, make_user, backup_blob, mangle, code):
    """Weak KDF parameters, wrong sizes or extra fields in a backup are refused."""
    ann = make_user()
    public = crypto.generate_identity(str(ann.pk)).public_identity
    response = api(
        login(ann),
        "POST",
        "/api/e2e/identity/",
        {"identity": public, "backup": mangle(backup_blob)},
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code
    assert not UserIdentity.objects.exists()


def test_backup_is_returned_only_to_its_owner(enabled, make_user, backup_blob):
    """Only the owner gets their backup back; another user gets their own (or none)."""
    ann, bob = make_user(), make_user()
    publish(login(ann), ann, backup_blob)
    assert api(login(ann), "GET", "/api/e2e/backup/").json()["backup"] == backup_blob
    other = api(login(bob), "GET", "/api/e2e/backup/")
    assert other.status_code == 404
    assert api(Client(), "GET", "/api/e2e/backup/").status_code == 401


def test_replace_backup_keeps_identity(enabled, make_user, backup_blob):
    """A password change replaces the backup; the identity and generation stay."""
    ann = make_user()
    client = login(ann)
    publish(client, ann, backup_blob)
    before = UserIdentity.objects.get(user=ann)
    new_backup = {**backup_blob, "iterations": 700_000}
    body = {"backup": new_backup, "login_password": f"pw-{ann.username}"}
    assert api(client, "PUT", "/api/e2e/backup/", body).status_code == 200
    after = UserIdentity.objects.get(user=ann)
    assert after.backup == new_backup
    assert (after.public, after.generation) == (before.public, before.generation)


def test_password_saved_hides_banner_state(enabled, make_user, backup_blob):
    """Confirming the password was saved is recorded for every device."""
    ann = make_user()
    client = login(ann)
    publish(client, ann, backup_blob)
    assert api(client, "POST", "/api/e2e/password-saved/").status_code == 200
    assert api(client, "GET", "/api/e2e/").json()["password_saved"] is True


def test_reset_replaces_identity(enabled, make_user, backup_blob):
    """Resetting keys stores a new identity with the next generation."""
    ann = make_user()
    client = login(ann)
    publish(client, ann, backup_blob)
    old = UserIdentity.objects.get(user=ann).public
    new_public = crypto.generate_identity(str(ann.pk)).public_identity
    body = {"identity": new_public, "backup": backup_blob, "login_password": f"pw-{ann.username}"}
    response = api(client, "POST", "/api/e2e/reset/", body)
    assert response.status_code == 200
    identity = UserIdentity.objects.get(user=ann)
    assert identity.public == new_public != old
    assert (identity.generation, identity.password_saved) == (2, False)


# Attack 16: a session cookie alone cannot reset keys or replace the backup. ----------------


def _reset_body(user, backup: dict, **extra) -> dict:
    public = crypto.generate_identity(str(user.pk)).public_identity
    return {"identity": public, "backup": backup, **extra}


def _backup_body(backup: dict, **extra) -> dict:
    return {"backup": {**backup, "iterations": 700_000}, **extra}


SECRET_WRITES = [
    pytest.param("POST", "/api/e2e/reset/", _reset_body, id="reset"),
    pytest.param(
        "PUT", "/api/e2e/backup/", lambda user, backup, **x: _backup_body(backup, **x), id="backup"
    ),
]


@pytest.mark.parametrize(("method", "url", "make_body"), SECRET_WRITES)
@pytest.mark.parametrize(
    "login_password",
    [
        pytest.param({}, id="missing"),
        pytest.param({"login_password": ""}, id="empty"),
        pytest.param({"login_password": "pw-wrong"}, id="wrong"),
        pytest.param({"login_password": ["pw"]}, id="not-a-string"),
        pytest.param({"login_password": "correct horse battery staple"}, id="e2e-password"),
    ],
)
def test_secret_writes_need_the_login_password(
    enabled, make_user, backup_blob, method, url, make_body, login_password
):
    """A reset or backup replacement without the right login password is a 403
    ``login_password_required`` and changes nothing."""
    ann = make_user()
    client = login(ann)
    publish(client, ann, backup_blob)
    before = UserIdentity.objects.values().get(user=ann)
    response = api(client, method, url, make_body(ann, backup_blob, **login_password))
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "login_password_required"
    assert "login password" in error["message"]
    assert UserIdentity.objects.values().get(user=ann) == before


@pytest.mark.parametrize(("method", "url", "make_body"), SECRET_WRITES)
def test_wrong_login_passwords_are_braked(enabled, make_user, backup_blob, method, url, make_body):
    """After five wrong login passwords even the right one gets 429 ``too_many_attempts``, for
    that user only."""
    ann, bob = make_user(), make_user()
    client = login(ann)
    publish(client, ann, backup_blob)
    publish(login(bob), bob, backup_blob)
    before = UserIdentity.objects.values().get(user=ann)
    for _ in range(5):
        wrong = api(client, method, url, make_body(ann, backup_blob, login_password="nope"))
        assert wrong.json()["error"]["code"] == "login_password_required"
    right = make_body(ann, backup_blob, login_password=f"pw-{ann.username}")
    braked = api(client, method, url, right)
    assert braked.status_code == 429
    assert braked.json()["error"]["code"] == "too_many_attempts"
    assert UserIdentity.objects.values().get(user=ann) == before
    other = make_body(bob, backup_blob, login_password=f"pw-{bob.username}")
    assert api(login(bob), method, url, other).status_code == 200


class _DownCache:
    """A cache whose server refuses connections (what django's RedisCache raises then)."""

    def _refuse(self, *args, **kwargs):
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    get = add = incr = set = delete = _refuse


@pytest.mark.parametrize(("method", "url", "make_body"), SECRET_WRITES)
def test_secret_writes_are_refused_while_guesses_cannot_be_counted(
    enabled, make_user, backup_blob, method, url, make_body, monkeypatch
):
    """With the cache that counts wrong login passwords away, a reset or backup replacement is
    a clear 503 ``unavailable`` (never a 500, never let through unbraked) and changes nothing."""
    ann = make_user()
    client = login(ann)
    publish(client, ann, backup_blob)
    before = UserIdentity.objects.values().get(user=ann)
    monkeypatch.setattr(e2e_checks, "cache", _DownCache())
    right = make_body(ann, backup_blob, login_password=f"pw-{ann.username}")
    response = api(client, method, url, right)
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "unavailable"
    assert UserIdentity.objects.values().get(user=ann) == before


def test_a_right_login_password_clears_the_count(enabled, make_user, backup_blob):
    """Wrong tries followed by the right password start the count afresh (no lockout of a user
    who mistyped a few times)."""
    ann = make_user()
    client = login(ann)
    publish(client, ann, backup_blob)
    for _ in range(4):
        api(client, "PUT", "/api/e2e/backup/", _backup_body(backup_blob, login_password="nope"))
    right = _backup_body(backup_blob, login_password=f"pw-{ann.username}")
    assert api(client, "PUT", "/api/e2e/backup/", right).status_code == 200
    for _ in range(4):
        wrong = api(
            client, "PUT", "/api/e2e/backup/", _backup_body(backup_blob, login_password="x")
        )
        assert wrong.status_code == 403
    assert api(client, "PUT", "/api/e2e/backup/", right).status_code == 200


def test_identities_lookup(enabled, make_user, backup_blob):
    """Anyone logged in can fetch others' public identities; users without keys are absent."""
    ann, bob, cat = make_user(), make_user(), make_user()
    publish(login(bob), bob, backup_blob)
    body = api(login(ann), "GET", f"/api/e2e/identities/?ids={bob.pk},{cat.pk}").json()
    assert [(i["user_id"], i["generation"]) for i in body["identities"]] == [(bob.pk, 1)]
    assert "backup" not in json.dumps(body)
    assert api(Client(), "GET", f"/api/e2e/identities/?ids={bob.pk}").status_code == 401


def test_identities_lookup_rejects_bad_ids(enabled, make_user):
    """A malformed id list is a clear 400."""
    response = api(login(make_user()), "GET", "/api/e2e/identities/?ids=1,x")
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("GET", "/api/e2e/"),
        ("POST", "/api/e2e/identity/"),
        ("GET", "/api/e2e/backup/"),
        ("PUT", "/api/e2e/backup/"),
        ("POST", "/api/e2e/password-saved/"),
        ("POST", "/api/e2e/reset/"),
        ("GET", "/api/e2e/identities/?ids=1"),
    ],
)
def test_anonymous_is_refused(method, url, db):
    """Every E2E endpoint refuses anonymous callers."""
    assert api(Client(), method, url, {}).status_code == 401
