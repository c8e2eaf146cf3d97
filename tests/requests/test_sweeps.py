"""The beat sweeps, run directly under time-machine: the right emails at the right moments, once each."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.db import connection, connections

from identity.models import Evidence
from requests import services, sweeps
from requests.lifecycle import Status
from requests.models import Message, Notice, PrivacyRequest
from tests.factories import complete_case, make_case, pdf_bytes

pytestmark = pytest.mark.django_db

ALL = ("verification", "acknowledgements", "due_reminders", "extension_window", "overdue", "fee_lapses")


def at(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


@pytest.fixture
def run(django_capture_on_commit_callbacks: Any) -> Any:
    def run_sweeps(moment: datetime, names: tuple[str, ...] = ALL) -> None:
        with time_machine.travel(moment, tick=False), django_capture_on_commit_callbacks(execute=True):
            for name in names:
                getattr(sweeps, name)()

    return run_sweeps


def worked_case(handler: Any, dpo: Any, received: datetime, **fields: Any) -> PrivacyRequest:
    with time_machine.travel(received, tick=False):
        case = services.confirm_email(make_case(kind="rectification", **fields))
        services.assign(case, to=handler, by=dpo)
    mail.outbox.clear()
    return case


def sent() -> list[tuple[list[str], str]]:
    return [(list(m.to), str(m.subject)) for m in mail.outbox]


def test_a_uk_case_day_by_day(run: Any, handler: Any, dpo: Any) -> None:
    dpo.is_superuser = True
    dpo.save()
    case = worked_case(handler, dpo, at(date(2025, 2, 8)))  # due Mon 10 Mar 2025
    log: list[tuple[date, str]] = []
    day = date(2025, 2, 8)
    while day <= date(2025, 3, 14):
        mail.outbox.clear()
        run(at(day))
        run(at(day, 15))  # beat runs many times a day; nothing may repeat
        log += [(day, subject) for _to, subject in sent()]
        day += timedelta(days=1)
    ref = case.reference
    assert log == [
        (date(2025, 2, 24), f"{ref} is due in 14 days (Mon 10 Mar 2025)"),
        (date(2025, 3, 3), f"{ref} is due in 7 days (Mon 10 Mar 2025)"),
        (date(2025, 3, 7), f"{ref}: last days to send an extension (Mon 10 Mar 2025)"),
        (date(2025, 3, 8), f"{ref} is due in 2 days (Mon 10 Mar 2025)"),
        (date(2025, 3, 9), f"{ref} is due in 1 day (Mon 10 Mar 2025)"),
        (date(2025, 3, 11), "1 overdue privacy request (Tue 11 Mar 2025)"),
        (date(2025, 3, 12), "1 overdue privacy request (Wed 12 Mar 2025)"),
        (date(2025, 3, 13), "1 overdue privacy request (Thu 13 Mar 2025)"),
        (date(2025, 3, 14), "1 overdue privacy request (Fri 14 Mar 2025)"),
    ]
    verbs = list(case.events.filter(verb="email_sent").values_list("data__template", flat=True))
    assert verbs.count("staff-due-reminder") == 4 and verbs.count("staff-overdue") == 4


def test_reminders_go_to_the_assignee_and_to_the_dpos_when_unassigned(
    run: Any, handler: Any, dpo: Any
) -> None:
    dpo.is_superuser = True
    dpo.save()
    worked_case(handler, dpo, at(date(2025, 2, 8)))
    with time_machine.travel(at(date(2025, 2, 8)), tick=False):
        services.confirm_email(make_case(kind="rectification", requester_email="b@example.org"))
    run(at(date(2025, 2, 24)), ("due_reminders",))
    recipients = sorted(to[0] for to, _ in sent())
    assert recipients == [
        "dpo@example.com",
        "handler@example.com",
    ]  # DPO mailbox and DPO user share an address


def test_after_a_ten_day_outage_one_sweep_sends_the_missed_reminder_once(
    run: Any, handler: Any, dpo: Any
) -> None:
    case = worked_case(handler, dpo, at(date(2025, 2, 8)))
    run(at(date(2025, 2, 20)))  # before the outage: nothing due yet
    run(at(date(2025, 3, 4)))  # back after ten days: 6 days left
    assert [s for _t, s in sent()] == [f"{case.reference} is due in 7 days (Mon 10 Mar 2025)"]
    assert set(Notice.objects.values_list("kind", "sent")) == {("due_14", False), ("due_7", True)}
    run(at(date(2025, 3, 4), 11))
    assert len(mail.outbox) == 1


def test_two_sweeps_at_once_send_once(transactional_db: Any, handler: Any, dpo: Any) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("concurrent claims are tested on PostgreSQL")
    from privacyportal.celery import app

    with time_machine.travel(at(date(2025, 2, 8)), tick=False):
        cases = [
            services.confirm_email(make_case(kind="rectification", requester_email=f"r{i}@example.org"))
            for i in range(5)
        ]
    mail.outbox.clear()
    barrier = threading.Barrier(2)
    app.conf.task_always_eager = True

    def sweep() -> None:
        try:
            with time_machine.travel(at(date(2025, 2, 24)), tick=False):
                barrier.wait()
                sweeps.due_reminders()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(s for _t, s in sent()) == sorted(
        f"{c.reference} is due in 14 days (Mon 10 Mar 2025)" for c in cases
    )


def test_unconfirmed_requests_are_reminded_once_then_expire(run: Any) -> None:
    received = at(date(2025, 5, 1))
    with time_machine.travel(received, tick=False):
        case = make_case(kind="access")
    mail.outbox.clear()
    run(received + timedelta(hours=12))
    assert mail.outbox == []
    run(received + timedelta(hours=25))
    run(received + timedelta(hours=26))
    assert len(mail.outbox) == 1 and str(mail.outbox[0].subject).startswith("Reminder: ")
    mail.outbox.clear()
    run(received + timedelta(days=14, hours=1))
    run(received + timedelta(days=14, hours=2))
    case.refresh_from_db()
    assert case.status == Status.EXPIRED
    assert [s for _t, s in sent()] == [f"Request {case.reference} has lapsed"]
    # Art. 12(4): why nothing was done, and the complaint and the courts.
    body = mail.outbox[-1].body
    assert "was not confirmed within 14 days, so we could not be sure" in body
    assert "you may complain to" in body and "remedy in the courts" in body


def test_a_letter_logged_by_staff_is_acknowledged_once(
    run: Any, dpo: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with (
        time_machine.travel(at(date(2025, 1, 6)), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        letter = services.submit(
            services.NewRequest(kind="access", requester_name="M", requester_email="m@example.com", country="US",
                                subdivision="CA", channel="post"),
            by=dpo,
        )  # fmt: skip
        other = services.submit(  # no regime asks this one for an acknowledgement
            services.NewRequest(kind="erasure", requester_name="G", requester_email="g@example.com", country="GB",
                                channel="post"),
            by=dpo,
        )  # fmt: skip
    # Logging the letter acknowledges it at once (CCPA asks within 10 business days; others by courtesy).
    assert sorted(sent()) == [
        (["g@example.com"], f"We have logged your request {other.reference}"),
        (["m@example.com"], f"We have logged your request {letter.reference}"),
    ]
    assert "19 February 2025" in mail.outbox[0].body and "by post on 6 January 2025" in mail.outbox[0].body
    mail.outbox.clear()
    run(at(date(2025, 1, 6), 12))
    run(at(date(2025, 1, 7)))
    run(at(date(2025, 2, 1)))  # staff-logged letters are neither acknowledged twice, reminded nor expired
    assert [s for _t, s in sent() if "request" in s] == []
    assert PrivacyRequest.objects.get(pk=letter.pk).status == Status.VERIFYING


def test_the_acknowledgement_sweep_catches_up_on_a_logged_case_without_one(run: Any, dpo: Any) -> None:
    with time_machine.travel(at(date(2025, 1, 6)), tick=False):
        letter = services.submit(
            services.NewRequest(kind="access", requester_name="M", requester_email="m@example.com", country="US",
                                subdivision="CA", channel="post"),
            by=dpo,
        )  # fmt: skip
    letter.notices.all().delete()  # e.g. logged before acknowledgements were claimed at once
    mail.outbox.clear()
    run(at(date(2025, 1, 6), 12))
    run(at(date(2025, 1, 7)))
    assert sent() == [(["m@example.com"], f"We have received your request {letter.reference}")]


def test_an_unanswered_fee_closes_the_case_with_a_letter(run: Any, handler: Any, dpo: Any) -> None:
    case = worked_case(handler, dpo, at(date(2025, 2, 8)))
    PrivacyRequest.objects.filter(pk=case.pk).update(
        status=Status.FEE_PENDING, fee_amount=50, fee_currency="GBP", fee_quoted_at=at(date(2025, 2, 10))
    )  # the quote_fee service arrives with the staff queue
    run(at(date(2025, 3, 11)), ("fee_lapses",))
    assert PrivacyRequest.objects.get(pk=case.pk).status == Status.FEE_PENDING
    run(at(date(2025, 3, 13)), ("fee_lapses",))
    case.refresh_from_db()
    assert (case.status, case.denial_reason) == (Status.DENIED, "fee_declined")
    assert [s for _t, s in sent()] == [f"Request {case.reference} is closed"]


def test_sweeps_on_ten_thousand_open_cases_cost_a_bounded_number_of_queries(
    run: Any, handler: Any, dpo: Any, django_assert_max_num_queries: Any
) -> None:
    template = worked_case(handler, dpo, at(date(2025, 2, 8)))
    fields = {
        f.attname: getattr(template, f.attname)
        for f in PrivacyRequest._meta.concrete_fields
        if f.attname != "id"
    }
    far = date(2026, 1, 1)
    PrivacyRequest.objects.bulk_create(
        [PrivacyRequest(**{**fields, "reference": f"PR-BULK-{i:06d}", "due_at": far, "extended_due_at": far, "effective_due_at": far})
         for i in range(10_000)],
        batch_size=2000,
    )  # fmt: skip
    with django_assert_max_num_queries(40):
        run(at(date(2025, 2, 24)), ALL)
    assert len(mail.outbox) == 1  # only the one case that is due


def test_evidence_is_purged_after_the_decision_and_cases_anonymised_after_retention(
    run: Any, settings: Any, tmp_path: Any, handler: Any, dpo: Any
) -> None:
    from identity import services as identity_services
    from privacyportal.uploads import CheckedFile

    settings.PRIVATE_ROOT = tmp_path
    pdf = pdf_bytes()
    with time_machine.travel(at(date(2025, 1, 1)), tick=False):
        case = services.confirm_email(make_case(kind="rectification"))
        checked = CheckedFile("id.pdf", "application/pdf", pdf)
        item = identity_services.attach_evidence(
            case, identity_services.keep_upload(checked, kind="id_document")
        )
        orphan = identity_services.keep_upload(checked, kind="agent_permission")
        Message.objects.create(privacy_request=case, author_kind="requester", body="My address is 1 Main St")
    run(at(date(2025, 1, 20)), ("evidence_purge",))
    assert Evidence.objects.filter(pk=orphan.pk).count() == 0
    assert Evidence.objects.get(pk=item.pk).purged_at is None
    run(at(date(2025, 2, 1)), ("evidence_purge",))
    assert Evidence.objects.get(pk=item.pk).purged_at is not None
    assert not any((tmp_path / "evidence").iterdir())

    with time_machine.travel(at(date(2025, 2, 2)), tick=False):
        services.assign(case, to=handler, by=dpo)
        complete_case(case, by=handler, outcome="fulfilled")
    run(at(date(2027, 1, 1)), ("retention",))
    assert PrivacyRequest.objects.get(pk=case.pk).anonymised_at is None
    run(at(date(2027, 2, 5)), ("retention",))
    case.refresh_from_db()
    assert case.anonymised_at is not None and case.requester_name == "(anonymised)"
    assert "ada" not in case.requester_email and Message.objects.get().body == "(anonymised)"
    assert (case.kind, case.status, case.outcome) == (
        "rectification",
        "completed",
        "fulfilled",
    )  # statistics stay
    from requests.audit import verify_chains

    assert list(verify_chains()) == []  # the event chain is untouched


def test_an_unattached_upload_loses_its_row_before_its_file(
    settings: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A backup relies on a row never naming a file already gone: one taken between the two named a lost file."""
    from identity import services as identity_services
    from privacyportal import files
    from privacyportal.uploads import CheckedFile
    from requests.services import retention

    settings.PRIVATE_ROOT = tmp_path
    orphan = identity_services.keep_upload(
        CheckedFile("id.pdf", "application/pdf", pdf_bytes()), kind="agent_permission"
    )
    remove = files.remove
    row_left: list[bool] = []

    def remove_noting_the_row(stored_name: str, folder: str = "evidence") -> None:
        row_left.append(Evidence.objects.filter(pk=orphan.pk).exists())
        remove(stored_name, folder)

    monkeypatch.setattr(files, "remove", remove_noting_the_row)
    assert retention.purge_unattached_evidence(orphan.uploaded_at) == 1
    assert row_left == [False]
    assert not files.exists(orphan.stored_name)


def test_a_message_after_closing_keeps_its_file_and_holds_off_retention_until_answered(
    run: Any, settings: Any, tmp_path: Any, handler: Any, dpo: Any
) -> None:
    from identity import services as identity_services
    from privacyportal.uploads import CheckedFile

    settings.PRIVATE_ROOT = tmp_path
    with time_machine.travel(at(date(2025, 1, 1)), tick=False):
        case = services.assign(services.confirm_email(make_case(kind="rectification")), to=handler, by=dpo)
        complete_case(case, by=handler, outcome="fulfilled")
    with time_machine.travel(at(date(2027, 1, 20)), tick=False):  # closed 2 years ago: past retention
        sent = identity_services.keep_upload(
            CheckedFile("invoice.pdf", "application/pdf", pdf_bytes()), kind="attachment"
        )
        attached = identity_services.attach_evidence(case, sent)
        services.reply(case, body="My old address is still on the invoice.", attachment=attached)
    # Before: the file went at the next sweep (the case closed long ago) and retention blanked the message unread.
    run(at(date(2027, 1, 21)), ("evidence_purge", "retention"))
    assert Evidence.objects.get(pk=attached.pk).purged_at is None
    case.refresh_from_db()
    assert case.anonymised_at is None and case.written_after_closing_at is not None
    with time_machine.travel(at(date(2027, 1, 22)), tick=False):
        services.send_message(case, by=handler, body="We have corrected the invoice address.")
    run(at(date(2027, 1, 23)), ("retention",))
    case.refresh_from_db()
    assert case.anonymised_at is not None and case.written_after_closing_at is None
    run(at(date(2027, 2, 21)), ("evidence_purge",))  # its own 30 days, from its arrival
    assert Evidence.objects.get(pk=attached.pk).purged_at is not None


def test_staff_who_choose_the_digest_get_one_email_a_day_in_their_language(
    run: Any, handler: Any, dpo: Any
) -> None:
    from requests.models import StaffPreference

    StaffPreference.objects.create(user=handler, daily_digest=True, language="ru")
    first = worked_case(handler, dpo, at(date(2025, 2, 8)))
    second = worked_case(handler, dpo, at(date(2025, 2, 11)))  # due Tue 11 Mar: 14 days before is 25 Feb
    run(at(date(2025, 2, 24)))
    run(at(date(2025, 2, 25)))
    assert [m for m in mail.outbox if "handler@example.com" in m.to] == []  # no single reminders
    run(at(date(2025, 2, 26), 1), ("staff_digests",))
    run(at(date(2025, 2, 26), 5), ("staff_digests",))
    (digest,) = mail.outbox
    assert digest.to == ["handler@example.com"]
    assert digest.subject == "Ваша ежедневная сводка: 1 напоминание"
    assert second.reference in digest.body and first.reference not in digest.body  # only the last day's


def test_single_reminders_follow_the_staff_members_language(run: Any, handler: Any, dpo: Any) -> None:
    from requests.models import StaffPreference

    StaffPreference.objects.create(user=handler, language="ru")
    case = worked_case(handler, dpo, at(date(2025, 2, 8)))
    run(at(date(2025, 3, 3)), ("due_reminders",))
    (message,) = mail.outbox
    assert message.subject == f"{case.reference}: срок через 7 дней (Пн 10 марта 2025)"
    assert "Срок — Пн 10 марта 2025: UK GDPR" in message.body


def test_every_email_has_text_and_escaped_html(run: Any, handler: Any, dpo: Any) -> None:
    case = worked_case(handler, dpo, at(date(2025, 2, 8)), requester_name="<script>alert(1)</script>")
    run(at(date(2025, 2, 24)), ("due_reminders",))
    with time_machine.travel(at(date(2025, 5, 1)), tick=False):
        make_case(kind="access", requester_name="Eve <b>", requester_email="eve@example.org")
    run(at(date(2025, 5, 2), 12), ("verification",))
    assert len(mail.outbox) == 2
    for message in mail.outbox:
        assert isinstance(message, EmailMultiAlternatives)
        (html, mimetype) = message.alternatives[0]
        assert mimetype == "text/html" and "<script>" not in str(html) and "<b>" not in str(html)
        assert "/admin/requests/privacyrequest/" in str(html) or "Eve &lt;b&gt;" in str(html)
    assert case.reference in str(mail.outbox[0].alternatives[0][0])  # type: ignore[union-attr]


def test_every_purge_and_the_anonymisation_is_an_event_on_the_case(
    run: Any, settings: Any, tmp_path: Any, handler: Any, dpo: Any
) -> None:
    from identity import services as identity_services
    from privacyportal.uploads import CheckedFile
    from requests.audit import verify_chains

    settings.PRIVATE_ROOT = tmp_path
    with time_machine.travel(at(date(2025, 1, 1)), tick=False):
        case = services.confirm_email(make_case(kind="rectification"))
        checked = CheckedFile("id.pdf", "application/pdf", pdf_bytes())
        item = identity_services.attach_evidence(
            case, identity_services.keep_upload(checked, kind="id_document")
        )
    run(at(date(2025, 2, 1)), ("evidence_purge",))
    with time_machine.travel(at(date(2025, 2, 2)), tick=False):
        services.assign(case, to=handler, by=dpo)
        complete_case(case, by=handler, outcome="fulfilled")
    run(at(date(2027, 2, 5)), ("retention",))
    run(at(date(2027, 2, 6)), ("retention", "evidence_purge"))  # nothing twice
    events = list(case.events.order_by("seq").values_list("verb", "data"))
    assert ("evidence_purged", {"evidence": [item.pk]}) in events
    assert [verb for verb, _data in events].count("anonymised") == 1
    assert [verb for verb, _data in events].count("evidence_purged") == 1
    assert "Ada" not in str(events) and "ada@" not in str(events)  # counts and ids, never content
    assert list(verify_chains()) == []
