"""Test settings: the real settings, plus what a test run must not need from the environment."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production-0123456789abcdef")
# Two keys so tests exercise rotation: the first encrypts, both decrypt.
os.environ.setdefault(
    "ENCRYPTION_KEYS",
    "cHJpdmFjeS1wb3J0YWwtdGVzdC1rZXktMC0wMDAwMDA=,cHJpdmFjeS1wb3J0YWwtdGVzdC1rZXktMS0wMDAwMDA=",
)
# The audit trail's HMAC keys, likewise two: the first signs, both verify.
os.environ.setdefault(
    "AUDIT_KEYS", "test-only-audit-key-0-not-for-production-000,test-only-audit-key-1-not-for-production-111"
)

# A test run writes nothing into the working tree: its SQLite file, private files, mail and broker folders live
# in a folder of its own outside it, one per checkout (two checkouts' suites never share one).
_checkout = hashlib.sha256(str(Path(__file__).resolve().parents[1]).encode()).hexdigest()[:10]
# (A worker a test starts is given its own VAR_DIR; the .env of `make run` is read after this, so never here.)
os.environ.setdefault("VAR_DIR", str(Path(tempfile.gettempdir()) / f"privacyportal-test-{_checkout}"))

from privacyportal.settings import *  # noqa: E402, F403

SECURE_SSL_REDIRECT = False
PDF_STRICT_ASSETS = True  # a letter that lost its stylesheet fails the test that rendered it
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405

# A file, not memory, so a real Celery worker in another process sees the test database.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}  # noqa: F405
else:
    # Between transactional tests pytest-django empties every table with TRUNCATE, which the audit tables refuse
    # unless the session says so (requests/migrations/0001_squashed_0002_append_only_events.py).
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c privacyportal.audit_truncate=allow"  # noqa: F405

# No cache table in the test database; in CI REDIS_URL (or CACHE_URL) gives the real Redis cache.
if not CACHE_URL:  # noqa: F405
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    SILENCED_SYSTEM_CHECKS = [*SILENCED_SYSTEM_CHECKS, "django_ratelimit.E003", "django_ratelimit.W001"]  # noqa: F405
PRIVATE_ROOT = Path(os.environ.get("TEST_PRIVATE_ROOT") or VAR_DIR / "test-private")  # noqa: F405
