from __future__ import annotations

from typing import Any

from celery.signals import worker_ready
from django.apps import AppConfig
from django.core.management import call_command
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def create_cache_table(sender: AppConfig, using: str = "default", **kwargs: Any) -> None:
    """The embedded run keeps its cache (rate-limit counters, download grants) in a database table: `migrate`
    makes it, so a database migrated without `createcachetable` still works. Nothing for a Redis cache."""
    call_command("createcachetable", database=using, verbosity=0)


class RequestsConfig(AppConfig):
    # The customer named this app `requests`; the PyPI library of that name can never be imported here.
    name = "requests"
    verbose_name = _("Privacy requests")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from privacyportal import checks  # noqa: F401, PLC0415  (registers the system checks)

        from . import health  # noqa: PLC0415  (models are ready only now)

        post_migrate.connect(create_cache_table, sender=self)
        # A worker says it has started (for /healthz); the Celery app itself imports no app.
        worker_ready.connect(health.worker_started, weak=False)
