from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from requests.audit import headline, verify_chains
from requests.models import RequestEvent


class Command(BaseCommand):
    help = (
        "Verify every case's audit chain, its head and the ledger of chains; exit 1 naming the first break."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--all", action="store_true", help="List every break, not only the first.")

    def handle(self, *args: Any, **options: Any) -> None:
        breaks = []
        for found in verify_chains():
            breaks.append(found)
            if not options["all"]:
                break
        if breaks:
            for found in breaks[1:]:
                self.stderr.write(f"Also broken: {found}")
            raise CommandError(headline(breaks[0]))
        self.stdout.write(
            self.style.SUCCESS(f"Audit chain intact: {RequestEvent.objects.count()} events checked.")
        )
