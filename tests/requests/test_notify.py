"""Who is told: the assignee, or every DPO (and the DPO mailbox) while a case is unassigned; staff on the daily
digest hear of it there instead; an assignment reaches only the new assignee, in their language."""

from __future__ import annotations

import re
from datetime import UTC, timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.mail import EmailMultiAlternatives

from privacyportal import outbox
from privacyportal.models import QueuedTask
from requests import services, sweeps
from requests.models import Notice, SentEmail, StaffPreference
from requests.roles import ensure_roles
from requests.services import notify
from tests.factories import in_role, make_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(dpo: Any, settings: Any) -> Any:
    settings.PRIVACY_DPO_EMAIL = "privacy@example.org"  # the team's mailbox, not Dana's own address
    ensure_roles()
    in_role(dpo, "DPO")
    return services.confirm_email(make_case())


def told(case: Any, kind: str, capture: Any) -> list[tuple[str, str]]:
    """(address, language) of each email the notice sent, one outbox row per recipient."""
    mail.outbox.clear()
    with capture(execute=True):
        notify.notify_staff(case.pk, kind)
    found = []
    for message in mail.outbox:
        (address,) = message.to
        assert isinstance(message, EmailMultiAlternatives)
        (language,) = re.findall(r'<html lang="(\w+)"', str(message.alternatives[0][0]))
        found.append((address, language))
    return found


def test_an_unassigned_case_is_everyone_of_the_dpos(
    case: Any, dpo: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    assert told(case, "due_7", django_capture_on_commit_callbacks) == [
        (settings.PRIVACY_DPO_EMAIL, "en"),
        (dpo.email, "en"),
    ]


def test_a_dpo_on_the_daily_digest_hears_of_it_there_only(
    case: Any, dpo: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    StaffPreference.objects.create(user=dpo, daily_digest=True)
    assert told(case, "due_7", django_capture_on_commit_callbacks) == [(settings.PRIVACY_DPO_EMAIL, "en")]


def test_an_assigned_case_is_its_assignees_alone(
    case: Any, dpo: Any, handler: Any, django_capture_on_commit_callbacks: Any
) -> None:
    StaffPreference.objects.create(user=handler, language="ru")
    services.assign(case, to=handler, by=dpo)
    case.refresh_from_db()
    assert told(case, "due_7", django_capture_on_commit_callbacks) == [(handler.email, "ru")]
    assert told(case, "assigned", django_capture_on_commit_callbacks) == [(handler.email, "ru")]


def test_a_closed_case_reminds_nobody(case: Any, dpo: Any) -> None:
    services.withdraw(case, by=dpo)
    mail.outbox.clear()
    notify.notify_staff(case.pk, "due_7")
    assert not mail.outbox


def test_a_notice_run_again_after_a_kill_sends_only_to_whom_it_had_not(
    case: Any, dpo: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """Issue 24: a worker killed halfway through a notice to three people sent it again to all three."""
    second_dpo = in_role(get_user_model().objects.create_user("dpo2", "dpo2@example.org"), "DPO")
    with django_capture_on_commit_callbacks(execute=True):
        outbox.enqueue(services.SEND_STAFF_NOTICE, case.pk, "due_7")
    recipients = [settings.PRIVACY_DPO_EMAIL, dpo.email, second_dpo.email]
    assert [m.to for m in mail.outbox] == [[address] for address in recipients]
    first_ids = [m.extra_headers["Message-ID"] for m in mail.outbox]
    notice = QueuedTask.objects.get(name=services.SEND_STAFF_NOTICE)
    rows = QueuedTask.objects.filter(name="requests.tasks.send_staff_notice_to").order_by("pk")
    assert [row.args[2] for row in rows] == [None, dpo.pk, second_dpo.pk]  # ids, never addresses
    # Killed after the second email, before the third was accepted and before the notice was marked done.
    killed = [notice, rows[2]]
    QueuedTask.objects.filter(pk__in=[row.pk for row in killed]).update(
        delivered_at=None, started_at=None, started_by="", emails_sent=0
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        for row in killed:
            outbox.publish(row)  # the broker gives the messages back, or the redeliver sweep
    assert [m.to for m in mail.outbox] == [[second_dpo.email]]
    assert (
        mail.outbox[0].extra_headers["Message-ID"] == first_ids[2]
    )  # the same email, for mail systems to drop
    assert rows.count() == 3 and all(
        row.delivered_at for row in [*rows, QueuedTask.objects.get(pk=notice.pk)]
    )
    # One per recipient's email, the one sent twice (same Message-ID) recorded once.
    assert case.events.filter(verb="email_sent", data__template="staff-due-reminder").count() == 3


@pytest.mark.parametrize("leaves", ["deactivated", "deleted"])
def test_staff_who_left_after_a_notice_was_queued_are_not_sent_it(
    case: Any, dpo: Any, settings: Any, leaves: str, django_capture_on_commit_callbacks: Any
) -> None:
    """A deactivated user still got case details; a deleted one made the row fail and be republished."""
    leaver = in_role(get_user_model().objects.create_user("dpo2", "dpo2@example.org"), "DPO")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks() as queued:
        notify.notify_staff(case.pk, "due_7")  # the rows per recipient are promised, not yet sent
    if leaves == "deactivated":
        get_user_model().objects.filter(pk=leaver.pk).update(is_active=False)
    else:
        leaver.delete()
    with django_capture_on_commit_callbacks(execute=True):
        for publish in queued:
            publish()
    assert [m.to for m in mail.outbox] == [[settings.PRIVACY_DPO_EMAIL], [dpo.email]]
    rows = QueuedTask.objects.filter(name="requests.tasks.send_staff_notice_to")
    assert rows.count() == 3 and all(row.delivered_at for row in rows)  # finished, never published again


def staff_sent(case: Any, template: str) -> list[str]:
    events = case.events.filter(verb="email_sent", data__template=template)
    return list(events.values_list("data__message_id", flat=True))


def test_a_notice_is_recorded_as_sent_when_each_email_is_not_when_queued(
    case: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """The case said the reminder went out as soon as its rows were promised, even if none was ever sent."""
    mail.outbox.clear()
    with django_capture_on_commit_callbacks() as queued:
        notify.notify_staff(case.pk, "due_7")
    assert staff_sent(case, "staff-due-reminder") == []
    with django_capture_on_commit_callbacks(execute=True):
        for publish in queued:
            publish()
    ids = [m.extra_headers["Message-ID"] for m in mail.outbox]
    assert staff_sent(case, "staff-due-reminder") == ids and len(ids) == 2
    # Not taken for the requester's emails: a bounce of a notice must not set off another notice.
    assert not SentEmail.objects.filter(message_id__in=ids).exists()


def test_the_overdue_list_is_recorded_on_a_case_when_each_copy_is_sent(
    case: Any, django_capture_on_commit_callbacks: Any
) -> None:
    mail.outbox.clear()
    with django_capture_on_commit_callbacks() as queued:
        notify.send_overdue_digest("2100-01-01")  # long after the case was due
    assert staff_sent(case, "staff-overdue") == []
    with django_capture_on_commit_callbacks(execute=True):
        for publish in queued:
            publish()
    assert staff_sent(case, "staff-overdue") == [m.extra_headers["Message-ID"] for m in mail.outbox]
    assert len(mail.outbox) == 2


def test_a_digest_run_again_after_a_kill_is_recorded_on_its_cases_once(
    case: Any, dpo: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """The digest recorded "email sent" on each case it listed without a Message-ID: a copy recorded it again."""
    StaffPreference.objects.create(user=dpo, daily_digest=True)
    services.assign(case, to=dpo, by=dpo)
    assert sweeps.claim(case.pk, "due_7")  # the due-date sweep's reminder, which Dana reads in her digest
    claimed = Notice.objects.get(privacy_request=case, kind="due_7").created_at.astimezone(UTC)
    # The digest of the day after lists it.
    day = (claimed.date() + timedelta(days=1)).isoformat()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        outbox.enqueue(services.SEND_STAFF_DIGEST, dpo.pk, day)
    row = QueuedTask.objects.get(name=services.SEND_STAFF_DIGEST)
    QueuedTask.objects.filter(pk=row.pk).update(
        delivered_at=None, started_at=None, started_by="", emails_sent=0
    )
    with django_capture_on_commit_callbacks(execute=True):
        outbox.publish(row)  # killed before the mail server's "250" came back: sent again
    first, second = mail.outbox
    assert first.to == second.to == [dpo.email]
    assert first.extra_headers["Message-ID"] == second.extra_headers["Message-ID"]
    assert staff_sent(case, "staff-digest") == [first.extra_headers["Message-ID"]]
