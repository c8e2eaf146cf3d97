from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RequestsConfig(AppConfig):
    # The customer named this app `requests`; the PyPI library of that name can never be imported here.
    name = "requests"
    verbose_name = _("Privacy requests")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from privacyportal import checks  # noqa: F401  (registers the system checks)
