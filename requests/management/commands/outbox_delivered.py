from __future__ import annotations

import uuid
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from privacyportal import outbox


class Command(BaseCommand):
    help = (
        "After a restore, before the workers start: mark outbox tasks delivered, by task id, without running them. "
        "For the tasks `restore` listed whose emails your mail server's log shows were sent after the backup "
        "(their Message-IDs start with the task id: <task-id.N@...>), so that the sweep does not send them again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("task_ids", nargs="+", help="Task ids, as `restore` lists them.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            task_ids = [uuid.UUID(text) for text in options["task_ids"]]
        except ValueError as error:
            raise CommandError(f"Not a task id: {error}") from None
        unknown = outbox.settle(task_ids)
        if unknown:
            raise CommandError(
                "Nothing marked: not an undelivered outbox task: "
                + ", ".join(str(task_id) for task_id in unknown)
            )
        self.stdout.write(
            self.style.SUCCESS(f"Marked {len(task_ids)} outbox tasks delivered; none will be sent.")
        )
