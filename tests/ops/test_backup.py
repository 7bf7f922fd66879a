"""A backup restored into a fresh instance holds every message, key envelope and room-state
entry (and every other row), on whichever database this run uses (SQLite, or PostgreSQL in CI's
second set-up); a restore that would lose rows, or overwrite data, is refused."""

import tarfile
import uuid
from pathlib import Path

import psycopg
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from chat.models import Message
from e2e.models import E2ESettings, KeyEnvelope, RoomStateEntry
from ops.backup import read_manifest, restore_backup
from tests.e2e.member import Member
from tests.e2e.test_rooms import caller

pytestmark = pytest.mark.django_db(transaction=True)  # pg_dump sees only committed rows


@pytest.fixture
def instance(make_user):
    """Two people in an encrypted group with messages, plus a plaintext room."""
    E2ESettings.objects.create(pk=1, enabled=True)
    ann, bob = make_user("ann"), make_user("bob")
    a, b = Member(ann.pk, caller(ann)[1]), Member(bob.pk, caller(bob)[1])
    a.publish()
    b.publish()
    from e2e import crypto

    key, uid = crypto.generate_room_key(), str(uuid.uuid4())
    body = {"name": "vault", "invite": [bob.pk], "room_uid": uid, **a.first_key(uid, key, [bob.pk])}
    status, created = a.call("POST", "/api/e2e/rooms/", body)
    assert status == 201, created
    for n in range(3):
        a.send(created["room"]["id"], key.key_id, f"secret {n}")
    status, plain = a.call("POST", "/api/rooms/", {"name": "lobby", "invite": [bob.pk]})
    assert status == 201
    a.call("POST", f"/api/rooms/{plain['room']['id']}/messages/", {
        "client_id": str(uuid.uuid4()), "body": "hello in the clear"})  # fmt: skip
    return {"messages": Message.objects.count(), "envelopes": KeyEnvelope.objects.count(),
            "entries": RoomStateEntry.objects.count()}  # fmt: skip


def fresh_target(tmp_path: Path, request: pytest.FixtureRequest) -> tuple[str, object]:
    """Return (database URL, row counter) of a new, empty database of this run's engine."""
    if connection.vendor == "sqlite":
        target = tmp_path / "restored.sqlite3"
        import sqlite3

        def count(table: str) -> int:
            with sqlite3.connect(target) as db:
                return db.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]  # noqa: S608

        return f"sqlite:///{target}", count
    settings = connection.settings_dict
    name = f"keyroom_restore_{uuid.uuid4().hex[:8]}"
    admin = psycopg.conninfo.make_conninfo(
        dbname="postgres", host=settings["HOST"] or None, port=settings["PORT"] or None,
        user=settings["USER"] or None, password=settings["PASSWORD"] or None,
    )  # fmt: skip
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    request.addfinalizer(drop)
    url_conninfo = admin.replace("dbname=postgres", f"dbname={name}")

    def count(table: str) -> int:
        with psycopg.connect(url_conninfo) as conn:
            return conn.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]  # noqa: S608

    user = settings["USER"] or "postgres"
    host = settings["HOST"] or "127.0.0.1"
    port = settings["PORT"] or 5432
    password = f":{settings['PASSWORD']}" if settings["PASSWORD"] else ""
    return f"postgres://{user}{password}@{host}:{port}/{name}", count


def test_a_restored_backup_holds_every_message_envelope_and_state_entry(
    instance, tmp_path, request
):
    """backup, then restore into a new database: the same messages, key envelopes and chain
    entries (and every other table's rows) are there."""
    archive = tmp_path / "keyroom.tar.gz"
    call_command("backup", str(archive))
    url, count = fresh_target(tmp_path, request)
    call_command("restore", str(archive), "--database-url", url, "--media-dir", str(tmp_path / "m"))
    assert count(Message._meta.db_table) == instance["messages"] == 4
    assert count(KeyEnvelope._meta.db_table) == instance["envelopes"] > 0
    assert count(RoomStateEntry._meta.db_table) == instance["entries"] > 0
    manifest = read_manifest(archive)
    assert manifest["engine"] == connection.vendor
    assert manifest["tables"][Message._meta.db_table] == instance["messages"]


def test_a_restore_into_a_database_with_data_is_refused(instance, tmp_path, request):
    """Restoring over an instance's data is refused (restore into a new, empty database)."""
    archive = tmp_path / "keyroom.tar.gz"
    call_command("backup", str(archive))
    url, _ = fresh_target(tmp_path, request)
    call_command("restore", str(archive), "--database-url", url, "--media-dir", str(tmp_path / "m"))
    with pytest.raises(CommandError, match="new"):
        call_command("restore", str(archive), "--database-url", url)


def test_a_backup_that_lost_rows_fails_its_restore(instance, tmp_path, request):
    """A restore whose row counts differ from the manifest's fails loudly."""
    archive = tmp_path / "keyroom.tar.gz"
    call_command("backup", str(archive))
    tampered = tmp_path / "tampered.tar.gz"
    manifest = read_manifest(archive)
    manifest["tables"][Message._meta.db_table] += 1  # as if a message had been lost
    import io
    import json

    with tarfile.open(archive) as src, tarfile.open(tampered, "w:gz") as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read()
            if member.name == "manifest.json":
                data = json.dumps(manifest).encode()
                member.size = len(data)
            dst.addfile(member, io.BytesIO(data))
    url, _ = fresh_target(tmp_path, request)
    with pytest.raises(Exception, match="differ"):
        restore_backup(tampered, url, media_dir=None)
