"""The Celery app. Configuration lives in settings.py under the CELERY_ prefix."""

from __future__ import annotations

import os
from typing import Any

from celery import Celery
from celery.signals import task_postrun, task_prerun, worker_init
from django.core.exceptions import ImproperlyConfigured
from django.db import connections

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
    from django.db import connections  # noqa: PLC0415

    from privacyportal.checks import require_keys  # noqa: PLC0415

    try:
        require_keys()
    except ImproperlyConfigured as error:
        raise SystemExit(f"refusing to start: {error}") from None
    finally:
        connections.close_all()  # the pool's children fork from this process: none may share its connection


def _close_old_connections(**_: Any) -> None:
    """Around each task, what Django does around each web request: drop a database connection that broke or
    outlived CONN_MAX_AGE, keep the rest (CELERY_DB_REUSE_MAX stops Celery closing it every time). Never one
    inside a transaction: a task run there (eagerly, or by a test) is using its caller's connection."""
    for conn in connections.all(initialized_only=True):
        if not conn.in_atomic_block:
            conn.close_if_unusable_or_obsolete()


task_prerun.connect(_close_old_connections, weak=False)
task_postrun.connect(_close_old_connections, weak=False)
