"""Appeals (US state privacy laws) and complaints (UK: DPA 2018 s. 164A): made from the status page or logged by
staff, decided by staff, their letters read as the requester reads them.

"Now" is Monday 2 March 2026, so each date a page, email or letter states can be written out here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client

from identity import tokens
from requests import services, sweeps
from requests.lifecycle import Status
from requests.models import LetterKind, Notice, PrivacyRequest
from requests.roles import ensure_roles
from tests.factories import complete_case, in_role, make_case, signed_in
from tests.requests.test_letters import letter_text, text_of

pytestmark = pytest.mark.django_db

MONDAY = datetime(2026, 3, 2, 10, tzinfo=UTC)
VA_AG = "the Office of the Attorney General of Virginia: https://www.oag.state.va.us/consumer-protection/index.php/file-a-complaint"
REASONS = "I closed my account two years ago; nothing obliges you to keep my order history."


@pytest.fixture(autouse=True)
def _monday_2_march_2026() -> Iterator[None]:
    with time_machine.travel(MONDAY, tick=False):
        yield


def virginian(kind: str = "erasure", **fields: Any) -> PrivacyRequest:
    """A request from Virginia whose email is confirmed (an erasure then waits for staff to match details)."""
    return services.confirm_email(make_case(kind=kind, country="US", subdivision="VA", **fields))


def refuse(case: PrivacyRequest, by: Any) -> PrivacyRequest:
    return services.deny(case, by=by, reason="legal_exemption", explanation="Tax law makes us keep invoices.")


def sign_in(client: Client, email: str = "ada@example.org") -> None:
    mail.outbox.clear()
    client.post("/status/", {"email": email})
    code = re.search(r"^\s+(\d{6})$", str(mail.outbox[0].body), re.MULTILINE)
    assert code, mail.outbox[0].body
    client.post("/status/code/", {"code": code.group(1)})
    mail.outbox.clear()


def page(client: Client, case: PrivacyRequest) -> str:
    return client.get(f"/status/cases/{case.reference}/").content.decode()


def fresh(case: PrivacyRequest) -> PrivacyRequest:
    return PrivacyRequest.objects.get(pk=case.pk)


# --- What the refusal says ------------------------------------------------------------------------------------


def test_the_refusal_tells_a_virginian_how_to_appeal_by_when_and_whom_to_complain_to(
    dpo: Any, django_capture_on_commit_callbacks: Any
) -> None:
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        case = refuse(virginian(), dpo)
    text = letter_text(case, LetterKind.REFUSAL)
    assert "How to appeal" in text
    assert "Under the privacy law of Virginia (Va. Code §59.1-577(C)) you may appeal our decision" in text
    assert f"open {case.reference} and choose “Appeal our decision”" in text
    assert "http://127.0.0.1:8000/status/" in text and "Please appeal by 1 May 2026." in text  # 60 days
    assert "We will decide within 60 days of receiving your appeal" in text
    assert f"If we refuse your appeal, you may complain to {VA_AG}" in text
    (email,) = mail.outbox
    assert "you may appeal this decision until 1 May 2026" in email.body
    assert "the Office of the Attorney General of Virginia" in email.body


@pytest.mark.parametrize(
    ("country", "subdivision"),
    [("GB", ""), ("US", "CA"), ("US", "UT")],  # UK GDPR, the CCPA and Utah's Act have no appeal
)
def test_a_refusal_under_a_law_without_an_appeal_offers_none(
    dpo: Any, country: str, subdivision: str
) -> None:
    case = refuse(
        services.confirm_email(make_case(kind="erasure", country=country, subdivision=subdivision)), dpo
    )
    assert "How to appeal" not in letter_text(case, LetterKind.REFUSAL)


def test_an_answer_done_in_part_tells_a_virginian_how_to_appeal_and_a_full_one_does_not(dpo: Any) -> None:
    part = complete_case(
        services.assign(virginian("rectification"), to=dpo, by=dpo), by=dpo, outcome="partially_fulfilled"
    )
    text = letter_text(part, LetterKind.CONFIRMATION)
    assert "Under the privacy law of Virginia" in text and "Please appeal by 1 May 2026." in text
    assert VA_AG in text
    whole = complete_case(services.assign(virginian("rectification"), to=dpo, by=dpo), by=dpo)
    assert "appeal" not in letter_text(whole, LetterKind.CONFIRMATION)


# --- The status page ------------------------------------------------------------------------------------------


def test_the_status_page_offers_an_appeal_only_against_a_refusal_under_a_state_law_with_one(
    client: Client, dpo: Any
) -> None:
    refused = refuse(virginian(), dpo)
    done = complete_case(services.assign(virginian("rectification"), to=dpo, by=dpo), by=dpo)
    californian = refuse(
        services.confirm_email(make_case(kind="erasure", country="US", subdivision="CA")), dpo
    )
    british = refuse(services.confirm_email(make_case(kind="erasure")), dpo)
    sign_in(client)
    html = page(client, refused)
    assert "Appeal our decision" in html and 'name="appeal-reasons"' in html
    assert "You may appeal until 1 May 2026. We will decide within 60 days" in html
    assert "https://www.oag.state.va.us/consumer-protection/index.php/file-a-complaint" in html
    for case in (done, californian, british):
        assert 'name="appeal-reasons"' not in page(client, case), case.regimes
    # A UK request may be complained of instead (and only a UK one).
    assert 'name="complaint-complaint"' in page(client, british)
    assert 'name="complaint-complaint"' not in page(client, refused)
    # The time to appeal ends 60 days after the refusal was sent.
    with time_machine.travel(MONDAY + timedelta(days=60), tick=False):
        sign_in(client)  # the status page's session lasts an hour
        assert 'name="appeal-reasons"' in page(client, refused)
    with time_machine.travel(MONDAY + timedelta(days=61), tick=False):
        sign_in(client)
        html = page(client, refused)
        assert 'name="appeal-reasons"' not in html
        response = client.post(
            f"/status/cases/{refused.reference}/",
            {"follow_up": "appeal", "appeal-reasons": REASONS},
            follow=True,
        )
        assert f"The time to appeal {refused.reference} has ended." in response.content.decode()
    assert not refused.follow_ups.exists()


def test_a_virginian_appeals_from_the_status_page_and_is_acknowledged_at_once(
    client: Client, dpo: Any, django_capture_on_commit_callbacks: Any
) -> None:
    refused = refuse(virginian(), dpo)
    sign_in(client)
    url = f"/status/cases/{refused.reference}/"
    empty = client.post(url, {"follow_up": "appeal", "appeal-reasons": "  "})
    assert empty.status_code == 400 and "This field is required." in empty.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"follow_up": "appeal", "appeal-reasons": REASONS})
    appeal = refused.follow_ups.get()
    assert response.status_code == 302 and response["Location"] == f"/status/cases/{appeal.reference}/"
    assert (appeal.kind, appeal.status, appeal.details, appeal.regimes) == (
        "appeal",
        "open",
        REASONS,
        ["us_state"],
    )
    assert (appeal.requester_email, appeal.country, appeal.subdivision) == ("ada@example.org", "US", "VA")
    # Virginia: decided within 60 days of receipt, counting today as day 1; no extension in its law.
    assert (appeal.due_at, appeal.extended_due_at, appeal.governing_regime) == (
        date(2026, 4, 30), date(2026, 4, 30), "us_state",
    )  # fmt: skip
    (email,) = mail.outbox
    assert email.subject == f"We received your appeal {appeal.reference}"
    assert (
        f"against our answer to your request {refused.reference}" in email.body
        and "30 April 2026" in email.body
    )
    html = page(client, appeal)
    assert f"We received your appeal as {appeal.reference}" in html  # the message after the redirect
    assert "Your appeal against our answer to" in html and "We received your appeal." in html
    assert "Due Thu 30 Apr 2026: US state privacy law (VA), 60 days counting Mon 2 Mar as day 1." in html
    html = page(client, refused)
    assert f'Your appeal: <a href="/status/cases/{appeal.reference}/">{appeal.reference}</a> · Open' in html
    assert 'name="appeal-reasons"' not in html  # one appeal per answer
    with pytest.raises(services.TransitionError, match="appealed already"):
        services.appeal(refused, reasons=REASONS)


# --- Staff decide ---------------------------------------------------------------------------------------------


def test_an_appeal_refused_gives_the_reasons_and_the_attorney_generals_contact(
    dpo: Any, handler: Any, django_capture_on_commit_callbacks: Any
) -> None:
    refused = refuse(virginian(), dpo)
    appeal = services.assign(services.appeal(refused, reasons=REASONS), to=handler, by=dpo)
    why = "Virginia's tax law requires us to keep invoices for six years; yours are from 2024."
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.decide(appeal, by=dpo, outcome="appeal_refused", reasons=why)
    appeal.refresh_from_db()
    assert (appeal.status, appeal.outcome, appeal.outcome_note) == ("completed", "appeal_refused", why)
    assert not appeal.follow_ups.exists() and refused.events.filter(verb="refusal_reversed").count() == 0
    (email,) = mail.outbox
    assert email.subject == f"Our decision on your appeal {appeal.reference}"
    assert "Appeal refused: our decision stands." in email.body and VA_AG.replace(": ", ": ") in email.body
    ((filename, content, _mimetype),) = email.attachments
    assert filename.startswith("appeal_decision-")
    text = text_of(content)
    assert "Our decision on your appeal: our decision stands" in text
    assert (
        f"We received your appeal {appeal.reference} on 2 March 2026 against our answer to your request {refused.reference}"
        in text
    )
    assert "Decision: Appeal refused: our decision stands" in text and why in text and REASONS in text
    assert f"If you disagree with it, you may complain to {VA_AG}" in text
    assert "The privacy law of Virginia (Va. Code §59.1-577(C)) requires us to tell you so" in text


def test_an_appeal_granted_reverses_the_refusal_by_opening_the_request_again(
    dpo: Any, handler: Any, django_capture_on_commit_callbacks: Any
) -> None:
    refused = refuse(virginian("erasure", data_points={"phone": "+1 804 555 0100"}), dpo)
    appeal = services.assign(services.appeal(refused, reasons=REASONS), to=handler, by=dpo)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.decide(appeal, by=dpo, outcome="appeal_granted", reasons="Nothing obliges us to keep them.")
    reopened = appeal.follow_ups.get()
    assert (reopened.kind, reopened.original, reopened.regimes) == ("erasure", appeal, refused.regimes)
    assert reopened.data_points == {"phone": "+1 804 555 0100"}
    # Virginia asks no more than control of the address (identity/tiers.py), which the requester proved.
    assert reopened.status == Status.OPEN and reopened.identity_verified_at is not None
    assert (reopened.due_at, reopened.governing_regime) == (date(2026, 4, 15), "us_state")
    reversed_ = refused.events.get(verb="refusal_reversed")
    assert reversed_.data == {"appeal": appeal.reference, "reopened_as": reopened.reference}
    assert reopened.events.get(verb="reopened").data["original"] == refused.reference
    (email,) = mail.outbox
    assert (
        f"We are acting on your request again as {reopened.reference} and will answer it by 15 April 2026."
        in email.body
    )
    text = text_of(email.attachments[0][1])
    assert "Our decision on your appeal: we reverse our decision" in text
    assert (
        f"are acting on your request again, as {reopened.reference}. We will answer it by 15 April 2026"
        in text
    )
    assert "Attorney General" not in text
    # A request whose identity was proved (or that needs only the address) opens at once.
    done = complete_case(
        services.assign(virginian("rectification"), to=dpo, by=dpo), by=dpo, outcome="partially_fulfilled"
    )
    other = services.assign(services.appeal(done, reasons="You left my old address."), to=dpo, by=dpo)
    services.decide(other, by=dpo, outcome="appeal_granted", reasons="We missed the billing system.")
    assert other.follow_ups.get().status == Status.OPEN


def test_a_decision_is_one_of_the_kinds_own_with_reasons_and_only_once_someone_works_on_it(dpo: Any) -> None:
    appeal = services.appeal(refuse(virginian(), dpo), reasons=REASONS)
    with pytest.raises(services.TransitionError, match="is Open: assign the case first"):
        services.decide(appeal, by=dpo, outcome="appeal_refused", reasons="No.")
    services.assign(appeal, to=dpo, by=dpo)
    with pytest.raises(ValidationError):
        services.decide(appeal, by=dpo, outcome="complaint_upheld", reasons="No.")
    with pytest.raises(ValidationError):
        services.decide(appeal, by=dpo, outcome="appeal_refused", reasons="   ")
    request = services.assign(services.confirm_email(make_case(kind="rectification")), to=dpo, by=dpo)
    with pytest.raises(services.TransitionError, match="Only an appeal or a complaint is decided"):
        services.decide(request, by=dpo, outcome="appeal_refused", reasons="No.")
    # An appeal is no request: it has no refusal, checklist or fee of its own.
    assert (
        services.RULES["deny"].why_not(appeal)
        == f"{appeal.reference} is an appeal or a complaint: answer it with “Decide”."
    )


# --- UK complaints --------------------------------------------------------------------------------------------


def test_a_uk_complaint_from_the_status_page_is_acknowledged_at_once_and_answered(
    client: Client, dpo: Any, handler: Any, django_capture_on_commit_callbacks: Any
) -> None:
    case = services.confirm_email(make_case(kind="rectification"))
    sign_in(client)
    complaint_text = "Two weeks and nobody has answered my messages."
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/status/cases/{case.reference}/",
            {"follow_up": "complaint", "complaint-complaint": complaint_text},
        )
    complaint = case.follow_ups.get()
    assert response["Location"] == f"/status/cases/{complaint.reference}/"
    assert (complaint.kind, complaint.regimes, complaint.details) == (
        "complaint",
        ["policy", "uk_gdpr"],
        complaint_text,
    )
    # s. 164A(3): acknowledged within 30 days beginning with the day received (here, at once); the outcome by the
    # operator's policy, s. 164A(4) setting no count.
    assert (complaint.acknowledge_by, complaint.due_at, complaint.governing_regime) == (
        date(2026, 3, 31), date(2026, 4, 15), "policy",
    )  # fmt: skip
    (email,) = mail.outbox
    assert (
        f"This email acknowledges your complaint about how we handled your request {case.reference}"
        in email.body
    )
    assert Notice.objects.filter(privacy_request=complaint, kind="acknowledged").exists()
    assert 'name="complaint-complaint"' not in page(client, case)  # one open complaint at a time
    # Answered: the outcome letter, and where to go next.
    services.assign(complaint, to=handler, by=dpo)
    mail.outbox.clear()
    found = "Your message of 20 February went to a mailbox nobody read. We have fixed the forwarding."
    with django_capture_on_commit_callbacks(execute=True):
        services.decide(complaint, by=dpo, outcome="complaint_upheld", reasons=found)
    (email,) = mail.outbox
    assert (
        email.subject == f"The outcome of your complaint {complaint.reference}"
        and "complaint upheld" in email.body
    )
    assert email.attachments[0][0].startswith("complaint_outcome-")
    text = text_of(email.attachments[0][1])
    assert "The outcome of your complaint" in text and "Outcome: Complaint upheld" in text
    assert (
        found in text and complaint_text in text and "You were right to complain, and we are sorry." in text
    )
    assert "the right to complain to the Information Commissioner's Office (ICO)" in text
    assert 'name="complaint-complaint"' in page(client, case)  # answered: another may follow


def test_a_complaint_logged_by_staff_keeps_its_30_days_from_the_day_it_arrived(
    dpo: Any, django_capture_on_commit_callbacks: Any
) -> None:
    case = services.confirm_email(make_case(kind="rectification"))
    client = signed_in(dpo, "DPO")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/admin/requests/privacyrequest/{case.pk}/change/",
            {
                "action": "log_complaint", "log_complaint-channel": "post", "log_complaint-received_on": "2026-02-27",
                "log_complaint-text": "You sent my data to the wrong address.",
            },
        )  # fmt: skip
    assert response.status_code == 302
    complaint = case.follow_ups.get()
    assert (complaint.channel, complaint.acknowledge_by) == ("post", date(2026, 3, 28))  # Fri 27 Feb is day 1
    assert complaint.events.get(verb="complaint_received").actor == dpo
    (email,) = mail.outbox  # the acknowledgement, sent at once
    assert "This email acknowledges your complaint" in email.body
    assert sweeps.acknowledgements() == 0  # claimed: the sweep sends nothing twice
    page_html = client.get(f"/admin/requests/privacyrequest/{complaint.pk}/change/").content.decode()
    assert "Complaint about" in page_html and case.reference in page_html and "Acknowledge by:" in page_html
    assert 'value="decide"' not in page_html  # decided once someone works on it
    original_html = client.get(f"/admin/requests/privacyrequest/{case.pk}/change/").content.decode()
    assert "Complained of:" in original_html and complaint.reference in original_html


def test_staff_log_an_appeal_that_came_by_post_even_after_the_status_page_stopped_taking_them(
    dpo: Any,
) -> None:
    refused = refuse(virginian(), dpo)
    with time_machine.travel(MONDAY + timedelta(days=70), tick=False):
        with pytest.raises(services.TransitionError, match="The time to appeal"):
            services.appeal(refused, reasons=REASONS)
        appeal = services.appeal(
            refused, reasons=REASONS, by=dpo, channel="post", received_at=MONDAY + timedelta(days=58)
        )
    assert (appeal.channel, appeal.due_at) == ("post", date(2026, 6, 27))  # 60 days from 29 April
    with pytest.raises(ValidationError):
        services.appeal(
            refuse(virginian(), dpo),
            reasons=REASONS,
            by=dpo,
            channel="post",
            received_at=MONDAY - timedelta(days=1),
        )


# --- The queue and the API ------------------------------------------------------------------------------------


def test_the_queue_filters_appeals_and_complaints_by_kind(dpo: Any) -> None:
    appeal = services.appeal(refuse(virginian(), dpo), reasons=REASONS)
    complaint = services.complain(services.confirm_email(make_case(kind="rectification")), complaint="Slow.")
    client = signed_in(dpo, "DPO")
    html = client.get("/admin/requests/privacyrequest/?kind__exact=appeal").content.decode()
    assert appeal.reference in html and complaint.reference not in html
    html = client.get("/admin/requests/privacyrequest/?kind__exact=complaint").content.decode()
    assert complaint.reference in html and appeal.reference not in html


def test_the_api_logs_an_appeal_and_decides_it(dpo: Any) -> None:
    ensure_roles()  # a transactional test elsewhere may have flushed the migration's groups
    refused = refuse(virginian(), dpo)
    _token, plaintext = tokens.create_token(in_role(dpo, "DPO"), name="test", days=30)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {plaintext}")

    def post(path: str, body: dict[str, Any]) -> Any:
        return api.post(f"/api/v1/cases/{path}", json.dumps(body), content_type="application/json")

    logged = post(
        f"{refused.reference}/appeal/", {"channel": "email", "received_on": "2026-03-02", "text": REASONS}
    )
    assert logged.status_code == 200, logged.json()
    appeal = refused.follow_ups.get()
    assert logged.json()["message"] == f"Logged as {appeal.reference}; the requester has an acknowledgement."
    again = post(
        f"{refused.reference}/appeal/", {"channel": "email", "received_on": "2026-03-02", "text": REASONS}
    )
    assert again.status_code == 409 and "appealed already" in again.json()["detail"]
    assert (
        post(f"{appeal.reference}/decide/", {"outcome": "appeal_refused", "reasons": "No."}).status_code
        == 409
    )
    post(f"{appeal.reference}/assign/", {"assignee": dpo.pk})
    bad = post(f"{appeal.reference}/decide/", {"outcome": "complaint_upheld", "reasons": "No."})
    assert bad.status_code == 400 and "outcome" in bad.json()["errors"]
    decided = post(
        f"{appeal.reference}/decide/", {"outcome": "appeal_refused", "reasons": "The law keeps them."}
    )
    assert decided.status_code == 200 and decided.json()["case"]["outcome"] == "appeal_refused"
    assert decided.json()["case"]["original"] == refused.reference
    assert api.get(f"/api/v1/cases/{refused.reference}/").json()["follow_ups"] == [appeal.reference]
    listed = api.get("/api/v1/cases/?kind=appeal&queue=all").json()["results"]
    assert [case["reference"] for case in listed] == [appeal.reference]


def test_a_russian_speaker_reads_the_appeal_and_its_decision_in_russian(dpo: Any) -> None:
    refused = refuse(virginian(language="ru", requester_name="Иван Петров"), dpo)
    assert "Как обжаловать решение" in letter_text(refused, LetterKind.REFUSAL)
    appeal = services.assign(services.appeal(refused, reasons="Причины."), to=dpo, by=dpo)
    services.decide(appeal, by=dpo, outcome="appeal_refused", reasons="Налоговое право.")
    text = letter_text(appeal, LetterKind.APPEAL_DECISION)
    assert "Наше решение по вашей апелляции: прежнее решение остаётся в силе" in text
    assert "Офис Генерального прокурора штата Виргиния" in text  # the authority in Russian, its address as is


def test_an_appeal_or_complaint_cannot_be_submitted_as_a_request_of_its_own() -> None:
    for kind in ("appeal", "complaint"):
        with pytest.raises(ValidationError, match="Unknown right"):
            make_case(kind=kind)
