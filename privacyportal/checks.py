"""Rules across settings, checked at startup (healthchecks does the same for TIME_ZONE)."""

from __future__ import annotations

import logging
import re
from ipaddress import ip_network
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cryptography.fernet import Fernet
from django.conf import settings
from django.core.checks import Error, Tags, register
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, connections
from django.db.migrations.loader import MigrationLoader
from django_countries import countries

from privacyportal import files
from privacyportal.keycheck import REFUSAL, Keys, check_keys
from requests import deadlines

logger = logging.getLogger(__name__)


@register()
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    errors = []
    if settings.TIME_ZONE != "UTC":
        errors.append(
            Error(
                "TIME_ZONE must be UTC; set PRIVACY_OPERATOR_TIMEZONE for the legal clocks instead.",
                id="privacyportal.E001",
            )
        )
    try:
        ZoneInfo(settings.PRIVACY_OPERATOR_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError):
        errors.append(Error("PRIVACY_OPERATOR_TIMEZONE is not a known time zone.", id="privacyportal.E002"))
    if settings.PRIVACY_POLICY_DAYS < 1:
        errors.append(Error("PRIVACY_POLICY_DAYS must be at least 1.", id="privacyportal.E003"))
    extended = settings.PRIVACY_POLICY_EXTENDED_DAYS
    if extended and extended < settings.PRIVACY_POLICY_DAYS:
        errors.append(
            Error(
                "PRIVACY_POLICY_EXTENDED_DAYS cannot be shorter than PRIVACY_POLICY_DAYS.",
                id="privacyportal.E004",
            )
        )
    country = settings.PRIVACY_EU_HOLIDAY_COUNTRY
    if country and country not in deadlines.EU_EEA:
        errors.append(
            Error(
                "PRIVACY_EU_HOLIDAY_COUNTRY must be an EU/EEA country code, e.g. DE.", id="privacyportal.E005"
            )
        )
    errors.extend(_check_establishment())
    errors.extend(_check_keys())
    for proxy in settings.TRUSTED_PROXIES:
        try:
            ip_network(proxy, strict=False)
        except ValueError:
            errors.append(
                Error(
                    f"TRUSTED_PROXIES holds {proxy!r}, which is not an address or network.",
                    id="privacyportal.E008",
                )
            )
    return errors


def _check_establishment() -> list[Error]:
    """Each place is an ISO 3166-1 country code, or a 3166-2 subdivision code of one ("DE", "CA-QC")."""
    wrong = [
        place
        for place in settings.PRIVACY_ESTABLISHMENT
        if not re.fullmatch(r"[A-Z]{2}(-[A-Z0-9]{1,3})?", place) or place[:2] not in countries
    ]
    if not wrong:
        return []
    return [
        Error(
            f"PRIVACY_ESTABLISHMENT holds {', '.join(wrong)}: use ISO country or country-subdivision codes, "
            "e.g. GB or DE,US-FL.",
            id="privacyportal.E012",
        )
    ]


def _check_keys() -> list[Error]:
    return _check_encryption_keys() + _check_audit_keys()


def _check_encryption_keys() -> list[Error]:
    if not settings.ENCRYPTION_KEYS:
        return [
            Error(
                "Set ENCRYPTION_KEYS (Fernet keys, newest first). See .env.example.", id="privacyportal.E006"
            )
        ]
    try:
        for key in settings.ENCRYPTION_KEYS:
            Fernet(key)
    except ValueError:
        return [Error("ENCRYPTION_KEYS holds a value that is not a Fernet key.", id="privacyportal.E007")]
    return []


AUDIT_KEY_MIN_LENGTH = 32


def _check_audit_keys() -> list[Error]:
    if not settings.AUDIT_KEYS:
        return [
            Error(
                "Set AUDIT_KEYS (the audit trail's HMAC keys, newest first). See .env.example.",
                id="privacyportal.E009",
            )
        ]
    if any(len(key) < AUDIT_KEY_MIN_LENGTH for key in settings.AUDIT_KEYS):
        return [
            Error(
                f"AUDIT_KEYS holds a key shorter than {AUDIT_KEY_MIN_LENGTH} characters.",
                id="privacyportal.E010",
            )
        ]
    return []


def require_keys() -> None:
    """gunicorn and the Celery worker run no system checks: without usable ENCRYPTION_KEYS and AUDIT_KEYS they
    refuse to start, instead of starting happily and failing on the first upload, letter, download or case
    change. Likewise with ENCRYPTION_KEYS that cannot read the key check (privacyportal/keycheck.py): well-formed
    keys, but not the ones the files were encrypted with."""
    errors = _check_keys()
    if errors:
        raise ImproperlyConfigured(f"{errors[0].msg} ({errors[0].id})")
    try:
        keys = check_keys()
    except DatabaseError as error:
        # Not migrated yet, or the database down: starting is still right (pages answer 503 until it is back),
        # /healthz reads the check once it can, and this process checks before it encrypts its first file.
        logger.warning("encryption key check deferred, the database is unavailable: %s", type(error).__name__)
        files.deferred_key_check = _deferred_key_check
        return
    if keys is Keys.UNREADABLE:
        logger.error("refusing to start: %s", REFUSAL)
        raise ImproperlyConfigured(REFUSAL)


def _deferred_key_check() -> None:
    """The start's key check, run before the first file is encrypted: refuse to write under a wrong list."""
    if check_keys() is Keys.UNREADABLE:
        logger.error("refusing to encrypt a file: %s", REFUSAL)
        raise ImproperlyConfigured(REFUSAL)
    files.deferred_key_check = None


@register(Tags.database)
def check_squashed_migrations(app_configs: Any = None, databases: Any = None, **kwargs: Any) -> list[Error]:
    """A database part-way through migrations that were since squashed (issue 16) must be refused.

    Django can neither record the squashed migration as applied (some of what it replaces never ran) nor run it
    (some did), so it leaves it out and `migrate` reports success without, say, the audit trail's triggers. Runs
    with `migrate` and `check --database`.
    """

    errors = []
    for alias in databases or ():
        loader = MigrationLoader(connections[alias])
        for (app, name), migration in sorted(loader.replacements.items()):
            applied = [key in loader.applied_migrations for key in migration.replaces]
            if any(applied) and not all(applied):
                errors.append(
                    Error(
                        f"Database {alias!r} ran only some of the migrations {app}.{name} replaces.",
                        hint="Migrate it first with commit 5655616, the last with the old migrations "
                        "(docs/operator-guide.md, Upgrading).",
                        id="privacyportal.E011",
                    )
                )
    return errors
