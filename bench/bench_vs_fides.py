"""Budget (DESIGN §12, issue 24): the public intake API and the web form, deployed as docker-compose.yml deploys
them and with the worker sending every verification email, at least 10× Ethyca Fides' intake throughput at
concurrency 8, p99 at most a fifth of Fides', the worker's backlog gone within 10 s of the end of the load; and
the form within 3× of a bare one-INSERT view on the same run.

One run, one client, four targets in turn:
  fides  Fides' `POST /api/v1/privacy-request` (ethyca-fides FIDES_VERSION from PyPI, its defaults, identity
         verification off so its worker sends nothing; `fides webserver` and `fides worker`)
  api    the portal's `POST /api/v1/public/requests/` (JSON)
  form   the portal's access form: "Send request" on "check your answers", with each visitor's CSRF cookie,
         token and session (the answers the question pages keep, written through Django's session store first)
  bare   the bench's bare view (bench/intake_urls.py): the same middleware, one INSERT
The client is closed-loop: CONCURRENCY threads in this process, each sending its next POST (a new connection,
a new person's address) as soon as the last one answered, for DURATION seconds per target. Per target it reports
POSTs a second, p50 and p99, and how long after the load the worker's backlog took to drain: for the portal,
every outbox row delivered and the SMTP sink holding one email per case; for Fides, every privacy request
past its worker (status `complete`, or `error`, counted apart).

The portal runs as production does: gunicorn with privacyportal/gunicorn_conf.py and 3 workers, DEBUG off, a
Celery worker with concurrency 2 on the default and pdf queues (the commands of docker-compose.yml), PostgreSQL
(`privacyportal_bench_vs`, created and dropped) and Redis database 12 (broker and cache, BENCH_VS_REDIS_DB;
not the other benchmarks' 5, which any of them flushes when it starts; refused if it holds keys, flushed
after). The worker sends through smtp:// to an SMTP sink this script starts (a subprocess: `--smtp-sink PORT`)
that counts what it receives. Fides gets its own database (`privacyportal_bench_fides`) and Redis database 13
(BENCH_FIDES_REDIS_DB; likewise), and runs from a virtualenv built on first use under var/fides/ (git-ignored)
with ~/.pyenv/versions/3.13.0/bin/python (BENCH_FIDES_PYTHON); the first build takes a few minutes. Fides is
reached only over HTTP and through its own database: its PyPI `requests` stays in its own virtualenv.
Per target it also prints the CPU each process used per request (gunicorn, Celery, the sink, this client,
this database's PostgreSQL backends, Redis, the whole machine) and the PostgreSQL connections opened.

    .venv/bin/python bench/bench_vs_fides.py                      # all four, about 8 minutes once Fides is built
    BENCH_VS_TARGETS=api,form,bare .venv/bin/python bench/bench_vs_fides.py   # the portal only
    BENCH_VS_PROFILE=/tmp/prof .venv/bin/python bench/bench_vs_fides.py       # py-spy on web and worker (below)

BENCH_VS_DURATION and BENCH_VS_CONCURRENCY change the load; BENCH_VS_PORTAL_ROOT measures the portal of
another checkout (e.g. `git worktree add /tmp/before <commit>`) with this script, for before and after.
BENCH_VS_PROFILE=DIR records each portal target's gunicorn workers and Celery processes with py-spy (BENCH_PY_SPY, default var/prof/bin/py-spy) into DIR
as collapsed stacks, for `bench/profile_summary.py`; profiling slows the run, so its numbers are not the result.
When Fides cannot be installed or started, its row says why and the portal's targets still run; without Fides'
numbers the ×10 and p99 checks compare with the numbers of issue 24 (3 Dec 2026), which the row says.
"""

from __future__ import annotations

import asyncio
import base64
import http.client
import itertools
import json
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

# The project root, so that `bench.common` imports when this file runs as a script.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.common import (
    BARE_TABLE,
    ROOT,
    SERVER,
    Row,
    csrf,
    drop_database,
    finish,
    recreate_database,
)

DATABASE = "privacyportal_bench_vs"
FIDES_DATABASE = "privacyportal_bench_fides"
FIDES_VERSION = "2.86.2"
# Redis databases of their own, not the other benchmarks' 5: a benchmark starting meanwhile flushes that one,
# and with it the verification emails this one is waiting for. Flushed before and after, nothing else touched.
# A database someone else uses (found holding keys at the start) is refused, never flushed.
PORTAL_REDIS_DB = int(os.environ.get("BENCH_VS_REDIS_DB", "12"))
FIDES_REDIS_DB = int(os.environ.get("BENCH_FIDES_REDIS_DB", "13"))
FIDES_HOME = ROOT / "var" / "fides"
FIDES_PYTHON = os.environ.get("BENCH_FIDES_PYTHON", str(Path.home() / ".pyenv/versions/3.13.0/bin/python"))
CONCURRENCY = int(os.environ.get("BENCH_VS_CONCURRENCY", "8"))
DURATION = float(os.environ.get("BENCH_VS_DURATION", "30"))
TARGETS = os.environ.get("BENCH_VS_TARGETS", "fides,api,form,bare").split(",")
PROFILE = os.environ.get("BENCH_VS_PROFILE", "")
# The checkout whose portal is measured: this one, or another (e.g. a `git worktree` of an earlier commit, for
# before and after on the same machine; the client, sink and Fides stay this checkout's).
PORTAL_ROOT = Path(os.environ.get("BENCH_VS_PORTAL_ROOT", str(ROOT)))
PY_SPY = os.environ.get("BENCH_PY_SPY", str(ROOT / "var" / "prof" / "bin" / "py-spy"))
# Seconds: a backlog still there after this is reported as not drained (Fides needs minutes).
DRAIN_LIMIT = 300.0
# What the issue measured on 3 Dec 2026 (Fides 2.86.2, same machine and client): used only when Fides cannot run.
FIDES_ISSUE_24 = {"rate": 19.1, "p50": 400.0, "p99": 729.0, "drain": 67.0}
WEB_WORKERS = 3  # docker-compose.yml's web
WORKER_CONCURRENCY = 2  # docker-compose.yml's worker
SEND = "/requests/new/access/check/"
SUBMITTED = "/requests/submitted/"
BOUNDARY = "bench-vs-" + secrets.token_hex(8)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- The SMTP sink ----------------------------------------------------------------------------------------------


def smtp_sink(port: int) -> None:
    """Just enough SMTP for Django's smtp backend (and smtplib): every message is accepted and counted; the
    custom command XCOUNT answers `250 <messages> <distinct recipients>`. Run as its own process, so that its
    CPU is not the load generator's."""
    received = 0
    recipients: set[str] = set()

    async def session(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal received
        writer.write(b"220 sink ESMTP\r\n")
        rcpt: list[str] = []
        while line := await reader.readline():
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                writer.write(b"250 sink\r\n")
            elif verb == b"MAIL":
                rcpt = []
                writer.write(b"250 OK\r\n")
            elif verb == b"RCPT":
                rcpt.append(line[8:].strip().decode(errors="replace").lower())
                writer.write(b"250 OK\r\n")
            elif verb == b"DATA":
                writer.write(b"354 go ahead\r\n")
                await writer.drain()
                while (data := await reader.readline()) and data != b".\r\n":
                    pass
                received += 1
                recipients.update(rcpt)
                writer.write(b"250 OK queued\r\n")
            elif verb == b"QUIT":
                writer.write(b"221 bye\r\n")
                await writer.drain()
                break
            elif verb == b"XCOU":
                writer.write(f"250 {received} {len(recipients)}\r\n".encode())
            else:  # RSET, NOOP
                writer.write(b"250 OK\r\n")
            await writer.drain()
        writer.close()

    async def serve() -> None:
        server = await asyncio.start_server(session, "127.0.0.1", port)
        async with server:
            await server.serve_forever()

    asyncio.run(serve())


def sink_count(port: int) -> tuple[int, int]:
    """(emails received, distinct recipients) so far."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        stream = conn.makefile("rwb")
        stream.readline()
        stream.write(b"XCOUNT\r\n")
        stream.flush()
        _code, received, distinct = stream.readline().split()
        stream.write(b"QUIT\r\n")
        stream.flush()
    return int(received), int(distinct)


# --- Processes --------------------------------------------------------------------------------------------------


def start(
    command: list[str], log: Path, env: dict[str, str], cwd: Path = PORTAL_ROOT
) -> subprocess.Popen[bytes]:
    with open(log, "ab") as out:
        # A session of its own, so that stopping it stops its children (gunicorn's and Celery's workers).
        return subprocess.Popen(
            command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def stop(process: subprocess.Popen[bytes] | None) -> None:
    if process is None or process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def tail(log: Path, lines: int = 30) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:]) if log.exists() else ""


def wait_until(
    ready: Callable[[], bool], process: subprocess.Popen[bytes], log: Path, seconds: float
) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}:\n{tail(log)}")
        try:
            if ready():
                return
        except (OSError, AssertionError, ValueError):
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{process.args!r} not ready within {seconds:.0f} s:\n{tail(log)}")


def children(process: subprocess.Popen[bytes]) -> list[int]:
    """The pids of a master's children (gunicorn's workers, Celery's pool)."""
    found = subprocess.run(["pgrep", "-P", str(process.pid)], capture_output=True, text=True).stdout
    return [int(pid) for pid in found.split()]


# --- CPU accounting ---------------------------------------------------------------------------------------------

TICK = os.sysconf("SC_CLK_TCK")


def process_cpu(pids: list[int]) -> float:
    """CPU seconds the processes have used, with their reaped children's."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue  # gone meanwhile
        total += sum(int(f) for f in fields[11:15])  # utime, stime, cutime, cstime
    return total / TICK


def machine_cpu() -> float:
    """CPU seconds the whole machine has been busy (every core, everyone's processes)."""
    user, nice, system, _idle, _iowait, irq, softirq, steal = (
        int(f) for f in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]
    )
    return (user + nice + system + irq + softirq + steal) / TICK


class Backends(threading.Thread):
    """PostgreSQL's backends serving one database (their process title names it), sampled every 100 ms: CPU
    seconds each has used, so a backend that ends between two samples loses at most its last 100 ms (and one
    that lives less than that is missed: `sessions` in pg_stat_database counts those)."""

    def __init__(self, database: str) -> None:
        super().__init__(daemon=True)
        self.needle = f" {database} ".encode()
        self.seen: dict[int, float] = {}
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.wait(0.1):
            for entry in Path("/proc").iterdir():
                if not entry.name.isdigit():
                    continue
                try:
                    title = (entry / "cmdline").read_bytes()
                except OSError:
                    continue
                if title.startswith(b"postgres: ") and self.needle in title:
                    self.seen[int(entry.name)] = process_cpu([int(entry.name)])

    def total(self) -> float:
        return sum(self.seen.values())


def redis_pid() -> list[int]:
    found = subprocess.run(["pgrep", "-x", "redis-server"], capture_output=True, text=True).stdout
    return [int(pid) for pid in found.split()]


@dataclass
class CpuUse:
    """CPU seconds by role over a target's load and the drain after it."""

    roles: dict[str, float]

    def per(self, count: int) -> str:
        if not count:
            return ""
        parts = [f"{role} {1000 * seconds / count:.1f}" for role, seconds in self.roles.items()]
        return "CPU ms per request: " + ", ".join(parts)


# --- The client -------------------------------------------------------------------------------------------------


@dataclass
class Result:
    target: str
    latencies: list[float] = field(default_factory=list)  # ms
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)
    drain: float | None = None  # seconds from the end of the load until the worker's backlog was gone
    note: str = ""
    cpu: str = ""

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile(self, p: int) -> float:
        return statistics.quantiles(self.latencies, n=100)[p - 1] if len(self.latencies) > 1 else 0.0

    def summary(self) -> str:
        drain = "n/a" if self.drain is None else f"{self.drain:.1f} s"
        failed = f", {len(self.failures)} failed, e.g. {self.failures[0]}" if self.failures else ""
        return (
            f"{self.rate:.1f} req/s, p50 {self.percentile(50):.0f} ms, p99 {self.percentile(99):.0f} ms, "
            f"backlog drained {drain}{failed}"
        )


Request = tuple[str, bytes, dict[str, str]]  # path, body, headers


def closed_loop(
    target: str, port: int, make: Callable[[int], Request], ok: Callable[[http.client.HTTPResponse], bool]
) -> Result:
    """CONCURRENCY clients, each POSTing again as soon as it has its answer, for DURATION seconds."""
    result = Result(target)
    numbers = itertools.count()  # next() on a count is atomic under the GIL: each POST its own person
    end = time.perf_counter() + DURATION
    per_thread: list[list[float]] = [[] for _ in range(CONCURRENCY)]

    def work(k: int) -> None:
        while time.perf_counter() < end:
            n = next(numbers)
            path, body, headers = make(n)
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            started = time.perf_counter()
            try:
                conn.request("POST", path, body, headers)
                response = conn.getresponse()
                response.read()
            except OSError as error:
                result.failures.append(f"#{n}: {type(error).__name__}")
                continue
            finally:
                conn.close()
            per_thread[k].append((time.perf_counter() - started) * 1000)
            if not ok(response):
                result.failures.append(f"#{n}: {response.status} {response.getheader('Location', '')}")

    threads = [threading.Thread(target=work, args=(k,)) for k in range(CONCURRENCY)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = time.perf_counter() - started
    result.latencies = [ms for latencies in per_thread for ms in latencies]
    return result


def drain(done: Callable[[], bool]) -> float | None:
    """Seconds until `done()`, polled every 50 ms; None if not within DRAIN_LIMIT."""
    started = time.perf_counter()
    while time.perf_counter() - started < DRAIN_LIMIT:
        if done():
            return time.perf_counter() - started
        time.sleep(0.05)
    return None


def psql(url: str, query: str) -> list[tuple[Any, ...]]:
    import psycopg2

    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cursor:
            cursor.execute(query)
            return list(cursor.fetchall())
    finally:
        conn.close()


# --- The portal -------------------------------------------------------------------------------------------------


@dataclass
class Portal:
    url: str
    work: Path
    port: int
    sink_port: int
    env: dict[str, str]
    web: subprocess.Popen[bytes] | None = None
    worker: subprocess.Popen[bytes] | None = None
    sink: subprocess.Popen[bytes] | None = None
    backends: Backends = field(default_factory=lambda: Backends(DATABASE))

    def start(self) -> None:
        self.backends.start()
        self.sink = start(
            [sys.executable, __file__, "--smtp-sink", str(self.sink_port)], self.work / "sink.log", self.env
        )
        wait_until(lambda: sink_count(self.sink_port) == (0, 0), self.sink, self.work / "sink.log", 30)
        # docker-compose.yml's web and worker commands, on a free loopback port.
        self.web = start(
            [sys.executable, "-m", "gunicorn", "-c", "python:privacyportal.gunicorn_conf", "privacyportal.wsgi",
             "--bind", f"127.0.0.1:{self.port}", "--workers", str(WEB_WORKERS), "--no-control-socket"],
            self.work / "gunicorn.log", self.env,
        )  # fmt: skip
        self.worker = start(
            [sys.executable, "-m", "celery", "-A", "privacyportal", "worker", "-l", "info", "-Q", "default,pdf",
             "--concurrency", str(WORKER_CONCURRENCY), "-n", "bench-vs@%h"],
            self.work / "worker.log", self.env,
        )  # fmt: skip
        wait_until(lambda: bool(csrf(self.port)), self.web, self.work / "gunicorn.log", 60)
        wait_until(self.worker_ready, self.worker, self.work / "worker.log", 60)

    def cpu(self) -> dict[str, float]:
        """CPU seconds so far: gunicorn (master and workers), Celery (master and pool), the SMTP sink, this
        process (the client), and the whole machine (PostgreSQL and Redis are most of the rest)."""
        roles = {}
        for role, master in (("web", self.web), ("worker", self.worker), ("smtp sink", self.sink)):
            assert master is not None
            roles[role] = process_cpu([master.pid, *children(master)])
        roles["client"] = time.process_time()
        roles["PostgreSQL (this database)"] = self.backends.total()
        roles["Redis (whole server)"] = process_cpu(redis_pid())
        roles["machine"] = machine_cpu()
        return roles

    def worker_ready(self) -> bool:
        return len(children(self.worker)) >= WORKER_CONCURRENCY if self.worker else False

    def stop(self) -> None:
        self.backends.stopping.set()
        for process in (self.web, self.worker, self.sink):
            stop(process)

    def sessions(self) -> int:
        """Connections opened to the database so far (PostgreSQL's count)."""
        [(count,)] = psql(self.url, f"SELECT sessions FROM pg_stat_database WHERE datname = '{DATABASE}'")  # noqa: S608 (a constant)
        return int(count)

    def counts(self) -> tuple[int, int, int]:
        """(cases, outbox rows undelivered, bare rows)."""
        [(cases, undelivered, bare)] = psql(
            self.url,  # a constant table name, no input
            "SELECT (SELECT count(*) FROM requests_privacyrequest),"  # noqa: S608 (a constant table name)
            " (SELECT count(*) FROM requests_queuedtask WHERE delivered_at IS NULL),"
            f" (SELECT count(*) FROM {BARE_TABLE})",
        )
        return int(cases), int(undelivered), int(bare)

    def drained(self) -> bool:
        cases, undelivered, _bare = self.counts()
        received, _distinct = sink_count(self.sink_port)
        return undelivered == 0 and received >= cases

    def profiled(self, target: str, run: Callable[[], Result]) -> Result:
        """Run the load with py-spy recording every gunicorn worker and Celery pool process (BENCH_VS_PROFILE)."""
        if not PROFILE:
            return run()
        out = Path(PROFILE)
        out.mkdir(parents=True, exist_ok=True)
        spies = []
        for role, master in (("web", self.web), ("worker", self.worker)):
            assert master is not None
            # The workers, and Celery's master too: it takes the messages from the broker and acknowledges them.
            for pid in children(master) + ([master.pid] if role == "worker" else []):
                command = [PY_SPY, "record", "--format", "raw", "--rate", "200", "--nonblocking",
                           "--pid", str(pid), "--duration", str(int(DURATION) + 5),
                           "--output", str(out / f"{target}-{role}-{pid}.txt")]  # fmt: skip
                spies.append(subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        result = run()
        for spy in spies:
            spy.wait()
        return result


def portal_environment(work: Path, url: str, sink_port: int) -> dict[str, str]:
    key = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()  # a Fernet key, as ENCRYPTION_KEYS wants
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.intake_settings",  # the portal's settings plus the bare view
        "DATABASE_URL": url,
        "REDIS_URL": f"redis://127.0.0.1:6379/{PORTAL_REDIS_DB}",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ENCRYPTION_KEYS": key,
        "AUDIT_KEYS": secrets.token_urlsafe(32),
        "ALLOWED_HOSTS": "127.0.0.1",
        "PORTAL_BASE_URL": "http://127.0.0.1",
        "VAR_DIR": str(work),
        "PRIVATE_ROOT": str(work / "private"),
        "SECURE_SSL_REDIRECT": "false",  # plain HTTP on the loopback
        "SECURE_COOKIES": "false",
        # Every POST comes from 127.0.0.1: the production limit (10/h per address) would answer 429 from the
        # eleventh. The limits are still counted in Redis on every POST and email, as in production.
        "RATELIMIT_SUBMIT": "100000000/h",
        "RATELIMIT_STEPS": "100000000/h",
        "EMAIL_URL": f"smtp://127.0.0.1:{sink_port}",
        "LOG_LEVEL": "WARNING",
    }


def api_request(n: int) -> Request:
    body = {
        "kind": "access", "requester_name": f"Person {n}", "requester_email": f"api{n}@example.org",
        "relationship": "self", "country": "GB", "language": "en", "period": "12_months",
    }  # fmt: skip
    return "/api/v1/public/requests/", json.dumps(body).encode(), {"Content-Type": "application/json"}


def seed_sessions(env: dict[str, str], count: int) -> list[str]:
    """`count` sessions on "check your answers" (the answers the question pages keep, requests/wizard.py),
    encoded by Django's session store and inserted in bulk: tens of thousands take seconds."""
    os.environ.update(env)
    import django

    django.setup()
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.db import connection
    from django.utils import timezone

    from requests import wizard

    store = SessionStore()
    expires = timezone.now() + timedelta(seconds=store.get_expiry_age())
    keys, rows = [], []
    for n in range(count):
        values = {"relationship": "self", "country": "GB", "period": "12_months", "requester_name": f"Person {n}",
                  "requester_email": f"form{n}@example.org", "language": "en"}  # fmt: skip
        session: dict[str, object] = {}
        wizard.save(
            session,  # type: ignore[arg-type]
            wizard.Answers(kind="access", values=values, seen=["who", "where", "request", "contact"]),
        )
        key = secrets.token_hex(16)
        keys.append(key)
        rows.append(Session(session_key=key, session_data=store.encode(session), expire_date=expires))
    Session.objects.bulk_create(rows, batch_size=2000)
    connection.close()
    return keys


def form_request(cookie: str, token: str, sessions: list[str]) -> Callable[[int], Request]:
    def make(n: int) -> Request:
        body = (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="csrfmiddlewaretoken"\r\n\r\n{token}\r\n'
            f"--{BOUNDARY}--\r\n"
        ).encode()
        headers = {
            "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
            "Cookie": f"csrftoken={cookie}; sessionid={sessions[n]}",
        }
        return SEND, body, headers

    return make


def bare_request(cookie: str, token: str) -> Callable[[int], Request]:
    """The form's POST as the bare view gets it: the same CSRF cookie and token, plus an address to insert."""

    def make(n: int) -> Request:
        body = (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="csrfmiddlewaretoken"\r\n\r\n{token}\r\n'
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="requester_email"\r\n\r\nbare{n}@example.org\r\n'
            f"--{BOUNDARY}--\r\n"
        ).encode()
        headers = {
            "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
            "Cookie": f"csrftoken={cookie}",
        }
        return "/bench/bare-insert/", body, headers

    return make


def run_portal(portal: Portal, target: str, sessions: list[str], token: tuple[str, str]) -> Result:
    cases_before, _undelivered, bare_before = portal.counts()
    received_before, _ = sink_count(portal.sink_port)
    cpu_before = portal.cpu()
    sessions_before = portal.sessions()
    if target == "api":
        result = portal.profiled(
            target, lambda: closed_loop(target, portal.port, api_request, lambda r: r.status == 201)
        )
    elif target == "form":
        make = form_request(*token, sessions)
        result = portal.profiled(
            target,
            lambda: closed_loop(
                target,
                portal.port,
                make,
                lambda r: r.status == 302 and r.getheader("Location") == SUBMITTED,
            ),
        )
    else:
        plain = bare_request(*token)
        result = portal.profiled(
            target,
            lambda: closed_loop(
                target,
                portal.port,
                plain,
                lambda r: r.status == 302 and r.getheader("Location") == SUBMITTED,
            ),
        )
    if target != "bare":
        result.drain = drain(portal.drained)
    cpu = {role: seconds - cpu_before[role] for role, seconds in portal.cpu().items()}
    cpu["rest of the machine"] = cpu["machine"] - sum(v for k, v in cpu.items() if k != "machine")
    opened = portal.sessions() - sessions_before
    result.cpu = CpuUse(cpu).per(len(result.latencies)) + (
        f"; {opened / max(1, len(result.latencies)):.2f} PostgreSQL connections opened per request"
    )
    cases, undelivered, bare = portal.counts()
    received, distinct = sink_count(portal.sink_port)
    made = bare - bare_before if target == "bare" else cases - cases_before
    emails = received - received_before
    result.note = (
        f"{made:,} rows"
        if target == "bare"
        else f"{made:,} cases, {emails:,} emails, {undelivered} undelivered"
    )
    expected = len(result.latencies) - len(result.failures)
    if made != expected or (target != "bare" and (emails != made or distinct != received)):
        result.failures.append(
            f"{made} made, {emails} emails ({distinct} recipients) for {expected} answered"
        )
    return result


# --- Fides ------------------------------------------------------------------------------------------------------


@dataclass
class Fides:
    work: Path
    port: int
    url: str = ""
    web: subprocess.Popen[bytes] | None = None
    worker: subprocess.Popen[bytes] | None = None
    claimed: bool = False  # its Redis database was found empty: ours to flush

    @property
    def bin(self) -> Path:
        return FIDES_HOME / f"venv-{FIDES_VERSION}" / "bin"

    def build(self) -> None:
        """Fides' own virtualenv (it needs Python ≥ 3.13 here, and the PyPI `requests`)."""
        if (self.bin / "fides").exists():
            return
        venv = self.bin.parent
        print(f"bench_vs_fides: installing ethyca-fides=={FIDES_VERSION} into {venv} (minutes)", flush=True)
        shutil.rmtree(venv, ignore_errors=True)
        subprocess.run([FIDES_PYTHON, "-m", "venv", str(venv)], check=True, cwd=tempfile.gettempdir())
        subprocess.run(
            [str(self.bin / "pip"), "install", "-q", "--disable-pip-version-check", f"ethyca-fides=={FIDES_VERSION}"],
            check=True, cwd=tempfile.gettempdir(),
        )  # fmt: skip

    def environment(self) -> dict[str, str]:
        server = re.match(
            r"postgres://(?P<user>[^:]+):(?P<password>[^@]*)@(?P<host>[^:/]+):?(?P<port>\d*)", SERVER
        )
        assert server, SERVER
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO", "DATABASE", "REDIS"))}
        return {
            **env,
            "FIDES__DATABASE__SERVER": server["host"],
            "FIDES__DATABASE__PORT": server["port"] or "5432",
            "FIDES__DATABASE__USER": server["user"],
            "FIDES__DATABASE__PASSWORD": server["password"],
            "FIDES__DATABASE__DB": FIDES_DATABASE,
            "FIDES__REDIS__HOST": "127.0.0.1",
            "FIDES__REDIS__PORT": "6379",
            "FIDES__REDIS__DB_INDEX": str(FIDES_REDIS_DB),
            "FIDES__REDIS__PASSWORD": "",
            "FIDES__REDIS__ENABLED": "true",
            "FIDES__SECURITY__APP_ENCRYPTION_KEY": secrets.token_hex(16),
            "FIDES__SECURITY__OAUTH_ROOT_CLIENT_ID": "bench",
            "FIDES__SECURITY__OAUTH_ROOT_CLIENT_SECRET": secrets.token_hex(16),
            # Its default, said out loud: no identity verification, so its worker sends no email.
            "FIDES__EXECUTION__SUBJECT_IDENTITY_VERIFICATION_REQUIRED": "false",
            # Fides runs privacy requests in the web process unless told there is a worker.
            "FIDES__CELERY__TASK_ALWAYS_EAGER": "false",
            "FIDES__USER__ANALYTICS_OPT_OUT": "true",
            "FIDES__LOGGING__LEVEL": "WARNING",
        }

    def start(self) -> None:
        self.build()
        claim_redis(FIDES_REDIS_DB, "BENCH_FIDES_REDIS_DB")
        self.claimed = True
        self.url = recreate_database(FIDES_DATABASE)
        env = self.environment()
        # Fides reads its SaaS connector templates from ./data/saas/config, which its PyPI package does not ship
        # (they live in its repository): an empty folder, as no connector is used here.
        home = self.work / "fides"
        (home / "data" / "saas" / "config").mkdir(parents=True, exist_ok=True)
        self.web = start([str(self.bin / "fides"), "webserver", "--port", str(self.port)], self.work / "fides-web.log",
                         env, cwd=home)  # fmt: skip
        wait_until(self.healthy, self.web, self.work / "fides-web.log", 300)
        self.worker = start(
            [str(self.bin / "fides"), "worker"], self.work / "fides-worker.log", env, cwd=home
        )
        wait_until(lambda: len(children(self.worker)) > 0 if self.worker else False, self.worker,
                   self.work / "fides-worker.log", 120)  # fmt: skip
        time.sleep(5)  # the worker connects to its broker after forking

    def healthy(self) -> bool:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        conn.request("GET", "/health")
        ok = conn.getresponse().status == 200
        conn.close()
        return ok

    def stop(self) -> None:
        stop(self.worker)
        stop(self.web)
        if self.url:
            drop_database(FIDES_DATABASE)
        if self.claimed:
            flush_redis(FIDES_REDIS_DB)

    def statuses(self) -> dict[str, int]:
        return {
            str(s): int(n)
            for s, n in psql(self.url, "SELECT status, count(*) FROM privacyrequest GROUP BY 1")
        }

    def run(self) -> Result:
        def make(n: int) -> Request:
            body = [{"identity": {"email": f"fides{n}@example.org"}, "policy_key": "default_access_policy"}]
            return "/api/v1/privacy-request", json.dumps(body).encode(), {"Content-Type": "application/json"}

        def ok(response: http.client.HTTPResponse) -> bool:
            return response.status == 200

        result = closed_loop("fides", self.port, make, ok)

        def done() -> bool:
            waiting = {s: n for s, n in self.statuses().items() if s not in ("complete", "error")}
            return not waiting

        result.drain = drain(done)
        statuses = self.statuses()
        result.note = ", ".join(f"{n:,} {s}" for s, n in sorted(statuses.items()))
        if sum(statuses.values()) != len(result.latencies) - len(result.failures):
            result.failures.append(
                f"{sum(statuses.values())} privacy requests for {len(result.latencies)} answered"
            )
        return result


def flush_redis(db: int) -> None:
    """FLUSHDB on one of this benchmark's own Redis databases (never FLUSHALL)."""
    import redis

    assert db in (PORTAL_REDIS_DB, FIDES_REDIS_DB), "only this benchmark's own Redis databases"
    client = redis.Redis.from_url(f"redis://127.0.0.1:6379/{db}")
    client.flushdb()
    client.close()


def claim_redis(db: int, variable: str) -> None:
    """Refuse a Redis database that holds keys: someone else's (tests clearing their cache there deleted this
    benchmark's rate-limit counters mid-run, answering 429), which flushing would destroy."""
    import redis

    client = redis.Redis.from_url(f"redis://127.0.0.1:6379/{db}")
    keys = int(client.dbsize())
    client.close()
    if keys:
        raise SystemExit(
            f"bench_vs_fides: Redis database {db} holds {keys} keys: someone uses it; set {variable}"
        )


# --- The run ----------------------------------------------------------------------------------------------------


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix=f"{DATABASE}-"))
    results: dict[str, Result] = {}
    fides_error = ""
    if "fides" in TARGETS:
        fides = Fides(work, free_port())
        try:
            fides.start()
            print("bench_vs_fides: fides up; measuring", flush=True)
            results["fides"] = fides.run()
            print(f"bench_vs_fides: fides {results['fides'].summary()} ({results['fides'].note})", flush=True)
        except Exception as error:  # (the portal's targets still run; the row says why)
            fides_error = f"{type(error).__name__}: {str(error)[-1500:]}"
            print(f"bench_vs_fides: Fides could not run: {fides_error}", flush=True)
        finally:
            fides.stop()
    portal_targets = [t for t in TARGETS if t in ("api", "form", "bare")]
    if portal_targets:
        run_portal_targets(work, portal_targets, results)
    shutil.rmtree(work, ignore_errors=True)
    finish(rows(results, fides_error))


def run_portal_targets(work: Path, targets: list[str], results: dict[str, Result]) -> None:
    claim_redis(PORTAL_REDIS_DB, "BENCH_VS_REDIS_DB")
    url = recreate_database(DATABASE)
    sink_port = free_port()
    env = portal_environment(work, url, sink_port)
    portal = Portal(url, work, free_port(), sink_port, env)
    try:
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=PORTAL_ROOT, env=env, check=True
        )
        subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=PORTAL_ROOT, env=env, check=True)  # fmt: skip
        import psycopg2

        conn = psycopg2.connect(url)
        with conn, conn.cursor() as cursor:
            cursor.execute(
                f"CREATE TABLE {BARE_TABLE} (id bigserial PRIMARY KEY, email varchar(254) NOT NULL,"
                " created_at timestamptz NOT NULL)"
            )
        conn.close()
        # More sessions than the fastest form could use in DURATION at CONCURRENCY (one per POST).
        sessions = seed_sessions(env, int(DURATION * 1000)) if "form" in targets else []
        portal.start()
        token = csrf(portal.port)
        for target in targets:
            results[target] = run_portal(portal, target, sessions, token)
            print(
                f"bench_vs_fides: {target} {results[target].summary()} ({results[target].note})\n"
                f"bench_vs_fides: {target} {results[target].cpu}",
                flush=True,
            )
    finally:
        portal.stop()
        drop_database(DATABASE)
        flush_redis(PORTAL_REDIS_DB)


def rows(results: dict[str, Result], fides_error: str) -> list[Row]:
    fides = results.get("fides")
    if fides is not None and fides.latencies:
        peer = {"rate": fides.rate, "p99": fides.percentile(99)}
        peer_says = f"Fides {FIDES_VERSION} on this run: {fides.summary()} ({fides.note})"
    else:
        peer = {"rate": FIDES_ISSUE_24["rate"], "p99": FIDES_ISSUE_24["p99"]}
        peer_says = (
            "Fides not run" + (f" ({fides_error[:300]})" if fides_error else "")
            + f"; compared with issue 24's Fides {FIDES_VERSION} numbers of 3 Dec 2026: 19.1 req/s, p99 729 ms"
        )  # fmt: skip
    out: list[Row] = []
    bare = results.get("bare")
    for target, label in (
        ("api", "public API POST /api/v1/public/requests/"),
        ("form", "access form's Send request (CSRF, session)"),
    ):
        result = results.get(target)
        if result is None:
            continue
        ratio = result.rate / peer["rate"] if peer["rate"] else 0.0
        checks = [
            ratio >= 10,
            result.percentile(99) <= peer["p99"] / 5,
            result.drain is not None and result.drain <= 10,
        ]
        measured = f"{result.summary()}; {ratio:.1f}× Fides' throughput; {result.note}"
        if target == "form" and bare is not None and bare.rate:
            measured += (
                f"; bare view {bare.summary()} ({bare.note}), form at {bare.rate / result.rate:.2f}× of it"
            )
            checks.append(bare.rate / result.rate <= 3 and not bare.failures)
        out.append(
            Row(
                benchmark="bench_vs_fides.py",
                measure=f"{label}, compose deployment (gunicorn 3 workers, Celery concurrency 2 sending every "
                f"email to an SMTP sink), closed loop at concurrency {CONCURRENCY} for {DURATION:.0f} s; {peer_says}",
                budget="≥ 10× Fides' req/s, p99 ≤ Fides' / 5, backlog drained ≤ 10 s"
                + ("; ≤ 3× the bare view" if target == "form" else ""),
                measured=measured,
                ok=all(checks) and not result.failures,
            )
        )
    return out


if __name__ == "__main__":
    if sys.argv[1:2] == ["--smtp-sink"]:
        smtp_sink(int(sys.argv[2]))
    else:
        main()
