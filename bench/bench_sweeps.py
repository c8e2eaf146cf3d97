"""Budget (DESIGN §12): with 1,000,000 open cases a sweep costs < 1 s and grows with the number of due
items, not with the table.

Each sweep of `requests/sweeps.py` that selects cases runs for real (claims, services, audit events, tasks
published to Redis database 5 with no worker, the locmem email backend) against:

(a) 1,000,000 open cases none of which is due, plus 0, 1,000 and 10,000 cases that are due for that sweep;
(b) the same 1,000 due cases beside 100,000 open cases instead of 1,000,000.

"Due" is what makes the sweep act (see DUE below). After each run its due cases are closed and anonymised,
so they are due for no later run.

The < 1 s is checked where the table could spend it: with nothing due beside 1,000,000 open cases. Past
that a sweep's time is its due cases' (each one its own claim, transaction, outbox row and publish, 1–4 ms),
and what is checked is that it does not grow with the table: with 0 and with 1,000 due, 1,000,000 cases may
cost at most 1.5× what 100,000 cost (+20 ms for the noise of short runs). 10,000 due shows the cost per case. Needs PostgreSQL (BENCH_POSTGRES; the database `privacyportal_bench_sweeps`
is created and dropped here) and Redis (database 5, flushed before and after). About 4 minutes.

    .venv/bin/python bench/bench_sweeps.py
    BENCH_CASES=200000 .venv/bin/python bench/bench_sweeps.py     # quicker: 20,000 vs 200,000 cases
"""

from __future__ import annotations

import base64
import os
import secrets
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

# The project root, so that `bench.common` (and Django's apps) import when this file runs as a script.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.common import (
    BENCH_REDIS_URL,
    Row,
    case_exprs,
    django_environment,
    drop_database,
    finish,
    flush_bench_redis,
    insert_select,
    recreate_database,
    seed_cases,
    vacuum_analyze,
)

DATABASE = "privacyportal_bench_sweeps"
LARGE = int(os.environ.get("BENCH_CASES", "1000000"))
SMALL = LARGE // 10
DUE_COUNTS = (0, 1_000, 10_000)
TABLE_DUE = 1_000  # the due count compared across table sizes
BUDGET_S = 1.0
# Table-size independence: the run beside LARGE cases may cost at most this much more than beside SMALL
# (ratio, plus an allowance for the noise of a single run of a few milliseconds).
TABLE_RATIO = 1.5
NOISE_S = 0.02

# Open cases that no sweep acts on: received in the last 20 days, due 20–50 days ahead (past every reminder
# and the extension window), none waiting for an email, a fee or an acknowledgement, nothing closed.
QUIET = {
    "status": "(ARRAY['open','in_progress','verifying','awaiting_requester'])[1 + g % 4]",
    "closed_at": "NULL",
    "received_at": "now() - ((g % 20) || ' days')::interval",
    "due_at": "current_date + 20 + g % 30",
    "effective_due_at": "current_date + 20 + g % 30",
    "extended_due_at": "current_date + 80 + g % 30",
    # CCPA cases carry an acknowledgement date; web cases are acknowledged by the verification email.
    "acknowledge_by": "CASE WHEN g % 5 = 2 THEN current_date + 5 ELSE NULL END",
}


@dataclass(frozen=True)
class Due:
    """What makes a sweep act: the columns of its due cases (over QUIET), and rows they need elsewhere."""

    what: str
    cases: dict[str, str]
    packets: dict[str, str] = field(default_factory=dict)
    evidence: dict[str, str] = field(default_factory=dict)


# Dates keep a day or two from every boundary, so the operator's time zone never moves a case across one.
DUE: dict[str, Due] = {
    "verification": Due(
        "unconfirmed web requests: half past the 24 h reminder, half past expiry (14 days)",
        {"status": "'new'", "received_at": "now() - (CASE WHEN g % 2 = 0 THEN '2 days' ELSE '20 days' END)::interval"},
    ),
    "acknowledgements": Due(
        "open cases logged from a letter, not yet acknowledged", {"channel": "'post'", "acknowledge_by": "current_date + 5"}
    ),
    "due_reminders": Due(
        "open cases due in 2–13 days", {"due_at": "current_date + 2 + g % 12", "effective_due_at": "current_date + 2 + g % 12"}
    ),
    "extension_window": Due(
        "unextended cases due in 1–2 days that a law lets us extend",
        {"due_at": "current_date + 1 + g % 2", "effective_due_at": "current_date + 1 + g % 2"},
    ),
    "overdue": Due(
        "overdue open cases (one digest listing them)",
        {"due_at": "current_date - 2 - g % 30", "effective_due_at": "current_date - 2 - g % 30"},
    ),
    "fee_lapses": Due(
        "fees quoted 40 days ago and never answered",
        {"status": "'fee_pending'", "fee_quoted_at": "now() - interval '40 days'", "fee_amount": "25", "fee_currency": "'GBP'",
         "fee_reason": "'excessive'"},
    ),
    "packet_purge": Due(
        "released packets whose download expired",
        {"status": "'completed'", "closed_at": "now() - interval '2 days'"},
        packets={"status": "'released'", "released_at": "now() - interval '31 days'", "expires_at": "now() - interval '1 day'"},
    ),
    "evidence_purge": Due(
        "identity evidence of cases verified 40 days ago",
        {"identity_verified_at": "now() - interval '40 days'"},
        evidence={"kind": "'id_document'", "name": "'passport.pdf'", "content_type": "'application/pdf'", "size": "1000",
                  "sha256": "md5(id::text) || md5(id::text)", "uploaded_at": "now() - interval '45 days'",
                  "stored_name": "substr(md5(id::text) || md5('e' || id), 1, 40) || '.bin'"},
    ),
    "retention": Due(
        "cases closed 3 years ago, not yet anonymised",
        {"status": "'completed'", "received_at": "now() - interval '3 years'", "closed_at": "now() - interval '3 years'"},
    ),
}  # fmt: skip


class Seeder:
    """Hands out case numbers (g) so every seeded case has its own reference."""

    def __init__(self, staff_ids: list[int]) -> None:
        self.base = {**case_exprs(staff_ids), **QUIET}
        self.next = 1

    def quiet(self, count: int) -> None:
        seed_cases(self.base, self.next, self.next + count - 1)
        self.next += count

    def due(self, name: str, count: int) -> tuple[int, int]:
        """Seed `count` cases due for sweep `name`; their id range (exclusive low, inclusive high)."""
        from django.db import connection

        from identity.models import Evidence
        from requests.models import Packet

        with connection.cursor() as cursor:
            cursor.execute("SELECT coalesce(max(id), 0) FROM requests_privacyrequest")
            low = cursor.fetchone()[0]
        due = DUE[name]
        if count:
            seed_cases({**self.base, **due.cases}, self.next, self.next + count - 1)
            self.next += count
        cases = f"requests_privacyrequest WHERE id > {low}"
        if due.packets and count:
            insert_select(Packet, {"request_id": "id", **due.packets}, cases)
        if due.evidence and count:
            insert_select(Evidence, {"request_id": "id", **due.evidence}, cases)
        with connection.cursor() as cursor:
            cursor.execute("SELECT coalesce(max(id), 0) FROM requests_privacyrequest")
            high = cursor.fetchone()[0]
            # Statistics as autovacuum keeps them; the daily overdue digest may be claimed again.
            cursor.execute("ANALYZE requests_privacyrequest")
            cursor.execute("DELETE FROM requests_sweepclaim")
        return low, high


def retire(low: int, high: int) -> None:
    """Close and anonymise a run's due cases, so no later run finds them due."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE requests_privacyrequest SET status = 'completed', closed_at = now(), anonymised_at = now() "
            "WHERE id > %s AND id <= %s",
            [low, high],
        )


def run_sweep(seeder: Seeder, name: str, count: int) -> float:
    """Seconds one real run of the sweep takes with `count` due cases; checks it acted on every one."""
    from requests import sweeps

    low, high = seeder.due(name, count)
    started = time.perf_counter()
    acted = getattr(sweeps, name)()
    seconds = time.perf_counter() - started
    assert acted == count, f"{name} acted on {acted} of {count} due cases"
    retire(low, high)
    return seconds


def timings(seeder: Seeder, counts: tuple[int, ...]) -> dict[str, dict[int, float]]:
    """Each sweep's seconds per due count: the best of three idle runs, of two at TABLE_DUE, else one.

    Best of a few, because a single run of a few milliseconds (or one checkpoint in a run of a second)
    would decide the comparison across table sizes by noise.
    """
    result: dict[str, dict[int, float]] = {}
    for name in DUE:
        result[name] = {}
        for count in counts:
            repeat = 3 if count == 0 else 2 if count == TABLE_DUE else 1
            result[name][count] = min(run_sweep(seeder, name, count) for _ in range(repeat))
    return result


def main() -> None:
    key = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()  # a Fernet key, as ENCRYPTION_KEYS wants
    work = django_environment(
        DATABASE, DEBUG="false", SECRET_KEY=secrets.token_urlsafe(40), ENCRYPTION_KEYS=key,
        AUDIT_KEYS=secrets.token_urlsafe(32), REDIS_URL=BENCH_REDIS_URL, EMAIL_URL="memorymail://",
    )  # fmt: skip
    recreate_database(DATABASE)
    flush_bench_redis()
    try:
        rows = run()
    finally:
        from django.db import connection

        connection.close()
        drop_database(DATABASE)
        shutil.rmtree(work, ignore_errors=True)
        flush_bench_redis()
    finish(rows)


def run() -> list[Row]:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.management import call_command

    from requests.roles import ensure_roles
    from requests.tasks import SWEEPS

    assert set(DUE) <= SWEEPS, f"not sweeps any more: {set(DUE) - SWEEPS}"
    call_command("migrate", verbosity=0)
    ensure_roles()
    users = get_user_model()
    dpo = users.objects.create_user("benchdpo", email="dpo@example.org", is_staff=True)
    dpo.groups.add(Group.objects.get(name="DPO"))
    staff = [dpo.pk, *(users.objects.create_user(f"handler{i}", is_staff=True).pk for i in range(5))]
    seeder = Seeder(staff)

    started = time.perf_counter()
    seeder.quiet(SMALL)
    vacuum_analyze()
    print(f"bench_sweeps: seeded {SMALL:,} open cases in {time.perf_counter() - started:.0f} s", flush=True)
    timings(seeder, (0,))  # warm up: imports, templates, the broker connection
    small = timings(seeder, (0, TABLE_DUE))

    started = time.perf_counter()
    seeder.quiet(LARGE - SMALL)
    vacuum_analyze()
    print(f"bench_sweeps: grew to {LARGE:,} open cases in {time.perf_counter() - started:.0f} s", flush=True)
    large = timings(seeder, DUE_COUNTS)
    rows = []
    for name, due in DUE.items():
        big, little = large[name], small[name]
        # The same work beside ten times the cases: what grows with the table shows here.
        flat = all(big[n] <= little[n] * TABLE_RATIO + NOISE_S for n in (0, TABLE_DUE))
        per_item = (big[DUE_COUNTS[-1]] - big[0]) / DUE_COUNTS[-1] * 1000
        measured = f"{LARGE:,} cases: " + ", ".join(f"{n:,} due {duration(t)}" for n, t in big.items())
        measured += f" ({per_item:.1f} ms per due case); {SMALL:,} cases: "
        measured += ", ".join(f"{n:,} due {duration(t)}" for n, t in little.items())
        rows.append(
            Row(
                benchmark="bench_sweeps.py",
                measure=f"`{name}` beside open cases that are not due; due: {due.what}",
                budget=f"< {BUDGET_S:.0f} s with 0 due at {LARGE:,} cases; with 0 and {TABLE_DUE:,} due, "
                f"{LARGE:,} cases ≤ {TABLE_RATIO}× {SMALL:,} cases + {NOISE_S * 1000:.0f} ms",
                measured=measured,
                ok=big[0] < BUDGET_S and flat,
            )
        )
        print(f"bench_sweeps: {name}: {measured}", flush=True)
    return rows


def duration(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


if __name__ == "__main__":
    main()
