"""`make restore ARCHIVE=...`: bring a backup into an empty installation and verify it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal.backup import BackupError, restore_backup


class Command(BaseCommand):
    help = "Restore a backup archive into an empty installation, then check it against its manifest."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = restore_backup(options["archive"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        for line in report:
            self.stdout.write(line)
