"""The case page in the staff admin: who may do what, what each action leaves behind, and bad input.

Everything goes through the page as a member of staff would use it: a signed-in (password + TOTP)
client, GET the case page, POST one action form. Emails are sent on commit, so every POST runs inside
`django_capture_on_commit_callbacks(execute=True)` and the outbox shows what the requester received.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.http import HttpRequest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from identity.models import Evidence
from privacyportal import files
from requests import services
from requests.admin import PrivacyRequestAdmin
from requests.admin.forms import ACTIONS
from requests.lifecycle import Status
from requests.models import CompanySystem, Message, PrivacyRequest, ProcessingActivity, SystemCheck
from requests.roles import ensure_roles
from requests.selectors import local_date, local_today
from tests.factories import PASSWORD, in_role, make_case, pdf_bytes, signed_in

pytestmark = pytest.mark.django_db

LOG_PAGE = "/admin/requests/privacyrequest/add/"
PHONE, ADDRESS = "+44 20 7946 0958", "221B Baker Street, London"
# A Monday: a UK request received now is due on Thursday 3 April (one calendar month, no weekend).
MON_3_MARCH = datetime(2025, 3, 3, 10, 0, tzinfo=UTC)

Act = Callable[..., Any]


@pytest.fixture(autouse=True)
def _roles() -> None:
    ensure_roles()  # a transactional test elsewhere may have flushed the migration's groups


@pytest.fixture
def act(django_capture_on_commit_callbacks: Any) -> Act:
    """POST one action form of the case page, as the page's form would, and deliver its emails."""

    def post(client: Client, case: PrivacyRequest, action: str, **fields: Any) -> Any:
        # A final action acts on the second POST, the confirmation page's "Confirm and send" (which posts this).
        data = {
            "action": action,
            "confirmed": "1",
            **{f"{action}-{name}": value for name, value in fields.items()},
        }
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(page_url(case), data)

    return post


@pytest.fixture
def crm(dpo: Any) -> CompanySystem:
    return CompanySystem.objects.create(name="CRM", description="Customer records", owner=dpo)


def page_url(case: PrivacyRequest) -> str:
    return f"/admin/requests/privacyrequest/{case.pk}/change/"


def open_case(**fields: Any) -> PrivacyRequest:
    """A rectification from the UK: confirming the email is all the identity check it needs."""
    return services.confirm_email(make_case(kind="rectification", **fields))


def verifying_case(**fields: Any) -> PrivacyRequest:
    """A Californian's request to know the categories: after the email, staff must match two details against our
    records (CCPA regulations §7062(b))."""
    values = {"country": "US", "subdivision": "CA", **fields}
    case = make_case(kind="access", data_points={"phone": PHONE, "postal_address": ADDRESS}, **values)
    return services.confirm_email(case)


def case_in_progress(assignee: Any) -> PrivacyRequest:
    case = open_case()
    return services.assign(case, to=assignee, by=assignee)


def fresh(case: PrivacyRequest) -> PrivacyRequest:
    return PrivacyRequest.objects.get(pk=case.pk)


def verbs(case: PrivacyRequest) -> list[str]:
    return list(case.events.order_by("seq").values_list("verb", flat=True))


def emails_to(address: str) -> list[EmailMessage]:
    return [m for m in mail.outbox if m.to == [address]]


def only_email_to(address: str) -> EmailMultiAlternatives:
    (message,) = emails_to(address)
    assert isinstance(message, EmailMultiAlternatives)
    return message


def long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def action_form(name: str) -> str:
    """The hidden field that marks an action's form on the page."""
    return f'name="action" value="{name}"'


# Roles: who may do what on the page.

DPO_ONLY = [
    ("extend", {"reason": "Your request covers eleven years of records."}, "extended"),
    ("deny", {"reason": "manifestly_unfounded", "explanation": "You asked for the same data yesterday."}, "denied"),
    ("fee", {"amount": "50.00", "currency": "GBP", "reason": "excessive",
             "breakdown": "Copying 400 pages: 40.00\nPostage: 10.00"}, "fee_quoted"),
    ("forward", {"controller": "Acme Ltd"}, "forwarded"),
]  # fmt: skip


@pytest.mark.parametrize(("action", "fields", "verb"), DPO_ONLY, ids=[a for a, _f, _v in DPO_ONLY])
def test_a_dpo_can_extend_refuse_quote_a_fee_and_forward(
    act: Act, dpo: Any, action: str, fields: dict[str, str], verb: str
) -> None:
    case = open_case()
    response = act(signed_in(dpo, "DPO"), case, action, **fields)
    assert response.status_code == 302 and response["Location"] == page_url(case)
    assert verb in verbs(case)


@pytest.mark.parametrize(("action", "fields", "verb"), DPO_ONLY, ids=[a for a, _f, _v in DPO_ONLY])
def test_a_handler_is_refused_the_dpo_only_actions(
    act: Act, handler: Any, action: str, fields: dict[str, str], verb: str
) -> None:
    case = open_case()
    before = verbs(case)
    response = act(signed_in(handler, "Handler"), case, action, **fields)
    assert response.status_code == 403
    assert verbs(case) == before and fresh(case).status == Status.OPEN
    assert mail.outbox == []


def test_a_handler_sees_only_the_forms_a_handler_may_use(dpo: Any, handler: Any, crm: CompanySystem) -> None:
    case = open_case()
    dpo_page = signed_in(dpo, "DPO").get(page_url(case)).content.decode()
    handler_page = signed_in(handler, "Handler").get(page_url(case)).content.decode()
    for name in ("extend", "deny", "fee", "forward"):
        assert action_form(name) in dpo_page
        assert action_form(name) not in handler_page
    for name in ("assign", "pause", "withdraw", "message", "check"):
        assert action_form(name) in handler_page


def test_a_handler_can_take_a_case_but_not_give_it_to_another_handler(
    act: Act, handler: Any, other_handler: Any
) -> None:
    in_role(other_handler, "Handler")
    case = open_case()
    response = act(signed_in(handler, "Handler"), case, "assign", assignee=other_handler.pk)
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert fresh(case).assignee is None and "assigned" not in verbs(case)


def test_an_auditor_reads_the_timeline_and_messages_without_any_action_form(
    handler: Any, auditor: Any
) -> None:
    case = case_in_progress(handler)
    services.send_message(case, by=handler, body="Please confirm the postcode we should correct.")
    response = signed_in(auditor, "Auditor").get(page_url(case))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Please confirm the postcode we should correct." in page
    assert "Timeline" in page and "Request received (Web form)" in page and "Assigned to Hal" in page
    assert 'name="action"' not in page
    assert "You may read this case; you cannot change it." in page


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_every_action_posted_by_an_auditor_is_refused(
    act: Act, handler: Any, auditor: Any, action: str
) -> None:
    case = case_in_progress(handler)
    before = verbs(case)
    response = act(signed_in(auditor, "Auditor"), case, action)
    assert response.status_code == 403
    assert verbs(case) == before


def test_a_handler_opening_another_handlers_case_is_sent_away(handler: Any, other_handler: Any) -> None:
    case = case_in_progress(other_handler)
    response = signed_in(handler, "Handler").get(page_url(case))
    assert response.status_code == 302
    assert case.reference not in response.content.decode()


def test_a_password_only_session_cannot_open_or_act_on_the_case_page(dpo: Any) -> None:
    in_role(dpo, "DPO")
    TOTPDevice.objects.create(user=dpo, name="phone", confirmed=True)
    case = open_case()
    client = Client()
    assert client.login(request=HttpRequest(), username=dpo.username, password=PASSWORD)  # no TOTP code
    response = client.get(page_url(case))
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    client.post(page_url(case), {"action": "extend", "extend-reason": "More time please."})
    assert not fresh(case).extended


def test_staff_without_a_device_reach_no_case(dpo: Any) -> None:
    in_role(dpo, "DPO")
    case = open_case()
    client = Client()
    response = client.post(
        "/admin/login/", {"username": dpo.username, "password": PASSWORD, "otp_token": "1"}
    )
    assert response.status_code == 200  # the password alone opens nothing (a device comes by a DPO's link)
    response = client.get(page_url(case))
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


# Every action leaves its event, its email and its deadline.


def test_verify_opens_the_case_naming_the_details_that_matched_not_their_values(
    act: Act, handler: Any
) -> None:
    case = verifying_case()
    assert case.status == Status.VERIFYING
    response = act(signed_in(handler, "Handler"), case, "verify", data_points=["phone", "postal_address"])
    assert response.status_code == 302
    case = fresh(case)
    assert case.status == Status.OPEN and case.identity_verified_at is not None
    event = case.events.get(verb="identity_verified")
    assert event.data["data_points"] == ["phone", "postal_address"]
    stored = json.dumps(event.data)
    assert "7946" not in stored and "Baker" not in stored


def test_verify_with_too_few_matching_details_is_refused_and_the_case_still_waits(
    act: Act, handler: Any
) -> None:
    case = verifying_case()
    response = act(signed_in(handler, "Handler"), case, "verify", data_points=["phone"])
    assert response.status_code == 400
    assert "This request needs 2 matching details; 1 ticked." in response.content.decode()
    assert fresh(case).status == Status.VERIFYING and "identity_verified" not in verbs(case)


def test_a_californian_asking_for_the_specific_pieces_matching_two_is_verified_for_the_categories(
    act: Act, handler: Any
) -> None:
    case = verifying_case(specific_pieces=True, declaration_name="Ada Lovelace")
    client = signed_in(handler, "Handler")
    page = client.get(page_url(case)).content.decode()
    assert "Tick at least 3 details." in page and "answered with the categories of information alone" in page
    response = act(client, case, "verify", data_points=["phone", "postal_address"])
    assert response.status_code == 302
    page = client.get(page_url(case)).content.decode()
    assert "Identity verified for the categories only" in page and "for the categories only (CCPA" in page
    assert fresh(case).identity_tier == "matched"


def test_a_reasonable_doubt_is_offered_only_where_the_email_is_enough(act: Act, handler: Any) -> None:
    client = signed_in(handler, "Handler")
    by_email = services.confirm_email(make_case(kind="erasure"))
    page = client.get(page_url(by_email)).content.decode()
    assert 'type="checkbox" name="pause-doubt"' in page and "We have a reasonable doubt" in page
    verifying = verifying_case()
    page = client.get(page_url(verifying)).content.decode()
    assert 'type="hidden" name="pause-doubt"' in page and "We have a reasonable doubt" not in page


def test_staff_record_a_doubt_and_the_requester_reads_why(act: Act, handler: Any) -> None:
    case = services.confirm_email(make_case(kind="erasure"))
    reason = "The request came from an address we do not hold for you: what is your customer number?"
    response = act(signed_in(handler, "Handler"), case, "pause", reason=reason, doubt="on")
    assert response.status_code == 302
    case = fresh(case)
    assert case.status == Status.AWAITING_REQUESTER and case.identity_doubt_at is not None
    event = case.events.get(verb="paused")
    assert event.data["doubt"] is True and "customer number" not in json.dumps(event.data)
    assert Message.objects.get(privacy_request=case).body == reason
    (email,) = emails_to("ada@example.org")
    assert reason not in email.body  # the email says a message is waiting; the page shows it
    page = signed_in(handler, "Handler").get(page_url(case)).content.decode()
    assert "reasonable doubt recorded" in page and "Email and two matching details" in page


def test_a_doubt_on_a_case_that_needs_details_already_is_refused_with_the_reason(
    act: Act, handler: Any
) -> None:
    case = verifying_case()
    response = act(signed_in(handler, "Handler"), case, "pause", reason="Who?", doubt="True")
    assert response.status_code == 400
    assert "This request already needs matching details" in response.content.decode()
    assert fresh(case).status == Status.VERIFYING and "paused" not in verbs(case)


def test_assigning_an_open_case_starts_it_and_emails_the_assignee(act: Act, dpo: Any, handler: Any) -> None:
    in_role(handler, "Handler")
    case = open_case()
    response = act(signed_in(dpo, "DPO"), case, "assign", assignee=handler.pk)
    assert response.status_code == 302
    case = fresh(case)
    assert case.status == Status.IN_PROGRESS and case.assignee == handler
    assert case.events.get(verb="assigned").data == {"assignee": handler.pk}
    message = only_email_to(handler.email)
    assert message.subject == f"{case.reference} is assigned to you"
    assert "is now assigned to you" in message.body and page_url(case) in message.body


def test_taking_a_case_for_oneself_sends_no_assignment_email(act: Act, handler: Any) -> None:
    case = open_case()
    response = act(signed_in(handler, "Handler"), case, "assign", assignee=handler.pk)
    assert response.status_code == 302
    assert fresh(case).assignee == handler and fresh(case).status == Status.IN_PROGRESS
    assert emails_to(handler.email) == []


def test_asking_the_requester_sends_the_question_as_a_message_never_by_email(act: Act, handler: Any) -> None:
    question = "Which of your two postal addresses should we correct?"
    case = open_case()
    response = act(signed_in(handler, "Handler"), case, "pause", reason=question)
    assert response.status_code == 302
    case = fresh(case)
    assert case.status == Status.AWAITING_REQUESTER and case.paused_at is not None
    (message,) = Message.objects.filter(privacy_request=case)
    assert (message.author_kind, message.author, message.body) == ("staff", handler, question)
    assert case.events.get(verb="paused").data == {"message": message.pk}
    email = only_email_to(case.requester_email)
    assert email.subject == f"You have a new message about {case.reference}"
    assert question not in email.body
    assert all(question not in str(content) for content, _type in email.alternatives)  # nor in the HTML part


def test_a_message_from_staff_reaches_the_requester_only_as_a_notification(act: Act, handler: Any) -> None:
    body = "We found two accounts; we are correcting both."
    case = case_in_progress(handler)
    response = act(signed_in(handler, "Handler"), case, "message", body=body)
    assert response.status_code == 302
    assert Message.objects.get(privacy_request=case).body == body
    assert verbs(case)[-2:] == ["message_sent", "email_sent"]
    email = only_email_to(case.requester_email)
    assert "You have a new message" in email.subject and body not in email.body


def test_resuming_after_a_week_moves_the_uk_due_date_by_the_paused_days(act: Act, handler: Any) -> None:
    with time_machine.travel(MON_3_MARCH, tick=False):
        case = open_case()
    assert case.effective_due_at == date(2025, 4, 3)
    with time_machine.travel(datetime(2025, 3, 10, 10, tzinfo=UTC), tick=False):
        act(signed_in(handler, "Handler"), case, "pause", reason="Which address?")
    with time_machine.travel(datetime(2025, 3, 17, 10, tzinfo=UTC), tick=False):
        response = act(signed_in(handler, "Handler"), case, "resume")
    assert response.status_code == 302
    case = fresh(case)
    assert case.status == Status.OPEN and case.paused_at is None
    # UK GDPR Art. 12A stops the clock: seven days waiting push Thursday 3 April to Thursday 10 April.
    assert (case.paused_days, case.due_at, case.effective_due_at) == (7, date(2025, 4, 10), date(2025, 4, 10))
    assert case.events.get(verb="resumed").data == {"paused_days": 7, "due": "2025-04-10"}


def test_resuming_keeps_the_eu_due_date_because_eu_gdpr_has_no_pause(act: Act, handler: Any) -> None:
    with time_machine.travel(MON_3_MARCH, tick=False):
        case = open_case(country="FR")
    with time_machine.travel(datetime(2025, 3, 10, 10, tzinfo=UTC), tick=False):
        act(signed_in(handler, "Handler"), case, "pause", reason="Which address?")
    with time_machine.travel(datetime(2025, 3, 17, 10, tzinfo=UTC), tick=False):
        act(signed_in(handler, "Handler"), case, "resume")
    case = fresh(case)
    assert case.status == Status.OPEN and case.paused_days == 7
    assert case.effective_due_at == date(2025, 4, 3)


def test_extending_moves_the_due_date_and_tells_the_requester_why_and_when(act: Act, dpo: Any) -> None:
    reason = "Your request covers eleven years of records held in three systems."
    with time_machine.travel(MON_3_MARCH, tick=False):
        case = open_case()
    with time_machine.travel(datetime(2025, 3, 20, 10, tzinfo=UTC), tick=False):
        client = signed_in(dpo, "DPO")
        response = act(client, case, "extend", reason=reason)
        assert response.status_code == 302
        assert (
            "Extended to 31 May 2025; the requester has been told why."
            in client.get(page_url(case)).content.decode()
        )
    case = fresh(case)
    assert case.extended and case.status == Status.OPEN and case.extension_reason == reason
    # The policy's 90 days (3 March is day 1) end on 31 May, before UK GDPR's three months (3 June).
    assert case.effective_due_at == case.extended_due_at == date(2025, 5, 31)
    assert case.due_at == date(2025, 4, 3)
    assert "extended" in verbs(case)
    email = only_email_to(case.requester_email)
    assert reason in email.body and long_date(date(2025, 5, 31)) in email.body


def test_quoting_a_fee_stores_the_estimate_and_emails_each_line(act: Act, dpo: Any) -> None:
    case = open_case()
    response = act(
        signed_in(dpo, "DPO"), case, "fee", amount="50.00", currency="gbp", reason="excessive",
        breakdown="Copying 400 pages: 40.00\n\nPostage: 10.00",
    )  # fmt: skip
    assert response.status_code == 302
    case = fresh(case)
    assert case.status == Status.FEE_PENDING
    assert (case.fee_amount, case.fee_currency, case.fee_reason) == (Decimal("50.00"), "GBP", "excessive")
    assert case.fee_breakdown == [
        {"item": "Copying 400 pages", "amount": "40.00"},
        {"item": "Postage", "amount": "10.00"},
    ]
    assert case.events.get(verb="fee_quoted").data == {
        "amount": "50.00",
        "currency": "GBP",
        "reason": "excessive",
    }
    body = only_email_to(case.requester_email).body
    assert "50.00 GBP" in body
    assert "- Copying 400 pages: 40.00 GBP" in body and "- Postage: 10.00 GBP" in body


def test_a_fee_estimate_that_does_not_add_up_is_refused_and_nothing_changes(act: Act, dpo: Any) -> None:
    case = open_case()
    before = verbs(case)
    response = act(
        signed_in(dpo, "DPO"), case, "fee", amount="60.00", currency="GBP", reason="excessive",
        breakdown="Copying 400 pages: 40.00\nPostage: 10.00",
    )  # fmt: skip
    assert response.status_code == 400
    assert "The lines of the estimate add up to 50.00, not 60.00." in response.content.decode()
    case = fresh(case)
    assert case.status == Status.OPEN and case.fee_amount is None and case.fee_breakdown == []
    assert verbs(case) == before and mail.outbox == []


def test_completing_closes_the_case_and_sends_the_answer(act: Act, handler: Any) -> None:
    note = "We corrected your postal address in our customer and billing systems."
    case = case_in_progress(handler)
    response = act(signed_in(handler, "Handler"), case, "complete", outcome="fulfilled", note=note)
    assert response.status_code == 302
    case = fresh(case)
    assert (case.status, case.outcome, case.outcome_note) == (Status.COMPLETED, "fulfilled", note)
    assert case.closed_at is not None
    assert case.events.get(verb="completed").data == {"outcome": "fulfilled"}
    email = only_email_to(case.requester_email)
    assert email.subject == f"We have answered your request {case.reference}"
    assert "done in full" in email.body and note in email.body


def test_refusing_tells_the_requester_why_and_where_to_complain(act: Act, dpo: Any, settings: Any) -> None:
    settings.PRIVACY_SUPERVISORY_AUTHORITY = "the Borsetshire Data Commissioner, https://bdc.example/complain"
    explanation = "You asked for exactly the same data yesterday and we answered in full."
    case = open_case()
    # Where no law of ours reaches the requester (Japan), the operator's own regulator is the one named.
    elsewhere = open_case(country="JP", requester_email="kenji@example.jp")
    act(signed_in(dpo, "DPO"), elsewhere, "deny", reason="manifestly_unfounded", explanation=explanation)
    assert (
        "the Borsetshire Data Commissioner (https://bdc.example/complain)"
        in only_email_to("kenji@example.jp").body
    )
    response = act(
        signed_in(dpo, "DPO"), case, "deny", reason="manifestly_unfounded", explanation=explanation
    )
    assert response.status_code == 302
    case = fresh(case)
    assert (case.status, case.denial_reason) == (Status.DENIED, "manifestly_unfounded")
    assert case.events.get(verb="denied").data == {"reason": "manifestly_unfounded"}
    body = only_email_to(case.requester_email).body
    assert explanation in body and "The request is manifestly unfounded" in body
    # A UK requester is pointed to the ICO, the regulator of the UK GDPR, whatever the operator's own.
    assert "the Information Commissioner's Office (ICO) (https://ico.org.uk/make-a-complaint/)" in body
    assert "Borsetshire" not in body


def test_forwarding_names_the_controller_who_will_answer(act: Act, dpo: Any) -> None:
    case = open_case(customer_name="Acme Ltd")
    response = act(signed_in(dpo, "DPO"), case, "forward", controller="Acme Ltd")
    assert response.status_code == 302
    case = fresh(case)
    assert (case.status, case.forwarded_to) == (Status.FORWARDED, "Acme Ltd")
    assert "forwarded" in verbs(case)
    assert "our customer, Acme Ltd" in only_email_to(case.requester_email).body


def test_recording_a_withdrawal_closes_the_case_and_confirms_it(act: Act, handler: Any) -> None:
    case = case_in_progress(handler)
    response = act(signed_in(handler, "Handler"), case, "withdraw", note="By phone on 3 March")
    assert response.status_code == 302
    case = fresh(case)
    assert (case.status, case.outcome_note) == (Status.WITHDRAWN, "By phone on 3 March")
    assert case.events.get(verb="withdrawn").actor == handler
    email = only_email_to(case.requester_email)
    assert email.subject == f"Request {case.reference} withdrawn"
    assert "we have withdrawn your request" in email.body


# Bad input loses nothing.


@pytest.mark.parametrize("reason", ["", "   "])
def test_extending_without_a_reason_is_refused_and_the_case_is_unchanged(
    act: Act, dpo: Any, reason: str
) -> None:
    case = open_case()
    before = verbs(case)
    response = act(signed_in(dpo, "DPO"), case, "extend", reason=reason)
    assert response.status_code == 400
    page = response.content.decode()
    assert "This field is required." in page and '<details class="action action-extend" open>' in page
    after = fresh(case)
    assert not after.extended and after.effective_due_at == case.effective_due_at
    assert verbs(after) == before and mail.outbox == []


DISGUISED = [
    ("evil.pdf", b"<html><script>alert(1)</script></html>", "Send a PDF, JPEG, PNG, CSV, JSON or text file."),
    ("evil.pdf", pdf_bytes() + b"<html><script>alert(1)</script></html>\n%%EOF\n",
     "This PDF could not be accepted. Save it again as a PDF and retry."),
    ("data.json", b"name,email\nAda,ada@example.org\n", "This file is not a readable JSON file in UTF-8."),
    ("data.csv", b"name\x00email\n", "This file is not a readable CSV file in UTF-8."),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "content", "error"), DISGUISED, ids=["html-as-pdf", "pdf-polyglot", "csv-as-json", "binary-csv"]
)
def test_a_disguised_extract_is_refused_and_no_check_or_file_is_kept(
    act: Act, handler: Any, crm: CompanySystem, name: str, content: bytes, error: str
) -> None:
    case = case_in_progress(handler)
    upload = SimpleUploadedFile(name, content, content_type="application/octet-stream")
    response = act(
        signed_in(handler, "Handler"),
        case,
        "check",
        system=crm.pk,
        state="data_found",
        notes="",
        extract=upload,
    )
    assert response.status_code == 400
    assert error in response.content.decode()
    assert not SystemCheck.objects.filter(privacy_request=case).exists()
    assert not Evidence.objects.filter(privacy_request=case).exists()
    assert "system_checked" not in verbs(case)


def test_a_csv_extract_is_stored_encrypted_and_downloads_for_the_dpo(
    act: Act, dpo: Any, handler: Any, crm: CompanySystem
) -> None:
    content = b"email,order\nada@example.org,1001\n"
    case = case_in_progress(handler)
    upload = SimpleUploadedFile("crm export.csv", content, content_type="text/csv")
    response = act(
        signed_in(handler, "Handler"), case, "check",
        system=crm.pk, state="data_found", notes="Two orders", extract=upload,
    )  # fmt: skip
    assert response.status_code == 302
    check = SystemCheck.objects.get(privacy_request=case, system=crm)
    assert (check.state, check.notes, check.checked_by) == ("data_found", "Two orders", handler)
    item = Evidence.objects.get(privacy_request=case)
    assert (item.kind, item.system, item.name, item.content_type) == (
        "extract",
        crm,
        "crm-export.csv",
        "text/csv",
    )
    on_disk = files.read_raw(item.stored_name)
    assert b"ada@example.org" not in on_disk and b"email,order" not in on_disk

    client = signed_in(dpo, "DPO")
    assert f'href="/admin/evidence/{item.pk}/"' in client.get(page_url(case)).content.decode()
    download = client.get(f"/admin/evidence/{item.pk}/")
    assert download.status_code == 200 and download.content == content
    assert download["Content-Disposition"] == 'attachment; filename="crm-export.csv"'
    assert "evidence_viewed" in verbs(case)


def test_a_handler_cannot_download_an_extract_from_another_handlers_case(
    act: Act, handler: Any, other_handler: Any, crm: CompanySystem
) -> None:
    case = case_in_progress(other_handler)
    upload = SimpleUploadedFile("orders.csv", b"email,order\nada@example.org,1001\n", content_type="text/csv")
    act(signed_in(other_handler, "Handler"), case, "check", system=crm.pk, state="data_found", extract=upload)
    item = Evidence.objects.get(privacy_request=case)
    client = signed_in(handler, "Handler")
    assert client.get(page_url(case)).status_code == 302  # the case itself is out of this handler's reach
    assert client.get(f"/admin/evidence/{item.pk}/").status_code == 404


# The systems checklist.


def test_the_checklist_lists_every_active_system_with_its_owner(dpo: Any, handler: Any) -> None:
    CompanySystem.objects.create(name="CRM", owner=dpo)
    CompanySystem.objects.create(name="Billing", owner=handler)
    CompanySystem.objects.create(name="Fax archive", owner=handler, active=False)
    case = open_case()
    page = signed_in(dpo, "DPO").get(page_url(case)).content.decode()
    assert "<strong>CRM</strong>" in page and '<span class="owner">owner: Dana</span>' in page
    assert "<strong>Billing</strong>" in page and '<span class="owner">owner: Hal</span>' in page
    assert "Fax archive" not in page


def test_erasing_in_a_system_lists_the_art19_recipients_of_its_register_entries(
    act: Act, dpo: Any, handler: Any
) -> None:
    register = {
        "legal_basis": "contract",
        "purposes": "p",
        "data_categories": "c",
        "sources": "s",
        "retention": "r",
    }
    newsletter = ProcessingActivity.objects.create(
        name="Newsletter", recipients="Mailjet SAS\n\n  Acme Couriers Ltd  \n", **register
    )
    payments = ProcessingActivity.objects.create(
        name="Payments", recipients="Stripe Payments Europe", **register
    )
    crm = CompanySystem.objects.create(name="CRM", owner=dpo)
    crm.activities.add(newsletter)
    billing = CompanySystem.objects.create(name="Billing", owner=dpo)
    billing.activities.add(payments)
    case = case_in_progress(handler)
    client = signed_in(handler, "Handler")
    assert "Recipients to tell" not in client.get(page_url(case)).content.decode()

    assert act(client, case, "check", system=crm.pk, state="erased", notes="").status_code == 302
    assert act(client, case, "check", system=billing.pk, state="no_data", notes="").status_code == 302
    page = client.get(page_url(case)).content.decode()
    assert "Recipients to tell of an erasure, correction or restriction (Art. 19):" in page
    assert 'Acme Couriers Ltd: <span class="flag">not recorded yet' in page
    assert "Stripe Payments Europe" not in page  # no data of this person in Billing
    # Staff record each recipient told (or not, and why); the confirmation letter states only that.
    told = act(client, case, "recipients", recipient="Acme Couriers Ltd", told="yes", method="letter",
               told_on=local_today().isoformat(), not_told_reason="")  # fmt: skip
    assert told.status_code == 302
    refused = act(client, case, "recipients", recipient="Mailjet SAS", told="no", method="", told_on="",
                  not_told_reason="")  # fmt: skip
    assert refused.status_code == 400 and "Say why this recipient was not told" in refused.content.decode()
    page = client.get(page_url(case)).content.decode()
    assert f"Acme Couriers Ltd: told by letter on {local_today():%-d %b %Y}" in page
    assert case.events.filter(verb="recipient_notice_recorded").count() == 1


def test_staff_working_in_russian_record_a_recipient_by_its_russian_name_and_english_pages_see_it(
    act: Act, dpo: Any, handler: Any
) -> None:
    newsletter = ProcessingActivity.objects.create(
        name="Newsletter", legal_basis="consent", purposes="p", data_categories="c", sources="s", retention="r",
        recipients="Mailjet SAS\nAcme Couriers Ltd",
    )  # fmt: skip
    ProcessingActivity.objects.filter(pk=newsletter.pk).update(
        name_ru="Рассылка", recipients_ru="Сервис рассылок Mailjet SAS\nКурьерская служба Acme Couriers Ltd"
    )
    crm = CompanySystem.objects.create(name="CRM", owner=dpo)
    crm.activities.add(newsletter)
    case = case_in_progress(handler)
    russian = signed_in(handler, "Handler")
    russian.defaults["HTTP_ACCEPT_LANGUAGE"] = "ru"
    assert act(russian, case, "check", system=crm.pk, state="rectified", notes="").status_code == 302

    page = russian.get(page_url(case)).content.decode()
    assert 'Курьерская служба Acme Couriers Ltd: <span class="flag">' in page
    assert '<option value="Acme Couriers Ltd">Курьерская служба Acme Couriers Ltd</option>' in page
    told = act(russian, case, "recipients", recipient="Acme Couriers Ltd", told="yes", method="letter",
               told_on=local_today().isoformat(), not_told_reason="")  # fmt: skip
    assert told.status_code == 302
    page = russian.get(told["Location"]).content.decode()
    assert "Записано для Курьерская служба Acme Couriers Ltd" in page
    assert "Курьерская служба Acme Couriers Ltd: уведомлено (письмо)" in page
    assert 'Сервис рассылок Mailjet SAS: <span class="flag">' in page
    # The same notice on the page in English, under the English name.
    page = signed_in(dpo, "DPO").get(page_url(case)).content.decode()
    assert f"Acme Couriers Ltd: told by letter on {local_today():%-d %b %Y}" in page
    assert 'Mailjet SAS: <span class="flag">not recorded yet' in page and "Курьерская" not in page


# Logging a request that came by post, email or phone.


def log_form(**fields: str) -> dict[str, str]:
    return {
        "channel": "post", "received_on": "2025-04-25", "kind": "access", "requester_name": "Grace Hopper",
        "requester_email": "grace@example.org", "relationship": "self", "subject_name": "", "country": "GB",
        "subdivision": "", "language": "en", "details": "Please send me a copy of my data.", "customer_name": "",
        **fields,
    }  # fmt: skip


@time_machine.travel(datetime(2025, 5, 5, 11, tzinfo=UTC), tick=False)
def test_a_handler_logs_a_letter_and_the_clock_runs_from_the_day_it_arrived(
    handler: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client = signed_in(handler, "Handler")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(LOG_PAGE, log_form(received_on="2025-04-25"))  # ten days ago
    case = PrivacyRequest.objects.get(requester_email="grace@example.org")
    assert response.status_code == 302 and response["Location"] == page_url(case)
    assert (case.status, case.channel) == (Status.VERIFYING, "post")
    assert local_date(case.received_at) == date(2025, 4, 25)
    # UK GDPR: one month from Friday 25 April is Sunday 25 May; Monday 26 May is a bank holiday.
    assert (case.governing_regime, case.due_at, case.effective_due_at) == (
        "uk_gdpr", date(2025, 5, 27), date(2025, 5, 27),
    )  # fmt: skip
    email = only_email_to("grace@example.org")
    assert email.subject == f"We have logged your request {case.reference}"
    assert "by post on 25 April 2025" in email.body and "We will answer by 27 May 2025" in email.body


@time_machine.travel(datetime(2025, 5, 5, 11, tzinfo=UTC), tick=False)
def test_a_received_date_in_the_future_is_refused_and_nothing_is_logged(handler: Any) -> None:
    response = signed_in(handler, "Handler").post(LOG_PAGE, log_form(received_on="2025-05-06"))
    assert response.status_code == 400
    assert "The day received cannot be in the future." in response.content.decode()
    assert not PrivacyRequest.objects.filter(requester_email="grace@example.org").exists()
    assert mail.outbox == []


def test_an_agent_request_without_the_subjects_name_is_refused(handler: Any) -> None:
    response = signed_in(handler, "Handler").post(
        LOG_PAGE, log_form(received_on=local_today().isoformat(), relationship="agent")
    )
    assert response.status_code == 400
    assert "Name the person the request is about." in response.content.decode()
    assert not PrivacyRequest.objects.filter(requester_email="grace@example.org").exists()
    assert mail.outbox == []


# Double submits.


def test_completing_twice_closes_the_case_once(act: Act, handler: Any) -> None:
    case = case_in_progress(handler)
    client = signed_in(handler, "Handler")
    assert act(client, case, "complete", outcome="fulfilled", note="").status_code == 302
    assert act(client, case, "complete", outcome="fulfilled", note="").status_code != 302
    assert verbs(case).count("completed") == 1
    assert len(emails_to(case.requester_email)) == 1


def test_a_second_complete_says_the_case_is_already_completed(act: Act, handler: Any) -> None:
    case = case_in_progress(handler)
    client = signed_in(handler, "Handler")
    act(client, case, "complete", outcome="fulfilled", note="")
    response = act(client, case, "complete", outcome="fulfilled", note="")
    assert response.status_code == 400
    assert f"{case.reference} is Completed; that cannot be done now." in response.content.decode()


def test_a_complete_that_loses_a_race_shows_the_reload_message_and_one_event(
    act: Act, handler: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = case_in_progress(handler)
    read_case = PrivacyRequestAdmin.get_object

    def read_then_other_click_wins(self: PrivacyRequestAdmin, request: HttpRequest, *args: Any) -> Any:
        seen = read_case(self, request, *args)
        if request.method == "POST":  # the first click completes the case after this one read it
            services.complete(fresh(case), by=handler, outcome="fulfilled")
        return seen

    monkeypatch.setattr(PrivacyRequestAdmin, "get_object", read_then_other_click_wins)
    response = act(signed_in(handler, "Handler"), case, "complete", outcome="fulfilled", note="")
    assert response.status_code == 400
    assert f"{case.reference} was changed by someone else meanwhile. Reload it and try again." in (
        response.content.decode()
    )
    assert fresh(case).status == Status.COMPLETED and verbs(case).count("completed") == 1


def test_assigning_the_same_person_twice_records_one_assignment(act: Act, dpo: Any, handler: Any) -> None:
    in_role(handler, "Handler")
    case = open_case()
    client = signed_in(dpo, "DPO")
    assert act(client, case, "assign", assignee=handler.pk).status_code == 302
    response = act(client, case, "assign", assignee=handler.pk)
    assert response.status_code == 400
    assert f"{case.reference} is already assigned to {handler.username}." in response.content.decode()
    assert verbs(case).count("assigned") == 1
    assert len(emails_to(handler.email)) == 1


def test_the_same_extract_saved_twice_is_kept_once(act: Act, handler: Any, crm: CompanySystem) -> None:
    case = case_in_progress(handler)
    client = signed_in(handler, "Handler")
    for _ in range(2):  # a double click on Save
        upload = SimpleUploadedFile(
            "orders.csv", b"email,order\nada@example.org,1001\n", content_type="text/csv"
        )
        assert act(client, case, "check", system=crm.pk, state="exported", extract=upload).status_code == 302
    assert Evidence.objects.filter(privacy_request=case, kind="extract").count() == 1
    assert verbs(case).count("extract_added") == 1


def test_an_auditor_sees_file_names_but_no_download_links(
    act: Act, handler: Any, auditor: Any, crm: CompanySystem
) -> None:
    case = case_in_progress(handler)
    upload = SimpleUploadedFile("orders.csv", b"email,order\nada@example.org,1001\n", content_type="text/csv")
    act(signed_in(handler, "Handler"), case, "check", system=crm.pk, state="exported", extract=upload)
    item = Evidence.objects.get(privacy_request=case)
    client = signed_in(auditor, "Auditor")
    page = client.get(page_url(case)).content.decode()
    assert "orders.csv" in page and f"/admin/evidence/{item.pk}/" not in page
    assert client.get(f"/admin/evidence/{item.pk}/").status_code == 404


@pytest.mark.parametrize("cost", ["NaN", "sNaN", "Infinity", "0", "-5"])
def test_a_fee_line_that_is_not_a_positive_amount_is_a_form_error(dpo: Any, cost: str) -> None:
    from requests.admin.forms import FeeForm

    form = FeeForm(
        {"amount": "10", "currency": "GBP", "reason": "excessive", "breakdown": f"Copying: {cost}"},
        privacy_request=make_case(),
        user=dpo,
    )
    assert not form.is_valid() and "Line 1 should read" in str(form.errors["breakdown"])


# Fees by law (requests/fee_rules.py).


@pytest.mark.parametrize(("country", "law"), [("BR", "LGPD art. 18 §5"), ("RU", "152-FZ art. 14")])
def test_no_fee_is_offered_where_the_law_makes_requests_free(
    act: Act, dpo: Any, country: str, law: str
) -> None:
    case = open_case(country=country)
    client = signed_in(dpo, "DPO")
    page = client.get(page_url(case)).content.decode()
    assert 'name="action" value="fee"' not in page
    response = act(
        client, case, "fee", amount="50.00", currency="EUR", reason="excessive", breakdown="Copies: 50.00"
    )
    assert response.status_code == 400 and law in response.content.decode()
    assert fresh(case).status == Status.OPEN and fresh(case).fee_amount is None


def test_in_quebec_only_the_cost_of_copies_may_be_charged_and_the_requester_is_told_first(
    act: Act, dpo: Any
) -> None:
    case = open_case(country="CA", subdivision="QC")
    client = signed_in(dpo, "DPO")
    refused = act(
        client, case, "fee", amount="20.00", currency="CAD", reason="excessive", breakdown="Work: 20.00"
    )
    assert refused.status_code == 400 and fresh(case).fee_amount is None
    quoted = act(
        client, case, "fee", amount="20.00", currency="CAD", reason="reproduction",
        breakdown="Copying 200 pages: 15.00\nPostage: 5.00",
    )  # fmt: skip
    assert quoted.status_code == 302 and fresh(case).fee_reason == "reproduction"
    body = only_email_to(case.requester_email).body
    assert "charge a reasonable amount for transcribing, copying or sending" in body
    assert "excessive" not in body
