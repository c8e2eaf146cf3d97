"""Tasks run by a real Celery worker process on the configured broker (Redis in CI)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.core import mail

from requests import services
from requests.tasks import verify_audit_chain
from tests.factories import make_case
from tests.requests.test_audit import tamper
from tests.workers import ROOT, database_url, start_worker, stop_worker, wait_for_mail


def broken_case() -> Any:
    case = services.withdraw(make_case())
    tamper(
        "UPDATE requests_requestevent SET verb = %s WHERE id = %s", ["honoured", case.events.get(seq=2).pk]
    )
    return case


@pytest.mark.django_db
def test_nightly_check_emails_the_dpos_about_a_break_without_personal_data(dpo: Any) -> None:
    dpo.is_superuser = True
    dpo.save()
    case = broken_case()
    assert verify_audit_chain() == 1
    (message,) = mail.outbox
    assert message.subject == "Audit trail broken in 1 place"
    assert sorted(message.to) == ["dpo@example.com"]
    assert f"{case.reference}: event" in message.body and "#2" in message.body
    assert case.requester_email not in message.body and case.requester_name not in message.body


@pytest.mark.django_db
def test_nightly_check_under_wrong_audit_keys_says_so_not_that_rows_were_changed(
    dpo: Any, settings: Any
) -> None:
    dpo.is_superuser = True
    dpo.save()
    services.withdraw(make_case())
    settings.AUDIT_KEYS = ["a-key-this-trail-was-never-written-with-000000"]
    assert verify_audit_chain() == 1
    (message,) = mail.outbox
    assert (
        message.subject
        == "Audit trail cannot be verified: AUDIT_KEYS do not match, or the trail was rewritten"
    )
    assert "AUDIT_KEYS does not match the keys these events were written with" in message.body
    assert "changed the database" not in message.body and "altered" not in message.body
    # Rewriting every signed row without the keys reads the same: the way back is said too.
    assert (
        "every signed row was rewritten" in message.body and "restore the trail from a backup" in message.body
    )


@pytest.mark.django_db
def test_nightly_check_is_silent_when_the_chain_is_intact() -> None:
    services.withdraw(make_case())
    assert verify_audit_chain() == 0
    assert mail.outbox == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.real_clock
def test_the_embedded_filesystem_broker_carries_a_task_to_a_worker(tmp_path: Path) -> None:
    """What `make run` relies on with no servers: kombu's filesystem:// broker under VAR_DIR."""
    case = broken_case()
    mail_dir = tmp_path / "mail"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "privacyportal.test_settings",
        "DATABASE_URL": database_url(),
        "EMAIL_URL": f"filemail://{mail_dir}",
        "REDIS_URL": "",
        "VAR_DIR": str(tmp_path / "var"),
    }
    worker, log = start_worker(tmp_path, env)
    try:
        subprocess.run(
            [sys.executable, "-c", "import django; django.setup(); "
             "from requests.tasks import verify_audit_chain; verify_audit_chain.delay()"],
            cwd=ROOT, env=env, check=True, timeout=60,
        )  # fmt: skip
        wait_for_mail(worker, mail_dir, tmp_path)
    finally:
        stop_worker(worker, log)
    assert "filesystem://" in (tmp_path / "worker.log").read_text()  # the worker's banner names its broker
    files = list(mail_dir.iterdir()) if mail_dir.exists() else []
    assert len(files) == 1, (tmp_path / "worker.log").read_text()
    assert case.reference in files[0].read_text()


@pytest.mark.django_db(transaction=True)
@pytest.mark.real_clock
def test_a_real_worker_consumes_the_broker_and_runs_the_check(tmp_path: Path) -> None:
    case = broken_case()
    from privacyportal.celery import app

    app.conf.task_always_eager = False  # this test is about the real thing
    mail_dir = tmp_path / "mail"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "privacyportal.test_settings",
        "DATABASE_URL": database_url(),
        "EMAIL_URL": f"filemail://{mail_dir}",
    }
    # A queue of its own: whatever an earlier run left on the shared broker cannot land in this test.
    queue = f"test-{uuid.uuid4().hex[:8]}"
    worker, log = start_worker(tmp_path, env, queue)
    try:
        verify_audit_chain.apply_async(queue=queue)
        wait_for_mail(worker, mail_dir, tmp_path)
    finally:
        stop_worker(worker, log)
    files = list(mail_dir.iterdir()) if mail_dir.exists() else []
    assert len(files) == 1, (tmp_path / "worker.log").read_text()
    text = files[0].read_text()
    assert "Subject: Audit trail broken in 1 place" in text
    assert case.reference in text


@pytest.mark.django_db(transaction=True)
@pytest.mark.real_clock
def test_a_real_worker_builds_a_packet_the_case_page_can_follow(tmp_path: Path, dpo: Any) -> None:
    from identity.services import add_extract
    from privacyportal.celery import app
    from privacyportal.uploads import CheckedFile
    from requests.models import CompanySystem, Packet, PacketStatus
    from requests.tasks import build_packet

    app.conf.task_always_eager = False
    case = services.confirm_email(make_case(kind="access", data_points={"phone": "1", "postal_address": "2"}))
    services.assign(case, to=dpo, by=dpo)
    crm = CompanySystem.objects.create(name="CRM")
    services.record_system_check(case, by=dpo, system=crm, state="exported")
    add_extract(
        case,
        CheckedFile("contacts.csv", "text/csv", b"name,email\nAda,ada@example.org\n"),
        system=crm,
        by=dpo,
    )
    Packet.objects.create(privacy_request=case)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "privacyportal.test_settings",
        "DATABASE_URL": database_url(),
    }
    queue = f"test-pdf-{uuid.uuid4().hex[:8]}"
    worker, log = start_worker(tmp_path, env, queue)
    try:
        build_packet.apply_async((case.pk, 1), queue=queue)
        deadline = time.monotonic() + 120
        while (
            time.monotonic() < deadline
            and Packet.objects.get(privacy_request=case).status != PacketStatus.READY
        ):
            assert worker.poll() is None, (tmp_path / "worker.log").read_text()
            time.sleep(0.5)
    finally:
        stop_worker(worker, log)
    packet = Packet.objects.get(privacy_request=case)
    assert packet.status == PacketStatus.READY, (tmp_path / "worker.log").read_text()
    assert {f["name"] for f in packet.files} >= {
        "cover-letter.pdf",
        "report.pdf",
        "data.json",
        "csv/crm-contacts.csv",
    }
