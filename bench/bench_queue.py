"""Budget (DESIGN §12) at 1,000,000 cases on PostgreSQL: the admin queue page and the API list answer in
< 200 ms at p50, for the default ordering, each filter and the staff search (reference, email, name, free text),
and EXPLAIN shows no sequential scan on the cases table; the plans of the name and free-text searches are
printed. (The sweeps' budget is bench_sweeps.py.)

Needs PostgreSQL (BENCH_POSTGRES, default postgres://postgres:postgres@127.0.0.1:5432); the database
`privacyportal_bench` is created and dropped here. Cases are seeded with one INSERT … SELECT generate_series,
so seeding takes about a minute. Requests go through Django's test client in this process (the whole view,
template and ORM; no network).

    .venv/bin/python bench/bench_queue.py            # 1,000,000 cases
    BENCH_CASES=100000 .venv/bin/python bench/bench_queue.py
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

# The project root, so that `bench.common` (and Django's apps) import when this file runs as a script.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.common import (
    Row,
    case_exprs,
    django_environment,
    drop_database,
    finish,
    recreate_database,
    seed_cases,
    vacuum_analyze,
)

DATABASE = "privacyportal_bench"
CASES = int(os.environ.get("BENCH_CASES", "1000000"))
PASSWORD = "bench password 123"  # noqa: S105 (a throwaway user in a throwaway database)
REPEAT = 15
BUDGET_MS = 200.0

FILTERS: list[tuple[str, dict[str, str]]] = [
    ("default (open, by due date)", {}),
    ("status", {"status": "in_progress"}),
    ("kind", {"kind": "erasure"}),
    ("regime", {"governing_regime__exact": "ccpa"}),
    ("overdue", {"due": "overdue"}),
    ("due within 7 days", {"due": "7"}),
    ("mine", {"who": "mine"}),
    ("unassigned", {"who": "unassigned"}),
    # A search is POSTed and the queue URL names it by a token (requests/admin/queue.py): `term` is POSTed first,
    # then the page with its token is what is timed.
    ("search by reference", {"term": "PR-2026-0000500"}),
    # Staff look up a closed case too (a complaint, a repeat request): the search over every case.
    ("search by reference, all cases", {"term": "PR-2026-0000501", "queue": "all"}),
    ("search by email, all cases", {"term": "Person501@Example.org", "queue": "all"}),
    ("search by name", {"term": "Anna Petrova"}),
    ("search by name, all cases", {"term": "Anna Petrova", "queue": "all"}),
    ("search by free text, all cases", {"term": "order 500123", "queue": "all"}),
]
API_FILTERS: list[tuple[str, dict[str, str]]] = [
    ("default", {}),
    ("status", {"status": "in_progress"}),
    ("kind", {"kind": "erasure"}),
    ("regime", {"regime": "ccpa"}),
    ("overdue", {"overdue": "true"}),
    ("assignee=me", {"assignee": "me"}),
    ("search by email", {"q": "person500@example.org"}),
    ("search by name", {"q": "Anna Petrova"}),
    ("search by free text, all cases", {"q": "order 500123", "queue": "all"}),
]

# Names and what was asked, so the name and free-text searches meet realistic spreads: a first name and
# surname pair is shared by about one case in a thousand (23 x 41 pairs), an order number by one case.
FIRST = [
    "Anna",
    "Boris",
    "Clara",
    "Dmitri",
    "Elena",
    "Farid",
    "Grace",
    "Hugo",
    "Irina",
    "James",
    "Katya",
    "Liam",
    "Maria",
    "Nikolai",
    "Olga",
    "Pierre",
    "Quinn",
    "Rosa",
    "Sergei",
    "Tanya",
    "Umar",
    "Vera",
    "Wen",
]
LAST = ["Petrova", "Ivanov", "Schmidt", "Sokolov", "Whitfield", "Garcia", "Muller", "Rossi", "Kowalski", "Novak",
        "Smith", "Jones", "Brown", "Dubois", "Martin", "Silva", "Santos", "Kuznetsova", "Popov", "Volkova", "Lebedev",
        "Morozova", "Nielsen", "Jensen", "Hansen", "Larsen", "Berg", "Lind", "Nagy", "Horvat", "Kovac", "Costa",
        "Ferreira", "Almeida", "Oliveira", "Pereira", "Lima", "Gomes", "Ribeiro", "Carvalho", "Moreau"]  # fmt: skip
NAME_EXPRS = {
    "requester_name": f"(ARRAY{FIRST!r})[1 + (g / 3) % {len(FIRST)}] || ' ' || (ARRAY{LAST!r})[1 + (g / 7) % {len(LAST)}]",
    "details": "'Please send me a copy of everything about my account and order ' || g",
    # The normalised address the email search matches on (privacyportal/addresses.py).
    "email_key": "'person' || g || '@example.org'",
}


def searched(client: Any, url: str, params: dict[str, str]) -> dict[str, str]:
    """The admin's search: POST the term (with the filters), follow to the queue URL with its token."""
    if "term" not in params:
        return params
    filters = "&".join(f"{k}={v}" for k, v in params.items() if k != "term")
    response = client.post(f"{url}search/", {"term": params["term"], "filters": filters})
    assert response.status_code == 302, response.status_code
    location = response["Location"]
    assert params["term"].split()[0] not in location, location  # the term never reaches the URL
    return dict(parse_qsl(location.split("?", 1)[1]))


def fetch(client: Any, url: str, params: dict[str, str]) -> Any:
    """The page: the API's search (a term) is a POST with the term and filters in a JSON body, never in the URL."""
    if "q" in params:
        return client.post("/api/v1/search/cases/", json.dumps(params), content_type="application/json")
    return client.get(url, params)


def p50_ms(client: Any, url: str, params: dict[str, str]) -> tuple[float, list[str]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    params = searched(client, url, params)
    times = []
    with CaptureQueriesContext(connection) as captured:
        assert fetch(client, url, params).status_code == 200
    # Read now: `captured_queries` slices the live query log, which the next request resets.
    sql = [q["sql"] for q in captured.captured_queries if "requests_privacyrequest" in q["sql"]]
    assert sql, f"no query on the cases table captured for {url} {params}"
    for _ in range(REPEAT):
        started = time.perf_counter()
        response = fetch(client, url, params)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    return statistics.median(times), sql


def seq_scans(sql: list[str], label: str = "") -> list[str]:
    from django.db import connection

    found = []
    with connection.cursor() as cursor:
        for statement in sql:
            cursor.execute("EXPLAIN " + statement)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            if "Seq Scan on requests_privacyrequest" in plan:
                found.append(statement[:120])
            if label.startswith("search") and "UPPER(" in statement:
                # The plans of the name and free-text searches, for docs/benchmarks.md.
                print(f"EXPLAIN ({label}):\n{plan}\n", flush=True)
    return found


def measure(client: Any, url: str, filters: list[tuple[str, dict[str, str]]], page: str) -> Row:
    """One row of the table: the p50 of every filter, and any filter whose plan scans the cases table."""
    timings, scanned = [], []
    for label, params in filters:
        ms, sql = p50_ms(client, url, params)
        timings.append((label, ms))
        if seq_scans(sql, label):
            scanned.append(label)
    slowest = max(ms for _, ms in timings)
    measured = "; ".join(f"{label} {ms:.0f} ms" for label, ms in timings)
    measured += f"; seq scan: {', '.join(scanned)}" if scanned else "; EXPLAIN: no seq scan on cases"
    return Row(
        benchmark="bench_queue.py",
        measure=f"{page}, {CASES:,} cases (2% open), p50 of {REPEAT} per filter",
        budget=f"< {BUDGET_MS:.0f} ms p50, no seq scan",
        measured=measured,
        ok=slowest < BUDGET_MS and not scanned,
    )


def main() -> None:
    work = django_environment(DATABASE)
    recreate_database(DATABASE)
    try:
        rows = run()
    finally:
        from django.db import connection

        connection.close()
        drop_database(DATABASE)
        shutil.rmtree(work, ignore_errors=True)
    finish(rows)


def run() -> list[Row]:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.test import Client
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from identity import tokens
    from requests.roles import ensure_roles

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    ensure_roles()
    users = get_user_model()
    dpo = users.objects.create_user("benchdpo", password=PASSWORD, is_staff=True)
    dpo.groups.add(Group.objects.get(name="DPO"))
    others = [users.objects.create_user(f"handler{i}", is_staff=True).pk for i in range(5)]
    started = time.perf_counter()
    seed_cases({**case_exprs([dpo.pk, *others]), **NAME_EXPRS}, 1, CASES)
    vacuum_analyze()
    print(f"bench_queue: seeded {CASES:,} cases in {time.perf_counter() - started:.0f} s", flush=True)

    device = TOTPDevice.objects.create(user=dpo, name="bench", confirmed=True)
    admin = Client()
    admin.post("/admin/login/", {"username": "benchdpo", "password": PASSWORD,
                                 "otp_device": device.persistent_id, "otp_token": f"{totp(device.bin_key):06d}"})  # fmt: skip
    _token, plaintext = tokens.create_token(dpo, name="bench", days=30)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    return [
        measure(admin, "/admin/requests/privacyrequest/", FILTERS, "admin queue page"),
        measure(api, "/api/v1/cases/", API_FILTERS, "API list"),
    ]


if __name__ == "__main__":
    main()
