from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from requests import backups


class Command(BaseCommand):
    help = (
        "Restore a backup into an empty database and the configured private-file store, then check that every "
        "file a row names decrypts and that the audit chains verify. Stop web, worker and beat first. Say what "
        "to do with the broker: --purge-broker (a real restore) or --leave-broker (a test restore)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("folder", type=Path, help="A folder `manage.py backup` wrote.")
        parser.add_argument(
            "--purge-broker",
            action="store_true",
            help="A real restore, replacing the deployment whose broker BROKER_URL names: empty its queues.",
        )
        parser.add_argument(
            "--leave-broker",
            action="store_true",
            help="A test restore into a scratch database: leave the broker (the live deployment's) alone.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # No default: purging by mistake empties a live deployment's broker, leaving it by mistake lets stale
        # messages run against the restored database. Asked before anything is done.
        if options["purge_broker"] == options["leave_broker"]:
            raise CommandError(
                "Say what to do with the broker, with one of: --purge-broker (a real restore, replacing the "
                "deployment whose broker this is: its queued messages are emptied) or --leave-broker (a test "
                "restore into a scratch database: the live broker is not touched)."
            )
        try:
            report = backups.restore(options["folder"], purge_broker=options["purge_broker"])
        except backups.BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Restored the database and {report.files} private files.")
        for problem in report.missing:
            self.stderr.write(f"Missing file: {problem}")
        for problem in report.unreadable:
            self.stderr.write(f"Unreadable file: {problem}")
        if report.unnamed and report.broker_left:
            self.stdout.write(
                f"{len(report.unnamed)} files already in the store are named by no restored row: if this test "
                "restore went into the live store, they are the live portal's newer files. Never delete them."
            )
        elif report.unnamed:
            where = f"listed in {report.unnamed_list}" if report.unnamed_list else "listed below"
            self.stdout.write(
                f"{len(report.unnamed)} files already in the store are named by no restored row (kept after the "
                f"backup was taken, for cases the restore does not have): left in place and {where} (one "
                "folder/name a line, under PRIVATE_ROOT or the bucket's prefix); delete them if no other "
                "installation uses this store (docs/operator-guide.md, Restoring)."
            )
            if report.unnamed_list is None:
                for name in report.unnamed:
                    self.stdout.write(f"  {name}")
        if report.audit_break:
            self.stderr.write(report.audit_break)
        self.stdout.write(
            f"New cases are numbered from {report.case_ids_from}: references given after the backup are not "
            "given again."
        )
        if report.broker_left:
            self.stdout.write(
                "Left the broker alone (--leave-broker): do not start workers against this database with this "
                "broker; its messages name rows of the live database."
            )
        elif report.queue_purged is None:
            self.stderr.write(
                f"The broker could not be reached: purge it before starting the workers "
                f"({backups.broker_cleanup_commands()}), or tasks published after the backup will run."
            )
        else:
            self.stdout.write(
                f"Purged {report.queue_purged} messages published after the backup from the broker."
            )
        if report.undelivered and report.broker_left:
            self.stdout.write(
                f"{len(report.undelivered)} outbox tasks were not delivered when the backup was taken: a real "
                "restore (--purge-broker) lists them, to settle before its workers start."
            )
        elif report.undelivered:
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
        if report.broker_left:
            self.stdout.write(
                self.style.SUCCESS(
                    "Every file decrypts and the audit chains are intact: the test restore is good."
                )
            )
            return
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
