"""manage.py backup: the whole database in one file (pg_dump -Fc, or SQLite's backup API)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from innbox.logs import get_logger
from operations import backup

log = get_logger(__name__)


class Command(BaseCommand):
    help = (
        "Back the database up to one file: pg_dump's custom format on PostgreSQL (run it with "
        "the owner's URL), a consistent copy on SQLite. Restore: docs/deploy.md."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--output",
            type=Path,
            help="file to write (default: var/backups/innbox-<UTC time>.dump or .sqlite3)",
        )

    def handle(self, *args: Any, output: Path | None = None, **options: Any) -> None:
        target = output or backup.default_path(
            settings.BASE_DIR / "var" / "backups", timezone.now()
        )
        try:
            written = backup.write(target)
        except backup.BackupFailed as exc:
            raise CommandError(str(exc)) from None
        # Guests' personal data: readable by the account that made it, no one else.
        written.chmod(0o600)
        size = written.stat().st_size
        log.info("backup_written", path=str(written), bytes=size)
        self.stdout.write(f"Backup written: {written} ({size} bytes)")
        self.stdout.write(
            "It holds PMS credentials encrypted: keep CREDENTIALS_ENCRYPTION_KEYS safe, "
            "and apart from it; without the key they cannot be read after a restore."
        )
