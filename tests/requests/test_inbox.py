"""Inbox items: mail to the privacy mailbox that staff make a case in one step, or dismiss with a reason."""

from __future__ import annotations

import html
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from unittest import mock

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from identity.models import Evidence
from privacyportal import files
from privacyportal.mailbox import Attachment, IncomingMail
from requests import services, sweeps
from requests.inbox_rules import suggest_language, suggest_right
from requests.lifecycle import Status
from requests.models import InboxAttachment, InboxItem, InboxState, PrivacyRequest, RequestEvent
from requests.roles import ensure_roles
from requests.services import inbox
from tests.factories import pdf_bytes, signed_in

pytestmark = pytest.mark.django_db

# A Monday; the mail reached the mailbox on the Friday before, staff make it a case today.
MON_5_MAY = datetime(2025, 5, 5, 11, tzinfo=UTC)
FRI_2_MAY = datetime(2025, 5, 2, 16, 30, tzinfo=UTC)
LIST = "/admin/requests/inboxitem/"
QUEUE = "/admin/requests/privacyrequest/"


@pytest.fixture(autouse=True)
def _roles_and_time() -> Any:
    ensure_roles()
    with time_machine.travel(MON_5_MAY, tick=False):
        yield


def incoming(**changes: Any) -> IncomingMail:
    mail_ = IncomingMail(
        uid=7,
        message_id="<a1@mail.example>",
        in_reply_to="",
        references=(),
        sender="Margaret.Hale@Example.com",
        sender_name="Margaret Hale",
        subject="My data",
        text="Please send me a copy of the personal data you hold about me.",
        received_at=FRI_2_MAY,
        attachments=(),
        automatic=False,
        bounce_of="",
        is_bounce=False,
        size=1200,
    )
    return replace(mail_, **changes)


def item_page(item: InboxItem) -> str:
    return f"{LIST}{item.pk}/change/"


def turn_form(**fields: Any) -> dict[str, Any]:
    return {
        "turn-kind": "access", "turn-requester_name": "Margaret Hale", "turn-country": "GB",
        "turn-language": "en", "turn-details": "Please send me a copy.", **fields,
    }  # fmt: skip


# --- store ---------------------------------------------------------------------------------------------------


def test_storing_the_same_mail_twice_keeps_one_item() -> None:
    first = inbox.store(incoming())
    again = inbox.store(incoming(uid=8))  # fetched again after a crash, before it was moved
    assert again.pk == first.pk
    assert InboxItem.objects.count() == 1
    assert first.state == InboxState.NEW and first.sender_key == "margaret.hale@example.com"
    assert first.suggested_kind == "access" and first.received_at == FRI_2_MAY


def test_two_workers_storing_the_same_mail_at_once_keep_one_item_and_one_file() -> None:
    with_file = incoming(attachments=(Attachment("a.pdf", "application/pdf", pdf_bytes()),))
    before = files.names()
    first = inbox.store(with_file)
    # The second worker looked before the first one's row was committed: it saw nothing.
    with mock.patch.object(QuerySet, "first", return_value=None):
        second = inbox.store(with_file)
    assert second.pk == first.pk and InboxItem.objects.count() == 1
    # The second worker's copy of the file was removed: one file, the first worker's.
    assert files.names() - before == {first.attachments.get().stored_name}


def test_mails_without_a_message_id_are_each_kept() -> None:
    inbox.store(incoming(message_id=""))
    inbox.store(incoming(message_id="", text="Another one"))
    assert InboxItem.objects.count() == 2


@pytest.mark.parametrize("flags", [{"automatic": True}, {"is_bounce": True, "bounce_of": "<ours@portal>"}])
def test_automatic_replies_and_bounces_are_kept_as_ignored_and_never_wait(flags: dict[str, Any]) -> None:
    item = inbox.store(incoming(**flags))
    assert item.state == InboxState.IGNORED
    with pytest.raises(services.TransitionError):
        inbox.turn_into_case(item, by=_staff(), kind="access", requester_name="X", country="GB")
    assert mail.outbox == [] and PrivacyRequest.objects.count() == 0


def test_an_attachment_failing_the_file_check_is_kept_out_with_a_note(client: Any, handler: Any) -> None:
    item = inbox.store(
        incoming(
            attachments=(
                Attachment("letter.pdf", "application/pdf", pdf_bytes()),
                Attachment("invoice.exe", "application/octet-stream", b"MZ\x90\x00 not a document"),
            )
        )
    )
    kept, refused = item.attachments.order_by("pk")
    assert kept.stored_name and files.load(kept.stored_name).startswith(b"%PDF-")
    assert not refused.stored_name and refused.refused
    page = signed_in(handler, "Handler").get(item_page(item)).content.decode()
    assert "letter.pdf" in page
    assert "invoice.exe: kept out by the file check" in html.unescape(page)


# --- turn into a case -------------------------------------------------------------------------------------------


def _staff() -> Any:
    from tests.factories import StaffFactory, in_role

    return in_role(StaffFactory(username="inbox-handler"), "Handler")


def test_making_a_case_counts_from_when_the_mail_reached_the_mailbox(
    django_capture_on_commit_callbacks: Any,
) -> None:
    item = inbox.store(incoming(attachments=(Attachment("scan.pdf", "application/pdf", pdf_bytes()),)))
    with django_capture_on_commit_callbacks(execute=True):
        case = inbox.turn_into_case(
            item, by=_staff(), kind="access", requester_name="Margaret Hale", country="GB", language="en"
        )
    case.refresh_from_db()
    assert case.received_at == FRI_2_MAY and case.channel == "email"
    assert case.requester_email == "Margaret.Hale@Example.com"
    # GDPR: one month from the day it arrived, not from the Monday staff read it.
    assert case.due_at == date(2025, 6, 2)
    assert case.details == item.text
    assert case.status == Status.VERIFYING  # staff check identity, as for a letter they log
    evidence = Evidence.objects.get(privacy_request=case)
    assert evidence.name == "scan.pdf" and files.load(evidence.stored_name).startswith(b"%PDF-")
    item.refresh_from_db()
    assert item.state == InboxState.TURNED and item.privacy_request == case
    (ack,) = [m for m in mail.outbox if m.to == ["Margaret.Hale@Example.com"]]
    body = " ".join(str(ack.body).split())
    assert case.reference in str(ack.subject) + body
    assert "by email on 2 May 2025" in body and "We will answer by 2 June 2025" in body  # what happens next
    turned = RequestEvent.objects.get(privacy_request=case, verb="inbox_turned")
    assert "Margaret" not in str(turned.data) and "example.com" not in str(turned.data).lower()


def test_an_item_is_made_a_case_only_once(django_capture_on_commit_callbacks: Any) -> None:
    item = inbox.store(incoming())
    staff = _staff()
    inbox.turn_into_case(item, by=staff, kind="access", requester_name="M", country="GB")
    with pytest.raises(services.TransitionError):
        inbox.turn_into_case(item, by=staff, kind="access", requester_name="M", country="GB")
    assert PrivacyRequest.objects.count() == 1


def test_dismissing_needs_a_reason() -> None:
    item = inbox.store(incoming())
    with pytest.raises(ValidationError):
        inbox.dismiss(item, by=_staff(), reason="  ")
    dismissed = inbox.dismiss(item, by=_staff_two(), reason="Spam")
    assert dismissed.state == InboxState.DISMISSED and dismissed.dismissal_reason == "Spam"
    assert PrivacyRequest.objects.count() == 0


def _staff_two() -> Any:
    from tests.factories import StaffFactory, in_role

    return in_role(StaffFactory(username="inbox-dpo"), "DPO")


def test_the_retention_sweep_deletes_decided_items_and_their_files_but_not_waiting_ones() -> None:
    waiting = inbox.store(incoming(message_id="<w@x>"))
    ignored = inbox.store(
        incoming(
            message_id="<i@x>",
            automatic=True,
            attachments=(Attachment("a.pdf", "application/pdf", pdf_bytes()),),
        )
    )
    stored_name = ignored.attachments.get().stored_name
    dismissed = inbox.dismiss(inbox.store(incoming(message_id="<d@x>")), by=_staff(), reason="Spam")
    sweeps.retention(MON_5_MAY + timedelta(days=29))
    assert InboxItem.objects.count() == 3
    sweeps.retention(MON_5_MAY + timedelta(days=31))
    assert list(InboxItem.objects.values_list("pk", flat=True)) == [waiting.pk]
    assert not InboxItem.objects.filter(pk__in=[ignored.pk, dismissed.pk]).exists()
    with pytest.raises(FileNotFoundError):
        files.load(stored_name)


# --- the admin ------------------------------------------------------------------------------------------------


def test_the_item_page_shows_html_as_escaped_text(handler: Any) -> None:
    item = inbox.store(incoming(subject="<b>Hi</b>", text="<script>alert('x')</script>\nDelete my account"))
    page = signed_in(handler, "Handler").get(item_page(item)).content.decode()
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "<b>Hi</b>" not in page


def test_make_it_a_case_in_one_step_opens_the_case(
    handler: Any, django_capture_on_commit_callbacks: Any
) -> None:
    item = inbox.store(incoming(text="Прошу удалить мои данные.", subject="Удаление"))
    client = signed_in(handler, "Handler")
    page = client.get(item_page(item)).content.decode()
    assert 'value="erasure" selected' in page and 'value="ru" selected' in page and "Margaret Hale" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{LIST}{item.pk}/turn/", turn_form(**{"turn-kind": "erasure"}))
    case = PrivacyRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == f"{QUEUE}{case.pk}/change/"
    assert case.kind == "erasure" and case.received_at == FRI_2_MAY
    case_page = client.get(response["Location"]).content.decode()
    assert case.reference in case_page and "Made a case from an email to the privacy mailbox" in case_page


def test_the_list_puts_waiting_mail_first_and_the_queue_links_to_it(handler: Any) -> None:
    inbox.store(
        incoming(message_id="<old@x>", subject="Old new mail", received_at=FRI_2_MAY - timedelta(days=3))
    )
    inbox.dismiss(
        inbox.store(incoming(message_id="<d@x>", subject="Dismissed one")), by=_staff(), reason="Spam"
    )
    client = signed_in(handler, "Handler")
    page = client.get(LIST).content.decode()
    assert page.index("Old new mail") < page.index("Dismissed one")
    assert "Access my data" in page  # the suggested right
    assert "Inbox: 1 new" in client.get(QUEUE).content.decode()


def test_auditors_read_the_inbox_but_cannot_act(auditor: Any) -> None:
    item = inbox.store(incoming())
    client = signed_in(auditor, "Auditor")
    page = client.get(item_page(item))
    assert page.status_code == 200 and "Make it a case" not in page.content.decode()
    assert client.post(f"{LIST}{item.pk}/turn/", turn_form()).status_code == 403
    assert client.post(f"{LIST}{item.pk}/dismiss/", {"dismiss-reason": "x"}).status_code == 403
    item.refresh_from_db()
    assert item.state == InboxState.NEW


def test_dismissing_from_the_page_without_a_reason_is_refused(handler: Any) -> None:
    item = inbox.store(incoming())
    client = signed_in(handler, "Handler")
    response = client.post(f"{LIST}{item.pk}/dismiss/", {"dismiss-reason": ""})
    assert response.status_code == 200 and "This field is required" in response.content.decode()
    client.post(f"{LIST}{item.pk}/dismiss/", {"dismiss-reason": "A sales pitch"})
    item.refresh_from_db()
    assert item.state == InboxState.DISMISSED


def test_an_attachment_downloads_as_a_file_never_shown_inline(handler: Any) -> None:
    inbox.store(incoming(attachments=(Attachment("scan.pdf", "application/pdf", pdf_bytes()),)))
    client = signed_in(handler, "Handler")
    attachment = InboxAttachment.objects.get()
    response = client.get(f"{LIST}file/{attachment.pk}/")
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
    assert response.content.startswith(b"%PDF-") and response["X-Content-Type-Options"] == "nosniff"


def test_a_held_mail_is_linked_to_the_case_it_names_and_its_handling_is_on_that_case(handler: Any) -> None:
    staff = _staff()
    case = services.submit(
        services.NewRequest(kind="access", requester_name="M", requester_email="m@example.com", country="GB"),
        by=staff,
    )
    item = inbox.store(
        incoming(
            sender="someone.else@example.org",
            attachments=(Attachment("a.pdf", "application/pdf", pdf_bytes()),),
        ),
        held_for=case,
    )
    assert item.state == InboxState.HELD and item.privacy_request == case
    client = signed_in(handler, "Handler")
    assert "Inbox: 1 new" in client.get(QUEUE).content.decode()  # held mail waits for staff too
    client.get(f"{LIST}file/{item.attachments.get().pk}/")
    inbox.dismiss(item, by=staff, reason="Not from the requester")
    verbs = list(RequestEvent.objects.filter(privacy_request=case).values_list("verb", flat=True))
    assert verbs[-2:] == ["inbox_file_viewed", "inbox_dismissed"]
    assert "Not from the requester" not in str(
        RequestEvent.objects.filter(privacy_request=case).values_list("data")
    )


def test_the_inbox_speaks_russian_to_russian_speaking_staff(handler: Any) -> None:
    item = inbox.store(incoming())
    client = signed_in(handler, "Handler")
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "ru"
    page = client.get(item_page(item)).content.decode()
    assert "Завести дело" in page and "Текст письма" in page and "Отклонить" in page
    assert "Входящие: 1 новое" in client.get(QUEUE).content.decode()
    assert "<h1>Входящие</h1>" in client.get(LIST).content.decode()


# --- suggestions ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "right"),
    [
        ("Please send me a copy of my data", "access"),
        ("What data do you hold about me?", "access"),
        ("Please delete my account and erase everything", "erasure"),
        ("I want you to forget me", "erasure"),
        ("My address is wrong, please correct it", "rectification"),
        ("Do not sell my personal information", "opt_out"),
        ("I would like to export my data (portability)", "portability"),
        ("I object to direct marketing", "objection"),
        ("Please restrict the processing", "restriction"),
        ("Limit the use of my sensitive personal information", "limit_sensitive"),
        ("Прошу предоставить доступ к моим персональным данным", "access"),
        ("Пришлите копию моих данных", "access"),
        ("Прошу удалить мои персональные данные", "erasure"),
        ("Прошу исправить мою фамилию", "rectification"),
        ("Прошу не продавать мои данные", "opt_out"),
        ("Перенос данных к другому оператору", "portability"),
        ("Я возражаю против обработки", "objection"),
        ("Прошу ограничить обработку", "restriction"),
        ("Hello, a question about your product", ""),
    ],
)
def test_the_right_is_suggested_from_the_words(text: str, right: str) -> None:
    assert suggest_right("", text) == right


def test_the_language_is_suggested_from_the_letters() -> None:
    assert suggest_language("Удаление", "Прошу удалить мои данные") == "ru"
    assert suggest_language("Delete", "Please delete my data") == "en"
