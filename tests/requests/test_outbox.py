"""The outbox: a task promised by a change survives a lost message or a broker that is down, and runs once."""

from __future__ import annotations

import os
import socket
import subprocess
import uuid
from datetime import UTC, datetime, timedelta
from io import StringIO
from typing import Any
from unittest import mock

import pytest
import time_machine
from django.core import mail
from django.core.management import CommandError, call_command
from django.test import Client
from kombu.exceptions import OperationalError

from identity.tasks import send_verification_email
from privacyportal import outbox
from privacyportal.models import QueuedTask
from requests import services, sweeps
from requests.models import Notice, PrivacyRequest
from tests.factories import make_case, signed_in
from tests.intake import send

pytestmark = pytest.mark.django_db

NOON = datetime(2025, 3, 3, 12, tzinfo=UTC)  # a case received 8 Feb 2025 is due Mon 10 Mar: 7 days left


@pytest.fixture
def due_in_7_days(handler: Any, dpo: Any, django_capture_on_commit_callbacks: Any) -> PrivacyRequest:
    received = datetime(2025, 2, 8, 9, tzinfo=UTC)
    with time_machine.travel(received, tick=False), django_capture_on_commit_callbacks(execute=True):
        case = services.confirm_email(make_case(kind="rectification"))
        services.assign(case, to=handler, by=dpo)  # "you were assigned": sent and delivered
    assert not QueuedTask.objects.filter(delivered_at__isnull=True).exists()  # its emails so far: delivered
    mail.outbox.clear()
    return case


def reminders() -> list[QueuedTask]:
    rows = QueuedTask.objects.filter(name="requests.tasks.send_staff_notice").order_by("pk")
    return [row for row in rows if row.args[1] != "assigned"]


def reminder_emails() -> list[QueuedTask]:
    """The rows that send a reminder's emails, one per recipient (the reminder's own row promises them)."""
    rows = QueuedTask.objects.filter(name="requests.tasks.send_staff_notice_to").order_by("pk")
    return [row for row in rows if row.args[1] != "assigned"]


def lost(row: QueuedTask) -> bool:
    """A publish whose message the broker then lost (flushed, restarted before it was consumed)."""
    return True


def run(moment: datetime, *names: str, capture: Any) -> None:
    with time_machine.travel(moment, tick=False), capture(execute=True):
        for name in names:
            getattr(sweeps, name)()


def test_a_reminder_whose_message_was_lost_is_sent_by_a_later_sweep_once(
    due_in_7_days: PrivacyRequest, django_capture_on_commit_callbacks: Any
) -> None:
    case = due_in_7_days
    with mock.patch.object(outbox, "publish", lost):
        run(NOON, "due_reminders", capture=django_capture_on_commit_callbacks)
    # Claimed (so no sweep sends it afresh), promised, not sent.
    assert Notice.objects.filter(privacy_request=case, kind="due_7").exists()
    (row,) = reminders()
    assert (row.name, row.args, row.delivered_at) == (
        "requests.tasks.send_staff_notice",
        [case.pk, "due_7"],
        None,
    )
    assert mail.outbox == []

    # Too soon to call it lost: a queue may simply be busy.
    run(
        NOON + timedelta(minutes=10), "due_reminders", "redeliver", capture=django_capture_on_commit_callbacks
    )
    assert mail.outbox == []

    run(
        NOON + timedelta(minutes=16), "due_reminders", "redeliver", capture=django_capture_on_commit_callbacks
    )
    assert [m.subject for m in mail.outbox] == [f"{case.reference} is due in 7 days (Mon 10 Mar 2025)"]
    row.refresh_from_db()
    assert row.delivered_at is not None and row.publishes == 2

    # Every sweep again, later: nothing more.
    for minutes in (40, 90, 24 * 60):
        run(
            NOON + timedelta(minutes=minutes),
            "due_reminders",
            "redeliver",
            capture=django_capture_on_commit_callbacks,
        )
    assert len(mail.outbox) == 1
    templates = list(case.events.filter(verb="email_sent").values_list("data__template", flat=True))
    assert templates.count("staff-due-reminder") == 1


def test_a_message_that_arrives_twice_sends_once(
    due_in_7_days: PrivacyRequest, django_capture_on_commit_callbacks: Any
) -> None:
    run(NOON, "due_reminders", capture=django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 1
    (row,) = reminders()
    assert row.delivered_at is not None
    outbox.publish(row)  # a late duplicate: a redelivery racing the original, a broker's own redelivery
    assert len(mail.outbox) == 1


def test_a_task_that_fails_stays_undelivered_and_is_tried_again(
    due_in_7_days: PrivacyRequest, django_capture_on_commit_callbacks: Any
) -> None:
    broken = mock.patch("requests.services.notify.make_message", side_effect=RuntimeError("template broken"))
    with broken, pytest.raises(RuntimeError):
        run(NOON, "due_reminders", capture=django_capture_on_commit_callbacks)
    (row,) = reminder_emails()
    assert row.delivered_at is None and row.started_at is None
    run(NOON + timedelta(minutes=16), "redeliver", capture=django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 1


def test_redelivery_gives_up_after_six_hours_says_so_once_and_forgets_old_rows(
    due_in_7_days: PrivacyRequest, django_capture_on_commit_callbacks: Any, caplog: Any
) -> None:
    with mock.patch.object(outbox, "publish", lost):
        run(NOON, "due_reminders", capture=django_capture_on_commit_callbacks)
        for n in range(1, 40):
            run(NOON + n * timedelta(minutes=16), "redeliver", capture=django_capture_on_commit_callbacks)
    (row,) = reminders()
    assert row.publishes == outbox.MAX_PUBLISHES + 1 and row.delivered_at is None  # given up
    given_up = [r for r in caplog.records if "never delivered" in r.getMessage()]
    assert len(given_up) == 1 and given_up[0].levelname == "ERROR"
    assert given_up[0].args == ("requests.tasks.send_staff_notice", row.pk, outbox.MAX_PUBLISHES)  # ids only
    # The delivered ones and the abandoned one go after 30 days.
    run(NOON + timedelta(days=31), "redeliver", capture=django_capture_on_commit_callbacks)
    assert not QueuedTask.objects.exists()


def test_two_copies_at_once_send_once(
    due_in_7_days: PrivacyRequest, django_capture_on_commit_callbacks: Any
) -> None:
    """A redelivery racing the original: the second copy starts while the first is still sending."""
    from requests.services import notify

    real = notify.make_message  # type: ignore[attr-defined]
    copies: list[int] = []

    def racing(*args: Any, **kwargs: Any) -> Any:
        if not copies:
            copies.append(1)
            (row,) = reminders()
            outbox.publish(row)  # the other copy runs now, in the middle of this one
        return real(*args, **kwargs)

    with mock.patch.object(notify, "make_message", racing):
        run(NOON, "due_reminders", capture=django_capture_on_commit_callbacks)
    assert copies == [1] and len(mail.outbox) == 1
    (row,) = reminders()
    assert row.delivered_at is not None


def test_a_copy_whose_runner_died_on_this_host_takes_over_at_once(
    due_in_7_days: PrivacyRequest, django_capture_on_commit_callbacks: Any
) -> None:
    with mock.patch.object(outbox, "publish", lost):
        run(NOON, "due_reminders", capture=django_capture_on_commit_callbacks)
    (row,) = reminders()
    dead = subprocess.Popen(["true"])
    dead.wait()  # a pid that no longer runs: the worker child killed mid-task
    QueuedTask.objects.filter(pk=row.pk).update(
        started_at=NOON, started_by=f"{socket.gethostname()}:{dead.pid}:0a1b2c3d"
    )
    with (
        time_machine.travel(NOON + timedelta(seconds=5), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        outbox.publish(row)  # the broker's own redelivery of the lost child's message
    assert len(mail.outbox) == 1
    # A runner still alive (this process) or on another host keeps the row until its lease runs out.
    other = QueuedTask.objects.create(
        task_id=uuid.uuid4(), name=row.name, args=row.args, started_at=NOON,
        started_by=f"{socket.gethostname()}:{os.getpid()}:0a1b2c3d",
    )  # fmt: skip
    with (
        time_machine.travel(NOON + timedelta(seconds=5), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        outbox.publish(other)
    assert len(mail.outbox) == 1
    with (
        time_machine.travel(NOON + timedelta(minutes=3), tick=False),  # past the email task's lease
        django_capture_on_commit_callbacks(execute=True),
    ):
        outbox.publish(other)
    assert len(mail.outbox) == 2


def test_a_request_sent_while_the_broker_is_down_is_kept_and_its_email_follows(
    client: Client, caplog: Any, django_capture_on_commit_callbacks: Any
) -> None:
    form = {"requester_name": "Ada Lovelace", "requester_email": "ada@example.org", "relationship": "self",
            "country": "DE", "language": "en", "phone": "+49 30 1234567", "account_reference": "C-1001"}  # fmt: skip
    down = OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
    broker_down = mock.patch("celery.app.task.Task.apply_async", side_effect=down)
    with broker_down, django_capture_on_commit_callbacks(execute=True):
        response = send(client, "erasure", form)
    # The requester sees their request taken; nothing was lost and no address reached the log.
    assert response.status_code == 302 and response["Location"] == "/requests/submitted/"
    case = PrivacyRequest.objects.get()
    assert "broker unavailable" in caplog.text and "ada@example.org" not in caplog.text
    assert mail.outbox == []
    later = datetime.now(UTC) + timedelta(minutes=16)
    run(later, "redeliver", capture=django_capture_on_commit_callbacks)
    (message,) = mail.outbox
    assert message.to == ["ada@example.org"] and case.reference in message.body


def test_the_operator_sees_what_is_undelivered_in_the_admin_and_nobody_else_does(
    due_in_7_days: PrivacyRequest, django_capture_on_commit_callbacks: Any, dpo: Any, handler: Any
) -> None:
    with mock.patch.object(outbox, "publish", lost):
        run(NOON, "due_reminders", capture=django_capture_on_commit_callbacks)
    dpo.is_superuser = True
    dpo.save()
    admin = signed_in(dpo, "DPO")
    page = admin.get("/admin/privacyportal/queuedtask/?delivered=no")
    assert page.status_code == 200
    text = page.content.decode()
    assert "requests.tasks.send_staff_notice" in text and "due_7" in text
    assert "0 outbox tasks" not in text and "assigned" not in text  # delivered rows are filtered out
    assert due_in_7_days.requester_email not in text  # ids only
    # The backlog at the top, and what its numbers mean; promised on 3 March 2025: long past any redelivery.
    backlog = text[
        text.index('<div class="outbox-backlog') : text.index("</div>", text.index("outbox-backlog"))
    ]
    assert "outbox-stale" in backlog and "Waiting to be delivered:</strong> 1;" in backlog, backlog
    assert "published again 15 to 20 minutes after" in backlog and "longer than 25 minutes" in backlog
    assert admin.get("/admin/privacyportal/queuedtask/add/").status_code == 403
    assert signed_in(handler, "Handler").get("/admin/privacyportal/queuedtask/").status_code == 403


def test_every_task_a_service_names_is_a_registered_outbox_task() -> None:
    from celery import current_app

    from privacyportal.outbox import OutboxTask

    current_app.loader.import_default_modules()
    names = [value for key, value in vars(services).items() if key.startswith(("SEND_", "BUILD_"))]
    assert len(names) == 9
    for name in names:
        assert isinstance(current_app.tasks[name], OutboxTask), name


def test_a_task_promised_on_a_queue_no_worker_listens_to_is_refused_with_its_change() -> None:
    with pytest.raises(ValueError, match="'letters' is not one of the queues"):
        outbox.enqueue(services.BUILD_PACKET, 1, 1, queue="letters")
    assert not QueuedTask.objects.exists()


def test_a_task_sent_with_send_now_inside_an_outbox_task_is_no_part_of_its_row() -> None:
    """Run eagerly inside an outbox task, it took that row's context: its email was numbered as the row's and
    skipped as already sent by an earlier copy of the row."""
    case = make_case()
    outer = outbox.Running(pk=0, task_id=uuid.uuid4(), emails_sent=3)  # a copy run again after a kill
    token = outbox._running.set(outer)
    try:
        mail.outbox.clear()
        assert outbox.send_now(send_verification_email, case.pk)
        assert outbox.running() is outer  # given back afterwards
    finally:
        outbox._running.reset(token)
    assert len(mail.outbox) == 1
    assert str(outer.task_id) not in mail.outbox[0].extra_headers["Message-ID"]
    assert outer.emails_built == 0


def test_after_a_restore_tasks_the_mail_log_shows_sent_are_settled_and_never_sent(monkeypatch: Any) -> None:
    case = make_case()
    monkeypatch.setattr(outbox, "publish", lambda row: False)  # owed at the backup: never delivered
    sent_after_backup = outbox.enqueue("requests.tasks.send_requester_email", case.pk, "request-received", 0)
    owed = outbox.enqueue("requests.tasks.send_requester_email", case.pk, "request-received", 0)
    monkeypatch.undo()

    with pytest.raises(CommandError, match="not an undelivered outbox task"):
        call_command("outbox_delivered", str(sent_after_backup.task_id), str(uuid.uuid4()))
    sent_after_backup.refresh_from_db()
    assert sent_after_backup.delivered_at is None  # one wrong id: nothing marked
    with pytest.raises(CommandError, match="Not a task id"):
        call_command("outbox_delivered", "PR-2026-000001")

    out = StringIO()
    call_command("outbox_delivered", str(sent_after_backup.task_id), stdout=out)
    assert "Marked 1 outbox tasks delivered" in out.getvalue()
    published: list[uuid.UUID] = []

    def publish(row: QueuedTask) -> bool:
        published.append(row.task_id)
        return True

    monkeypatch.setattr(outbox, "publish", publish)
    sweeps.redeliver(datetime.now(UTC) + timedelta(hours=1))
    # The settled task is not sent again; the owed one is (make_case's own rows are owed too in this test).
    assert owed.task_id in published and sent_after_backup.task_id not in published
