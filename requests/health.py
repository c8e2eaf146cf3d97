"""/healthz (DESIGN §11): is the database up, the broker reachable, a worker alive, the sweeps running, is the
outbox keeping up (nothing promised waiting longer than a lost message's redelivery takes), and can ENCRYPTION_KEYS
read the key check?

200 with `"status": "ok"` when all are; 503 with the failing checks named otherwise. Nothing personal is in
the answer, so a load balancer or a monitor may call it without credentials.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from celery import current_app
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone

from privacyportal import outbox
from privacyportal.backlog import backlog, stale_after
from privacyportal.keycheck import Keys, first_key_retired, read_keys
from privacyportal.models import QueuedTask
from privacyportal.outbox import MAX_PUBLISHES

from .models import Heartbeat

# Written by a restore (requests/backups.py) for the first worker's start to find.
RESTORED = "restored"
WORKER_STALE = timedelta(minutes=3)  # the heartbeat task runs every minute
SWEEP_STALE = timedelta(minutes=30)  # the most frequent sweeps run every 10 minutes


def beat(name: str) -> None:
    """Record that `name` (the worker heartbeat, or a sweep) ran now."""
    Heartbeat.objects.update_or_create(name=name, defaults={"at": timezone.now()})


def _age(at: datetime | None, now: datetime) -> int | None:
    return int((now - at).total_seconds()) if at else None


def check_database() -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return {"ok": True}


def check_broker() -> dict[str, Any]:
    with current_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
        transport = conn.transport_cls
    return {"ok": True, "transport": str(transport)}


def check_beats(now: datetime) -> dict[str, dict[str, Any]]:
    beats = dict(Heartbeat.objects.values_list("name", "at"))
    started = beats.get("worker-started")  # a worker says so once it consumes (celery's worker_ready)
    worker = max((at for at in (beats.get("worker"), started) if at), default=None)
    sweeps = [at for name, at in beats.items() if name.startswith("sweep:")]
    last_sweep = max(sweeps) if sweeps else None
    # Beat runs each sweep first one interval after it starts: a worker started in the last SWEEP_STALE has
    # not had the chance to run one yet, and that is no failure.
    fresh = [at for at in (last_sweep, started) if at and now - at <= SWEEP_STALE]
    return {
        "worker": {"ok": bool(worker and now - worker <= WORKER_STALE), "age_seconds": _age(worker, now)},
        "sweeps": {"ok": bool(fresh), "age_seconds": _age(last_sweep, now)},
    }


def check_outbox(now: datetime) -> dict[str, Any]:
    """Counts and an age only (the tasks' names and ids stay in the admin). Given-up rows are reported, not failed
    on: they stay for the operator for 30 days, and a health check failing for a month would be ignored."""
    found = backlog(now)
    return {
        "ok": not found.stale,
        "undelivered": found.undelivered,
        "oldest_age_seconds": found.oldest_age_seconds,
        "stale_after_seconds": int(stale_after().total_seconds()),
        "given_up": found.given_up,
    }


def check_encryption_keys() -> dict[str, Any]:
    """Can ENCRYPTION_KEYS read the key check (privacyportal/keycheck.py)? Never the keys themselves."""
    if read_keys() is Keys.UNREADABLE:
        return {"ok": False, "error": "no key in ENCRYPTION_KEYS can decrypt the key check"}
    if first_key_retired():
        # Not a failure: mid-rotation every node of the first roll is so, until it is rolled.
        return {
            "ok": True,
            "warning": "the first key of ENCRYPTION_KEYS was rotated out: put the newest first",
        }
    return {"ok": True}


def healthz(request: HttpRequest) -> JsonResponse:
    now = timezone.now()
    checks: dict[str, dict[str, Any]] = {}
    for name, check in (("database", check_database), ("broker", check_broker)):
        try:
            checks[name] = check()
        except Exception as error:  # any failure means unhealthy; the type says which
            checks[name] = {"ok": False, "error": type(error).__name__}
    if checks["database"]["ok"]:
        checks.update(check_beats(now))
        checks["outbox"] = check_outbox(now)
        checks["keys"] = check_encryption_keys()
    else:
        down = {"ok": False, "error": "database unavailable"}
        checks["worker"] = checks["sweeps"] = checks["outbox"] = checks["keys"] = down
    healthy = all(c["ok"] for c in checks.values())
    response = JsonResponse(
        {"status": "ok" if healthy else "unhealthy", "checks": checks}, status=200 if healthy else 503
    )
    response["Cache-Control"] = "no-store"
    return response


def worker_started(**_: Any) -> None:
    """Celery's worker_ready (connected in apps.py): /healthz counts a worker alive from its start, and gives the
    sweeps one period's grace after it.

    The first start after a restore owes what the backup owed from now (privacyportal/outbox.py, owe_again): the
    operator may take an hour between the restore and starting the services, and the outbox's age counts from
    when a worker could send it. Of two workers starting at once, the one that takes the marker does it."""
    beat("worker-started")
    marker = Heartbeat.objects.filter(name=RESTORED).first()
    if marker is not None and Heartbeat.objects.filter(pk=marker.pk).delete()[0]:
        owed = QueuedTask.objects.filter(
            delivered_at__isnull=True, publishes__lte=MAX_PUBLISHES, created_at__lte=marker.at
        )
        outbox.owe_again(owed)
