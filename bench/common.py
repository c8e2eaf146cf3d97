"""What the benchmarks share: a throwaway PostgreSQL database, cases seeded in bulk, and the results table.

Each `bench_*.py` runs alone and prints its own table. `bench/run.py` (what `make bench` runs) sets
BENCH_RESULTS to a file where every script appends its rows, and prints one table for them all.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import sys
import tempfile
import uuid
from datetime import datetime
from decimal import Decimal
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any, TypedDict

ROOT = Path(__file__).resolve().parents[1]
# The PostgreSQL server; each benchmark creates (and drops) its own `privacyportal_bench*` database there.
SERVER = os.environ.get("BENCH_POSTGRES", "postgres://postgres:postgres@127.0.0.1:5432")
# Redis database 5 only: db 0 belongs to the test suite and development. Flushed before and after use.
BENCH_REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/5")
# The intake benchmark's bare view inserts here (bench/intake_urls.py; bench_intake.py creates it).
BARE_TABLE = "bench_intake_bare"


class Row(TypedDict):
    benchmark: str
    measure: str
    budget: str
    measured: str
    ok: bool


def database_url(name: str) -> str:
    assert name.startswith("privacyportal_bench"), "benchmarks only touch their own databases"
    return f"{SERVER}/{name}"


def _admin(statements: list[str]) -> None:
    import psycopg2

    conn = psycopg2.connect(f"{SERVER}/postgres")
    conn.autocommit = True  # CREATE / DROP DATABASE refuse to run in a transaction
    with conn.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
    conn.close()


def recreate_database(name: str) -> str:
    database_url(name)
    _admin([f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"'])
    return database_url(name)


def drop_database(name: str) -> None:
    database_url(name)
    # FORCE: a gunicorn worker or this process may still hold a persistent connection (CONN_MAX_AGE).
    _admin([f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'])


def flush_bench_redis() -> None:
    """Empty Redis database 5 (FLUSHDB on that database only, never FLUSHALL)."""
    import redis

    client = redis.Redis.from_url(BENCH_REDIS_URL)
    assert client.connection_pool.connection_kwargs.get("db") == 5, "benchmarks use Redis database 5 only"
    client.flushdb()
    client.close()


def django_environment(database: str, **extra: str) -> Path:
    """Point the portal's settings at a throwaway database and a temporary VAR_DIR; call before django.setup()."""
    work = Path(tempfile.mkdtemp(prefix=f"{database}-"))
    os.environ.update(
        DATABASE_URL=database_url(database), DEBUG="true", VAR_DIR=str(work), PRIVATE_ROOT=str(work / "private"),
        LOG_LEVEL="WARNING", REDIS_URL="", DJANGO_SETTINGS_MODULE="privacyportal.settings",
        ALLOWED_HOSTS="testserver",
    )  # fmt: skip
    os.environ.update(extra)
    return work


def _default_sql(field: Any) -> str:
    """The SQL for a column the caller gave no expression for: its model default, as the ORM would write it."""
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return "now()"
    if not field.has_default():
        return "NULL" if field.null else "''"
    value = field.get_default()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return "now()"
    if isinstance(value, dict | list):
        return f"'{json.dumps(value)}'::jsonb"
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, uuid.UUID):
        return "gen_random_uuid()"
    return "'" + str(value).replace("'", "''") + "'"


def insert_select(model: Any, exprs: dict[str, str], source: str) -> int:
    """One INSERT … SELECT into the model's table: `exprs` by column, every other column its default."""
    from django.db import connection

    columns, values = [], []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(f'"{field.column}"')
        values.append(exprs.get(field.column) or _default_sql(field))
    with connection.cursor() as cursor:
        # No parameters: the expressions use %, which would read as placeholders.
        cursor.execute(
            f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) "  # noqa: S608 (no user input)
            f"SELECT {', '.join(values)} FROM {source}"
        )
        return int(cursor.rowcount)


def case_exprs(staff_ids: list[int]) -> dict[str, str]:
    """A mature portal: a spread of kinds, regimes, due dates and assignees; 2% of the cases open."""
    return {
        "reference": "'PR-2026-' || lpad(g::text, 7, '0')",
        "kind": "(ARRAY['access','erasure','rectification','portability','objection','restriction','opt_out'])[1 + g % 7]",
        "channel": "'web'",
        "received_at": "now() - ((g % 400) || ' days')::interval",
        "requester_name": "'Person ' || g", "requester_email": "'person' || g || '@example.org'",
        "relationship": "'self'", "country": "(ARRAY['GB','DE','US','FR','BR'])[1 + g % 5]",
        "subdivision": "CASE WHEN g % 5 = 2 THEN 'CA' ELSE '' END", "language": "'en'",
        "regimes": "'[\"policy\", \"uk_gdpr\"]'::jsonb",
        "governing_regime": "(ARRAY['uk_gdpr','eu_gdpr','ccpa','eu_gdpr','lgpd'])[1 + g % 5]",
        "due_at": "(now() - ((g % 400) || ' days')::interval + interval '30 days')::date",
        "extended_due_at": "(now() - ((g % 400) || ' days')::interval + interval '90 days')::date",
        "effective_due_at": "(now() - ((g % 400) || ' days')::interval + interval '30 days')::date",
        "status": "CASE WHEN g % 50 = 0 THEN (ARRAY['open','in_progress','verifying','awaiting_requester'])[1 + (g / 50) % 4] "
                  "ELSE (ARRAY['completed','denied','withdrawn','expired'])[1 + g % 4] END",
        "closed_at": "CASE WHEN g % 50 = 0 THEN NULL ELSE now() - ((g % 300) || ' days')::interval END",
        "assignee_id": f"(ARRAY[{','.join(str(i) for i in staff_ids)}, NULL])[1 + g % {len(staff_ids) + 1}]"
        if staff_ids else "NULL",
    }  # fmt: skip


def seed_cases(exprs: dict[str, str], first: int, last: int) -> int:
    """Cases number `first` to `last` (g in the expressions), in one statement: a million in about a minute."""
    from requests.models import PrivacyRequest

    return insert_select(PrivacyRequest, exprs, f"generate_series({int(first)}, {int(last)}) AS g")


def vacuum_analyze(table: str = "requests_privacyrequest") -> None:
    """What autovacuum does on a live table: statistics, and the visibility map for index-only scans."""
    from django.db import connection

    with connection.cursor() as cursor:
        connection.connection.autocommit = True
        cursor.execute(f"VACUUM ANALYZE {table}")


def table(rows: list[Row]) -> str:
    lines = ["| benchmark | measure | budget | measured | within budget? |", "|---|---|---|---|---|"]
    for row in rows:
        verdict = "yes" if row["ok"] else "**NO**"
        lines.append(
            f"| {row['benchmark']} | {row['measure']} | {row['budget']} | {row['measured']} | {verdict} |"
        )
    return "\n".join(lines)


def finish(rows: list[Row]) -> None:
    """Hand the rows to bench/run.py (or print them when run alone); exit 1 if any is over budget."""
    results = os.environ.get("BENCH_RESULTS")
    if results:
        with open(results, "a") as out:
            out.writelines(json.dumps(row) + "\n" for row in rows)
    else:
        print("\n" + table(rows))
    ok = all(row["ok"] for row in rows)
    print("within budget" if ok else "OVER BUDGET")
    sys.exit(0 if ok else 1)


def csrf(port: int, path: str = "/requests/new/access/") -> tuple[str, str]:
    """A CSRF cookie and the form's token, from one GET of the form at `path` (what a browser has before a POST)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path)
    response = conn.getresponse()
    page = response.read().decode()
    conn.close()
    assert response.status == 200, f"GET {path} answered {response.status}"
    cookies: SimpleCookie = SimpleCookie()
    for header in response.msg.get_all("Set-Cookie") or []:
        cookies.load(header)
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert found and "csrftoken" in cookies, "the form carries no CSRF token"
    return cookies["csrftoken"].value, found.group(1)
