"""The requester's status page: passwordless sign-in, their own cases only, messages with files."""

from __future__ import annotations

import html as html_module
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from unittest import mock

import pytest
import time_machine
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from requests import services, sweeps
from requests.lifecycle import Status
from requests.models import Letter, Message, PrivacyRequest
from tests.factories import complete_case, make_case, pdf_bytes, signed_in

pytestmark = pytest.mark.django_db

PDF = pdf_bytes()


def sign_in(client: Client, email: str) -> Any:
    mail.outbox.clear()
    client.post("/status/", {"email": email})
    (message,) = mail.outbox
    code = re.search(r"^\s+(\d{6})$", str(message.body), re.MULTILINE)
    assert code, message.body
    return client.post("/status/code/", {"code": code.group(1)})


def case_page(client: Client, case: PrivacyRequest) -> str:
    return client.get(f"/status/cases/{case.reference}/").content.decode()


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
    assert "Waiting for your answer" in page and "We are waiting for your answer" in page
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


def test_a_request_that_lapsed_unconfirmed_takes_no_messages(client: Client) -> None:
    case = services.expire(make_case())
    sign_in(client, "ada@example.org")
    page = client.get(f"/status/cases/{case.reference}/").content.decode()
    assert "Expired (email never confirmed)" in page and 'name="body"' not in page
    assert "This request lapsed before the email address was confirmed" in page
    response = client.post(f"/status/cases/{case.reference}/", {"body": "hello"})
    assert response.status_code == 400 and "This request is closed" in response.content.decode()
    assert not Message.objects.exists()


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


def test_declining_the_fee_is_asked_on_a_page_of_its_own_and_reads_as_the_requesters_choice(
    client: Client, dpo: Any, django_capture_on_commit_callbacks: Any
) -> None:
    case = quoted(dpo)
    sign_in(client, "ada@example.org")
    url = f"/status/cases/{case.reference}/"
    confirm = f"{url}decline-fee/"
    page = client.get(url).content.decode()
    assert f'href="{confirm}"' in page and "Decline the fee" in page
    mail.outbox.clear()
    # The old one-tap decline, and the question itself, change nothing.
    assert client.post(url, {"fee_decision": "decline"})["Location"] == confirm
    question = client.get(confirm).content.decode()
    assert "Are you sure you want to decline the fee?" in question
    assert (
        "We quoted a fee of 50.00 GBP" in question
        and "We close the request without acting on it." in question
    )
    assert "Decline the fee and close the request" in question and f'href="{url}">Cancel</a>' in question
    assert PrivacyRequest.objects.get(pk=case.pk).status == Status.FEE_PENDING and mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(confirm)
    assert response["Location"] == url
    case.refresh_from_db()
    assert (case.status, case.denial_reason, case.fee_accepted) == (Status.DENIED, "fee_declined", False)
    assert [str(m.subject) for m in mail.outbox] == [f"Request {case.reference} closed: fee declined"]
    # Their choice, in a neutral tag: not a red "Refused", on the case page or the list.
    page = case_page(client, case)
    assert "You declined the fee. We have closed the request without acting on it." in page
    assert '<span class="status status-closed">Closed: you declined the fee</span>' in page
    assert "Refused" not in page and "Refusal" not in page and "We refused" not in page
    assert "You declined the fee, so we did not act on the request." in page
    assert "Letter closing the request" in page
    listed = client.get("/status/cases/").content.decode()
    assert "Closed: you declined the fee" in listed and "Refused" not in listed
    # Once closed there is nothing to decline: the question is not asked again, a late click says why.
    assert client.get(confirm)["Location"] == url
    again = client.post(confirm, follow=True).content.decode()
    assert "There is no fee waiting for your decision." in again
    response = client.post(url, {"fee_decision": "accept"}, follow=True)
    assert "There is no fee waiting for your decision." in response.content.decode()
    assert PrivacyRequest.objects.get(pk=case.pk).status == Status.DENIED


def test_a_fee_left_to_lapse_closes_the_request_without_calling_it_a_refusal(
    client: Client, dpo: Any, settings: Any
) -> None:
    case = quoted(dpo)
    with time_machine.travel(timezone.now() + timedelta(days=settings.PRIVACY_FEE_LAPSE_DAYS + 1)):
        assert sweeps.fee_lapses() == 1
        sign_in(client, "ada@example.org")
        page = client.get(f"/status/cases/{case.reference}/").content.decode()
    assert "Closed: the fee was not accepted in time" in page and "The time to accept this fee ended." in page
    assert "The time to accept the fee ended, so we closed the request without acting on it." in page
    assert "Refused" not in page and "We refused" not in page


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


# --- The status page tells the story of a case (issue 21) -----------------------------------------------------

MONDAY = datetime(2026, 3, 2, 10, tzinfo=UTC)


def steps(page: str) -> list[tuple[str, str, bool]]:
    """The step indicator as a reader meets it: each step's name, its state in words, and whether it is marked
    as the step the case is at."""
    found = re.search(r'<ol class="progress"[^>]*>(.*?)</ol>', page, re.S)
    assert found, page
    items = re.findall(
        r'<li class="progress-step[^"]*"( aria-current="step")?>\s*<span class="progress-name">(.*?)</span>'
        r'.*?<span class="progress-state">(.*?)</span>',
        found.group(1),
        re.S,
    )
    return [
        (html_module.unescape(name), html_module.unescape(state), bool(current))
        for current, name, state in items
    ]


TODO, DONE, NOW = "Not started yet", "Done", "In progress"


def _paused(case: PrivacyRequest, dpo: Any) -> PrivacyRequest:
    return services.pause(case, by=dpo, reason="Which account?")


# Each status of a request, and the indicator it shows: received → confirming who you are → working on it →
# answered, the step it is at marked as current.
STEP_CASES = {
    "new": (lambda dpo: make_case(), ["Done", "Waiting for you", TODO, TODO], 1),
    "verifying": (
        lambda dpo: services.confirm_email(make_case(kind="erasure", country="US", subdivision="CA")),
        [DONE, NOW, TODO, TODO],
        1,
    ),
    "paused while checking identity": (
        lambda dpo: _paused(
            services.confirm_email(make_case(kind="erasure", country="US", subdivision="CA")), dpo
        ),
        [DONE, "Waiting for you", TODO, TODO],
        1,
    ),
    "open": (lambda dpo: services.confirm_email(make_case(kind="rectification")), [DONE, DONE, NOW, TODO], 2),
    "in progress": (
        lambda dpo: services.assign(services.confirm_email(make_case(kind="rectification")), to=dpo, by=dpo),
        [DONE, DONE, NOW, TODO],
        2,
    ),
    "awaiting the requester": (
        lambda dpo: _paused(services.confirm_email(make_case(kind="rectification")), dpo),
        [DONE, DONE, "Waiting for you", TODO],
        2,
    ),
    "fee pending": (lambda dpo: quoted(dpo), [DONE, DONE, "Waiting for you", TODO], 2),
}


@pytest.mark.parametrize("name", STEP_CASES)
def test_the_step_indicator_marks_where_an_open_request_is(client: Client, dpo: Any, name: str) -> None:
    build, states, at = STEP_CASES[name]
    case = build(dpo)
    sign_in(client, "ada@example.org")
    shown = steps(case_page(client, case))
    assert [step[0] for step in shown] == ["Received", "Confirming who you are", "Working on it", "Answered"]
    assert [step[1] for step in shown] == states
    assert [step[2] for step in shown] == [index == at for index in range(4)]  # one step is the current one


def test_the_indicator_of_an_answered_request_ends_with_the_answer_and_its_date(
    client: Client, dpo: Any
) -> None:
    with time_machine.travel(MONDAY, tick=False):
        case = complete_case(
            services.assign(services.confirm_email(make_case(kind="rectification")), to=dpo, by=dpo), by=dpo
        )
        sign_in(client, "ada@example.org")
        shown = steps(case_page(client, case))
    assert shown == [
        ("Received", DONE, False), ("Confirming who you are", DONE, False), ("Working on it", DONE, False),
        ("Answered", "2 March 2026", True),
    ]  # fmt: skip


def test_an_opt_out_honoured_at_once_needed_no_identity_check(client: Client) -> None:
    case = make_case(kind="opt_out", country="US", subdivision="CA")
    assert case.status == Status.COMPLETED
    sign_in(client, "ada@example.org")
    shown = steps(case_page(client, case))
    assert [(name, state) for name, state, _current in shown][:3] == [
        ("Received", DONE), ("Confirming who you are", "Not needed"), ("Working on it", DONE),
    ]  # fmt: skip
    assert shown[-1][0] == "Answered" and shown[-1][2]


def test_a_request_withdrawn_before_any_check_went_from_received_to_withdrawn(client: Client) -> None:
    case = services.withdraw(make_case())
    sign_in(client, "ada@example.org")
    assert [(name, current) for name, _state, current in steps(case_page(client, case))] == [
        ("Received", False), ("Withdrawn", True),
    ]  # fmt: skip


def test_a_closed_request_shows_its_outcome_date_note_and_the_letter_that_answered_it(
    client: Client, dpo: Any, django_capture_on_commit_callbacks: Any
) -> None:
    note = "We corrected your address in our billing and delivery systems."
    with time_machine.travel(MONDAY, tick=False):
        case = services.assign(services.confirm_email(make_case(kind="rectification")), to=dpo, by=dpo)
        with django_capture_on_commit_callbacks(execute=True):
            complete_case(case, by=dpo, note=note)
        sign_in(client, "ada@example.org")
        page = case_page(client, case)
        letter = Letter.objects.get(privacy_request=case, kind="confirmation")
        link = f"/status/cases/{case.reference}/letters/{letter.pk}/"
        assert client.get(link)["Content-Type"] == "application/pdf"
    assert '<span class="status status-done">Completed</span>' in page
    assert re.search(r"<dt>Outcome</dt>\s*<dd>Done in full</dd>", page)
    assert re.search(r'<dt>Answered on</dt>\s*<dd><time datetime="[^"]+">2 March 2026</time></dd>', page)
    assert re.search(r"<dt>Our note</dt>\s*<dd>" + re.escape(note) + "</dd>", page)
    link = f"/status/cases/{case.reference}/letters/{letter.pk}/"
    assert re.search(
        r"<dt>Our letter</dt>\s*<dd><a href=\"" + re.escape(link) + '">Confirmation of erasure', page
    )
    # A correction has nothing to download, and a closed case no longer promises an answer to come.
    assert "When we have prepared our answer" not in page and "Your data" not in page
    assert "No fee applies" not in page and ">Fees<" not in page


def test_a_closed_access_request_without_data_promises_no_download(client: Client, dpo: Any) -> None:
    answered = complete_case(
        services.assign(services.confirm_email(make_case()), to=dpo, by=dpo), by=dpo, outcome="no_data"
    )
    refused = services.deny(
        services.confirm_email(make_case()),
        by=dpo,
        reason="excessive",
        explanation="The same request weekly.",
    )
    waiting = services.confirm_email(make_case())
    sign_in(client, "ada@example.org")
    for case in (answered, refused):
        page = case_page(client, case)
        assert "When we have prepared our answer" not in page and ">Your data<" not in page
    page = case_page(client, refused)
    assert '<span class="status status-refused">Refused</span>' in page and "We refused the request." in page
    assert re.search(r"<dt>Our explanation</dt>\s*<dd>The same request weekly.</dd>", page)
    assert "When we have prepared our answer" in case_page(client, waiting)  # open: the download is to come


def test_the_fee_section_shows_only_where_a_fee_was_quoted(client: Client, dpo: Any) -> None:
    plain = services.confirm_email(make_case(kind="rectification"))
    charged = quoted(dpo)
    sign_in(client, "ada@example.org")
    assert ">Fees</h2>" not in case_page(client, plain) and "No fee applies" not in case_page(client, plain)
    assert ">Fees</h2>" in case_page(client, charged) and "50.00 GBP" in case_page(client, charged)


def test_withdrawing_is_asked_on_a_page_of_its_own_then_done(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    case = services.confirm_email(make_case(kind="erasure"))
    sign_in(client, "ada@example.org")
    url = f"/status/cases/{case.reference}/"
    confirm = f"{url}withdraw/"
    assert f'href="{confirm}">Withdraw this request</a>' in case_page(client, case)
    mail.outbox.clear()
    question = client.get(confirm).content.decode()
    assert "Are you sure you want to withdraw this request?" in question
    assert "We stop work on the request and take no further action on it." in question
    assert "Withdraw the request</button>" in question and f'href="{url}">Cancel</a>' in question
    assert (
        PrivacyRequest.objects.get(pk=case.pk).status == Status.OPEN and mail.outbox == []
    )  # GET does nothing
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(confirm, follow=True)
    case.refresh_from_db()
    assert case.status == Status.WITHDRAWN
    assert case.events.get(verb="withdrawn").actor_kind == "requester"
    assert [str(m.to) for m in mail.outbox] == ["['ada@example.org']"]
    assert f"we have withdrawn your request {case.reference}" in str(mail.outbox[0].body)
    page = response.content.decode()
    assert f"You withdrew request {case.reference}." in page
    assert '<span class="status status-closed">Withdrawn</span>' in page
    assert "The request was withdrawn; we took no further action on it." in page
    # A closed request is not offered it again, and a late click changes nothing.
    assert "Withdraw this request" not in page
    assert client.get(confirm)["Location"] == url
    assert "This request can no longer be withdrawn." in client.post(confirm, follow=True).content.decode()


def test_an_appeal_or_a_complaint_is_not_withdrawn_from_the_status_page(client: Client) -> None:
    request = services.confirm_email(make_case(kind="rectification"))
    complaint = services.complain(request, complaint="Nobody answers my messages.")
    sign_in(client, "ada@example.org")
    assert "Withdraw this request" not in case_page(client, complaint)
    assert "Withdraw this request" in case_page(client, request)
    confirm = f"/status/cases/{complaint.reference}/withdraw/"
    assert client.get(confirm)["Location"] == f"/status/cases/{complaint.reference}/"
    client.post(confirm)
    assert PrivacyRequest.objects.get(pk=complaint.pk).status == Status.OPEN


def test_someone_elses_request_cannot_be_withdrawn_or_its_fee_declined(client: Client, dpo: Any) -> None:
    theirs = quoted(dpo)
    PrivacyRequest.objects.filter(pk=theirs.pk).update(email_key="someone@example.net")
    make_case()
    sign_in(client, "ada@example.org")
    for action in ("withdraw", "decline-fee"):
        assert client.post(f"/status/cases/{theirs.reference}/{action}/").status_code == 404
    assert PrivacyRequest.objects.get(pk=theirs.pk).status == Status.FEE_PENDING


def test_a_message_after_closing_reaches_our_team_and_reopens_nothing(
    client: Client, dpo: Any, handler: Any, django_capture_on_commit_callbacks: Any
) -> None:
    case = complete_case(
        services.assign(services.confirm_email(make_case(kind="rectification")), to=handler, by=dpo),
        by=handler,
    )
    sign_in(client, "ada@example.org")
    url = f"/status/cases/{case.reference}/"
    page = case_page(client, case)
    assert "Write to us about this request" in page and 'name="body"' in page
    assert "Writing to us does not reopen the request." in page and "Send to our team" in page
    mail.outbox.clear()
    body = "You corrected my address, but the old one is still on my invoices."
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"body": body}, follow=True)
    page = response.content.decode()
    assert f"We have sent your message about {case.reference} to our team." in page and body in page
    case.refresh_from_db()
    assert case.status == Status.COMPLETED  # it reopens nothing
    assert Message.objects.get(privacy_request=case, author_kind="requester").body == body
    # Whoever answers for the case is told at once (never what was written), and finds it on the case page.
    (notice,) = mail.outbox
    assert notice.to == [handler.email]
    assert str(notice.subject) == f"{case.reference}: the requester wrote after it closed"
    assert body not in str(notice.body) and f"/admin/requests/privacyrequest/{case.pk}/change/" in str(
        notice.body
    )
    staff = signed_in(handler, "Handler")
    assert body in staff.get(f"/admin/requests/privacyrequest/{case.pk}/change/").content.decode()
    # The queue shows it too: flagged, and behind a filter of its own (the default queue is open cases only).
    queue = staff.get("/admin/requests/privacyrequest/").content.decode()
    assert "?queue=all&amp;written=yes" in queue or "?written=yes&amp;queue=all" in queue
    written = staff.get(
        "/admin/requests/privacyrequest/", {"written": "yes", "queue": "all"}
    ).content.decode()
    assert case.reference in written and "written to after closing" in written
    # Answered: off that list.
    services.send_message(case, by=handler, body="We have now corrected your invoices too.")
    written = staff.get(
        "/admin/requests/privacyrequest/", {"written": "yes", "queue": "all"}
    ).content.decode()
    assert case.reference not in written


def test_a_message_on_a_closed_case_nobody_is_assigned_goes_to_the_dpos(
    client: Client, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    case = services.withdraw(services.confirm_email(make_case(kind="erasure")))
    sign_in(client, "ada@example.org")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/status/cases/{case.reference}/", {"body": "I withdrew it by mistake."})
    assert [m.to for m in mail.outbox] == [[settings.PRIVACY_DPO_EMAIL]]
    assert PrivacyRequest.objects.get(pk=case.pk).status == Status.WITHDRAWN
