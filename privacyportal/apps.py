from __future__ import annotations

from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig


class PortalAdminConfig(AdminConfig):
    """Django's admin with the staff sign-in's site as `admin.site`: every staff login needs a TOTP (or backup)
    code as well as the password (identity/staff_auth.py)."""

    default_site = "identity.staff_auth.PortalAdminSite"


class PortalConfig(AppConfig):
    """What every app shares that has a table: the outbox (privacyportal/models.py)."""

    name = "privacyportal"
    verbose_name = "Privacy Portal"
    default_auto_field = "django.db.models.BigAutoField"
