"""A transactional outbox for Celery tasks (DESIGN §7): what a change promises to send survives the broker.

`enqueue` writes a `QueuedTask` row in the caller's transaction and publishes the task once that commits. A
task built on `OutboxTask` marks its row delivered when it succeeds, and a copy that finds its row delivered
does nothing. The `outbox` sweep publishes again, under the same task id, whatever is still undelivered after
REDELIVER_AFTER: Redis flushed or restarted, or a publish that failed because the broker was down. So a
sweep's claim (or a service's change) and the task it promised commit together, and a lost message costs a
delay, never the email.

What someone waits for on the page (a sign-in or download code, a resent link) is sent with `send_now`
instead: no row, since the code expires within the hour and the person can ask again; a broker that is
down is logged rather than turned into an error page.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import uuid
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from celery import Task, current_app
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.db.models.functions import Least
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerUnavailable

from .models import QueuedTask

logger = logging.getLogger(__name__)

# Every queue a task is published to: Celery's default, and the PDF work's, which a deployment may give workers of
# its own. Every worker command (Procfile, docker-compose.yml) listens to all of them, and a restore empties each
# (requests/backups.py): a queue added here and nowhere else would hold its tasks forever.
DEFAULT_QUEUE = "default"
PDF_QUEUE = "pdf"
QUEUES = (DEFAULT_QUEUE, PDF_QUEUE)

# Longer than any email task waits in a healthy queue, short enough that a flushed broker costs minutes.
REDELIVER_AFTER = timedelta(minutes=15)
# A copy that started this recently may still be running (the longest task's hard time limit is 15 min).
RUNNING_FOR = timedelta(minutes=20)
# Six hours of redelivery (a long mail-server outage) before a row is given up, with an error in the log.
MAX_PUBLISHES = 24
KEEP_DELIVERED = timedelta(days=30)


def enqueue(task: str, *args: Any, queue: str = "", task_id: uuid.UUID | None = None) -> QueuedTask:
    """Promise to run the task named `task` with `args`: the row commits with the caller's change, the message
    follows it. By name (as the row keeps it), so that services promising a task never import the tasks module,
    which imports them."""
    if task not in current_app.tasks:
        # Celery's autodiscovery of the tasks modules: a worker runs it at start, any other process on first need.
        current_app.loader.import_default_modules()
    if not isinstance(current_app.tasks.get(task), OutboxTask):
        raise TypeError(f"{task} must be a registered OutboxTask to report its delivery")
    if queue and queue not in QUEUES:
        raise ValueError(f"{queue!r} is not one of the queues workers listen to: {QUEUES}")
    row = QueuedTask.objects.create(task_id=task_id or uuid.uuid4(), name=task, args=list(args), queue=queue)
    transaction.on_commit(lambda: publish(row))
    return row


def enqueue_once(task: str, *args: Any) -> bool:
    """`enqueue` from inside an outbox task (one row per recipient of a notice): the new row's id is derived from
    the running row's and the arguments, so a copy of the running task, run again after a kill, finds the rows
    its earlier run promised instead of promising them twice. False if the row was there already."""
    run = running()
    if run is None:
        enqueue(task, *args)
        return True
    task_id = uuid.uuid5(run.task_id, json.dumps([task, *args]))
    if QueuedTask.objects.filter(task_id=task_id).exists():
        return False
    enqueue(task, *args, task_id=task_id)
    return True


def send_now(task: Any, *args: Any) -> bool:
    """Publish at once, outside the outbox; False (logged, ids only) if the broker is down."""
    try:
        task.delay(*args)
    except BrokerUnavailable:
        logger.warning("broker unavailable: task %s not sent", task.name)
        return False
    return True


def publish(row: QueuedTask) -> bool:
    """Send the row's task to the broker; False (and the row kept for the sweep) if that fails.

    Never raises in a deployment: it runs after the change committed (a request already answered, a sweep
    with more rows to go), so a failed publish is the sweep's to repeat, not the requester's error page.
    """
    app = current_app  # the project's app (privacyportal/__init__ loads it), without importing the wiring
    if row.name not in app.tasks:
        # A process that never loaded the tasks modules (`redeliver` from `manage.py shell`), as in enqueue.
        app.loader.import_default_modules()
    options: dict[str, Any] = {"task_id": str(row.task_id)}
    if row.queue:
        options["queue"] = row.queue
    try:
        app.tasks[row.name].apply_async(tuple(row.args), **options)
    except BrokerUnavailable:
        logger.warning("broker unavailable: task %s (%s) will be published again", row.name, row.pk)
        return False
    except Exception as error:
        if app.conf.task_always_eager:
            raise  # in-process (tests): publishing *is* running, and the task's own error must show
        logger.error("could not publish task %s (%s): %s", row.name, row.pk, type(error).__name__)
        return False
    return True


def _waiting(now: datetime) -> Q:
    return Q(delivered_at__isnull=True) & (Q(started_at__isnull=True) | Q(started_at__lte=now - RUNNING_FOR))


def redeliver(now: datetime | None = None) -> int:
    """Publish again what has waited REDELIVER_AFTER undelivered; forget deliveries older than KEEP_DELIVERED."""
    now = now or timezone.now()
    stale = QueuedTask.objects.filter(_waiting(now), published_at__lte=now - REDELIVER_AFTER)
    done = 0
    for row in stale.filter(publishes__lt=MAX_PUBLISHES).order_by("published_at")[:1000]:
        # Conditional, so two sweeps at once publish a row once, and a copy that started meanwhile is left be.
        if QueuedTask.objects.filter(_waiting(now), pk=row.pk, published_at=row.published_at).update(
            published_at=now, publishes=F("publishes") + 1
        ):
            publish(row)
            done += 1
    # Given up: said once (ids only), then kept like a delivery for the operator to see in the admin.
    for row in stale.filter(publishes=MAX_PUBLISHES):
        if QueuedTask.objects.filter(pk=row.pk, publishes=MAX_PUBLISHES).update(publishes=MAX_PUBLISHES + 1):
            logger.error(
                "task %s (%s) published %d times and never delivered; given up",
                row.name,
                row.pk,
                MAX_PUBLISHES,
            )
    QueuedTask.objects.filter(
        Q(delivered_at__lte=now - KEEP_DELIVERED)
        | Q(publishes__gt=MAX_PUBLISHES, published_at__lte=now - KEEP_DELIVERED)
    ).delete()
    return done


def owe_again(rows: QuerySet[QueuedTask], now: datetime | None = None) -> int:
    """Owe these undelivered rows from `now`, after a restore: /healthz measures the outbox's age from
    `created_at`, and rows restored from a backup hours old would fail it (a load balancer pulling every web node)
    until the sweep had sent them. Published "REDELIVER_AFTER ago", so the sweep's next run publishes them; no
    copy of them runs against this database, so none holds them; each keeps one publish at least."""
    now = now or timezone.now()
    return rows.update(
        created_at=now,
        published_at=now - REDELIVER_AFTER,
        started_at=None,
        started_by="",
        publishes=Least(F("publishes"), MAX_PUBLISHES - 1),
    )


def settle(task_ids: list[uuid.UUID], now: datetime | None = None) -> list[uuid.UUID]:
    """Mark undelivered rows delivered, by task id, without running them: after a restore, for the tasks whose
    emails the mail server's log shows were sent after the backup was taken (each email's Message-ID starts with
    its row's task id: `<task_id.N@…>`). Returns the ids that were not undelivered rows, changing nothing then."""
    rows = QueuedTask.objects.filter(task_id__in=task_ids, delivered_at__isnull=True)
    found = set(rows.values_list("task_id", flat=True))
    unknown = [task_id for task_id in task_ids if task_id not in found]
    if not unknown:
        rows.update(delivered_at=now or timezone.now())
    return unknown


def _holder_gone(started_by: str) -> bool:
    """Did the copy that started this row die (a worker child killed on this host)?"""
    host, pid, _nonce = [*started_by.split(":"), "", ""][:3]
    if host != socket.gethostname() or not pid.isdigit():
        return False  # another host's copy: only its lease can tell
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass
    return False


@dataclass
class Running:
    """The outbox row a task is running for, as the code building and sending its emails sees it (emails.py).

    Every copy of a row builds the same emails in the same order, so an email is named by the row's task id and
    its number: the same Message-ID in every copy, and a copy skips the emails an earlier copy saw accepted.
    """

    pk: int
    task_id: uuid.UUID
    emails_sent: int  # by earlier copies of this row
    emails_built: int = 0


_running: ContextVar[Running | None] = ContextVar("outbox_running", default=None)


def running() -> Running | None:
    """The outbox row this task runs for; None outside a task, or for a task sent with `send_now`."""
    return _running.get()


def mark_email_sent(run: Running, number: int) -> None:
    """Email `number` of the row was accepted by the mail server: a later copy of the row does not send it again.

    Its own UPDATE at once, not with the delivery: this is the narrowest the window can be between the mail
    server accepting an email and the outbox knowing it (docs/operator-guide.md, "Emails sent twice").
    """
    QueuedTask.objects.filter(pk=run.pk, emails_sent__lt=number).update(emails_sent=number)


class OutboxTask(Task):  # type: ignore[type-arg]  # celery-types: Task[P, R], used for any task here
    """A task that reports to its outbox row: run once per row, however often its message arrives.

    A copy claims the row before it runs (a conditional UPDATE): of two copies at once (a redelivery racing
    the original), one runs and the other does nothing; if the runner fails, the row is freed for the
    `redeliver` sweep. A copy whose runner died (killed on this host) or overran its lease takes over.
    """

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        task_id = self.request.id
        row = QueuedTask.objects.filter(task_id=task_id).first() if task_id else None
        if row is None:  # sent directly (send_now), not through the outbox
            # No row, so its emails are no row's, even run eagerly inside an outbox task: with that task's context
            # they were numbered as its own and could be skipped as "sent by an earlier copy".
            outer = _running.set(None)
            try:
                return super().__call__(*args, **kwargs)
            finally:
                _running.reset(outer)
        if row.delivered_at is not None:
            logger.info("task %s (%s) already delivered; this copy does nothing", self.name, row.pk)
            return None
        now = timezone.now()
        lease = timedelta(seconds=(self.time_limit or settings.CELERY_TASK_TIME_LIMIT) + 60)
        free = Q(started_at__isnull=True) | Q(started_at__lte=now - lease)
        if row.started_by and _holder_gone(row.started_by):
            free |= Q(started_by=row.started_by)
        me = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        if not QueuedTask.objects.filter(free, pk=row.pk, delivered_at__isnull=True).update(
            started_at=now, started_by=me
        ):
            logger.info("task %s (%s) is being run by another copy; this one does nothing", self.name, row.pk)
            return None
        token = _running.set(Running(row.pk, uuid.UUID(str(row.task_id)), row.emails_sent))
        try:
            result = super().__call__(*args, **kwargs)
        except BaseException:
            # Failed, or a retry is scheduled: free the row so the retry (or the sweep) runs it again.
            QueuedTask.objects.filter(pk=row.pk, started_by=me).update(started_at=None, started_by="")
            raise
        finally:
            _running.reset(token)
        QueuedTask.objects.filter(pk=row.pk).update(delivered_at=timezone.now())
        return result
