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

import logging
import uuid
from datetime import datetime, timedelta
from typing import Any

from celery import Task
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerUnavailable

from .models import QueuedTask

logger = logging.getLogger(__name__)

# Longer than any email task waits in a healthy queue, short enough that a flushed broker costs minutes.
REDELIVER_AFTER = timedelta(minutes=15)
# A copy that started this recently may still be running (the longest task's hard time limit is 15 min).
RUNNING_FOR = timedelta(minutes=20)
MAX_PUBLISHES = 5
KEEP_DELIVERED = timedelta(days=30)


def enqueue(task: Any, *args: Any, queue: str = "") -> QueuedTask:
    """Promise to run `task(*args)`: the row commits with the caller's change, the message follows it."""
    row = QueuedTask.objects.create(task_id=uuid.uuid4(), name=task.name, args=list(args), queue=queue)
    transaction.on_commit(lambda: publish(row))
    return row


def send_now(task: Any, *args: Any) -> bool:
    """Publish at once, outside the outbox; False (logged, ids only) if the broker is down."""
    try:
        task.delay(*args)
    except BrokerUnavailable:
        logger.warning("broker unavailable: task %s not sent", task.name)
        return False
    return True


def publish(row: QueuedTask) -> bool:
    """Send the row's task to the broker; False (and the row kept for the sweep) if the broker is down."""
    from privacyportal.celery import app

    options: dict[str, Any] = {"task_id": str(row.task_id)}
    if row.queue:
        options["queue"] = row.queue
    try:
        app.tasks[row.name].apply_async(tuple(row.args), **options)
    except BrokerUnavailable:
        logger.warning("broker unavailable: task %s (%s) will be published again", row.name, row.pk)
        return False
    return True


def redeliver(now: datetime | None = None) -> int:
    """Publish again what has waited REDELIVER_AFTER undelivered; forget deliveries older than KEEP_DELIVERED."""
    now = now or timezone.now()
    stale = QueuedTask.objects.filter(
        Q(started_at__isnull=True) | Q(started_at__lte=now - RUNNING_FOR),
        delivered_at__isnull=True,
        published_at__lte=now - REDELIVER_AFTER,
        publishes__lt=MAX_PUBLISHES,
    )
    done = 0
    for row in stale.order_by("published_at")[:1000]:
        # Conditional, so two sweeps at once publish a row once.
        if QueuedTask.objects.filter(pk=row.pk, published_at=row.published_at).update(
            published_at=now, publishes=F("publishes") + 1
        ):
            if row.publishes + 1 == MAX_PUBLISHES:
                logger.error(
                    "task %s (%s) published %d times and never delivered", row.name, row.pk, MAX_PUBLISHES
                )
            publish(row)
            done += 1
    QueuedTask.objects.filter(delivered_at__lte=now - KEEP_DELIVERED).delete()
    return done


class OutboxTask(Task):
    """A task that reports to its outbox row: run once per row, however often its message arrives."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        task_id = self.request.id
        row = QueuedTask.objects.filter(task_id=task_id).only("delivered_at").first() if task_id else None
        if row is not None and row.delivered_at is not None:
            logger.info("task %s (%s) already delivered; this copy does nothing", self.name, row.pk)
            return None
        if row is not None:
            QueuedTask.objects.filter(pk=row.pk).update(started_at=timezone.now())
        try:
            result = super().__call__(*args, **kwargs)
        except BaseException:
            # Failed, or a retry is scheduled: the row stays undelivered and may run again.
            if row is not None:
                QueuedTask.objects.filter(pk=row.pk).update(started_at=None)
            raise
        if row is not None:
            QueuedTask.objects.filter(pk=row.pk).update(delivered_at=timezone.now())
        return result
