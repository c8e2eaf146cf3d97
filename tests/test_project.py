"""The project's own guarantees: the `requests` name, migrations, settings checks, compose file, documentation."""

from __future__ import annotations

import importlib.metadata
import io
import os
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.checks import run_checks
from django.core.management import call_command
from django.test import override_settings

from privacyportal import outbox

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def settings_keys() -> set[str]:
    """Every environment variable privacyportal/settings.py reads."""
    return set(
        re.findall(r'env(?:\.\w+)?\(\s*"([A-Z][A-Z0-9_]*)"', (ROOT / "privacyportal/settings.py").read_text())
    )


def env_example_keys() -> set[str]:
    return set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", (ROOT / ".env.example").read_text(), re.MULTILINE))


def test_requests_is_this_app_and_never_the_pypi_library() -> None:
    import requests

    assert Path(requests.__file__).resolve() == ROOT / "requests" / "__init__.py"
    assert not hasattr(requests, "get"), "the PyPI requests library is importable here"


def test_no_installed_distribution_depends_on_pypi_requests() -> None:
    offenders = []
    for dist in importlib.metadata.distributions():
        name = (dist.metadata["Name"] or "").lower()
        if name == "requests":
            offenders.append("requests itself is installed")
        for requirement in dist.requires or []:
            if "extra ==" in requirement:
                continue  # optional extras are not installed with the distribution
            if re.match(r"^requests(\s|[<>=!~;\[(]|$)", requirement.strip(), re.IGNORECASE):
                offenders.append(f"{name} requires {requirement}")
    assert offenders == []


def test_lock_files_do_not_pin_pypi_requests() -> None:
    for lock in (ROOT / "requirements").glob("*.lock"):
        assert not re.search(r"^requests==", lock.read_text(), re.MULTILINE), lock.name


@pytest.mark.django_db
def test_migrations_are_committed() -> None:
    out = io.StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


def test_settings_checks_pass_and_refuse_a_non_utc_server() -> None:
    assert [e for e in run_checks() if e.id and e.id.startswith("privacyportal")] == []
    with override_settings(TIME_ZONE="Europe/Moscow", PRIVACY_EU_HOLIDAY_COUNTRY="GB"):
        ids = {e.id for e in run_checks()}
    assert {"privacyportal.E001", "privacyportal.E005"} <= ids


def test_the_establishment_must_be_iso_codes() -> None:
    with override_settings(PRIVACY_ESTABLISHMENT=("GB", "DE", "US-FL", "CA-QC")):
        assert "privacyportal.E012" not in {e.id for e in run_checks()}
    for wrong in [("UK",), ("Germany",), ("US-",), ("XX-CA",)]:
        with override_settings(PRIVACY_ESTABLISHMENT=wrong):
            assert "privacyportal.E012" in {e.id for e in run_checks()}, wrong


def test_compose_file_runs_the_whole_portal() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"postgres", "redis", "migrate", "web", "worker", "beat", "mailpit"} <= set(services)
    assert services["migrate"]["restart"] == "no"
    for name in ("web", "worker", "beat"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert "gunicorn" in services["web"]["command"]
    redis = " ".join(services["redis"]["command"])
    assert "--appendonly yes" in redis and "--maxmemory-policy noeviction" in redis
    assert "private:/data/private" not in services["beat"].get("volumes", [])
    assert settings_keys() - env_example_keys() == set(), "every setting is listed in .env.example"


def test_compose_runs_two_web_and_two_worker_replicas_and_one_beat() -> None:
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    assert services["web"]["deploy"]["replicas"] == services["worker"]["deploy"]["replicas"] == 2
    assert services["beat"]["deploy"]["replicas"] == 1
    # Two replicas cannot publish one host port: a range, one port each.
    (published,) = services["web"]["ports"]
    assert re.fullmatch(r"\$\{WEB_PORTS:-(\d+)-(\d+)\}:8000", published)
    # RabbitMQ only on request, holding a task's message longer than the longest task may (operator guide).
    rabbitmq = services["rabbitmq"]
    assert rabbitmq["profiles"] == ["rabbitmq"] and rabbitmq["hostname"] == "rabbitmq"
    assert "consumer_timeout 7200000" in rabbitmq["environment"]["RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS"]


def test_deploy_checks_are_clean_with_production_settings(tmp_path: Path) -> None:
    """`manage.py check --deploy` with the values an operator sets in production: no warning at all."""
    import secrets
    import subprocess
    import sys

    from cryptography.fernet import Fernet

    env = {
        "PATH": os.environ.get("PATH", ""),
        "DJANGO_SETTINGS_MODULE": "privacyportal.settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "AUDIT_KEYS": secrets.token_urlsafe(32),
        "ALLOWED_HOSTS": "privacy.example.com",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
        "VAR_DIR": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=Path(__file__).resolve().parents[1], env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_gunicorn_logs_paths_without_query_strings_or_referrers(tmp_path: Path) -> None:
    """A query string (an email searched for) or a referrer must never reach the access log."""
    import subprocess
    import sys

    from privacyportal import gunicorn_conf

    assert "%(U)s" in gunicorn_conf.access_log_format
    # The one environ value it reads is the client address the portal resolved; no header, no query string.
    remaining = gunicorn_conf.access_log_format.replace("%({REMOTE_ADDR}e)s", "")
    for leaky in ("%(r)s", "%(q)s", "%(f)s", "%(h)s", "%({"):
        assert leaky not in remaining
    # gunicorn accepts the file as its configuration.
    result = subprocess.run(
        [sys.executable, "-m", "gunicorn", "-c", "python:privacyportal.gunicorn_conf", "--check-config",
         "privacyportal.wsgi"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "privacyportal.test_settings"},
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.django_db(transaction=True)
def test_migrate_makes_the_database_cache_table(settings: Any) -> None:
    # The embedded run's cache lives in a table; a database migrated without `createcachetable` answered 503 on
    # every rate-limited page.
    from django.db import connection

    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "t_cache"}
    }
    assert "t_cache" not in connection.introspection.table_names()
    try:
        call_command("migrate", verbosity=0)
        assert "t_cache" in connection.introspection.table_names()
    finally:
        if "t_cache" in connection.introspection.table_names():
            with connection.schema_editor() as editor:
                editor.execute(editor.sql_delete_table % {"table": editor.quote_name("t_cache")})


@pytest.mark.django_db
def test_the_demo_banner_names_the_address_the_portal_serves_on(settings: Any) -> None:
    settings.PORTAL_BASE_URL = "http://127.0.0.1:8080"
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    text = out.getvalue()
    assert "http://127.0.0.1:8080/admin/" in text and ":8000" not in text


@pytest.mark.parametrize("missing", ["ENCRYPTION_KEYS", "AUDIT_KEYS"])
@pytest.mark.parametrize(
    "command",
    [
        ["-c", "import privacyportal.wsgi"],
        ["-m", "celery", "-A", "privacyportal", "worker", "--pool", "solo", "-l", "warning"],
    ],
    ids=["web", "worker"],
)
def test_web_and_worker_refuse_to_start_without_their_keys(
    tmp_path: Path, command: list[str], missing: str
) -> None:
    import subprocess
    import sys

    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL")}
    env.update(DJANGO_SETTINGS_MODULE="privacyportal.settings", SECRET_KEY="x" * 50, DEBUG="false",
               VAR_DIR=str(tmp_path), **{missing: ""})  # fmt: skip
    result = subprocess.run(
        [sys.executable, *command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert f"Set {missing}" in result.stderr + result.stdout


def test_settings_checks_refuse_missing_or_short_audit_keys() -> None:
    with override_settings(AUDIT_KEYS=[]):
        assert "privacyportal.E009" in {e.id for e in run_checks()}
    with override_settings(AUDIT_KEYS=["a" * 40, "too-short"]):
        assert "privacyportal.E010" in {e.id for e in run_checks()}


def test_the_embedded_run_makes_its_own_audit_key_once(tmp_path: Path) -> None:
    """`make run` with nothing configured (DEBUG on): a key is made in VAR_DIR and kept for the next start."""
    import subprocess
    import sys

    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    # Empty, not absent: a developer's .env (read after the environment) cannot fill it in either.
    env.update(
        DJANGO_SETTINGS_MODULE="privacyportal.settings", DEBUG="true", VAR_DIR=str(tmp_path), AUDIT_KEYS=""
    )
    script = "import django; django.setup(); from django.conf import settings; print(settings.AUDIT_KEYS[0])"
    keys = [
        subprocess.run(
            [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
            check=True,
        ).stdout.strip()
        for _ in range(2)
    ]  # fmt: skip
    assert keys[0] == keys[1] == (tmp_path / "dev-audit-key").read_text().strip()
    assert len(keys[0]) >= 32


def documents() -> list[Path]:
    return [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]


def test_every_variable_has_a_row_in_the_configuration_reference() -> None:
    """docs/configuration.md is the reference: each variable settings.py or .env.example names is in the first
    cell of a table row (name, default, meaning)."""
    rows = re.findall(
        r"^\| ([^|\n]*) \|[^|\n]*\|[^|\n]*\|$", (DOCS / "configuration.md").read_text(), re.MULTILINE
    )
    documented = {name for cell in rows for name in re.findall(r"`([A-Z][A-Z0-9_]*)`", cell)}
    assert settings_keys() - documented == set()
    assert env_example_keys() - documented == set()


def _anchors(markdown: str) -> set[str]:
    """GitHub's anchors for a document's headings."""
    headings = re.findall(r"^#+ (.+)$", re.sub(r"```.*?```", "", markdown, flags=re.DOTALL), re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-") for heading in headings}


def test_documentation_links_point_at_files_in_the_repository() -> None:
    broken = []
    for doc in documents():
        text = re.sub(r"```.*?```", "", doc.read_text(), flags=re.DOTALL)  # code is not links
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"^[a-z][a-z+.-]*:", target):
                continue  # https:, mailto:
            path, _, anchor = target.partition("#")
            resolved = (doc.parent / path).resolve() if path else doc
            if not resolved.is_relative_to(ROOT) or not resolved.exists():
                broken.append(f"{doc.relative_to(ROOT)}: {target}")
            elif anchor and anchor not in _anchors(resolved.read_text()):
                broken.append(f"{doc.relative_to(ROOT)}: {target} (no such heading)")
    assert broken == []


def test_documentation_names_no_path_outside_the_repository() -> None:
    for doc in documents():
        text = doc.read_text()
        for outside in ("../shared", "DESIGN.md", "/work/"):
            assert outside not in text, f"{doc.relative_to(ROOT)} names {outside}"


def test_the_readme_is_short_and_leads_to_every_document() -> None:
    readme = (ROOT / "README.md").read_text()
    assert len(readme.encode()) <= 12 * 1024
    assert "make run" in readme and "make test" in readme
    assert "](docs/img/queue.png)" in readme
    assert [doc.name for doc in DOCS.glob("*.md") if f"](docs/{doc.name})" not in readme] == []


def test_every_document_says_who_it_is_for() -> None:
    for doc in sorted(DOCS.glob("*.md")):
        first, second = doc.read_text().splitlines()[:2]
        assert first.startswith("For ") and second == "", f"{doc.name} starts with {first!r}"


def test_every_worker_listens_to_every_queue_tasks_are_published_to() -> None:
    """A queue added to the outbox and not to a worker's -Q would hold its tasks for ever."""
    procfile = dict(
        line.split(": ", 1) for line in (ROOT / "Procfile").read_text().splitlines() if ": " in line
    )
    (listened,) = re.findall(r" -Q (\S+) ", procfile["worker"])
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["worker"]["command"]
    assert listened.split(",") == compose[compose.index("-Q") + 1].split(",") == list(outbox.QUEUES)
