"""What a chaos run found (issue 24), replayed with the real processes: gunicorn, a Celery worker, PostgreSQL and
a Redis of the test's own that is the broker and the cache at once, as in production; and a wrong ENCRYPTION_KEYS
list at their start."""

from __future__ import annotations

import email
import email.utils
import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet

from privacyportal.keycheck import Keys, check_keys
from privacyportal.models import KeyCheck, QueuedTask
from requests.models import PrivacyRequest
from tests.brokers import PrivateRedis
from tests.servers import Answer, Browser, server_env, start_gunicorn, wait_for_port
from tests.workers import ROOT, database_url, start_worker, stop, stop_worker, wait_until_ready

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.real_clock]

ACCESS = {"relationship": "self", "country": "DE", "period": "all", "requester_name": "Ada Lovelace",
          "language": "en"}  # fmt: skip
API_BODY = {"kind": "rectification", "requester_name": "Ada", "relationship": "self", "country": "GB",
            "language": "en", "period": "12_months", "rectification_current": "Old address",
            "rectification_wanted": "New address"}  # fmt: skip
# Seconds any answer may take while Redis is away. By design about 1 s at worst (a 0.25 s cache timeout twice, a
# 0.5 s broker timeout twice); the rest is room for a busy shared machine. Before, a frozen Redis held a POST for
# as long as it stayed frozen (5 s here); a GET once took 3.5 s on a machine running five test suites at once.
PROMPT = 4.0


def recipients(mail_dir: Path) -> list[str]:
    found = []
    for path in sorted(mail_dir.iterdir()) if mail_dir.exists() else []:
        for message in path.read_text().split(
            "\n" + "-" * 79 + "\n"
        ):  # filemail writes messages one after another
            if message.strip():
                found.append(email.utils.parseaddr(str(email.message_from_string(message.strip())["To"]))[1])
    return found


def redeliver_later(env: dict[str, str], minutes: int) -> int:
    """The outbox sweep as beat runs it, in a process of the deployment's, with its clock `minutes` ahead."""
    code = (
        "import django; django.setup(); from datetime import timedelta; from django.utils import timezone; "
        # No tasks module imported first: the sweep must load what it publishes (NotRegistered before).
        f"from privacyportal.outbox import redeliver; print(redeliver(timezone.now() + timedelta(minutes={minutes})))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "could not publish" not in done.stderr and "unavailable" not in done.stderr, done.stderr
    return int(done.stdout.strip().splitlines()[-1])


class Visitors(threading.Thread):
    """Requesters sending one after another, by the form and by the API, until told to stop."""

    def __init__(self, port: int) -> None:
        super().__init__(daemon=True)
        self.port = port
        self.stopping = threading.Event()
        self.answers: list[tuple[float, str, Answer]] = []  # (when, what, answer)
        self.acknowledged: list[str] = []  # the addresses of the requests answered as taken
        self.error: BaseException | None = None

    def run(self) -> None:
        n = 0
        try:
            while not self.stopping.is_set():
                n += 1
                address = f"form{n}@example.org"
                for what, answer in Browser(self.port).send("access", {**ACCESS, "requester_email": address}):
                    self.answers.append((time.monotonic(), what, answer))
                if answer.status == 302 and answer.location == "/requests/submitted/":
                    self.acknowledged.append(address)
                address = f"api{n}@example.org"
                answer = Browser(self.port).request(
                    "POST", "/api/v1/public/requests/", json.dumps({**API_BODY, "requester_email": address}),
                    {"Content-Type": "application/json"},
                )  # fmt: skip
                self.answers.append((time.monotonic(), "POST /api/v1/public/requests/", answer))
                if answer.status == 201:
                    self.acknowledged.append(address)
        except BaseException as error:  # reported by the test
            self.error = error


def test_requests_are_taken_promptly_while_redis_is_stopped_or_frozen_and_each_email_goes_out_once(
    tmp_path: Path,
) -> None:
    redis = PrivateRedis()
    redis.start()
    mail_dir = tmp_path / "mail"
    env = server_env(
        DATABASE_URL=database_url(), REDIS_URL=redis.url, EMAIL_URL=f"filemail://{mail_dir}",
        # Every visitor is 127.0.0.1: the limits are still counted in Redis, as in production, just not reached.
        RATELIMIT_SUBMIT="100000/h", RATELIMIT_STEPS="100000/h",
    )  # fmt: skip
    web, port = start_gunicorn(env, tmp_path / "gunicorn.log")
    worker, log = start_worker(tmp_path, env)  # running throughout, as in production
    try:
        wait_for_port(port, web, tmp_path / "gunicorn.log")
        wait_until_ready(worker, tmp_path)
        visitors = Visitors(port)
        visitors.start()
        outages = []
        time.sleep(2)
        started = time.monotonic()
        redis.stop()  # stopped: connections refused
        time.sleep(5)
        redis.start()
        outages.append((started, time.monotonic()))
        time.sleep(2)
        started = time.monotonic()
        with redis.frozen():  # frozen: connections accepted, nothing answered (before, every POST hung here)
            time.sleep(5)
        outages.append((started, time.monotonic()))
        time.sleep(2)
        visitors.stopping.set()
        visitors.join(timeout=60)
        assert visitors.error is None, repr(visitors.error)
        web_log = (tmp_path / "gunicorn.log").read_text()

        # Every answer prompt and a success, during the outages too.
        slow_or_failed = [(what, a.status, round(a.seconds, 2)) for _, what, a in visitors.answers
                          if a.status >= 400 or a.seconds >= PROMPT]  # fmt: skip
        assert not slow_or_failed, (
            slow_or_failed,
            [line for line in web_log.splitlines() if "WARN" in line or "ERROR" in line][-20:],
        )
        during = [what for at, what, _ in visitors.answers if any(a <= at <= b for a, b in outages)]
        assert {"POST /requests/new/access/check/", "POST /api/v1/public/requests/"} <= set(during)
        assert "broker unavailable" in web_log and "rate limit not applied" in web_log
        # Every request acknowledged is saved, once.
        saved = list(PrivacyRequest.objects.values_list("requester_email", flat=True))
        assert sorted(saved) == sorted(visitors.acknowledged)

        # Redis back: the worker (reconnected by itself) sends what reached the broker, the outbox sweep what did not.
        settle(worker, tmp_path, redis)
        assert QueuedTask.objects.filter(delivered_at__isnull=True).exists()  # publishes were lost meanwhile
        assert redeliver_later(env, minutes=20) > 0
        settle(worker, tmp_path, redis)
        assert redeliver_later(env, minutes=30) == 0
        settle(worker, tmp_path, redis)
    finally:
        stop(web)
        stop_worker(worker, log)
        redis.remove()
    assert not QueuedTask.objects.filter(delivered_at__isnull=True).exists()
    # One verification email per request acknowledged: none lost, none twice.
    assert sorted(recipients(mail_dir)) == sorted(visitors.acknowledged), (
        tmp_path / "worker.log"
    ).read_text()[-3000:]


def settle(worker: subprocess.Popen[bytes], tmp_path: Path, redis: PrivateRedis) -> None:
    """Until the worker has done what it can: nothing queued, nothing running, for a second.

    Unlike tests/workers.wait_until_idle, kombu's `unacked` hash may keep a message: one the worker took while Redis
    went away, so that its acknowledgement (or the task itself) was lost with the connection. Redis gives it back
    only after the visibility timeout (an hour); the outbox sweep publishes its task again long before, and a copy
    that finds its row delivered does nothing."""
    client = redis.client()
    deadline = time.monotonic() + 60
    seen: set[str] | None = None
    quiet = 0
    while quiet < 5:
        assert worker.poll() is None, (tmp_path / "worker.log").read_text()[-3000:]
        queued = sum(
            client.llen(key) for key in client.scan_iter(match="default*") if client.type(key) == b"list"
        )
        taken = {json.loads(value)[0]["headers"]["id"] for value in client.hvals("unacked")}
        running = QueuedTask.objects.filter(started_at__isnull=False, delivered_at__isnull=True).exists()
        assert time.monotonic() < deadline, (
            f"the worker did not settle in 60 s: {queued} queued, {len(taken)} taken, running: {running}\n"
            + (tmp_path / "worker.log").read_text()[-3000:]
        )
        quiet = quiet + 1 if queued == 0 and not running and taken == seen else 0
        seen = taken
        time.sleep(0.2)


def wait_for_exit(process: subprocess.Popen[bytes], log: Path) -> int:
    try:
        return process.wait(timeout=90)
    except subprocess.TimeoutExpired:
        stop(process)
        raise AssertionError(f"still running with a wrong key list:\n{log.read_text()[-3000:]}") from None


def test_web_and_worker_refuse_a_key_list_that_cannot_read_the_key_check_and_take_a_rotated_one(
    tmp_path: Path, settings: Any
) -> None:
    assert check_keys() is Keys.WRITTEN  # the first start, under the test run's keys
    right = list(settings.ENCRYPTION_KEYS)
    wrong, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    redis = PrivateRedis()
    redis.start()
    try:
        # Well-formed keys, just not the deployment's.
        env = server_env(DATABASE_URL=database_url(), REDIS_URL=redis.url, ENCRYPTION_KEYS=wrong)
        web, _port = start_gunicorn(env, tmp_path / "web.log")
        assert wait_for_exit(web, tmp_path / "web.log") != 0
        worker, log = start_worker(tmp_path, env)
        assert wait_for_exit(worker, tmp_path / "worker.log") != 0
        log.close()
        for name in ("web.log", "worker.log"):
            text = (tmp_path / name).read_text()
            assert "ENCRYPTION_KEYS is wrong: no key in it can decrypt the key check" in text, text[-3000:]
            assert wrong not in text and not any(key in text for key in right)
        assert not KeyCheck.objects.get().rotated_at  # a refused start changes nothing

        # Rotation: a new key first, the old ones after it.
        env["ENCRYPTION_KEYS"] = ",".join([new, *right])
        web, port = start_gunicorn(env, tmp_path / "web.log")
        worker, log = start_worker(tmp_path, env)
        try:
            wait_for_port(port, web, tmp_path / "web.log")
            health = Browser(port).request("GET", "/healthz")
            assert json.loads(health.body)["checks"]["keys"] == {"ok": True}, health.body
            wait_until_ready(worker, tmp_path)
        finally:
            stop(web)
            stop_worker(worker, log)
    finally:
        redis.remove()
    Fernet(new).decrypt(KeyCheck.objects.get().token.encode())  # the check moved under the new key
