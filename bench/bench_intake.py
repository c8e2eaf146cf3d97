"""Budget (DESIGN §12): sending a request from the public form costs at most 2× a bare Django view doing one
INSERT on the same server and database.

One gunicorn (the project's `privacyportal/gunicorn_conf.py`, 2 sync workers: the machine has 2 cores) with
DEBUG off and PostgreSQL serves both, through `bench/intake_settings.py`, which only adds the bare view
(`bench/intake_urls.py`). Load comes from this process: 4 client threads, so neither worker waits for a
request; each POST is a fresh visitor's, on a new connection (sync workers close each one). The form is
question pages (issue 21): before the rounds, each visitor's session is given the answers those pages keep
(who, where, which period, name and email; written through Django's session store, not measured), so the POST
measured is "Send request" on "check your answers", with the visitor's CSRF cookie, token and session, as a
browser sends it. The bare view gets the same POST.
After a warm-up, 10 rounds of 200 POSTs per side, the order alternating, so noise on the machine hits both
sides alike. Throughput per side is its POSTs over its rounds' wall time.

The real POST loads the answers from the session, validates the access form, counts the rate limit in Redis,
creates the case and its audit event, keeps the case in the session, and publishes the verification email task to Redis database 5
(no worker runs: the publish is what we measure). The run fails unless every POST answered 302 to the
submitted page, the database holds one case per real POST and one row per bare POST, and Redis holds one
task per case. BENCH_INTAKE_CASES=1000000 first seeds that many cases (as bench_queue.py does), to see
what the table's size adds to a POST. Needs PostgreSQL (BENCH_POSTGRES; `privacyportal_bench_intake` is created and dropped) and
Redis (database 5, flushed before and after). About two minutes.

    .venv/bin/python bench/bench_intake.py
"""

from __future__ import annotations

import base64
import http.client
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

# The project root, so that `bench.common` imports when this file runs as a script.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.common import (
    BARE_TABLE,
    BENCH_REDIS_URL,
    ROOT,
    Row,
    case_exprs,
    csrf,
    drop_database,
    finish,
    flush_bench_redis,
    recreate_database,
    seed_cases,
    vacuum_analyze,
)

DATABASE = "privacyportal_bench_intake"
EXISTING = int(os.environ.get("BENCH_INTAKE_CASES", "0"))
PORT = int(os.environ.get("BENCH_PORT", "8765"))
WORKERS = 2
CLIENTS = 4
WARMUP = 100
ROUNDS = 10
PER_ROUND = 200
BUDGET_RATIO = 2.0
FORM = "/requests/new/access/"
SEND = "/requests/new/access/check/"
BARE = "/bench/bare-insert/"
SUBMITTED = "/requests/submitted/"
BOUNDARY = "bench-intake-" + secrets.token_hex(8)


@dataclass(frozen=True)
class Visitor:
    """What a browser holds on "check your answers": the CSRF and session cookies and the form's token."""

    cookie: str
    token: str


@dataclass
class Side:
    path: str
    latencies: list[float] = field(default_factory=list)  # ms
    seconds: float = 0.0
    client_cpu: float = 0.0  # seconds of CPU this process spent sending them (it shares the 2 cores)
    failures: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds

    def percentile(self, p: int) -> float:
        return statistics.quantiles(self.latencies, n=100)[p - 1]


def server_environment(work: Path, database_url: str) -> dict[str, str]:
    key = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()  # a Fernet key, as ENCRYPTION_KEYS wants
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.intake_settings",
        "DATABASE_URL": database_url,
        "REDIS_URL": BENCH_REDIS_URL,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ENCRYPTION_KEYS": key,
        "AUDIT_KEYS": secrets.token_urlsafe(32),
        "ALLOWED_HOSTS": "127.0.0.1",
        "VAR_DIR": str(work),
        "PRIVATE_ROOT": str(work / "private"),
        # Plain HTTP on the loopback: no redirect to HTTPS, and cookies a client may send back without TLS.
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_COOKIES": "false",
        # Every POST comes from 127.0.0.1: the production limit (10/h per address) would answer 429 from the
        # eleventh. The limit is still counted in Redis on every POST, as in production.
        "RATELIMIT_SUBMIT": "1000000/h",
        "RATELIMIT_STEPS": "1000000/h",
        "EMAIL_URL": "memorymail://",
        "LOG_LEVEL": "WARNING",
    }


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)


def create_bare_table(url: str) -> None:
    import psycopg2

    conn = psycopg2.connect(url)
    with conn, conn.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE {BARE_TABLE} (id bigserial PRIMARY KEY, email varchar(254) NOT NULL,"
            " created_at timestamptz NOT NULL)"
        )
    conn.close()


def seed_existing(env: dict[str, str]) -> None:
    """Cases already in the table, seeded through Django in this process (it serves nothing)."""
    os.environ.update(env)
    import django
    from django.db import connection

    django.setup()
    started = time.perf_counter()
    seed_cases(case_exprs([]), 1, EXISTING)
    vacuum_analyze()
    connection.close()
    print(f"bench_intake: seeded {EXISTING:,} cases in {time.perf_counter() - started:.0f} s", flush=True)


def start_gunicorn(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    command = [
        sys.executable, "-m", "gunicorn", "-c", "python:privacyportal.gunicorn_conf", "--workers", str(WORKERS),
        "--bind", f"127.0.0.1:{PORT}", "--env", "DJANGO_SETTINGS_MODULE=bench.intake_settings",
        "--no-control-socket", "privacyportal.wsgi",
    ]  # fmt: skip
    # The access log goes to a file: the same cost for both sides, and no pipe to drain.
    with open(log, "wb") as out:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}:\n{tail(log)}")
        try:
            open_form()
            return server
        except (OSError, AssertionError):
            time.sleep(0.5)
    stop(server)
    raise RuntimeError(f"gunicorn did not serve the form within 60 s:\n{tail(log)}")


def tail(log: Path) -> str:
    """The end of the server's log (the directory holding it is removed on the way out)."""
    return "\n".join(log.read_text(errors="replace").splitlines()[-30:])


def stop(server: subprocess.Popen[bytes]) -> None:
    server.terminate()  # the master stops its workers
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def open_form() -> Visitor:
    cookie, token = csrf(PORT, FORM)
    return Visitor(cookie=f"csrftoken={cookie}", token=token)


def multipart(fields: dict[str, str]) -> bytes:
    """A form as the browser sends these pages (they may carry a file: multipart)."""
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
        for k, v in fields.items()
    ]
    parts.append(f"--{BOUNDARY}--\r\n")
    return "".join(parts).encode()


def seed_visitors(env: dict[str, str], count: int, token: Visitor) -> list[Visitor]:
    """`count` visitors on "check your answers": sessions holding the answers the question pages keep
    (requests/wizard.py), written here through Django's session store rather than by 4 POSTs each (which
    would take this 2-core machine minutes), with one CSRF cookie and token shared by all (Django's token is
    not tied to a session)."""
    os.environ.update(env)
    import django

    django.setup()
    from django.contrib.sessions.backends.db import SessionStore

    from requests import wizard

    visitors = []
    for n in range(count):
        session = SessionStore()
        values = {"relationship": "self", "country": "GB", "period": "12_months", "requester_name": f"Person {n}",
                  "requester_email": f"person{n}@example.org", "language": "en"}  # fmt: skip
        wizard.save(
            session, wizard.Answers(kind="access", values=values, seen=["who", "where", "request", "contact"])
        )
        session.save(must_create=True)
        visitors.append(Visitor(cookie=f"{token.cookie}; sessionid={session.session_key}", token=token.token))
    return visitors


def post(side: Side, visitor: Visitor, n: int, latencies: list[float]) -> None:
    body = multipart({"csrfmiddlewaretoken": visitor.token, "requester_email": f"person{n}@example.org"})
    headers = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}", "Cookie": visitor.cookie}
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
    started = time.perf_counter()
    conn.request("POST", side.path, body, headers)
    response = conn.getresponse()
    response.read()
    latencies.append((time.perf_counter() - started) * 1000)
    conn.close()
    location = response.getheader("Location", "")
    if response.status != 302 or location != SUBMITTED:
        side.failures.append(f"{side.path} #{n}: {response.status} {location}")


def load(side: Side, visitors: list[Visitor], first: int, count: int, *, measured: bool = True) -> None:
    """POST `count` times to the side's path from CLIENTS threads at once, visitor n for number n."""
    per_thread: list[list[float]] = [[] for _ in range(CLIENTS)]

    def work(k: int) -> None:
        for n in range(first + k, first + count, CLIENTS):
            post(side, visitors[n], n, per_thread[k])

    threads = [threading.Thread(target=work, args=(k,)) for k in range(CLIENTS)]
    started, cpu = time.perf_counter(), time.process_time()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if measured:
        side.seconds += time.perf_counter() - started
        side.client_cpu += time.process_time() - cpu
        side.latencies.extend(ms for latencies in per_thread for ms in latencies)


def counts(url: str) -> tuple[int, int, int]:
    """Cases and bare rows in the database, and tasks waiting in Redis database 5."""
    import psycopg2
    import redis

    conn = psycopg2.connect(url)
    with conn.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM requests_privacyrequest")
        cases = cursor.fetchone()[0]
        cursor.execute(f"SELECT count(*) FROM {BARE_TABLE}")  # noqa: S608 (a constant)
        bare = cursor.fetchone()[0]
    conn.close()
    client = redis.Redis.from_url(BENCH_REDIS_URL)
    # Celery's Redis transport keeps each queue as a list (and its priority steps as more lists).
    tasks = sum(int(client.llen(key)) for key in client.scan_iter() if client.type(key) == b"list")
    client.close()
    return int(cases), int(bare), tasks


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix=f"{DATABASE}-"))
    env = server_environment(work, recreate_database(DATABASE))
    flush_bench_redis()
    server = None
    try:
        manage(env, "migrate", "--noinput", "-v0")
        # DEBUG off serves static files from the manifest, as in production; the pages need it to render.
        manage(env, "collectstatic", "--noinput", "-v0")
        create_bare_table(env["DATABASE_URL"])
        if EXISTING:
            seed_existing(env)
        server = start_gunicorn(env, work / "gunicorn.log")
        # One visitor per POST: "Send request" ends a visitor's answers (the bare side's are spares).
        visitors = seed_visitors(env, 2 * (WARMUP + ROUNDS * PER_ROUND), open_form())
        rows = run(env["DATABASE_URL"], visitors)
    finally:
        if server is not None:
            stop(server)
        drop_database(DATABASE)
        flush_bench_redis()
        shutil.rmtree(work, ignore_errors=True)
    finish(rows)


def run(url: str, visitors: list[Visitor]) -> list[Row]:
    posts = WARMUP + ROUNDS * PER_ROUND
    ours, bare = Side(SEND), Side(BARE)
    number = 0
    for side in (ours, bare):  # templates, connections, the broker
        load(side, visitors, number, WARMUP, measured=False)
        number += WARMUP
    for round_ in range(ROUNDS):
        for side in (ours, bare) if round_ % 2 == 0 else (bare, ours):
            load(side, visitors, number, PER_ROUND)
            number += PER_ROUND
    cases, bare_rows, tasks = counts(url)
    failures = ours.failures + bare.failures
    checked = not failures and cases == EXISTING + posts and bare_rows == posts and tasks == posts
    ratio = bare.rate / ours.rate
    measured = (
        f"form {ours.rate:.0f} POST/s (p50 {ours.percentile(50):.0f} ms, p99 {ours.percentile(99):.0f} ms); "
        f"bare {bare.rate:.0f} POST/s (p50 {bare.percentile(50):.0f} ms, p99 {bare.percentile(99):.0f} ms); "
        f"ratio {ratio:.2f}×; checked: {cases - EXISTING:,} cases, {tasks:,} tasks queued, {bare_rows:,} bare rows"
    )
    if failures:
        measured += f"; {len(failures)} POSTs failed, e.g. {failures[0]}"
    elif not checked:
        measured += f"; expected {posts:,} of each"
    print(f"bench_intake: {measured}", flush=True)
    for side in (ours, bare):
        cpu_ms = side.client_cpu / len(side.latencies) * 1000
        print(
            f"bench_intake: the load generator spent {cpu_ms:.2f} ms of CPU per POST to {side.path}",
            flush=True,
        )
    return [
        Row(
            benchmark="bench_intake.py",
            measure=f'access form\'s "Send request" POST vs a bare one-INSERT view: gunicorn ({WORKERS} sync workers) + PostgreSQL, '
            f"{CLIENTS} clients, {ROUNDS * PER_ROUND:,} POSTs each, alternating rounds; {EXISTING:,} cases before",
            budget=f"bare/form throughput ≤ {BUDGET_RATIO:.0f}×",
            measured=measured,
            ok=checked and ratio <= BUDGET_RATIO,
        )
    ]


if __name__ == "__main__":
    main()
