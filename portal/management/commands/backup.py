"""`make backup`: database, stored files and CA material in one archive (portal/backup.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal.backup import BackupError, create_backup, default_output


class Command(BaseCommand):
    help = "Write a backup archive: database, stored documents, CA material (keys stay encrypted)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output", type=Path, help="Archive to write (default var/backups/portal-<time>.tar.gz)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        output = options["output"] or default_output()
        try:
            manifest = create_backup(output)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        parts = manifest["fingerprint"]
        self.stdout.write(
            f"Backup written to {output}: {parts['orders']['count']} orders, "
            f"{parts['documents']['count']} documents, {len(manifest['files'])} files, "
            f"{len(manifest['certificate_authorities'])} certificate authorities."
        )
        self.stdout.write(
            "Keep CA_KEY_PASSPHRASE and SECRET_KEY apart from the archive: it does not hold them."
        )
