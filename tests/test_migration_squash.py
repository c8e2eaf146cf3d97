"""The squashed migrations (issue 16) carry a database made by the old ones on, and build the same database.

A database is migrated with the 28 migrations as they were at OLD_SET (read from git, used through
MIGRATION_MODULES), then with today's (part-way through the old ones, it is refused); another is migrated with today's alone. The first must find nothing to do
for the squashed migrations and end with every migration applied; both must then have the same tables, columns,
indexes, constraints, PostgreSQL triggers and trigger functions, and the same roles. Column order is left out: the
old migrations added columns at the end of a table, the squashed ones create them in the model's order.

It runs on the suite's backend, in scratch databases of its own. It needs the git history; it can go once no
database made before the squash is left to upgrade.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, connections

ROOT = Path(__file__).resolve().parent.parent
OLD_SET = "5655616"  # the last commit with the old migrations
APPS = ("requests", "identity")


def _git(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)


def _old_migrations_into(folder: Path) -> dict[str, str | None]:
    """Write the old migration packages under `folder`; MIGRATION_MODULES naming them."""
    modules: dict[str, str | None] = {}
    for app in APPS:
        package = folder / f"old_{app}_migrations"
        package.mkdir()
        names = _git("ls-tree", "--name-only", f"{OLD_SET}:{app}/migrations").stdout.split()
        for name in names:
            if name.endswith(".py"):
                (package / name).write_text(_git("show", f"{OLD_SET}:{app}/migrations/{name}").stdout)
        modules[app] = package.name
    # privacyportal had no migrations then (its one model, the outbox's, was requests'; moved by requests 0003).
    modules["privacyportal"] = None
    return modules


@contextmanager
def _connected(name: str) -> Iterator[Any]:
    """A connection of its own to database `name`, with the suite's engine and credentials."""
    alias = f"squash_{Path(name).stem}"
    connections.settings[alias] = {**connection.settings_dict, "NAME": name}
    try:
        yield connections[alias]
    finally:
        connections[alias].close()
        del connections[alias]
        del connections.settings[alias]


def _url(name: str) -> str:
    if connection.vendor == "sqlite":
        return f"sqlite:///{name}"
    s = connection.settings_dict
    return f"postgres://{s['USER']}:{s['PASSWORD']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{name}"


def _manage(
    database: str,
    *args: str,
    settings_module: str = "privacyportal.test_settings",
    path: str = "",
    fails: bool = False,
) -> str:
    """Run manage.py on `database`; its output (stderr if it is expected to fail)."""
    env = {
        **os.environ,
        "DATABASE_URL": _url(database),
        "DJANGO_SETTINGS_MODULE": settings_module,
        "PYTHONPATH": os.pathsep.join(filter(None, [path, str(ROOT)])),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert (result.returncode != 0) == fails, result.stderr[-3000:]
    return result.stderr if fails else result.stdout


def _describe(name: str) -> dict[str, Any]:
    """What a migration could have made differently: the schema, the audit triggers, the roles."""
    described: dict[str, Any] = {}
    with _connected(name) as db, db.cursor() as cursor:
        introspection = db.introspection
        for table in sorted(introspection.table_names(cursor)):
            columns = sorted(
                (c.name, str(c.type_code), c.internal_size, c.null_ok, str(c.default), c.collation)
                for c in introspection.get_table_description(cursor, table)
            )
            # SQLite numbers its unnamed CHECK and foreign key constraints in column order: those are told apart
            # by what they hold.
            constraints = sorted(
                (
                    "" if re.fullmatch(r"__unnamed_constraint_\d+__|fk_\d+", key) else key,
                    sorted(map(str, value.items())),
                )
                for key, value in introspection.get_constraints(cursor, table).items()
            )
            described[table] = {"columns": columns, "constraints": constraints}
        if db.vendor == "postgresql":
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY indexname"
            )
            described["indexes"] = cursor.fetchall()
            cursor.execute(
                "SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal ORDER BY tgname"
            )
            described["triggers"] = cursor.fetchall()
            cursor.execute(
                "SELECT proname, pg_get_functiondef(p.oid) FROM pg_proc p JOIN pg_namespace n "
                "ON n.oid = p.pronamespace WHERE nspname = 'public' ORDER BY proname"
            )
            described["functions"] = cursor.fetchall()
        else:
            cursor.execute("SELECT type, name, sql FROM sqlite_master WHERE type IN ('index', 'trigger')")
            described["indexes"] = sorted(cursor.fetchall(), key=lambda row: (row[0], row[1]))
        cursor.execute(
            "SELECT g.name, ct.app_label, p.codename FROM auth_group g "
            "JOIN auth_group_permissions gp ON gp.group_id = g.id "
            "JOIN auth_permission p ON p.id = gp.permission_id "
            "JOIN django_content_type ct ON ct.id = p.content_type_id ORDER BY 1, 2, 3"
        )
        described["roles"] = cursor.fetchall()
        cursor.execute("SELECT id, chains, mac FROM requests_auditledger")
        described["ledger"] = cursor.fetchall()
        cursor.execute(
            "SELECT app, name FROM django_migrations WHERE app IN ('requests', 'identity', 'privacyportal')"
        )
        described["recorded"] = sorted(cursor.fetchall())
    return described


@pytest.fixture
def scratch_databases(tmp_path: Path, django_db_blocker: Any) -> Any:
    """Two empty databases, `old` and `new`, on the suite's backend; dropped afterwards.

    Not the test database: the test reaches them through connections of its own, outside pytest-django's."""
    if connection.vendor == "sqlite":
        with django_db_blocker.unblock():
            yield str(tmp_path / "old.sqlite3"), str(tmp_path / "new.sqlite3")
        return
    names = [f"{connection.settings_dict['NAME']}_squash_{which}" for which in ("old", "new")]
    with django_db_blocker.unblock(), _connected("postgres") as admin:
        try:
            with admin.cursor() as cursor:
                for name in names:
                    cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
                    cursor.execute(f'CREATE DATABASE "{name}"')
            yield names
        finally:
            with admin.cursor() as cursor:
                for name in names:
                    cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')


@pytest.mark.skipif(
    _git("cat-file", "-e", f"{OLD_SET}^{{commit}}").returncode != 0,
    reason="needs the git history (old migrations)",
)
def test_a_database_made_by_the_old_migrations_migrates_on_and_matches_a_new_one(
    tmp_path: Path, scratch_databases: tuple[str, str]
) -> None:
    old, new = scratch_databases
    modules = _old_migrations_into(tmp_path)
    (tmp_path / "old_migrations_settings.py").write_text(
        f"from privacyportal.test_settings import *  # noqa: F403\nMIGRATION_MODULES = {modules!r}\n"
    )
    old_set: dict[str, Any] = {"settings_module": "old_migrations_settings", "path": str(tmp_path)}
    # Part-way through the old migrations (an install of a version before 0020): refused, not half-upgraded.
    _manage(old, "migrate", "-v0", "requests", "0019_audit_heads", **old_set)
    refused = _manage(old, "migrate", fails=True)
    assert "privacyportal.E011" in refused
    assert "requests.0002_squashed_0020_audit_truncate_guard" in refused

    _manage(old, "migrate", "-v0", **old_set)
    assert len(_describe(old)["recorded"]) == 28

    upgrade = _manage(old, "migrate")
    # Nothing of the squashed set runs again: only the migrations written after the squash (the outbox's model
    # moving to privacyportal, the foreign keys' new name, and whatever came since).
    applied = re.findall(r"Applying (\S+)\.\.\.", upgrade)
    assert applied[:2] == ["privacyportal.0001_initial", "requests.0003_queuedtask_to_privacyportal"]
    assert not [name for name in applied if "squashed" in name]
    shown = _manage(old, "showmigrations")
    assert "[ ]" not in shown
    assert re.findall(r"\[X\] (\S+squashed\S+)", shown) == [
        "0001_squashed_0008_staff_enrolment",
        "0001_squashed_0002_append_only_events",
        "0002_squashed_0020_audit_truncate_guard",
    ]
    _manage(new, "migrate", "-v0")

    upgraded, fresh = _describe(old), _describe(new)
    assert upgraded == fresh
    # Either way Django records the squashed migrations, the 28 they replace, and those written since.
    assert len(fresh["recorded"]) == 28 + 3 + len(applied)
    assert {role for role, _, _ in fresh["roles"]} == {"DPO", "Handler", "Auditor"}
    assert len(fresh["ledger"]) == 1
    if connection.vendor == "postgresql":
        assert len(fresh["triggers"]) == 6
