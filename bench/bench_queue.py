"""Budgets (DESIGN §12) at 1,000,000 cases on PostgreSQL:

- the admin queue page and the API list answer in < 200 ms at p50, for the default ordering and each filter,
  and EXPLAIN shows no sequential scan on the cases table;
- a sweep costs < 1 s and grows with the number of due cases, not with the table.

Needs PostgreSQL: BENCH_DATABASE_URL (default postgres://postgres:postgres@127.0.0.1:5432/privacyportal_bench,
created and dropped here). Cases are seeded with one INSERT … SELECT generate_series, so seeding takes about a
minute. Requests go through Django's test client in this process (the whole view, template and ORM; no network).

    .venv/bin/python bench/bench_queue.py            # 1,000,000 cases
    BENCH_CASES=100000 .venv/bin/python bench/bench_queue.py
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CASES = int(os.environ.get("BENCH_CASES", "1000000"))
URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres:postgres@127.0.0.1:5432/privacyportal_bench")
work = Path(tempfile.mkdtemp(prefix="bench-queue-"))
os.environ.update(
    DATABASE_URL=URL, DEBUG="true", VAR_DIR=str(work), PRIVATE_ROOT=str(work / "private"), LOG_LEVEL="WARNING",
    REDIS_URL="", DJANGO_SETTINGS_MODULE="privacyportal.settings", ALLOWED_HOSTS="testserver",
)  # fmt: skip
PASSWORD = "bench password 123"  # noqa: S105 (a throwaway user in a throwaway database)
REPEAT = 15
BUDGET_MS = 200.0
BUDGET_SWEEP_S = 1.0

FILTERS: list[tuple[str, dict[str, str]]] = [
    ("default (open, by due date)", {}),
    ("status", {"status": "in_progress"}),
    ("kind", {"kind": "erasure"}),
    ("regime", {"governing_regime__exact": "ccpa"}),
    ("overdue", {"due": "overdue"}),
    ("due within 7 days", {"due": "7"}),
    ("mine", {"who": "mine"}),
    ("unassigned", {"who": "unassigned"}),
    ("search by reference", {"q": "PR-2026-000500"}),
]
API_FILTERS: list[tuple[str, dict[str, str]]] = [
    ("default", {}),
    ("status", {"status": "in_progress"}),
    ("kind", {"kind": "erasure"}),
    ("regime", {"regime": "ccpa"}),
    ("overdue", {"overdue": "true"}),
    ("assignee=me", {"assignee": "me"}),
    ("q=email", {"q": "person500@example.org"}),
]


def recreate_database() -> None:
    import psycopg2

    base, name = URL.rsplit("/", 1)
    conn = psycopg2.connect(base + "/postgres")
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    conn.close()


def seed(staff_ids: list[int]) -> None:
    """One INSERT … SELECT: a realistic spread of kinds, statuses, regimes, due dates and assignees."""
    from django.db import connection

    from requests.models import PrivacyRequest

    exprs = {
        "reference": "'PR-2026-' || lpad(g::text, 7, '0')",
        "kind": "(ARRAY['access','erasure','rectification','portability','objection','restriction','opt_out'])[1 + g % 7]",
        "channel": "'web'",
        "received_at": "now() - ((g % 400) || ' days')::interval",
        "created_at": "now()", "updated_at": "now()",
        "requester_name": "'Person ' || g", "requester_email": "'person' || g || '@example.org'",
        "relationship": "'self'", "country": "(ARRAY['GB','DE','US','FR','BR'])[1 + g % 5]",
        "subdivision": "CASE WHEN g % 5 = 2 THEN 'CA' ELSE '' END", "language": "'en'",
        "data_points": "'{}'::jsonb", "regimes": "'[\"policy\", \"uk_gdpr\"]'::jsonb",
        "governing_regime": "(ARRAY['uk_gdpr','eu_gdpr','ccpa','eu_gdpr','lgpd'])[1 + g % 5]",
        "due_at": "(now() - ((g % 400) || ' days')::interval + interval '30 days')::date",
        "extended_due_at": "(now() - ((g % 400) || ' days')::interval + interval '90 days')::date",
        "effective_due_at": "(now() - ((g % 400) || ' days')::interval + interval '30 days')::date",
        # Most cases are closed (a mature portal): 2% open, spread over the open statuses.
        "status": "CASE WHEN g % 50 = 0 THEN (ARRAY['open','in_progress','verifying','awaiting_requester'])[1 + (g / 50) % 4] "
                  "ELSE (ARRAY['completed','denied','withdrawn','expired'])[1 + g % 4] END",
        "closed_at": "CASE WHEN g % 50 = 0 THEN NULL ELSE now() - ((g % 300) || ' days')::interval END",
        "assignee_id": f"(ARRAY[{','.join(str(i) for i in staff_ids)}, NULL])[1 + g % {len(staff_ids) + 1}]",
        "fee_breakdown": "'[]'::jsonb",
    }  # fmt: skip
    columns, values = [], []
    for field in PrivacyRequest._meta.concrete_fields:
        if field.column == "id":
            continue
        columns.append(f'"{field.column}"')
        if field.column in exprs:
            values.append(exprs[field.column])
        elif field.has_default() and not callable(field.default):
            default = field.get_default()
            values.append("false" if default is False else "true" if default is True else f"'{default}'")
        elif field.null:
            values.append("NULL")
        else:
            values.append("''")
    with connection.cursor() as cursor:
        # No parameters: the expressions use %, which would read as placeholders.
        cursor.execute(
            f"INSERT INTO requests_privacyrequest ({', '.join(columns)}) "  # noqa: S608 (no user input)
            f"SELECT {', '.join(values)} FROM generate_series(1, {int(CASES)}) AS g"
        )
    # What autovacuum does on a live table: statistics, and the visibility map for index-only scans.
    with connection.cursor() as cursor:
        connection.connection.autocommit = True
        cursor.execute("VACUUM ANALYZE requests_privacyrequest")


def p50_ms(client: Any, url: str, params: dict[str, str]) -> tuple[float, list[str]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times = []
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, params).status_code == 200
    for _ in range(REPEAT):
        started = time.perf_counter()
        response = client.get(url, params)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    sql = [q["sql"] for q in captured.captured_queries if "requests_privacyrequest" in q["sql"]]
    return statistics.median(times), sql


def seq_scans(sql: list[str]) -> list[str]:
    from django.db import connection

    found = []
    with connection.cursor() as cursor:
        for statement in sql:
            cursor.execute("EXPLAIN " + statement)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            if "Seq Scan on requests_privacyrequest" in plan:
                found.append(statement[:120])
    return found


def main() -> None:
    recreate_database()
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from identity import tokens
    from requests import sweeps
    from requests.roles import ensure_roles

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    ensure_roles()
    users = get_user_model()
    dpo = users.objects.create_user("benchdpo", password=PASSWORD, is_staff=True)
    from django.contrib.auth.models import Group

    dpo.groups.add(Group.objects.get(name="DPO"))
    others = [users.objects.create_user(f"handler{i}", is_staff=True).pk for i in range(5)]
    started = time.perf_counter()
    seed([dpo.pk, *others])
    print(f"seeded {CASES:,} cases in {time.perf_counter() - started:.0f} s")

    device = TOTPDevice.objects.create(user=dpo, name="bench", confirmed=True)
    admin = Client()
    admin.post("/admin/login/", {"username": "benchdpo", "password": PASSWORD,
                                 "otp_device": device.persistent_id, "otp_token": f"{totp(device.bin_key):06d}"})  # fmt: skip
    _token, plaintext = tokens.create_token(dpo, name="bench", days=30)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {plaintext}")

    rows = []
    for label, params in FILTERS:
        ms, sql = p50_ms(admin, "/admin/requests/privacyrequest/", params)
        rows.append(("admin queue", label, ms, seq_scans(sql)))
    for label, params in API_FILTERS:
        ms, sql = p50_ms(api, "/api/v1/cases/", params)
        rows.append(("API list", label, ms, seq_scans(sql)))
    ok = True
    print("\n| page | filter | p50 (ms) | seq scan on cases |\n|---|---|---|---|")
    for page, label, ms, scans in rows:
        ok &= ms < BUDGET_MS and not scans
        print(f"| {page} | {label} | {ms:.0f} | {'YES: ' + scans[0] if scans else 'no'} |")

    print("\n| sweep | seconds |\n|---|---|")
    for name in ("verification", "acknowledgements", "due_reminders", "extension_window", "overdue", "fee_lapses",
                 "packet_purge"):  # fmt: skip
        started = time.perf_counter()
        getattr(sweeps, name)()
        seconds = time.perf_counter() - started
        ok &= seconds < BUDGET_SWEEP_S
        print(f"| {name} | {seconds:.2f} |")
    print("\nwithin budget" if ok else "\nOVER BUDGET")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
