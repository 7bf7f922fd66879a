"""``manage.py restore <file.tar.gz> --database-url URL``: put a backup into an empty database."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ops.backup import BackupError, restore_backup


class Command(BaseCommand):
    help = (
        "Restore a backup into an EMPTY database of the same engine (a new SQLite file or an "
        "empty PostgreSQL database), check every table's row count, and copy its files."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="the backup (.tar.gz) to restore")
        parser.add_argument(
            "--database-url",
            required=True,
            help="the empty target, e.g. sqlite:////srv/keyroom/var/keyroom.sqlite3 or "
            "postgres://keyroom@127.0.0.1/keyroom_restored",
        )
        parser.add_argument(
            "--media-dir",
            type=Path,
            default=Path(settings.DATA_DIR) / "media",
            help="where the stored files go (default: KEYROOM_DATA_DIR/media)",
        )

    def handle(self, *args: object, path: Path, database_url: str, media_dir: Path, **o: object):
        try:
            counts = restore_backup(path, database_url, media_dir=media_dir)
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"Restored {sum(counts.values())} rows in {len(counts)} tables; every count matches."
        )
