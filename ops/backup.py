"""Backups of a Keyroom instance and their restore (docs/DEPLOY.md, "Backups").

A backup is one ``.tar.gz``:

- ``manifest.json``: the format version, the database engine, when it was made, and the row
  count of every table, all read from the same snapshot as the dump;
- ``database.sqlite3`` (SQLite's online backup API: a consistent copy while the server runs) or
  ``database.pgdump`` (``pg_dump -Fc`` of an exported snapshot, so the counts and the dump agree);
- ``media/``: the file storage (``KEYROOM_DATA_DIR/media``), when there is one.

A restore puts the database into an empty target of the same engine (a new SQLite file, or an
empty PostgreSQL database) and then counts every table there against the manifest: a restore
that lost a row fails loudly. Encrypted rooms come back as they were: the server holds only
ciphertext, sealed keys and the signed room-state chain, and all of it is in the database.
"""

import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

import environ
from django.apps import apps
from django.conf import settings
from django.db import connections

FORMAT = 1


class BackupError(Exception):
    """A backup or restore that cannot go on (the message says why)."""


def _tables() -> list[str]:
    """Every table Keyroom's models (and Django's, and the libraries') keep rows in."""
    names = {
        model._meta.db_table
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    }
    return sorted(names)


def _quote(table: str) -> str:
    return '"' + table.replace('"', '""') + '"'


def _count(cursor: Any, tables: list[str]) -> dict[str, int]:
    counts = {}
    for table in tables:
        cursor.execute(f"SELECT COUNT(*) FROM {_quote(table)}")  # noqa: S608 (our own names)
        counts[table] = int(cursor.fetchone()[0])
    return counts


def _tool(name: str) -> str:
    """Return the full path of PostgreSQL's ``name`` (pg_dump, pg_restore) or say it is missing."""
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not installed (Debian: apt install postgresql-client).")
    return found


def _conninfo(config: dict[str, Any]) -> str:
    """Return a libpq connection string for ``config`` (Django's DATABASES shape)."""
    import psycopg

    return psycopg.conninfo.make_conninfo(
        dbname=config["NAME"],
        host=config.get("HOST") or None,
        port=config.get("PORT") or None,
        user=config.get("USER") or None,
        password=config.get("PASSWORD") or None,
    )


def _pg_env(config: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    """Return libpq connection arguments and environment for ``config`` (Django's shape)."""
    args = []
    if config.get("HOST"):
        args += ["-h", str(config["HOST"])]
    if config.get("PORT"):
        args += ["-p", str(config["PORT"])]
    if config.get("USER"):
        args += ["-U", str(config["USER"])]
    env = dict(os.environ)
    if config.get("PASSWORD"):
        env["PGPASSWORD"] = str(config["PASSWORD"])
    return args, env


def write_backup(path: Path) -> dict[str, Any]:
    """Write a backup of this instance to ``path``; return its manifest."""
    connection = connections["default"]
    engine = connection.vendor
    tables = _tables()
    with tempfile.TemporaryDirectory(prefix="keyroom-backup-") as scratch:
        work = Path(scratch)
        if engine == "sqlite":
            copy = work / "database.sqlite3"
            connection.ensure_connection()
            target = sqlite3.connect(copy)
            try:
                connection.connection.backup(target)  # a consistent copy, the server may run
                counts = _count(target.cursor(), tables)
            finally:
                target.close()
            database = copy
        elif engine == "postgresql":
            database = work / "database.pgdump"
            counts = _pg_dump(connection.settings_dict, tables, database)
        else:
            raise BackupError(f"Backups of a {engine} database are not supported.")
        manifest = {
            "format": FORMAT,
            "engine": engine,
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "tables": counts,
        }
        (work / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True))
        media = Path(settings.DATA_DIR) / "media"
        path.parent.mkdir(parents=True, exist_ok=True)
        with tarfile.open(path, "w:gz") as archive:
            archive.add(work / "manifest.json", arcname="manifest.json")
            archive.add(database, arcname=database.name)
            if media.is_dir():
                archive.add(media, arcname="media")
    return manifest


def _pg_dump(config: dict[str, Any], tables: list[str], out: Path) -> dict[str, int]:
    """Dump the database from one exported snapshot and count its tables in that snapshot."""
    import psycopg

    args, env = _pg_env(config)
    conninfo = _conninfo(config)
    with psycopg.connect(conninfo) as conn:
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
        counts = _count(conn.cursor(), tables)
        done = subprocess.run(  # noqa: S603 (pg_dump with our own arguments)
            [_tool("pg_dump"), "-Fc", "--no-owner", "--snapshot", snapshot, "-f", str(out), *args,
             config["NAME"]],
            env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        conn.execute("COMMIT")
    if done.returncode:
        raise BackupError(f"pg_dump failed: {done.stderr.strip()}")
    return counts


def read_manifest(path: Path) -> dict[str, Any]:
    with tarfile.open(path, "r:gz") as archive:
        member = archive.extractfile("manifest.json")
        if member is None:
            raise BackupError("The backup has no manifest.")
        manifest = json.loads(member.read())
    if manifest.get("format") != FORMAT:
        raise BackupError(f"Backup format {manifest.get('format')!r} is not one this knows.")
    return manifest


def restore_backup(path: Path, database_url: str, *, media_dir: Path | None) -> dict[str, int]:
    """Restore the backup at ``path`` into the EMPTY database ``database_url`` (same engine as
    the backup) and its files into ``media_dir``; return the restored row counts, which match
    the manifest (else BackupError)."""
    manifest = read_manifest(path)
    config = environ.Env.db_url_config(database_url)
    engine = "sqlite" if "sqlite" in config["ENGINE"] else "postgresql"
    if engine != manifest["engine"]:
        raise BackupError(f"This is a {manifest['engine']} backup; the target is {engine}.")
    with tempfile.TemporaryDirectory(prefix="keyroom-restore-") as scratch:
        work = Path(scratch)
        with tarfile.open(path, "r:gz") as archive:
            archive.extractall(work, filter="data")
        if engine == "sqlite":
            counts = _restore_sqlite(work / "database.sqlite3", Path(config["NAME"]), manifest)
        else:
            counts = _restore_postgres(work / "database.pgdump", config, manifest)
        if media_dir is not None and (work / "media").is_dir():
            shutil.copytree(work / "media", media_dir, dirs_exist_ok=True)
    missing = {t: (n, counts.get(t)) for t, n in manifest["tables"].items() if counts.get(t) != n}
    if missing:
        raise BackupError(f"Restored row counts differ from the backup's: {missing}")
    return counts


def _restore_sqlite(copy: Path, target: Path, manifest: dict[str, Any]) -> dict[str, int]:
    if target.exists() and target.stat().st_size:
        raise BackupError(f"{target} exists: restore into a new file (stop the server first).")
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(copy, target)
    db = sqlite3.connect(target)
    try:
        return _count(db.cursor(), list(manifest["tables"]))
    finally:
        db.close()


def _restore_postgres(dump: Path, config: dict[str, Any], manifest: dict[str, Any]) -> dict:
    import psycopg

    conninfo = _conninfo(config)
    with psycopg.connect(conninfo) as conn:
        tables = conn.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchone()[0]
    if tables:
        raise BackupError(f"The database {config['NAME']} is not empty: restore into a new one.")
    args, env = _pg_env(config)
    done = subprocess.run(  # noqa: S603 (pg_restore with our own arguments)
        [_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error",
         "-d", config["NAME"], *args, str(dump)],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode:
        raise BackupError(f"pg_restore failed: {done.stderr.strip()}")
    with psycopg.connect(conninfo) as conn:
        return _count(conn.cursor(), list(manifest["tables"]))
