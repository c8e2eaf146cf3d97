"""Threading by email (DESIGN §14): our emails to a requester carry our Message-ID, the case reference and the
privacy mailbox as Reply-To; a reply naming the case, from the requester's address, joins its thread as a
status-page reply would; another sender is held; a bounce marks our email undelivered and tells the assignee."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.test import Client

from identity import services as identity_services
from identity.models import Evidence
from privacyportal.mailbox import Attachment, IncomingMail
from requests import services
from requests.lifecycle import Status
from requests.models import Message, PrivacyRequest, SentEmail, StaffPreference
from requests.selectors.mailbox import case_for
from requests.services import notify, retention
from requests.services.mailbox import join_thread, mark_undelivered, strip_quoted
from tests.factories import complete_case, make_case, pdf_bytes, signed_in

pytestmark = pytest.mark.django_db

SAT_8_FEB = datetime(2025, 2, 8, 10, 0, tzinfo=UTC)
MAILBOX = "privacy@example.co.uk"


@pytest.fixture(autouse=True)
def _mailbox(settings: Any, tmp_path: Any) -> None:
    settings.PRIVACY_MAILBOX_ADDRESS = MAILBOX
    settings.PORTAL_BASE_URL = "https://privacy.example.co.uk"
    settings.PRIVATE_ROOT = tmp_path


def incoming(**fields: Any) -> IncomingMail:
    values: dict[str, Any] = {
        "uid": 1,
        "message_id": "<reply-1@mail.example.org>",
        "in_reply_to": "",
        "references": (),
        "sender": "ada@example.org",
        "sender_name": "Ada Lovelace",
        "subject": "Re: your request",
        "text": "The account is under my maiden name, Byron.",
        "received_at": datetime(2025, 2, 17, 15, tzinfo=UTC),
        "attachments": (),
        "automatic": False,
        "bounce_of": "",
        "is_bounce": False,
        "size": 1000,
    }
    return IncomingMail(**{**values, **fields})


def sent_email(case: PrivacyRequest, name: str = "new-message") -> Any:
    """Send one of the requester's emails as the task does; the email as it left."""
    mail.outbox.clear()
    notify.email_requester(case.pk, name)
    (message,) = mail.outbox
    return message


def paused(dpo: Any, **fields: Any) -> PrivacyRequest:
    with time_machine.travel(SAT_8_FEB, tick=False):
        case = services.confirm_email(make_case(kind="rectification", **fields))
    with time_machine.travel(datetime(2025, 2, 12, 9, tzinfo=UTC), tick=False):
        services.pause(case, by=dpo, reason="Which account do you mean?")
    assert case.status == Status.AWAITING_REQUESTER
    return case


# Outgoing


@pytest.mark.parametrize("language", ["en", "ru"])
@pytest.mark.parametrize("name", sorted(notify.REQUESTER_EMAILS))
def test_every_requester_email_names_its_case_and_answers_to_the_mailbox(name: str, language: str) -> None:
    case = make_case(language=language)
    email = notify.requester_message(case, name)
    assert case.reference in email.subject
    assert bool(re.search("[а-я]", str(email.subject))) == (language == "ru")  # in the requester's language
    message = email.message()
    assert re.fullmatch(r"<[^<>@\s]+@privacy\.example\.co\.uk>", str(message["Message-ID"]))
    assert str(message["Reply-To"]) == MAILBOX


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_code_emails_about_a_case_name_it_and_answer_to_the_mailbox(language: str) -> None:
    case = make_case(language=language)
    mail.outbox.clear()
    identity_services.send_verification(case, base_url="https://privacy.example.co.uk")
    identity_services.send_download_code(case)
    for message in mail.outbox:
        assert case.reference in message.subject
        assert message.reply_to == [MAILBOX]
    assert set(SentEmail.objects.filter(privacy_request=case).values_list("template", flat=True)) == {
        "verify-email",
        "download-code",
    }


def test_without_a_mailbox_there_is_no_reply_to_and_staff_emails_never_have_one(
    settings: Any, dpo: Any, django_capture_on_commit_callbacks: Any
) -> None:
    case = services.confirm_email(make_case())
    assert notify.requester_message(case, "new-message").message()["Reply-To"] == str(MAILBOX)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        notify.notify_staff(case.pk, "due_7")  # one outbox row per recipient, each sent on commit
    assert mail.outbox and all(m.reply_to == [] for m in mail.outbox)
    settings.PRIVACY_MAILBOX_ADDRESS = ""
    message = notify.requester_message(case, "new-message")
    assert message.reply_to == [] and "Reply-To" not in message.message()


def test_a_sent_email_is_remembered_by_its_message_id_without_an_address() -> None:
    case = services.confirm_email(make_case())
    message = sent_email(case)
    sent = SentEmail.objects.get(privacy_request=case, template="new-message")
    assert sent.message_id == message.message()["Message-ID"] and sent.undelivered_at is None
    assert not any("ada@" in str(value) for value in SentEmail.objects.values().first().values())  # type: ignore[union-attr]


# Matching and joining


def test_a_reply_by_in_reply_to_joins_the_thread_and_restarts_the_clock_as_the_status_page_does(
    dpo: Any, client: Client
) -> None:
    by_email, on_page = paused(dpo), paused(dpo)
    ours = sent_email(by_email).message()["Message-ID"]
    reply = incoming(in_reply_to=ours, subject="Re: a question")  # no reference in the subject
    assert case_for(reply) == (by_email, "header")
    with time_machine.travel(datetime(2025, 2, 17, 15, tzinfo=UTC), tick=False):
        message = join_thread(by_email, reply)
        client.post("/status/", {"email": "ada@example.org"})
        code = re.search(r"^\s+(\d{6})$", str(mail.outbox[-1].body), re.MULTILINE)
        assert code
        client.post("/status/code/", {"code": code.group(1)})
        client.post(f"/status/cases/{on_page.reference}/", {"body": "The account is under my maiden name."})
        # The requester reads their emailed reply in the case's thread on the status page.
        thread = client.get(f"/status/cases/{by_email.reference}/").content.decode()
    assert "my maiden name, Byron." in thread
    by_email.refresh_from_db()
    on_page.refresh_from_db()
    assert (
        message.body == "The account is under my maiden name, Byron." and message.author_kind == "requester"
    )
    # Five days waited: the UK month restarts from 13 Feb, exactly as the reply on the status page moved it.
    assert (by_email.status, by_email.paused_days, by_email.due_at) == (Status.OPEN, 5, date(2025, 3, 13))
    assert (by_email.status, by_email.paused_days, by_email.due_at) == (
        on_page.status,
        on_page.paused_days,
        on_page.due_at,
    )
    assert list(by_email.events.order_by("-seq").values_list("verb", flat=True)[:2]) == [
        "resumed",
        "message_received",
    ]


def test_a_reply_naming_the_reference_in_its_subject_joins_from_the_requester_in_any_case_of_letters(
    dpo: Any,
) -> None:
    case = paused(dpo)
    reply = incoming(subject=f"Re: about {case.reference.lower()}", sender="ADA@Example.org")
    assert case_for(reply) == (case, "subject")
    join_thread(case, reply)
    case.refresh_from_db()
    assert case.status == Status.OPEN
    assert case.messages.filter(author_kind="requester").get().body.startswith("The account is under")


def test_a_mail_naming_a_case_from_another_address_is_held_and_adds_nothing(dpo: Any) -> None:
    case = paused(dpo)
    ours = sent_email(case).message()["Message-ID"]
    stranger = incoming(in_reply_to=ours, sender="mallory@example.net")
    assert case_for(stranger) == (case, "held")
    assert case_for(replace(stranger, in_reply_to="", subject=f"Re: {case.reference}")) == (case, "held")
    with pytest.raises(services.TransitionError):
        join_thread(case, stranger)
    case.refresh_from_db()
    assert case.status == Status.AWAITING_REQUESTER and not case.messages.filter(author_kind="requester")


def test_a_mail_naming_no_case_is_for_the_inbox() -> None:
    make_case()
    assert case_for(incoming(subject="I want my data", in_reply_to="<not-ours@example.org>")) == (None, "")
    assert case_for(incoming(subject="About PR-2025-999999")) == (None, "")


def test_the_same_mail_joins_once(dpo: Any) -> None:
    case = paused(dpo)
    reply = incoming(subject=f"Re: {case.reference}")
    first = join_thread(case, reply)
    again = join_thread(case, replace(reply, uid=2))
    assert again == first
    assert case.messages.filter(author_kind="requester").count() == 1
    assert case.events.filter(verb="message_received").count() == 1


def test_an_automatic_mail_never_joins_or_answers(dpo: Any) -> None:
    case = paused(dpo)
    ours = sent_email(case).message()["Message-ID"]
    mail.outbox.clear()
    away = incoming(in_reply_to=ours, text="I am out of the office until Monday.", automatic=True)
    with pytest.raises(services.TransitionError):
        join_thread(case, away)
    case.refresh_from_db()
    assert case.status == Status.AWAITING_REQUESTER and not case.messages.filter(author_kind="requester")
    assert mail.outbox == []


ENGLISH_REPLY = """Yes, that is my account.

Thanks,
Ada

On Wed, 12 Feb 2025 at 09:00, Example Consulting Ltd <privacy@example.co.uk> wrote:
> Which account do you mean?
> Example Consulting Ltd
"""

RUSSIAN_REPLY = """Да, это мой аккаунт.

12 февр. 2025 г., в 09:00, Example Consulting Ltd <privacy@example.co.uk> писал(а):
> Какой аккаунт вы имеете в виду?
"""

OUTLOOK_REPLY = """It is the one on Baker Street.

-----Original Message-----
From: Example Consulting Ltd
Subject: PR-2025-000001
Which account do you mean?
"""

WRAPPED_REPLY = """The second one.

On Wed, 12 Feb 2025 at 09:00, Example Consulting Ltd <privacy@example.co.uk>
wrote:

Which account do you mean?
"""

INTERLEAVED = """> Which account do you mean?
The second one.
> And since when?
Since 2019."""


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        (ENGLISH_REPLY, "Yes, that is my account.\n\nThanks,\nAda"),
        (RUSSIAN_REPLY, "Да, это мой аккаунт."),
        (OUTLOOK_REPLY, "It is the one on Baker Street."),
        (WRAPPED_REPLY, "The second one."),
        (INTERLEAVED, "The second one.\nSince 2019."),
        ("On Monday I moved house.\nThe new address is 10 Pushkin Street.", None),
    ],
)
def test_quoted_history_is_left_out(text: str, kept: str | None) -> None:
    assert strip_quoted(text) == (kept if kept is not None else text)


def test_the_thread_shows_the_reply_without_what_it_quotes(dpo: Any) -> None:
    case = paused(dpo)
    message = join_thread(case, incoming(subject=f"Re: {case.reference}", text=ENGLISH_REPLY))
    assert message.body == "Yes, that is my account.\n\nThanks,\nAda"
    assert "Which account" not in Message.objects.get(pk=message.pk).body


def test_the_first_acceptable_file_is_kept_encrypted_and_the_others_are_named(dpo: Any) -> None:
    case = paused(dpo)
    files = (
        Attachment("notes.docx", "application/msword", b"PK\x03\x04 not a pdf"),
        Attachment("bill.pdf", "application/pdf", pdf_bytes()),
        Attachment("second.pdf", "application/pdf", pdf_bytes()),
    )
    message = join_thread(case, incoming(subject=f"Re: {case.reference}", attachments=files))
    assert message.attachment is not None and message.attachment.name == "bill.pdf"
    stored = Evidence.objects.get(pk=message.attachment.pk)
    assert stored.privacy_request == case and stored.kind == "attachment"
    assert identity_services.read_evidence(stored, by=dpo) == files[1].data
    assert "not kept" in message.body and "notes.docx" in message.body and "second.pdf" in message.body
    assert case.events.filter(verb="evidence_added").count() == 1


def test_a_reply_to_a_closed_case_is_flagged_and_its_assignee_told(
    dpo: Any, handler: Any, django_capture_on_commit_callbacks: Any
) -> None:
    case = services.assign(services.confirm_email(make_case(kind="rectification")), to=handler, by=dpo)
    complete_case(case, by=handler)
    ours = sent_email(case, "request-completed").message()["Message-ID"]
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        join_thread(case, incoming(in_reply_to=ours, text="You missed my old address."))
    case.refresh_from_db()
    assert case.status == Status.COMPLETED and case.written_after_closing_at is not None
    assert [m.to for m in mail.outbox] == [[handler.email]]
    assert "wrote after it closed" in mail.outbox[0].subject


# Bounces


def test_a_bounce_marks_our_email_undelivered_on_the_case_and_tells_the_assignee(
    dpo: Any, handler: Any, django_capture_on_commit_callbacks: Any
) -> None:
    case = services.assign(services.confirm_email(make_case(kind="rectification")), to=handler, by=dpo)
    ours = sent_email(case).message()["Message-ID"]
    mail.outbox.clear()
    bounce = incoming(
        sender="mailer-daemon@mail.example.org",
        subject="Undelivered Mail Returned to Sender",
        automatic=True,
        is_bounce=True,
        bounce_of=ours,
    )
    with django_capture_on_commit_callbacks(execute=True):
        sent = mark_undelivered(bounce)
    assert sent is not None and sent.undelivered_at == bounce.received_at
    event = case.events.get(verb="email_undelivered")
    assert event.data == {"sent_email": sent.pk}
    assert [m.to for m in mail.outbox] == [[handler.email]]
    assert case.reference in mail.outbox[0].subject and "not delivered" in mail.outbox[0].subject
    # A bounce is no reply: nothing joins the thread.
    with pytest.raises(services.TransitionError):
        join_thread(case, replace(bounce, sender="ada@example.org"))
    # Fetched again: nothing more.
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        mark_undelivered(replace(bounce, uid=9))
    assert case.events.filter(verb="email_undelivered").count() == 1 and mail.outbox == []
    page = signed_in(dpo, "DPO").get(f"/admin/requests/privacyrequest/{case.pk}/change/").content.decode()
    assert "An email to the requester came back undelivered" in page


def test_the_undelivered_notice_reads_in_russian(
    dpo: Any, handler: Any, django_capture_on_commit_callbacks: Any
) -> None:
    StaffPreference.objects.create(user=handler, language="ru")
    case = services.assign(services.confirm_email(make_case()), to=handler, by=dpo)
    ours = sent_email(case).message()["Message-ID"]
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        mark_undelivered(incoming(is_bounce=True, automatic=True, bounce_of=ours))
    (notice,) = mail.outbox
    assert "не доставлено" in notice.subject and "вернулось недоставленным" in notice.body


def test_a_bounce_of_an_email_we_do_not_know_changes_nothing() -> None:
    case = services.confirm_email(make_case())
    mail.outbox.clear()
    assert mark_undelivered(incoming(is_bounce=True, bounce_of="<unknown@elsewhere>")) is None
    assert mark_undelivered(incoming(is_bounce=True, bounce_of="")) is None
    assert not case.events.filter(verb="email_undelivered").exists() and mail.outbox == []


def test_a_file_past_the_cases_quota_is_named_not_kept(dpo: Any, settings: Any) -> None:
    settings.PRIVACY_CASE_UPLOAD_QUOTA_MB = 0
    case = paused(dpo)
    bill = Attachment("bill.pdf", "application/pdf", pdf_bytes())
    message = join_thread(case, incoming(subject=f"Re: {case.reference}", attachments=(bill,)))
    assert message.attachment is None and "bill.pdf" in message.body
    assert not Evidence.objects.filter(privacy_request=case).exists()


def test_anonymising_a_case_forgets_the_message_id_of_an_emailed_reply(dpo: Any, handler: Any) -> None:
    case = services.assign(services.confirm_email(make_case(kind="rectification")), to=handler, by=dpo)
    complete_case(case, by=handler)
    join_thread(case, incoming(subject=f"Re: {case.reference}", message_id="<ada.lovelace.1815@example.org>"))
    retention.anonymise(case.pk, datetime(2030, 1, 1, tzinfo=UTC))
    assert list(Message.objects.filter(privacy_request=case).values_list("body", "email_message_id")) == [
        ("(anonymised)", None)
    ]
