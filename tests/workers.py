"""Real Celery worker processes for tests: the test database's URL, a worker on a queue, waiting for its mail."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from django.db import connection

ROOT = Path(__file__).resolve().parents[1]


def database_url() -> str:
    """The test database, as a worker in another process must be told it."""
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    return f"sqlite:///{db['NAME']}"


def start_worker(
    tmp_path: Path, env: dict[str, str], queue: str = "default", pool: str = "solo"
) -> tuple[subprocess.Popen[bytes], Any]:
    log = (tmp_path / "worker.log").open("w")
    options = ["--pool", pool] + (["--concurrency", "1"] if pool == "prefork" else [])
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "privacyportal", "worker", "-l", "info", "-Q", queue, *options,
         "--without-gossip", "--without-mingle", "-n", f"test-{uuid.uuid4().hex[:8]}@%h"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    return worker, log


def stop_worker(worker: subprocess.Popen[bytes], log: Any) -> None:
    worker.terminate()
    try:
        worker.wait(timeout=30)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait(timeout=10)
    log.close()


def wait_for_mail(worker: subprocess.Popen[bytes], mail_dir: Path, tmp_path: Path, count: int = 1) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (mail_dir.exists() and len(list(mail_dir.iterdir())) >= count):
        assert worker.poll() is None, (tmp_path / "worker.log").read_text()
        time.sleep(0.25)
