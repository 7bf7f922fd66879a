"""``manage.py backup <file.tar.gz>``: a backup of the database and the stored files."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ops.backup import BackupError, write_backup


class Command(BaseCommand):
    help = "Write a backup of this instance (database and stored files) to a .tar.gz file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="where to write the backup (.tar.gz)")

    def handle(self, *args: object, path: Path, **options: object) -> None:
        try:
            manifest = write_backup(path)
        except BackupError as error:
            raise CommandError(str(error)) from None
        rows = sum(manifest["tables"].values())
        self.stdout.write(
            f"Backup written to {path}: {rows} rows in {len(manifest['tables'])} tables."
        )
