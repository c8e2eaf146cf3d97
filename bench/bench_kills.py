"""Issue 24: emails sent twice when a worker is killed, measured under the chaos run's kill test.

300 verification emails (one per new case) through a real prefork worker (concurrency 2) on Redis to a local
SMTP server answering each command after 10 ms (tests/fakes/smtp_sink.py), while pool children are killed with
SIGKILL every 0.05-0.4 s and the whole worker twice (then started again); the outbox's redeliver sweep, its clock
moved past REDELIVER_AFTER, publishes what the dead workers held until every row is delivered
(tests/kill_run.py). A second run adds kills at the worst moment (the mail server has the email, its "250" is
not back) to show what a copy looks like.

Budget (what a person notices): everyone gets an email, nobody two different codes, and the code in every
email received still confirms the address. The copies (same Message-ID) are reported, not budgeted: the moment
between the mail server accepting an email and the outbox row knowing it stays at-least-once
(docs/operator-guide.md, "Emails sent twice"). Needs PostgreSQL (`privacyportal_bench_kills`, created and
dropped here) and Redis database 5 (BENCH_KILLS_REDIS_URL to give it another, as when other benchmarks run at the
same time). About four minutes.

    .venv/bin/python bench/bench_kills.py
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

# The project root, so that `bench.common` (and Django's apps) import when this file runs as a script.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.common import (
    BENCH_REDIS_URL,
    Row,
    database_url,
    django_environment,
    drop_database,
    finish,
    recreate_database,
)

DATABASE = "privacyportal_bench_kills"
# Its own Redis database if given one: a worker of another benchmark running at the same time on the same database
# would take this one's messages (and, finding no outbox row for them, send its own cases' emails).
REDIS_URL = os.environ.get("BENCH_KILLS_REDIS_URL", BENCH_REDIS_URL)
EMAILS = int(os.environ.get("BENCH_KILL_EMAILS", "300"))
RUNS = {  # name: (random child kills, kills at the worst moment, whole-worker kills)
    "random kills": (40, 0, 2),
    "random + worst-moment kills": (20, 10, 2),
}


def flush_redis() -> None:
    """FLUSHDB on this benchmark's Redis database (never database 0, never FLUSHALL)."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    assert client.connection_pool.connection_kwargs.get("db"), "not Redis database 0"
    client.flushdb()
    client.close()


def main() -> None:
    recreate_database(DATABASE)
    django_environment(DATABASE, REDIS_URL=REDIS_URL, LOG_LEVEL="INFO")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    from tests.kill_run import KillReport, kill_run

    call_command("migrate", verbosity=0)
    env = {**os.environ, "DATABASE_URL": database_url(DATABASE)}
    reports: dict[str, KillReport] = {}
    try:
        for name, (child, window, whole) in RUNS.items():
            flush_redis()
            with tempfile.TemporaryDirectory(prefix="bench-kills-") as work:
                reports[name] = kill_run(
                    Path(work), env, emails=EMAILS, child_kills=child, window_kills=window, worker_kills=whole
                )
            print(f"== {name}\n" + "\n".join(reports[name].lines()), flush=True)
    finally:
        flush_redis()
        connections.close_all()
        drop_database(DATABASE)
    rows = []
    for name, r in reports.items():
        ok = r.without_email == r.different_codes == r.different_message_ids == r.codes_refused == 0
        rows.append(
            Row(
                benchmark="bench_kills.py",
                measure=(
                    f"{r.emails} verification emails, prefork worker (2) killed: {name} ({r.child_kills} random"
                    f" + {r.window_kills} after acceptance child SIGKILLs, {r.tasks_lost} tasks lost; whole"
                    f" worker {r.worker_kills}×; {r.redeliver_rounds} redeliver rounds)"
                ),
                budget="0 without email, 0 with two codes, 0 codes refused",
                measured=(
                    f"{r.received} received, {r.copies} copies (same Message-ID, same code) to"
                    f" {r.people_with_copies} people; {r.without_email} without email, {r.different_codes} with two"
                    f" codes, {r.different_message_ids} with two Message-IDs, {r.codes_refused} codes refused;"
                    f" {r.seconds:.0f} s"
                ),
                ok=ok,
            )
        )
    finish(rows)


if __name__ == "__main__":
    main()
