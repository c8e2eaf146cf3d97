"""Workers killed while sending verification emails (issue 24): nobody is left without an email, nobody gets two
different codes, and a copy is the same message. The 300-email version is bench/bench_kills.py."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.brokers import PrivateBroker
from tests.kill_run import kill_run
from tests.workers import database_url


@pytest.mark.django_db(transaction=True)
@pytest.mark.real_clock
def test_killed_workers_send_every_person_one_code_that_works(tmp_path: Path, broker: PrivateBroker) -> None:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "privacyportal.test_settings",
        "DATABASE_URL": database_url(),
        "VAR_DIR": str(tmp_path / "var"),
        "BROKER_URL": broker.url,
    }
    try:
        report = kill_run(tmp_path, env, emails=40, child_kills=3, window_kills=2, worker_kills=1, timeout=50)
    finally:
        broker.lose_everything()  # the dead worker's unacked messages: nothing of this test's for a later worker
    summary = "\n".join(report.lines())
    assert (report.child_kills, report.window_kills, report.worker_kills) == (3, 2, 1), summary
    assert report.without_email == 0, summary
    assert report.different_codes == 0 and report.different_message_ids == 0, summary
    assert report.codes_refused == 0, summary
    # Killed after the mail server took an email, before the row knew: sent again, the same message and code.
    assert report.copies >= report.window_kills, summary
    assert report.received == report.emails + report.copies, summary
