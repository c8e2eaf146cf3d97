"""The requester's status page: passwordless sign-in, their own cases only, messages with files."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any
from unittest import mock

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from requests import services
from requests.lifecycle import Status
from requests.models import Message, PrivacyRequest
from tests.factories import make_case, pdf_bytes

pytestmark = pytest.mark.django_db

PDF = pdf_bytes()


def sign_in(client: Client, email: str) -> Any:
    mail.outbox.clear()
    client.post("/status/", {"email": email})
    (message,) = mail.outbox
    code = re.search(r"^\s+(\d{6})$", str(message.body), re.MULTILINE)
    assert code, message.body
    return client.post("/status/code/", {"code": code.group(1)})


def test_sign_in_by_emailed_code_lists_only_my_cases(client: Client) -> None:
    mine = [make_case(kind="rectification"), make_case(kind="erasure", country="US", subdivision="CA")]
    theirs = make_case(requester_email="someone@example.net")
    mail.outbox.clear()
    response = sign_in(client, "ADA@example.org")
    assert response.status_code == 302 and response["Location"] == "/status/cases/"
    assert mail.outbox[0].to == ["ada@example.org"]
    page = client.get("/status/cases/").content.decode()
    assert all(case.reference in page for case in mine) and theirs.reference not in page
    assert "Waiting for email confirmation" in page and "CCPA" in page


def test_an_unknown_address_gets_the_same_answer_and_no_email(client: Client) -> None:
    make_case()
    mail.outbox.clear()
    response = client.post("/status/", {"email": "nobody@example.com"})
    assert response.status_code == 302 and response["Location"] == "/status/code/"
    assert mail.outbox == []
    assert client.post("/status/code/", {"code": "123456"}).status_code == 400


def test_someone_elses_case_is_404_and_signed_out_people_are_sent_to_sign_in(client: Client) -> None:
    make_case()
    theirs = make_case(requester_email="someone@example.net")
    assert client.get(f"/status/cases/{theirs.reference}/")["Location"] == "/status/"
    sign_in(client, "ada@example.org")
    assert client.get(f"/status/cases/{theirs.reference}/").status_code == 404
    assert client.get("/status/cases/PR-2099-999999/").status_code == 404
    client.post("/status/sign-out/")
    assert client.get("/status/cases/")["Location"] == "/status/"


def test_a_wrong_code_is_refused(client: Client) -> None:
    make_case()
    mail.outbox.clear()
    client.post("/status/", {"email": "ada@example.org"})
    found = re.search(r"^\s+(\d{6})$", str(mail.outbox[0].body), re.MULTILINE)
    assert found
    code = found.group(1)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    response = client.post("/status/code/", {"code": wrong})
    assert response.status_code == 400 and "not right" in response.content.decode()
    assert client.get("/status/cases/")["Location"] == "/status/"


def test_the_case_page_explains_and_the_reply_restarts_a_paused_clock(client: Client, dpo: Any) -> None:
    case = services.confirm_email(make_case(kind="rectification"))
    services.pause(case, by=dpo, reason="Which address is wrong?")
    sign_in(client, "ada@example.org")
    page = client.get(f"/status/cases/{case.reference}/").content.decode()
    assert "Waiting for the requester" in page and "We are waiting for your answer" in page
    assert "Which address is wrong?" in page  # the question is in the thread
    assert "Due " in page and "UK GDPR" in page
    assert "We received your request." in page and "We asked you for information" in page
    response = client.post(
        f"/status/cases/{case.reference}/",
        {"body": "The one on Baker Street.", "attachment": SimpleUploadedFile("bill.pdf", PDF)},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.OPEN
    message = Message.objects.get(author_kind="requester")
    assert message.body == "The one on Baker Street." and message.attachment is not None
    assert message.attachment.privacy_request == case
    page = client.get(f"/status/cases/{case.reference}/").content.decode()
    assert "The one on Baker Street." in page and "Attached: bill.pdf" in page
    verbs = list(case.events.values_list("verb", flat=True))
    assert verbs[-3:] == ["evidence_added", "message_received", "resumed"]


def test_an_empty_message_keeps_the_file_and_says_so(client: Client) -> None:
    case = services.confirm_email(make_case(kind="rectification"))
    sign_in(client, "ada@example.org")
    response = client.post(
        f"/status/cases/{case.reference}/", {"body": "", "attachment": SimpleUploadedFile("bill.pdf", PDF)}
    )
    html = response.content.decode()
    assert response.status_code == 400 and "This field is required." in html and "We kept the file" in html
    assert client.post(f"/status/cases/{case.reference}/", {"body": "Here it is"}).status_code == 302
    assert Message.objects.get().attachment.name == "bill.pdf"  # type: ignore[union-attr]


def test_a_closed_case_takes_no_more_messages(client: Client) -> None:
    case = services.withdraw(make_case())
    sign_in(client, "ada@example.org")
    page = client.get(f"/status/cases/{case.reference}/").content.decode()
    assert "Withdrawn" in page and 'name="body"' not in page
    response = client.post(f"/status/cases/{case.reference}/", {"body": "hello"})
    assert response.status_code == 400 and "This request is closed" in response.content.decode()


def quoted(dpo: Any) -> Any:
    case = services.confirm_email(make_case(kind="rectification"))
    services.assign(case, to=dpo, by=dpo)
    return services.quote_fee(
        case,
        by=dpo,
        amount=Decimal("50.00"),
        currency="gbp",
        reason="repetitive",
        breakdown=[("Copying 400 pages", Decimal("40.00")), ("Postage", Decimal("10.00"))],
    )


def test_the_requester_sees_the_estimate_and_accepts_the_fee(
    client: Client, dpo: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        case = quoted(dpo)
    fee_email = next(m for m in mail.outbox if "A fee for request" in str(m.subject))
    assert "Copying 400 pages: 40.00 GBP" in str(fee_email.body) and "repetitive" in str(fee_email.body)
    sign_in(client, "ada@example.org")
    page = client.get(f"/status/cases/{case.reference}/").content.decode()
    assert "50.00 GBP" in page and "Copying 400 pages" in page and "Accept the fee" in page
    response = client.post(f"/status/cases/{case.reference}/", {"fee_decision": "accept"}, follow=True)
    case.refresh_from_db()
    assert (case.status, case.fee_accepted) == (Status.IN_PROGRESS, True)
    page = response.content.decode()
    assert "We carry on with your request." in page and "You accepted this fee." in page
    assert "Accept the fee" not in page
    assert case.events.filter(verb="fee_accepted", actor_kind="requester").count() == 1


def test_declining_the_fee_closes_the_case_with_a_letter(
    client: Client, dpo: Any, django_capture_on_commit_callbacks: Any
) -> None:
    case = quoted(dpo)
    sign_in(client, "ada@example.org")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/status/cases/{case.reference}/", {"fee_decision": "decline"})
    case.refresh_from_db()
    assert (case.status, case.denial_reason, case.fee_accepted) == (Status.DENIED, "fee_declined", False)
    assert [str(m.subject) for m in mail.outbox] == [f"Request {case.reference} closed: fee declined"]
    # A second click after the case closed changes nothing and says why.
    response = client.post(f"/status/cases/{case.reference}/", {"fee_decision": "accept"}, follow=True)
    assert "There is no fee waiting for your decision." in response.content.decode()
    assert PrivacyRequest.objects.get(pk=case.pk).status == Status.DENIED


def test_a_look_alike_address_never_opens_another_persons_cases(client: Client) -> None:
    # The penetration test's finding: UPPER() on PostgreSQL folds the dotless ı into I, so `victim@gmaıl.com`
    # (a domain the attacker can own) matched `victim@gmail.com` and signed in to the victim's cases.
    victims = make_case(requester_email="victim@gmail.com")
    attackers = make_case(requester_email="victim@gmaıl.com")
    assert not attackers.repetitive  # the look-alike is not the victim asking again
    mail.outbox.clear()
    sign_in(client, "VICTIM@gmaıl.com")
    assert mail.outbox[0].to == ["victim@gmaıl.com"]
    page = client.get("/status/cases/").content.decode()
    assert attackers.reference in page and victims.reference not in page
    assert client.get(f"/status/cases/{victims.reference}/").status_code == 404


def test_replies_are_limited_per_case_and_files_per_case_by_size(client: Client, settings: Any) -> None:
    # The penetration test sent 12 replies with 9.5 MB PDFs in 3.8 s: 144 MiB on disk from one signed-in person.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.PRIVACY_CASE_UPLOAD_QUOTA_MB = 1
    settings.RATELIMIT_REPLY_PER_CASE = "4/d"
    case = services.confirm_email(make_case(kind="rectification"))
    sign_in(client, "ada@example.org")
    url = f"/status/cases/{case.reference}/"
    big = pdf_bytes(size=600_000)
    first = client.post(url, {"body": "One", "attachment": SimpleUploadedFile("a.pdf", big)})
    assert first.status_code == 302
    second = client.post(url, {"body": "Two", "attachment": SimpleUploadedFile("b.pdf", big)})
    html = second.content.decode()
    assert second.status_code == 400 and "already holds 0.6 MB of files you sent; the limit is 1 MB" in html
    assert client.post(url, {"body": "Two, without the file"}).status_code == 302
    assert client.post(url, {"body": "Three"}).status_code == 302
    assert client.post(url, {"body": "Four"}).status_code == 429  # the fifth post to this case today
    assert list(Message.objects.filter(privacy_request=case).values_list("body", flat=True).order_by("pk")) == [
        "One", "Two, without the file", "Three",
    ]  # fmt: skip
    assert case.evidence.count() == 1


@pytest.mark.parametrize("reference", ["PR-2026-000001%00", "%00", "PR-2026-000001%2F..", "PR 2026"])
def test_a_malformed_reference_is_not_found(client: Client, reference: str) -> None:
    # A NUL byte in the reference reached PostgreSQL, which refuses it: a 500.
    make_case()
    sign_in(client, "ada@example.org")
    assert client.get(f"/status/cases/{reference}/").status_code == 404
    assert client.get(f"/status/cases/{reference}/download/").status_code == 404


def _csrf_free(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def test_signing_in_with_or_without_cases_looks_and_works_the_same(client: Client) -> None:
    """Issue 15: the sign-in was slower for an address with requests. The same queries, the same task
    published and the same answer either way (timing itself is measured in bench/, not here)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from identity.tasks import send_sign_in_code

    case = make_case()
    answers, sent_for = [], []
    for email in ("ada@example.org", "nobody@example.org"):
        browser = Client()
        browser.get("/status/")
        with (
            mock.patch.object(send_sign_in_code, "delay") as published,
            CaptureQueriesContext(connection) as queries,
        ):
            response = browser.post("/status/", {"email": email})
        code_page = browser.get(response["Location"])
        answers.append(
            (response.status_code, response["Location"], response.content, sorted(response.cookies),
             len(queries), published.call_count, code_page.status_code, _csrf_free(code_page.content.decode()))
        )  # fmt: skip
        sent_for.append(published.call_args.args if published.called else ())
    known, unknown = answers
    assert known == unknown
    # One task published for both: it sends the code to the case's address, and nothing without a case.
    assert sent_for == [(case.pk,), (None,)]
