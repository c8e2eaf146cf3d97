"""The Celery app. Configuration lives in settings.py under the CELERY_ prefix."""

from __future__ import annotations

import os
from typing import Any

from celery import Celery
from celery.signals import task_postrun, task_prerun, worker_init
from django.core.exceptions import ImproperlyConfigured
from django.db import close_old_connections

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "privacyportal.settings")

app = Celery("privacyportal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
def _refuse_without_keys(**_: Any) -> None:
    """A worker without usable ENCRYPTION_KEYS or AUDIT_KEYS would fail every letter, packet and case change: it
    does not start.
    SystemExit, not an exception: Celery logs and carries on past a signal handler's exceptions."""
    # Here, not at the top: this module is loaded with the settings (privacyportal/__init__), before Django is set up.
    from privacyportal.checks import require_keys  # noqa: PLC0415

    try:
        require_keys()
    except ImproperlyConfigured as error:
        raise SystemExit(f"refusing to start: {error}") from None


def _close_old_connections(task: Any = None, **_: Any) -> None:
    """Around each task, what Django does around each web request: drop a database connection that broke or
    outlived CONN_MAX_AGE, keep the rest (CELERY_DB_REUSE_MAX stops Celery closing it every time). Not for a
    task run in-process (eager: the tests, the embedded run), which shares its caller's connection and
    transaction, as Celery's own fixup leaves those alone."""
    if task is not None and getattr(task.request, "is_eager", False):
        return
    close_old_connections()


task_prerun.connect(_close_old_connections, weak=False)
task_postrun.connect(_close_old_connections, weak=False)
