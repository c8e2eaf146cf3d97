"""Workers killed while they send verification emails (issue 24), as a person waiting for their code sees it.

A real prefork worker (concurrency 2) on a real Redis broker sends one verification email per new case to a
local SMTP server (tests/fakes/smtp_sink.py). Meanwhile its pool children are killed with SIGKILL (the parent
gives their messages back at once): at random moments, and (`window_kills`) at the worst one, the moment the
mail server accepted an email and before the row could be marked; and the whole worker is killed and started
again (its messages stay in
Redis's unacked set for the visibility timeout, an hour): the outbox's `redeliver` sweep, run with its clock
moved past REDELIVER_AFTER, publishes whatever is still undelivered, until everything is.

Then, per person: how many emails came, how many were copies (the same Message-ID), whether any two carried
different codes, and whether the code they hold still confirms their address. Used by
tests/test_kills.py (40 emails) and bench/bench_kills.py (300).
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import os
import random
import re
import signal
import subprocess
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.utils import timezone

from identity.services import ChallengeFailed, check_code
from privacyportal import outbox
from privacyportal.models import QueuedTask
from requests.models import PrivacyRequest
from tests.factories import make_case
from tests.fakes.smtp_sink import SmtpSink
from tests.workers import start_worker, stop_worker, wait_until_ready

VERIFY = "identity.tasks.send_verification_email"
CODE = re.compile(r"^\s+(\d{6})\s*$", re.MULTILINE)
LOST = re.compile(r"WorkerLostError\('Worker exited prematurely: signal 9 \(SIGKILL\) Job: (\d+)")


@dataclass
class KillReport:
    emails: int  # outbox rows, one verification email each
    received: int  # messages the SMTP server accepted
    to_others: int  # of them, to no one of the run's people (seen once in CI, not yet explained)
    others: list[str]  # who those were, the subject and Message-ID (test addresses: no one real)
    copies: int  # received beyond the first of each Message-ID
    people_with_copies: int
    different_message_ids: int  # people sent two emails with different Message-IDs (a new email, not a copy)
    different_codes: int  # people who received two different codes: must be 0
    without_email: int  # people who received nothing: must be 0
    codes_refused: int  # people whose code (any email's) does not confirm their address: must be 0
    child_kills: int
    window_kills: int
    tasks_lost: int  # killed children that were running a task (WorkerLostError in the worker's log)
    worker_kills: int
    redeliver_rounds: int
    seconds: float

    def lines(self) -> list[str]:
        return [f"{name}: {value}" for name, value in vars(self).items()]


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []


def _kill_whole(worker: subprocess.Popen[bytes], log: Any) -> None:
    """SIGKILL the worker and its pool at once, as the OOM killer or a lost machine would."""
    for pid in [*_children(worker.pid), worker.pid]:
        with contextlib.suppress(ProcessLookupError):  # gone by itself meanwhile
            os.kill(pid, signal.SIGKILL)
    worker.wait(timeout=30)
    log.close()


def _parts(raw: bytes) -> tuple[str, str, str]:
    """(recipient, Message-ID, code) of one verification email."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    body = message.get_body(preferencelist=("plain",))
    text = body.get_content() if body is not None else ""
    found = CODE.search(text)
    return str(message["To"]), str(message["Message-ID"]), found.group(1) if found else ""


def kill_run(
    work: Path,
    env: dict[str, str],
    *,
    emails: int,
    child_kills: int,
    worker_kills: int,
    window_kills: int = 0,
    smtp_delay: float = 0.01,
    seed: int = 24,
    timeout: float = 600,
) -> KillReport:
    """Send `emails` verification emails through a worker killed `child_kills` + `window_kills` + `worker_kills`
    times."""
    chance = random.Random(seed)
    started = time.monotonic()
    deadline = started + timeout
    current: list[subprocess.Popen[bytes]] = []
    in_window: list[int] = []
    # Every so many emails accepted, the pool dies before the "250" reaches the child that sent it.
    every = max(1, emails // (window_kills + 1))

    window_lock = threading.Lock()  # the sink accepts on several connections at once: one kill per turn

    def accepted(count: int) -> None:
        with window_lock:
            if len(in_window) < window_kills and count >= every * (len(in_window) + 1) and current:
                pool = _children(current[-1].pid)
                for pid in pool:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                if pool:  # none while the worker is being replaced: the next email accepted tries again
                    in_window.append(count)

    with SmtpSink(delay=smtp_delay, on_accept=accepted) as sink:
        env = {**env, "EMAIL_URL": sink.url}
        generation = 0

        def start() -> tuple[subprocess.Popen[bytes], Any]:
            folder = work / f"worker-{generation}"
            folder.mkdir(parents=True, exist_ok=True)
            worker, log = start_worker(folder, env, pool="prefork", concurrency=2)
            wait_until_ready(worker, folder)
            current.append(worker)
            return worker, log

        cases = [
            make_case(requester_name=f"Person {n}", requester_email=f"person{n}@example.org")
            for n in range(emails)
        ]  # each commits and publishes its verification email: queued, so the kills below find the pool busy
        worker, log = start()
        undelivered = QueuedTask.objects.filter(name=VERIFY, delivered_at__isnull=True)
        # The whole worker dies when a third (and two thirds) of the emails have been received.
        restarts = [emails * (k + 1) // (worker_kills + 1) for k in range(worker_kills)]
        kills = worker_killed = rounds = 0
        quiet_since, last = time.monotonic(), -1
        try:
            while (left := undelivered.count()) > 0:
                assert time.monotonic() < deadline, f"{left} emails still undelivered after {timeout} s"
                if worker_killed < worker_kills and len(sink.messages()) >= restarts[worker_killed]:
                    _kill_whole(worker, log)
                    worker_killed += 1
                    generation += 1
                    worker, log = start()
                    continue
                if kills < child_kills:
                    time.sleep(chance.uniform(0.05, 0.4))
                    pool = _children(worker.pid)
                    if pool:
                        with contextlib.suppress(ProcessLookupError):
                            os.kill(chance.choice(pool), signal.SIGKILL)
                        kills += 1
                    continue
                time.sleep(0.25)
                if left != last:
                    quiet_since, last = time.monotonic(), left
                elif time.monotonic() - quiet_since > 3:
                    # Stuck: what a dead worker held. The sweep as beat would run it 21 minutes on, and later.
                    rounds += 1
                    outbox.redeliver(
                        now=timezone.now() + rounds * (outbox.RUNNING_FOR + timedelta(minutes=1))
                    )
                    quiet_since = time.monotonic()
            time.sleep(
                1
            )  # a copy still running when the last row was marked: let it finish (it sends nothing)
        finally:
            stop_worker(worker, log)
        received = sink.messages()
    # A lost task is logged with its traceback, which names it again: counted once by its job number, per worker.
    lost = sum(len(set(LOST.findall(path.read_text()))) for path in sorted(work.glob("worker-*/worker.log")))

    by_person: dict[str, list[tuple[str, str]]] = defaultdict(list)
    subjects: dict[str, str] = {}
    for raw in received:
        to, message_id, code = _parts(raw)
        by_person[to].append((message_id, code))
        subjects[to] = (
            f"{email.message_from_bytes(raw, policy=email.policy.default)['Subject']!r} {message_id}"
        )
    run_people = {c.requester_email for c in cases}
    copies = people_with_copies = different_ids = different_codes = refused = without = 0
    for case in cases:
        got = by_person.get(case.requester_email, [])
        ids = {message_id for message_id, _ in got}
        codes = {code for _, code in got}
        copies += len(got) - len(ids)
        people_with_copies += len(got) > len(ids)
        different_ids += len(ids) > 1
        different_codes += len(codes) > 1
        without += not got
        for code in codes:  # every code the person holds: any of them would be typed
            try:
                check_code(PrivacyRequest.objects.get(pk=case.pk), code)
            except ChallengeFailed:
                refused += 1
                break
    return KillReport(
        emails=emails,
        received=len(received),
        to_others=sum(len(got) for to, got in by_person.items() if to not in run_people),
        others=sorted(f"{to}: {subjects[to]}" for to in by_person if to not in run_people),
        copies=copies,
        people_with_copies=people_with_copies,
        different_message_ids=different_ids,
        different_codes=different_codes,
        without_email=without,
        codes_refused=refused,
        child_kills=kills,
        window_kills=len(in_window),
        tasks_lost=lost,
        worker_kills=worker_killed,
        redeliver_rounds=rounds,
        seconds=round(time.monotonic() - started, 1),
    )
