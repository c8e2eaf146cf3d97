from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from requests import backups


class Command(BaseCommand):
    help = (
        "Back up the database and the private files, consistently, into a new folder "
        "(files, the database, then files written meanwhile; a manifest last)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("folder", type=Path, help="A new or empty folder; keep it apart from the keys.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            done = backups.backup(options["folder"])
        except backups.BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            self.style.SUCCESS(
                f"Backed up the database and {done.files} private files into {done.path} "
                f"({done.unnamed} written after the database snapshot, which a restore leaves out)."
            )
        )
