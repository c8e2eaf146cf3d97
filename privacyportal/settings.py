"""The one settings file, read from the environment (see .env.example and docs/configuration.md).

Secure by default: DEBUG off, no SECRET_KEY unless DEBUG is on (the embedded `make run`), HTTPS-only
cookies in production. With no DATABASE_URL / REDIS_URL the portal runs embedded: SQLite in WAL mode
and kombu's filesystem broker under var/, so no server is needed.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import django_stubs_ext
import environ
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

# Admin, form and queryset classes take type parameters at runtime as the type checker sees them.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
if (BASE_DIR / ".env").is_file():
    env.read_env(BASE_DIR / ".env")

VAR_DIR = Path(env("VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env.bool("DEBUG", default=False)


def _dev_key(name: str, make: Callable[[], str]) -> str:
    """Embedded development run only (DEBUG on, nothing configured): a random key kept beside the SQLite database,
    made on the first run."""
    key_file = VAR_DIR / name
    if not key_file.exists():
        key_file.write_text(make())
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def _secret_key() -> str:
    key = env("SECRET_KEY", default="")
    if key:
        return str(key)
    if not DEBUG:
        raise ImproperlyConfigured("Set SECRET_KEY (DEBUG is off). See .env.example.")
    return _dev_key("dev-secret-key", lambda: secrets.token_urlsafe(50))


SECRET_KEY = _secret_key()
# Old keys still accepted for signatures (sessions, password resets) while rotating SECRET_KEY.
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # First: it registers the translated fields (requests/translation.py) before the admin modules load.
    "modeltranslation",
    "privacyportal.apps.PortalAdminConfig",  # django.contrib.admin, with the OTP site as `admin.site`
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "rest_framework",
    "django_countries",
    "privacyportal.apps.PortalConfig",
    "requests",
    "identity",
]

MIDDLEWARE = [
    "privacyportal.ratelimit.TrustedProxyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "privacyportal.middleware.PermissionsPolicyMiddleware",
    "privacyportal.middleware.DatabaseUnavailableMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "privacyportal.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "privacyportal.middleware.UndecryptableFileMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "identity.middleware.StaffIdleTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "privacyportal.urls"
WSGI_APPLICATION = "privacyportal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "privacyportal.context_processors.operator",
            ],
        },
    },
]

# Databases: PostgreSQL from DATABASE_URL, else embedded SQLite in WAL mode.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'portal.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;",
        # Take the write lock when a transaction starts: web, worker and beat share one file.
        "transaction_mode": "IMMEDIATE",
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", default="")
# The cache and the Celery broker may share one Redis database, but never its keys: the cache's keys carry a
# prefix and its clear() deletes only those (Django's own is FLUSHDB, which took the queued tasks with it).
# CACHE_URL / BROKER_URL put either elsewhere (e.g. redis://host:6379/1 for the cache). With a RabbitMQ broker and
# no REDIS_URL or CACHE_URL the cache is a database table (rate-limit counters, lockouts): slower, but shared.
CACHE_URL = env("CACHE_URL", default=REDIS_URL)
if CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "privacyportal.cache.PrefixedRedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": "cache",
            # Redis answers in a millisecond; a stopped or frozen one must cost a page a moment, not a hang
            # (issue 24: without a timeout a frozen Redis held every POST until it came back). The counters it
            # keeps fail open (privacyportal/ratelimit.py), so a timeout costs nothing but a limit not applied.
            "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.25},
        }
    }
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "portal_cache"}
    }

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Languages: English and Russian. Legal clocks run in the operator's zone; the server keeps UTC.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ru", _("Russian"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# One way of writing dates everywhere a template or the admin prints one without a format of its own.
FORMAT_MODULE_PATH = ["privacyportal.formats"]
# The register's texts are kept in each language (requests/translation.py); a text missing in Russian prints the
# English one, never nothing. English is the language each entry must have.
MODELTRANSLATION_DEFAULT_LANGUAGE = "en"
MODELTRANSLATION_FALLBACK_LANGUAGES = ("en",)
USE_I18N = True
TIME_ZONE = "UTC"  # fixed: a system check refuses anything else
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
MEDIA_ROOT = VAR_DIR / "media"
# Evidence, letters and packets (encrypted: privacyportal/files.py) live here, outside MEDIA_ROOT, never served
# directly, unless PRIVATE_S3_BUCKET puts them on object storage that several nodes share.
PRIVATE_ROOT = Path(env("PRIVATE_ROOT", default=str(VAR_DIR / "private")))
PRIVATE_S3_BUCKET = env("PRIVATE_S3_BUCKET", default="")
if PRIVATE_S3_BUCKET:
    _sse = env("PRIVATE_S3_SERVER_SIDE_ENCRYPTION", default="")
    STORAGES["private"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": PRIVATE_S3_BUCKET,
            "location": env("PRIVATE_S3_PREFIX", default="").strip("/"),
            # Empty: AWS S3 itself, and boto3's own credential chain (an instance or task role).
            "endpoint_url": env("PRIVATE_S3_ENDPOINT_URL", default="") or None,
            "region_name": env("PRIVATE_S3_REGION", default="") or None,
            "access_key": env("PRIVATE_S3_ACCESS_KEY_ID", default="") or None,
            "secret_key": env("PRIVATE_S3_SECRET_ACCESS_KEY", default="") or None,
            "addressing_style": env("PRIVATE_S3_ADDRESSING_STYLE", default="") or None,
            # Private objects only: no ACL sent (the bucket's own policy applies), never a public URL.
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": True,  # names are random: no existence check before each write
            "object_parameters": {"ServerSideEncryption": _sse} if _sse else {},
        },
    }
else:
    STORAGES["private"] = {"BACKEND": "privacyportal.files.PrivateFileSystemStorage"}


def _encryption_keys() -> list[str]:
    keys: list[str] = env.list("ENCRYPTION_KEYS", default=[])
    if keys or not DEBUG:
        return keys  # empty in production: system check privacyportal.E006 refuses to start
    return [_dev_key("dev-encryption-key", lambda: Fernet.generate_key().decode())]


# Fernet keys for evidence and packets at rest, newest first; older keys still decrypt (rotation).
ENCRYPTION_KEYS = _encryption_keys()


def _audit_keys() -> list[str]:
    keys: list[str] = env.list("AUDIT_KEYS", default=[])
    if keys or not DEBUG:
        return keys  # empty in production: system check privacyportal.E009 refuses to start
    return [_dev_key("dev-audit-key", lambda: secrets.token_urlsafe(32))]


# HMAC keys of the audit trail (DESIGN §4), newest first: the first signs, every one verifies. They live outside
# the database, so whoever can write to it still cannot rewrite a chain that verifies.
AUDIT_KEYS = _audit_keys()

# Email: django-environ's EMAIL_URL (smtp://, consolemail://, filemail://...).
_email = env.email("EMAIL_URL", default="consolemail://")
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email.get("EMAIL_HOST") or "localhost"
EMAIL_PORT = int(_email.get("EMAIL_PORT") or 25)
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER") or ""
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD") or ""
EMAIL_USE_TLS = bool(_email.get("EMAIL_USE_TLS"))
EMAIL_USE_SSL = bool(_email.get("EMAIL_USE_SSL"))
# Seconds an SMTP connect or reply may take. Never unbounded: a kept connection a firewall dropped silently would
# block the next email, and the process-wide lock with it, until the task's time limit or gunicorn's timeout.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=15)
# filemail:///srv/mail means /srv/mail (django-environ drops the leading slash of the path).
EMAIL_FILE_PATH = (
    "/" + _email["EMAIL_FILE_PATH"].lstrip("/") if _email.get("EMAIL_FILE_PATH") else str(VAR_DIR / "mail")
)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Privacy Portal <privacy@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# The privacy mailbox read over IMAP (docs/mailbox.md). No MAILBOX_HOST: mailbox intake is off. The password (or app
# password) only ever comes from the environment. Security: "ssl" (port 993), "starttls" (143), or "none" (a
# server on this machine only: tests and the demo). Port 0: the security's standard port.
MAILBOX_HOST = env("MAILBOX_HOST", default="")
MAILBOX_PORT = env.int("MAILBOX_PORT", default=0)
MAILBOX_SECURITY = env("MAILBOX_SECURITY", default="ssl")
MAILBOX_USER = env("MAILBOX_USER", default="")
MAILBOX_PASSWORD = env("MAILBOX_PASSWORD", default="")
MAILBOX_FOLDER = env("MAILBOX_FOLDER", default="INBOX")
MAILBOX_PROCESSED_FOLDER = env("MAILBOX_PROCESSED_FOLDER", default="Processed")
# A message over this size is still taken and moved, but only its headers are read (its text becomes a note).
MAILBOX_MAX_MESSAGE_BYTES = env.int("MAILBOX_MAX_MESSAGE_BYTES", default=25 * 1024 * 1024)
# Without MAILBOX_HOST, a Maildir on this machine read the same way: the demo's mailbox (`make run`).
MAILBOX_MAILDIR = env("MAILBOX_MAILDIR", default="")

# Sessions and security. Staff sessions end 8 hours after sign-in however busy (an absolute limit that
# identity.middleware pins), and sooner after STAFF_IDLE_TIMEOUT_MINUTES without a request.
# After sign-in without a safe `next`, staff land on the queue (not Django's /accounts/profile/).
LOGIN_REDIRECT_URL = "/admin/"
SESSION_COOKIE_AGE = 8 * 60 * 60
STAFF_IDLE_TIMEOUT_MINUTES = env.int("STAFF_IDLE_TIMEOUT_MINUTES", default=30)
SESSION_COOKIE_HTTPONLY = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_PROXY", False) else None
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# Container and load-balancer health checks speak plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# The __Host- prefix: browsers accept such a cookie only over HTTPS, for this host alone (no Domain), on path /:
# no sibling subdomain can set or shadow it. Only with Secure cookies (the prefix requires them).
if SESSION_COOKIE_SECURE:
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
# Preload-ready by default (check --deploy asks for it); submitting the domain to the list stays the operator's act.
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content Security Policy (django-csp): scripts and everything else only from this origin; no plugins, no
# framing, forms post only here. No inline styles either (issue 15): an injected `style` could restyle a page
# to mislead (hide a warning, overlay a fake form). Every style lives in static/css; a browser test fails on any
# "Refused to apply inline style" console message.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# Two-factor login for staff and lockout after repeated failures.
OTP_TOTP_ISSUER = env("OTP_TOTP_ISSUER", default="Privacy Portal")
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = 1  # hour
# Per username, whatever the address: a lock per (username, address) let the right password in from elsewhere.
# Not per address as well (axes.W006 silenced below): colleagues behind one office address would lock each other
# out; an address trying many usernames meets RATELIMIT_STAFF_LOGIN instead.
AXES_LOCKOUT_PARAMETERS = ["username"]
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_VERBOSE = False
# A member of staff sets up their authenticator only through a one-time link a DPO sends (or `reset_otp` prints).
STAFF_ENROLMENT_LINK_HOURS = env.int("STAFF_ENROLMENT_LINK_HOURS", default=72)

REST_FRAMEWORK = {
    # Each API view names its own authentication (tokens, OTP-verified sessions) and permission.
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAdminUser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["requests.api.parsers.StrictJSONParser"],
    "EXCEPTION_HANDLER": "requests.api.auth.json_errors",
    "UNAUTHENTICATED_USER": None,
}

# Celery's broker: BROKER_URL, else CELERY_BROKER_URL (the older name), else REDIS_URL, else kombu's filesystem
# broker for the embedded run. Redis (redis://) or RabbitMQ (amqp://); docs/operator-guide.md, "Choosing a broker".
CELERY_BROKER_URL = (
    env("BROKER_URL", default="") or env("CELERY_BROKER_URL", default=REDIS_URL) or "filesystem://"
)
BROKER_IS_AMQP = CELERY_BROKER_URL.startswith(("amqp://", "amqps://", "pyamqp://"))
if CELERY_BROKER_URL == "filesystem://":
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),  # not ./control in the working tree
        "store_processed": False,
    }
elif BROKER_IS_AMQP:
    # A publish returns once RabbitMQ has the message (publisher confirms), not when it left our socket: a
    # sign-in code sent while the broker restarts is an error we log, never a message silently dropped.
    # Queues are Celery's default, durable classic ones and messages persistent: they survive a restart.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"confirm_publish": True}
    # A dead connection (a restarted broker, a dropped NAT entry) is noticed within a minute, not at the next
    # publish. Acknowledgement is late (below), so RabbitMQ's consumer_timeout must be longer than a task may
    # hold its message: the longest task (30 min) plus the longest retry countdown (30 min). Its default is 30
    # min; the operator guide and docker-compose.yml set it to 2 h.
    CELERY_BROKER_HEARTBEAT = 30
else:
    # Longer than the longest task, so a slow task is not redelivered while it still runs.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}


def web_broker_transport_options(url: str, options: dict[str, object]) -> dict[str, object]:
    """The broker's transport options for web processes, which publish with timeouts (privacyportal/wsgi.py).

    A web request publishing to a frozen Redis waited as long as it stayed frozen (issue 24). On RabbitMQ, py-amqp
    waits for a publisher confirm without end: a frozen node, or one blocking publishers on a memory or disk
    alarm, held the on-commit publish of a case already saved until gunicorn killed the worker (a 502). With
    these a publish fails within seconds and is the outbox's to repeat. Not the worker: with them, a worker whose
    acknowledgement timed out stopped consuming for good (celery/celery#2415), and nobody waits on it.
    """
    if url.startswith(("redis://", "rediss://")):
        return {**options, "socket_connect_timeout": 0.5, "socket_timeout": 0.5}
    if url.startswith(("amqp://", "amqps://", "pyamqp://")):
        # read_timeout bounds the wait for the confirm too (py-amqp reads it from the socket).
        return {**options, "connect_timeout": 2, "read_timeout": 2, "write_timeout": 2}
    return options


WEB_BROKER_TRANSPORT_OPTIONS = web_broker_transport_options(
    CELERY_BROKER_URL, CELERY_BROKER_TRANSPORT_OPTIONS
)
# A page that publishes (a sign-in code, a case's first email through the outbox) waits at most a few seconds for
# a broker that is down or unreachable, then goes on: the outbox publishes again later, `send_now` logs it.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
# One retry, at once: enough for a pooled connection that went stale when Redis restarted, while a broker that is
# down costs a POST well under 2 s (Celery's default, 3 retries, spent up to 4 timeouts on it).
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.1,
    "interval_max": 0.1,
}
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 10 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 9 * 60
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TIMEZONE = "UTC"
# Celery's Django fixup closes the database connection around every task unless this is set: each email then
# paid for a new PostgreSQL connection (a backend forked, authenticated, its caches warmed). A task keeps its
# connection as a web request does instead (CONN_MAX_AGE; one that broke is dropped: privacyportal/celery.py),
# and the fixup only renews it every this many tasks.
CELERY_DB_REUSE_MAX = 1000
CELERY_BEAT_SCHEDULE = {
    "every-minute-worker-heartbeat": {"task": "requests.tasks.heartbeat", "schedule": 60},
    "every-5-min-outbox-redelivery": {"task": "requests.tasks.sweep", "schedule": 300, "args": ["redeliver"]},
    # The privacy mailbox (docs/mailbox.md); nothing to do while MAILBOX_HOST and MAILBOX_MAILDIR are empty.
    "every-minute-mailbox-sweep": {"task": "requests.tasks.sweep", "schedule": 60, "args": ["mailbox"]},
    "every-10-min-verification-sweep": {
        "task": "requests.tasks.sweep",
        "schedule": 600,
        "args": ["verification"],
    },
    "every-10-min-acknowledgement-sweep": {
        "task": "requests.tasks.sweep",
        "schedule": 600,
        "args": ["acknowledgements"],
    },
    "every-hour-due-reminder-sweep": {
        "task": "requests.tasks.sweep",
        "schedule": 3600,
        "args": ["due_reminders"],
    },
    "every-hour-extension-window-sweep": {
        "task": "requests.tasks.sweep",
        "schedule": 3600,
        "args": ["extension_window"],
    },
    "every-hour-overdue-sweep": {"task": "requests.tasks.sweep", "schedule": 3600, "args": ["overdue"]},
    "every-hour-fee-lapse-sweep": {"task": "requests.tasks.sweep", "schedule": 3600, "args": ["fee_lapses"]},
    "every-6-hours-evidence-purge": {
        "task": "requests.tasks.sweep",
        "schedule": 6 * 3600,
        "args": ["evidence_purge"],
    },
    "every-hour-packet-purge": {"task": "requests.tasks.sweep", "schedule": 3600, "args": ["packet_purge"]},
    "every-6-hours-retention-sweep": {
        "task": "requests.tasks.sweep",
        "schedule": 6 * 3600,
        "args": ["retention"],
    },
    "every-hour-owner-task-reminder-sweep": {
        "task": "requests.tasks.sweep",
        "schedule": 3600,
        "args": ["owner_task_reminders"],
    },
    "every-hour-staff-digest-sweep": {
        "task": "requests.tasks.sweep",
        "schedule": 3600,
        "args": ["staff_digests"],
    },
    "nightly-audit-chain-check": {"task": "requests.tasks.verify_audit_chain", "schedule": 24 * 60 * 60},
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # The one-click links carry a token in their path: every line naming a URL has it [redacted] (issue 15).
    "filters": {"redact_secrets": {"()": "privacyportal.redact.RedactSecretsFilter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact_secrets"]}
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    # Request logs carry URLs only; no personal data is ever put in a URL. The loggers that name paths are
    # filtered themselves too, so Django's own handlers (mail to ADMINS) get the redacted line as well;
    # runserver's log (django.server) goes through the console handler instead of Django's own.
    # WeasyPrint reports every rendering step at INFO; its warnings (a refused URL) still show.
    "loggers": {
        "django.request": {"filters": ["redact_secrets"]},
        "django.security.csrf": {"filters": ["redact_secrets"]},
        "django.server": {"filters": ["redact_secrets"]},
        "django.db.backends": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# The public address of the portal, for links in emails.
PORTAL_BASE_URL = env("PORTAL_BASE_URL", default="http://127.0.0.1:8000")
# Rate limits on public forms (django-ratelimit on the shared cache), per client IP.
# Reverse proxies whose X-Forwarded-For is believed (addresses or networks, e.g. "10.0.0.0/8,127.0.0.1"): the
# client address for rate limits, lockouts and logs is read through them and only them. Empty: the peer is the client.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
AXES_CLIENT_IP_CALLABLE = "privacyportal.ratelimit.client_ip"
# A counter django-ratelimit cannot read back (it vanished between its add and its increment: Redis restarted,
# the key expired on that instant) lets the request through, as a cache that is away does (ratelimit.py); its own
# default answers 429 to someone who sent nothing wrong.
RATELIMIT_FAIL_OPEN = True
RATELIMIT_STAFF_LOGIN = env("RATELIMIT_STAFF_LOGIN", default="30/h")
RATELIMIT_SUBMIT = env("RATELIMIT_SUBMIT", default="10/h")
# The question pages of the request form: each answer saves the session, so a flood of them is limited too.
RATELIMIT_STEPS = env("RATELIMIT_STEPS", default="300/h")
RATELIMIT_VERIFY = env("RATELIMIT_VERIFY", default="30/h")
RATELIMIT_RESEND = env("RATELIMIT_RESEND", default="5/h")
# Emails a stranger can cause by typing someone's address, per recipient whoever typed it (issue 15).
RATELIMIT_RECIPIENT_VERIFY = env("RATELIMIT_RECIPIENT_VERIFY", default="6/h")
RATELIMIT_RECIPIENT_AGENT = env("RATELIMIT_RECIPIENT_AGENT", default="3/d")
# Replies on the status page: per client address, and per case whoever sends them; files a requester sends to
# one case, at most this many megabytes in all (agent permission, reply attachments).
RATELIMIT_REPLY = env("RATELIMIT_REPLY", default="20/h")
RATELIMIT_REPLY_PER_CASE = env("RATELIMIT_REPLY_PER_CASE", default="30/d")
# Answers on a system owner's task page, per client address.
RATELIMIT_OWNER_TASK = env("RATELIMIT_OWNER_TASK", default="30/h")
PRIVACY_CASE_UPLOAD_QUOTA_MB = env.int("PRIVACY_CASE_UPLOAD_QUOTA_MB", default=50)

# The operator: who answers, where, and what it promised (DESIGN §1, §5).
PRIVACY_OPERATOR_NAME = env("PRIVACY_OPERATOR_NAME", default="Example Consulting Ltd")
PRIVACY_OPERATOR_ADDRESS = env("PRIVACY_OPERATOR_ADDRESS", default="1 Example Street, London, United Kingdom")
PRIVACY_DPO_EMAIL = env("PRIVACY_DPO_EMAIL", default="dpo@example.com")
# The privacy mailbox (DESIGN §14): the Reply-To of every email to a requester about their case, so a reply
# reaches the mailbox and joins the case's thread. Empty: no Reply-To, and replies go to the sender address.
PRIVACY_MAILBOX_ADDRESS = env("PRIVACY_MAILBOX_ADDRESS", default="")
# Named in every refusal: where the requester may complain (GDPR Art. 12(4), 77).
# A letter whose stylesheet or font cannot be served raises instead of coming out unstyled (tests set it).
PDF_STRICT_ASSETS = env.bool("PDF_STRICT_ASSETS", default=False)
PRIVACY_SUPERVISORY_AUTHORITY = env(
    "PRIVACY_SUPERVISORY_AUTHORITY",
    default="the Information Commissioner's Office (ICO), https://ico.org.uk/make-a-complaint/",
)
PRIVACY_FEE_CURRENCY = env("PRIVACY_FEE_CURRENCY", default="GBP")
PRIVACY_OPERATOR_TIMEZONE = env("PRIVACY_OPERATOR_TIMEZONE", default="Europe/London")
PRIVACY_POLICY_DAYS = env.int("PRIVACY_POLICY_DAYS", default=45)
PRIVACY_POLICY_EXTENDED_DAYS = env.int("PRIVACY_POLICY_EXTENDED_DAYS", default=90)
# The policy promises an answer within PRIVACY_POLICY_DAYS with no pause; true lets waiting for the requester
# push it out, as UK GDPR's clock does.
PRIVACY_POLICY_PAUSABLE = env.bool("PRIVACY_POLICY_PAUSABLE", default=False)
# Where the operator is established, as ISO 3166-1 or 3166-2 codes ("GB", "DE,US-FL", "CA-QC"): each place's law
# that applies to everyone's requests (UK GDPR for GB, EU GDPR for an EU/EEA state, ...) is added to every new
# case (requests/deadlines.py, establishment_regime). Empty: only the law of where each requester lives.
PRIVACY_ESTABLISHMENT = tuple(
    code.strip().upper() for code in env.list("PRIVACY_ESTABLISHMENT", default=[]) if code.strip()
)
# The EU Member State whose public holidays move an EU GDPR due date (empty: weekends only).
PRIVACY_EU_HOLIDAY_COUNTRY = env("PRIVACY_EU_HOLIDAY_COUNTRY", default="")
PRIVACY_VERIFICATION_TIERS = env.json("PRIVACY_VERIFICATION_TIERS", default={})
# The operator's privacy policy (its information practices): a Californian whose identity cannot be verified is
# pointed there (CCPA regulations §7024(b)). Empty: the letter offers to send it.
PRIVACY_POLICY_URL = env("PRIVACY_POLICY_URL", default="")
# The day the accessibility statement (/accessibility/) was last reviewed against the portal as deployed, as
# YYYY-MM-DD: the statement gives this date, never today's. An operator who changes the portal reviews it again.
PRIVACY_ACCESSIBILITY_REVIEWED = date.fromisoformat(
    env("PRIVACY_ACCESSIBILITY_REVIEWED", default="2026-12-04")
)
# Sweeps: unverified requests expire, quoted fees lapse, evidence is purged, closed cases are anonymised.
PRIVACY_VERIFY_EXPIRE_DAYS = env.int("PRIVACY_VERIFY_EXPIRE_DAYS", default=14)
PRIVACY_FEE_LAPSE_DAYS = env.int("PRIVACY_FEE_LAPSE_DAYS", default=30)
PRIVACY_EVIDENCE_DAYS = env.int("PRIVACY_EVIDENCE_DAYS", default=30)
# How long a released packet can be downloaded before the sweep deletes it.
PRIVACY_PACKET_DAYS = env.int("PRIVACY_PACKET_DAYS", default=30)
PRIVACY_RETENTION_MONTHS = env.int("PRIVACY_RETENTION_MONTHS", default=24)
# Days an inbox item (a mail to the privacy mailbox) is kept once made a case, dismissed or ignored.
PRIVACY_INBOX_DAYS = env.int("PRIVACY_INBOX_DAYS", default=30)
# Ask the person an authorised agent acts for to confirm directly by email (CCPA §7063 allows requiring it).
PRIVACY_CONFIRM_AGENTS_WITH_SUBJECT = env.bool("PRIVACY_CONFIRM_AGENTS_WITH_SUBJECT", default=True)
# How long after a refusal (whole or in part) a requester under a US state law may appeal it from the status page.
# The laws say "a reasonable period of time after the consumer's receipt of the decision" and set none.
PRIVACY_APPEAL_WINDOW_DAYS = env.int("PRIVACY_APPEAL_WINDOW_DAYS", default=60)
# How long the link in a system owner's task email works (each reminder sends a fresh link).
PRIVACY_OWNER_TASK_DAYS = env.int("PRIVACY_OWNER_TASK_DAYS", default=30)
