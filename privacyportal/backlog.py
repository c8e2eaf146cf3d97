"""What the outbox still owes (privacyportal/outbox.py), for /healthz and the operator's outbox page.

A lost message is published again by the `outbox` sweep once it has waited REDELIVER_AFTER, and the sweep runs
every few minutes: so in a healthy deployment nothing waits longer than the two together plus the task's own run.
Older than STALE, something keeps it from going out (no worker, the broker or the mail server down).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from django.conf import settings
from django.db.models import Count, Min

from .models import QueuedTask
from .outbox import MAX_PUBLISHES, REDELIVER_AFTER


def sweep_period() -> timedelta:
    """How often beat runs the outbox sweep (CELERY_BEAT_SCHEDULE)."""
    schedule = settings.CELERY_BEAT_SCHEDULE["every-5-min-outbox-redelivery"]["schedule"]
    return timedelta(seconds=cast(float, schedule))


def stale_after() -> timedelta:
    """Waited REDELIVER_AFTER, missed by one sweep's period, then a second period for the redelivered copy."""
    return REDELIVER_AFTER + 2 * sweep_period()


@dataclass(frozen=True)
class Backlog:
    undelivered: int  # promised and not yet done, given-up rows aside
    oldest_age_seconds: int | None  # since the oldest of them was promised
    given_up: int  # published MAX_PUBLISHES times and never delivered: the operator's to look at

    @property
    def stale(self) -> bool:
        return self.oldest_age_seconds is not None and self.oldest_age_seconds > stale_after().total_seconds()


def backlog(now: datetime) -> Backlog:
    """Read from the small partial index of undelivered rows, whatever the table's size."""
    waiting = QueuedTask.objects.filter(delivered_at__isnull=True)
    row = waiting.filter(publishes__lte=MAX_PUBLISHES).aggregate(count=Count("pk"), oldest=Min("created_at"))
    oldest = row["oldest"]
    return Backlog(
        undelivered=row["count"],
        oldest_age_seconds=int((now - oldest).total_seconds()) if oldest else None,
        given_up=waiting.filter(publishes__gt=MAX_PUBLISHES).count(),
    )
