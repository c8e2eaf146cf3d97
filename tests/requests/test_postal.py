"""Requesters by post: logged with a postal address (and the scan of their letter), written to on paper."""

from __future__ import annotations

import html
import io
from datetime import UTC, date, datetime
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from pypdf import PdfReader

from identity import services as identity_services
from identity.models import Evidence
from privacyportal import files
from requests import services, sweeps
from requests.lifecycle import Status
from requests.models import PostalLetter, PrivacyRequest
from requests.roles import ensure_roles
from requests.services import retention
from tests.factories import complete_case, in_role, pdf_bytes, signed_in

pytestmark = pytest.mark.django_db

LOG_PAGE = "/admin/requests/privacyrequest/add/"
ADDRESS = "Flat 2, 14 Marlborough Road\nMilton\nMT1 4AB"
# A Friday in the UK; a letter logged the Monday after it arrived.
MON_5_MAY = datetime(2025, 5, 5, 11, tzinfo=UTC)
MM = 72 / 25.4  # PDF points in a millimetre
A4_HEIGHT = 297 * MM


@pytest.fixture(autouse=True)
def _roles_and_time() -> Any:
    ensure_roles()
    with time_machine.travel(MON_5_MAY, tick=False):
        yield


def log_form(**fields: Any) -> dict[str, Any]:
    return {
        "channel": "post", "received_on": "2025-04-25", "kind": "access", "requester_name": "Margaret Hale",
        "requester_email": "", "postal_address": ADDRESS, "relationship": "self", "subject_name": "",
        "country": "GB", "subdivision": "", "language": "en", "details": "Please send me a copy of my data.",
        "customer_name": "", **fields,
    }  # fmt: skip


def page_url(case: PrivacyRequest) -> str:
    return f"/admin/requests/privacyrequest/{case.pk}/change/"


def log(client: Client, capture: Any, **fields: Any) -> Any:
    with capture(execute=True):
        return client.post(LOG_PAGE, log_form(**fields))


def postal_case(capture: Any, by: Any) -> PrivacyRequest:
    """A letter logged by staff with a postal address only, its acknowledgement prepared for the post."""
    with capture(execute=True):
        return services.submit(
            services.NewRequest(
                kind="access", requester_name="Margaret Hale", requester_email="", postal_address=ADDRESS,
                country="GB", channel="post", received_at=datetime(2025, 4, 25, 9, tzinfo=UTC),
            ),
            by=by,
        )  # fmt: skip


def to_post(case: PrivacyRequest) -> list[str]:
    return list(
        PostalLetter.objects.filter(privacy_request=case, posted_at__isnull=True)
        .order_by("created_at", "pk")
        .values_list("template", flat=True)
    )


def verbs(case: PrivacyRequest) -> list[str]:
    return list(case.events.order_by("seq").values_list("verb", flat=True))


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_a_letter_is_logged_with_a_postal_address_only_and_its_scan_kept_encrypted(
    handler: Any, django_capture_on_commit_callbacks: Any
) -> None:
    scan = pdf_bytes()
    client = signed_in(handler, "Handler")
    response = log(
        client,
        django_capture_on_commit_callbacks,
        scan=SimpleUploadedFile("letter.pdf", scan, "application/pdf"),
    )
    case = PrivacyRequest.objects.get(requester_name="Margaret Hale")
    assert response.status_code == 302 and response["Location"] == page_url(case)
    assert (case.requester_email, case.postal_address, case.status) == ("", ADDRESS, Status.VERIFYING)
    assert mail.outbox == []  # nobody to email, and nothing claims an email went
    assert "email_sent" not in verbs(case)
    page = client.get(page_url(case)).content.decode()
    assert "print its acknowledgement under “Letters to post”" in page
    assert "Letters to post" in page and "Acknowledgement of the request" in page
    assert "Flat 2, 14 Marlborough Road" in page
    # Staff check identity themselves, and a message they write is printed, not emailed.
    assert "Identity check: <strong>By staff (a requester by post has no email to confirm)</strong>" in page
    assert "The message is printed as a letter under “Letters to post”." in page
    (item,) = Evidence.objects.filter(privacy_request=case, kind=Evidence.Kind.REQUEST_AS_RECEIVED)
    assert "Request as received" in page and item.name in page
    assert files.load(item.stored_name) == scan
    stored = files.read_raw(item.stored_name)
    assert scan not in stored and b"%PDF" not in stored  # encrypted at rest


def test_neither_an_email_nor_a_postal_address_is_refused(
    handler: Any, django_capture_on_commit_callbacks: Any
) -> None:
    response = log(signed_in(handler, "Handler"), django_capture_on_commit_callbacks, postal_address="  ")
    assert response.status_code == 400
    assert "Give an email address or a postal address." in response.content.decode()
    assert not PrivacyRequest.objects.exists()


def test_an_address_too_long_for_the_envelope_window_is_refused(
    handler: Any, django_capture_on_commit_callbacks: Any
) -> None:
    six_lines = "Flat 2\n14 Marlborough Road\nNorth Milton\nMilton\nMT1 4AB\nUnited Kingdom"
    response = log(
        signed_in(handler, "Handler"), django_capture_on_commit_callbacks, postal_address=six_lines
    )
    assert response.status_code == 400
    assert "At most 5 lines below the name" in response.content.decode()
    assert not PrivacyRequest.objects.exists()


def test_the_service_refuses_a_request_with_no_way_to_answer_it(handler: Any) -> None:
    with pytest.raises(ValidationError, match=r"Give an email address or a postal address\."):
        services.submit(
            services.NewRequest(kind="access", requester_name="N", requester_email="", country="GB"),
            by=handler,
        )


@pytest.mark.parametrize(
    ("name", "data", "kind"),
    [
        (
            "letter.pdf",
            b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200,
            "application/pdf",
        ),
        ("scan.png", b"Dear Sir or Madam, please send me my data.", "image/png"),
        ("scan.txt", b"Dear Sir or Madam, please send me my data.", "text/plain"),
    ],
)
def test_a_scan_is_checked_by_its_content_not_its_name(
    handler: Any, django_capture_on_commit_callbacks: Any, name: str, data: bytes, kind: str
) -> None:
    response = log(
        signed_in(handler, "Handler"),
        django_capture_on_commit_callbacks,
        scan=SimpleUploadedFile(name, data, kind),
    )
    assert response.status_code == 400
    assert "Send a PDF, JPEG or PNG file." in response.content.decode()
    assert not PrivacyRequest.objects.exists() and not Evidence.objects.exists()


def test_letters_to_a_postal_requester_are_listed_to_post_and_never_emailed(
    dpo: Any, django_capture_on_commit_callbacks: Any
) -> None:
    case = postal_case(django_capture_on_commit_callbacks, dpo)
    services.verify(case, by=dpo, data_points=["postal_address"])
    with django_capture_on_commit_callbacks(execute=True):
        services.extend(case, by=dpo, reason="Eleven years of records in three systems.")
    assert mail.outbox == []
    assert "email_sent" not in verbs(case)
    assert to_post(case) == ["request-received", "request-extended"]
    page = signed_in(dpo, "DPO").get(page_url(case)).content.decode()
    assert "Acknowledgement of the request" in page and "Extension notice" in page
    assert page.count("Record as posted") == 2
    # The deadline runs as it would for anyone: extended to the operator's 90 days from receipt (day 1), which
    # come before UK GDPR's three months.
    case.refresh_from_db()
    assert case.extended and case.effective_due_at == date(2025, 7, 23)


def test_an_action_that_writes_to_a_postal_requester_says_to_post_the_letter(
    dpo: Any, django_capture_on_commit_callbacks: Any
) -> None:
    case = postal_case(django_capture_on_commit_callbacks, dpo)
    services.verify(case, by=dpo, data_points=["postal_address"])
    client = signed_in(dpo, "DPO")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            page_url(case), {"action": "extend", "extend-reason": "Eleven years of records."}, follow=True
        )
    page = response.content.decode()
    assert "The requester has no email: print the letter listed under “Letters to post” and post it." in page
    assert "the requester has been told why" not in page


def test_the_confirmation_step_shows_a_postal_refusal_as_a_letter_to_post(
    dpo: Any, django_capture_on_commit_callbacks: Any
) -> None:
    case = postal_case(django_capture_on_commit_callbacks, dpo)
    client = signed_in(dpo, "DPO")
    fields = {
        "action": "deny",
        "deny-reason": "excessive",
        "deny-explanation": "The fourth request this month.",
    }
    with django_capture_on_commit_callbacks(execute=True):
        check = client.post(page_url(case), fields)
    page = " ".join(html.unescape(check.content.decode()).split())
    assert "Confirm and send" in page and "this goes on the case's “Letters to post” list" in page
    assert "By post to</dt><dd>Flat 2, 14 Marlborough Road, Milton, MT1 4AB" in page
    assert "Email to the requester" not in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(page_url(case), {**fields, "confirmed": "1"})
    assert mail.outbox == [] and to_post(case)[-1] == "request-denied"


def test_the_letter_pdf_has_the_address_in_the_envelope_window_and_the_letter_text(
    dpo: Any, django_capture_on_commit_callbacks: Any
) -> None:
    case = postal_case(django_capture_on_commit_callbacks, dpo)
    (item,) = PostalLetter.objects.filter(privacy_request=case)
    response = signed_in(dpo, "DPO").get(f"/admin/post/{item.pk}/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pdf = b"".join(response.streaming_content) if response.streaming else response.content
    text = text_of(pdf)
    assert "Flat 2, 14 Marlborough Road" in text and "MT1 4AB" in text
    assert f"We have logged your request {case.reference}" in text
    assert "by post on 25 April 2025" in text and "We will answer by 27 May 2025" in text
    assert "signing in with this email address" not in text and "write to us at the address" in text
    # Where on the page: a DL or C5 window shows 20-105 mm from the left and about 50-90 mm from the top.
    lines: list[tuple[float, float, str]] = []

    def visit(text: str, cm: Any, tm: Any, font: Any, size: Any) -> None:
        if text.strip():
            # Where the text starts on the page: its matrix in the page's coordinates (WeasyPrint scales and flips).
            x = cm[0] * tm[4] + cm[2] * tm[5] + cm[4]
            y = cm[1] * tm[4] + cm[3] * tm[5] + cm[5]
            lines.append((x, A4_HEIGHT - y, text.strip()))

    PdfReader(io.BytesIO(pdf)).pages[0].extract_text(visitor_text=visit)
    (x, from_top, _text), *_ = [line for line in lines if "Marlborough Road" in line[2]]
    assert 20 * MM <= x <= 30 * MM and 50 * MM <= from_top <= 88 * MM
    assert "letter_viewed" in verbs(case)


def test_recording_a_letter_posted_records_who_and_when_and_takes_it_off_the_list(
    handler: Any, django_capture_on_commit_callbacks: Any
) -> None:
    case = postal_case(django_capture_on_commit_callbacks, handler)
    (item,) = PostalLetter.objects.filter(privacy_request=case)
    client = signed_in(handler, "Handler")
    response = client.post(f"/admin/post/{item.pk}/posted/", {f"p{item.pk}-posted_on": "2025-05-05"})
    assert response.status_code == 302 and response["Location"] == page_url(case)
    item.refresh_from_db()
    assert (item.posted_on, item.posted_by) == (date(2025, 5, 5), handler)
    assert verbs(case)[-1] == "letter_posted"
    assert to_post(case) == []
    page = client.get(page_url(case)).content.decode()
    assert "Recorded as posted: Acknowledgement of the request." in page
    assert "Nothing waiting to be posted." in page and "posted on 5 May 2025 by handler" in page
    # A second click (an old tab) records nothing more.
    client.post(f"/admin/post/{item.pk}/posted/", {f"p{item.pk}-posted_on": "2025-05-05"})
    assert verbs(case).count("letter_posted") == 1


def test_a_posting_date_in_the_future_is_refused(
    handler: Any, django_capture_on_commit_callbacks: Any
) -> None:
    case = postal_case(django_capture_on_commit_callbacks, handler)
    (item,) = PostalLetter.objects.filter(privacy_request=case)
    client = signed_in(handler, "Handler")
    response = client.post(
        f"/admin/post/{item.pk}/posted/", {f"p{item.pk}-posted_on": "2025-05-06"}, follow=True
    )
    assert "The day posted cannot be in the future." in response.content.decode()
    assert to_post(case) == ["request-received"]


def test_two_postal_requesters_are_not_taken_for_the_same_person(
    dpo: Any, django_capture_on_commit_callbacks: Any
) -> None:
    first = postal_case(django_capture_on_commit_callbacks, dpo)
    second = postal_case(django_capture_on_commit_callbacks, dpo)
    assert not second.repetitive
    page = signed_in(dpo, "DPO").get(page_url(second)).content.decode()
    assert first.reference not in page


def test_a_postal_case_goes_through_to_completion_on_paper(
    dpo: Any, handler: Any, django_capture_on_commit_callbacks: Any
) -> None:
    case = postal_case(django_capture_on_commit_callbacks, handler)
    services.verify(case, by=dpo, data_points=["postal_address"])  # staff check identity themselves
    services.assign(case, to=handler, by=dpo)
    with django_capture_on_commit_callbacks(execute=True):
        services.send_message(
            case, by=handler, body="Please tell us the account number on your last invoice."
        )
    with django_capture_on_commit_callbacks(execute=True):
        complete_case(case, by=handler, outcome="no_data")
    case.refresh_from_db()
    assert case.status == Status.COMPLETED and case.due_at == date(2025, 5, 27)
    assert mail.outbox == [] and "email_sent" not in verbs(case)
    assert to_post(case) == ["request-received", "new-message", "request-completed"]
    client = signed_in(dpo, "DPO")
    message, answer = PostalLetter.objects.filter(privacy_request=case).order_by("pk")[1:]
    message_text = text_of(client.get(f"/admin/post/{message.pk}/").content)
    # On paper the message itself is the letter (the email would only say there is one).
    assert "account number on your last invoice" in message_text and "not in this email" not in message_text
    answer_text = text_of(client.get(f"/admin/post/{answer.pk}/").content)
    assert "MT1 4AB" in answer_text and "found no personal data about you" in answer_text
    assert "signing in with your email address" not in answer_text
    for item in (message, answer, *PostalLetter.objects.filter(template="request-received")):
        client.post(f"/admin/post/{item.pk}/posted/", {f"p{item.pk}-posted_on": "2025-05-05"})
    assert to_post(case) == [] and verbs(case).count("letter_posted") == 3


def test_anonymising_a_postal_case_removes_the_address_and_the_printed_notices(
    dpo: Any, django_capture_on_commit_callbacks: Any
) -> None:
    case = postal_case(django_capture_on_commit_callbacks, dpo)
    (item,) = PostalLetter.objects.filter(privacy_request=case)
    assert files.exists(item.stored_name, "letters")
    assert retention.anonymise(case.pk, timezone.now())
    case.refresh_from_db()
    assert case.postal_address == "" and not files.exists(item.stored_name, "letters")
    assert signed_in(dpo, "DPO").get(f"/admin/post/{item.pk}/").status_code == 404


def test_what_assumes_an_email_sends_nothing_and_never_fails_for_a_postal_requester(
    dpo: Any, django_capture_on_commit_callbacks: Any
) -> None:
    case = postal_case(django_capture_on_commit_callbacks, dpo)
    with django_capture_on_commit_callbacks(execute=True):
        identity_services.send_verification(case, base_url="https://portal.example")
        identity_services.send_sign_in_code(case)
        identity_services.send_download_code(case)
        sweeps.verification()
        sweeps.acknowledgements()
    assert mail.outbox == [] and "email_sent" not in verbs(case)
    # The status page signs in by email address: an empty one finds no one, a postal requester included.
    response = Client().post("/status/", {"email": ""})
    assert response.status_code == 400 and case.reference not in response.content.decode()


def test_the_notice_before_a_restriction_is_lifted_is_a_letter_that_says_so(
    dpo: Any, django_capture_on_commit_callbacks: Any
) -> None:
    in_role(dpo, "DPO")
    with django_capture_on_commit_callbacks(execute=True):
        case = services.submit(
            services.NewRequest(
                kind="restriction", requester_name="Margaret Hale", requester_email="", postal_address=ADDRESS,
                country="GB", channel="post", objection_grounds="My address is wrong.",
            ),
            by=dpo,
        )  # fmt: skip
    services.verify(case, by=dpo, data_points=["postal_address"])
    services.assign(case, to=dpo, by=dpo)
    with django_capture_on_commit_callbacks(execute=True):
        complete_case(case, by=dpo, outcome="fulfilled")
    with django_capture_on_commit_callbacks(execute=True):
        services.lift_restriction(case, by=dpo, reason="We checked: your address is accurate.")
    assert mail.outbox == [] and to_post(case)[-1] == "restriction-lifted"
    notice = PostalLetter.objects.get(privacy_request=case, template="restriction-lifted")
    text = " ".join(text_of(signed_in(dpo, "DPO").get(f"/admin/post/{notice.pk}/").content).split())
    assert "this letter is that notice. Once it has been posted" in text
    assert "We checked: your address is accurate." in text and "Once this email has gone" not in text
    services.post.record_posted(notice, by=dpo)
    assert to_post(case) == ["request-received", "request-completed"]
