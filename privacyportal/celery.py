"""The Celery app. Configuration lives in settings.py under the CELERY_ prefix."""

from __future__ import annotations

import os
from typing import Any

from celery import Celery
from celery.signals import worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "privacyportal.settings")

app = Celery("privacyportal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_ready.connect
def _worker_started(**_: Any) -> None:
    """/healthz counts a worker alive from its start, and gives the sweeps one period's grace after it."""
    from requests.health import beat

    beat("worker-started")
