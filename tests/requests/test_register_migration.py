"""Migration 0019 (the register in each language) keeps what an install wrote before it: every text becomes the
English one, so letters in either language print what they printed before, and migrating back restores it.

It runs manage.py on a scratch database of its own, on the suite's backend (as tests/test_migration_squash.py does).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, connections

ROOT = Path(__file__).resolve().parents[2]
BEFORE, AFTER = "0018_proportionate_identity", "0019_register_languages"

# Run by `manage.py shell` on the scratch database, with the models as the migration named in argv[1] left them.
WRITE_BEFORE = """
from django.db.migrations.loader import MigrationLoader
from django.db import connection
apps = MigrationLoader(connection).project_state(("requests", "0018_proportionate_identity")).apps
Activity, System = apps.get_model("requests", "ProcessingActivity"), apps.get_model("requests", "CompanySystem")
Activity.objects.create(name="Newsletter", purposes="Sending our newsletter", data_categories="Email address",
    legal_basis="consent", sources="You", recipients="Mailjet SAS", retention="Until you unsubscribe",
    transfers="", automated_decisions="")
System.objects.create(name="Zoho CRM", description="Contacts and deals")
"""
READ_AFTER = """
import json
from django.utils import translation
from requests.models import CompanySystem, ProcessingActivity
entry, system = ProcessingActivity.objects.get(), CompanySystem.objects.get()
seen = {}
for language in ("en", "ru"):
    with translation.override(language):
        seen[language] = [entry.name, entry.purposes, entry.recipient_names, entry.transfers, system.description]
seen["columns"] = [entry.name_en, entry.name_ru, entry.transfers_en, system.description_en, system.description_ru]
entry.name_ru, entry.retention_ru = "Рассылка", "До отказа от подписки"
with translation.override("ru"):  # as staff working in Russian save it: the old columns get the Russian texts
    entry.save()
print(json.dumps(seen))
"""
READ_BEFORE = """
import json
from django.db.migrations.loader import MigrationLoader
from django.db import connection
apps = MigrationLoader(connection).project_state(("requests", "0018_proportionate_identity")).apps
entry = apps.get_model("requests", "ProcessingActivity").objects.get()
print(json.dumps([entry.name, entry.retention, entry.purposes]))
"""


def _url(name: str) -> str:
    if connection.vendor == "sqlite":
        return f"sqlite:///{name}"
    s = connection.settings_dict
    return f"postgres://{s['USER']}:{s['PASSWORD']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{name}"


def _manage(database: str, *args: str) -> str:
    env = {
        **os.environ,
        "DATABASE_URL": _url(database),
        "DJANGO_SETTINGS_MODULE": "privacyportal.test_settings",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


@pytest.fixture
def scratch_database(tmp_path: Path, django_db_blocker: Any) -> Iterator[str]:
    """An empty database on the suite's backend, not the test database; dropped afterwards."""
    if connection.vendor == "sqlite":
        yield str(tmp_path / "register.sqlite3")
        return
    name = f"{connection.settings_dict['NAME']}_register"
    connections.settings["register_admin"] = {**connection.settings_dict, "NAME": "postgres"}
    try:
        with django_db_blocker.unblock(), connections["register_admin"].cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
            cursor.execute(f'CREATE DATABASE "{name}"')
        yield name
        with django_db_blocker.unblock(), connections["register_admin"].cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
    finally:
        connections["register_admin"].close()
        del connections["register_admin"]
        del connections.settings["register_admin"]


def test_the_register_written_before_languages_becomes_english_and_comes_back_on_the_way_down(
    scratch_database: str,
) -> None:
    _manage(scratch_database, "migrate", "-v0", "requests", BEFORE)
    _manage(scratch_database, "shell", "-v0", "-c", WRITE_BEFORE)

    _manage(scratch_database, "migrate", "-v0", "requests", AFTER)
    seen = json.loads(_manage(scratch_database, "shell", "-v0", "-c", READ_AFTER))

    english = ["Newsletter", "Sending our newsletter", ["Mailjet SAS"], "", "Contacts and deals"]
    assert seen["en"] == english
    assert seen["ru"] == english  # nothing in Russian yet: a Russian letter prints what it printed before
    # The texts are in the English columns; an empty one is missing (NULL), as the admin leaves it.
    assert seen["columns"] == ["Newsletter", None, None, "Contacts and deals", None]

    # Back to one language (after a Russian text was saved): the English texts, not the Russian.
    _manage(scratch_database, "migrate", "-v0", "requests", BEFORE)
    assert json.loads(_manage(scratch_database, "shell", "-v0", "-c", READ_BEFORE)) == [
        "Newsletter", "Until you unsubscribe", "Sending our newsletter",
    ]  # fmt: skip
