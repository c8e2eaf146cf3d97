"""Real Celery worker processes for tests: the test database's URL, a worker on a queue, waiting for its mail."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from django.db import connection

from tests import clock

ROOT = Path(__file__).resolve().parents[1]


def database_url() -> str:
    """The test database, as a worker in another process must be told it."""
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    return f"sqlite:///{db['NAME']}"


def start_worker(
    tmp_path: Path, env: dict[str, str], queue: str = "default", pool: str = "solo", concurrency: int = 1
) -> tuple[subprocess.Popen[bytes], Any]:
    clock.require_real_clock("a worker process")
    log = (tmp_path / "worker.log").open("w")
    options = ["--pool", pool] + (["--concurrency", str(concurrency)] if pool == "prefork" else [])
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "privacyportal", "worker", "-l", "info", "-Q", queue, *options,
         "--without-gossip", "--without-mingle", "-n", f"test-{uuid.uuid4().hex[:8]}@%h"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    return worker, log


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM (a worker's warm shutdown, gunicorn's graceful one), then SIGKILL after 30 s."""
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def stop_worker(worker: subprocess.Popen[bytes], log: Any) -> None:
    stop(worker)
    log.close()


# Django's file backend ends each message it wrote with a line of 79 dashes; a file without it is half written.
_MESSAGE_END = b"-" * 79 + b"\n"


def _written(mail_dir: Path) -> int:
    return (
        sum(path.read_bytes().endswith(_MESSAGE_END) for path in mail_dir.iterdir())
        if mail_dir.exists()
        else 0
    )


def wait_for_mail(worker: subprocess.Popen[bytes], mail_dir: Path, tmp_path: Path, count: int = 1) -> None:
    """Until `count` emails are written in full: the worker may still be writing the file it created."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and _written(mail_dir) < count:
        assert worker.poll() is None, (tmp_path / "worker.log").read_text()
        time.sleep(0.25)


def _alive(worker: subprocess.Popen[bytes], tmp_path: Path) -> None:
    assert worker.poll() is None, (tmp_path / "worker.log").read_text()


def wait_until_ready(worker: subprocess.Popen[bytes], tmp_path: Path) -> None:
    """Until the worker consumes its queue (Celery logs "... ready." once its consumer is up)."""
    deadline = time.monotonic() + 60
    while " ready." not in (tmp_path / "worker.log").read_text():
        _alive(worker, tmp_path)
        assert time.monotonic() < deadline, "the worker did not start in 60 s"
        time.sleep(0.1)


def wait_until_idle(
    worker: subprocess.Popen[bytes], tmp_path: Path, broker: Any, queue: str = "default"
) -> None:
    """Until nothing is queued for the worker and nothing it took is unfinished: what it was given is done.

    `broker` is a private broker (tests/brokers.py) that counts a queue's waiting and unacknowledged messages;
    tasks acknowledge late, so none unacknowledged means finished. Seen empty twice in a row, so a message
    moving from one to the other is not missed.
    """
    deadline = time.monotonic() + 60
    quiet = 0
    while quiet < 2:
        _alive(worker, tmp_path)
        assert time.monotonic() < deadline, "the worker did not become idle in 60 s"
        quiet = quiet + 1 if broker.counts(queue) == (0, 0) else 0
        time.sleep(0.1)


def reset_connections(app: Any) -> None:
    """Forget the app's pools so the next task goes to the broker now configured.

    Not closed: kombu keeps pools in a registry keyed by connection, and a closed one would be handed back
    to the next test that sends a task to the same broker ("Acquire on closed pool").
    """
    app._pool = None
    app.amqp._producer_pool = None
