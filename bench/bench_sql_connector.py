"""Budget (DESIGN §12): a subject with 10,000 rows in a 1,000,000-row company database is found and exported in
< 30 s with peak memory < 400 MB, and erased in < 60 s.

The sample shop (requests/connectors/sample.py) with 1,000,000 rows, 10,000 of them one customer's (orders,
order lines, invoices, support tickets, a newsletter subscription), in SQLite (a temporary file) and PostgreSQL
(its own `privacyportal_bench_connector` database, dropped afterwards; BENCH_POSTGRES names the server).
Each measurement runs in a fresh process, so the peak RSS is the connector's (plus Python and SQLAlchemy), not
the loader's: find + export, then the dry run + erasure.

    .venv/bin/python bench/bench_sql_connector.py
    BENCH_CONNECTOR_ROWS=100000 .venv/bin/python bench/bench_sql_connector.py   # a quicker look
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

# The project root, so that `bench.common` and the app's packages import when this file runs as a script.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.common import Row, drop_database, finish, recreate_database

ROWS = int(os.environ.get("BENCH_CONNECTOR_ROWS", "1000000"))
SUBJECT_ROWS = 10_000
FIND_EXPORT_SECONDS, FIND_EXPORT_MB, ERASE_SECONDS = 30.0, 400.0, 60.0
PG_DATABASE = "privacyportal_bench_connector"


def build(url: str) -> float:
    """The sample shop at `url` with ROWS rows; returns the seconds it took."""
    import sqlalchemy as sa

    from requests.connectors import sample

    started = time.perf_counter()
    engine = sa.create_engine(url)
    meta = sample.metadata()
    with engine.begin() as conn:
        meta.create_all(conn)
        written = sample.populate_bulk(conn, meta, total_rows=ROWS, subject_rows=SUBJECT_ROWS)
    with engine.connect() as conn:  # what a live database's statistics would say
        conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
    engine.dispose()
    assert written == ROWS, written
    return time.perf_counter() - started


def measure(settings: dict[str, Any], credentials: dict[str, str]) -> dict[str, Any]:
    """In a process of its own: find + export, then the dry run and the erasure of the same subject."""
    from requests.connectors import Subject, build, sample

    settings = {**settings, "dataset": sample.DATASET}
    connector = build("sql", settings, credentials)
    connector.test()  # connect and reflect first: that is the admin's "Test connection", not the request
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    found = connector.find(Subject(email="Subject@Example.org"))
    export = connector.export(found)
    find_export = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    exported = sum(export.counts().values())
    del export
    started = time.perf_counter()
    plan = connector.plan_erasure(found)
    planned = time.perf_counter() - started
    started = time.perf_counter()
    result = connector.erase(plan)
    erase = time.perf_counter() - started
    return {"found": len(found.refs), "exported": exported, "find_export": find_export, "peak": peak,
            "before": before, "plan": planned, "erase": erase, "counts": result.counts()}  # fmt: skip


def run(name: str, settings: dict[str, Any], credentials: dict[str, str], built: float) -> list[Row]:
    out = subprocess.run(
        [sys.executable, __file__, "--measure", json.dumps([settings, credentials])],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    m = json.loads(out.splitlines()[-1])
    assert m["found"] == m["exported"] == SUBJECT_ROWS, m
    assert sum(m["counts"].values()) == SUBJECT_ROWS, m
    where = f"{name}, {ROWS:,} rows (built in {built:.0f} s)"
    return [
        Row(benchmark="bench_sql_connector.py",
            measure=f"SQL connector find + export: a subject with {SUBJECT_ROWS:,} rows in 6 tables; {where}",
            budget=f"< {FIND_EXPORT_SECONDS:.0f} s, < {FIND_EXPORT_MB:.0f} MB peak",
            measured=f"{m['find_export']:.1f} s; peak RSS {m['peak']:.0f} MB for the whole process "
                     f"({m['before']:.0f} MB before)",
            ok=m["find_export"] < FIND_EXPORT_SECONDS and m["peak"] < FIND_EXPORT_MB),
        Row(benchmark="bench_sql_connector.py",
            measure=f"SQL connector erasure of the same subject, one transaction; {where}",
            budget=f"< {ERASE_SECONDS:.0f} s",
            measured=f"{m['erase']:.1f} s (dry run before it {m['plan']:.1f} s): "
                     + ", ".join(f"{action} {n:,}" for action, n in sorted(m["counts"].items())),
            ok=m["erase"] < ERASE_SECONDS),
    ]  # fmt: skip


def main() -> None:
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="bench-connector-") as work:
        path = str(Path(work) / "shop.sqlite3")
        built = build(f"sqlite:///{path}")
        rows += run("SQLite", {"dialect": "sqlite", "database": path}, {}, built)
    url = recreate_database(PG_DATABASE)
    try:
        import sqlalchemy as sa

        parsed = sa.make_url(url)
        built = build(str(parsed.set(drivername="postgresql+psycopg2")))
        settings = {
            "dialect": "postgresql",
            "host": parsed.host,
            "port": parsed.port or 5432,
            "database": PG_DATABASE,
        }
        rows += run(
            "PostgreSQL",
            settings,
            {"username": parsed.username or "", "password": parsed.password or ""},
            built,
        )
    finally:
        drop_database(PG_DATABASE)
    finish(rows)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--measure"]:
        print(json.dumps(measure(*json.loads(sys.argv[2]))))
    else:
        main()
