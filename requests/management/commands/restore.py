from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from requests import backups


class Command(BaseCommand):
    help = (
        "Restore a backup into an empty database and the configured private-file store, then check that every "
        "file a row names decrypts and that the audit chains verify. Stop web, worker and beat first."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("folder", type=Path, help="A folder `manage.py backup` wrote.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = backups.restore(options["folder"])
        except backups.BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Restored the database and {report.files} private files.")
        for problem in report.missing:
            self.stderr.write(f"Missing file: {problem}")
        for problem in report.unreadable:
            self.stderr.write(f"Unreadable file: {problem}")
        if report.unnamed:
            # Left in place: deleting from a store restored into by mistake would be worse than keeping them.
            self.stdout.write(
                f"{report.unnamed} files already in the store are named by no restored row (kept after the backup "
                "was taken, for cases the restore does not have): left in place; delete them if no other "
                "installation uses this store (docs/operator-guide.md, Restoring)."
            )
        if report.audit_break:
            self.stderr.write(report.audit_break)
        if report.queue_purged is None:
            self.stderr.write(
                "The broker could not be reached: purge it before starting the workers "
                "(celery -A privacyportal purge -f -Q default,pdf; on Redis also redis-cli DEL unacked "
                "unacked_index), or tasks published after the backup will run."
            )
        else:
            self.stdout.write(
                f"Purged {report.queue_purged} messages published after the backup from the broker."
            )
        if report.undelivered:
            # Ids, names and ages only: the arguments are ids too, but the case page is where a person is read.
            self.stdout.write(
                f"{len(report.undelivered)} outbox tasks were not delivered when the backup was taken; the outbox "
                "sweep sends them once the workers and beat are up. One that ran after the backup would run again: "
                "look for each task id in your mail server's log (its emails' Message-IDs start <task-id.) and, "
                "before starting the workers, mark those found with `manage.py outbox_delivered TASK_ID...`:"
            )
            for row in report.undelivered:
                self.stdout.write(
                    f"  {row.task_id} {row.name}{row.args} queued {row.created_at:%Y-%m-%d %H:%M} UTC"
                )
        if not report.ok:
            raise CommandError(
                "Restored with problems (above): do not start the portal on it before reading them."
            )
        if report.queue_purged is None:
            # Not a success: a script that starts the services on exit 0 would run the stale messages.
            raise CommandError(
                "Restored, but the broker still holds the messages published after the backup: purge it as above, "
                "then start web, worker and beat."
            )
        self.stdout.write(
            self.style.SUCCESS(
                "Every file decrypts and the audit chains are intact: start web, worker and beat."
            )
        )
