"""Identity checks as each law sets them (issue 19), in a real browser (screenshots in test-artifacts/).

A GDPR access request needs only a name and a confirmed email; a Californian asking for the specific pieces who
matches two details is answered with the categories, and the letter says why.
"""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from pypdf import PdfReader

from requests import letters, services
from requests.forms import PrivacyRequestForm
from requests.lifecycle import Status
from requests.models import CompanySystem, LetterKind, PrivacyRequest, ProcessingActivity
from requests.roles import ensure_roles
from tests.e2e.test_staff_queue import sign_in
from tests.e2e.walk import fill_request, press
from tests.factories import complete_case

# A browser keeps the machine's clock: not run in the clock-shifted pass.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.real_clock]

DECLARE = str(PrivacyRequestForm.base_fields["declare"].label)


def last_code() -> str:
    found = re.search(r"^\s+(\d{6})$", str(mail.outbox[-1].body), re.MULTILINE)
    assert found, mail.outbox[-1].body
    return found.group(1)


def text_of(pdf: bytes) -> str:
    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages)


def test_a_gdpr_access_request_with_only_a_name_and_an_email_opens_without_staff(page: Any) -> None:
    asked: list[str] = []

    def answer_page(step: str) -> None:
        asked.append(step)
        page.shot(step)

    # From the right's entry point: three choices, a name and an email; every optional field left empty.
    answers = {
        "Who is this request about?": "Me",
        "Which country do you live in?": "Germany",
        "Which period?": "Everything you hold about me",
        "Your full name": "Ada Lovelace",
        "Your email address": "ada@example.org",
    }
    fill_request(page, "access", answers, on_page=answer_page)
    assert asked == ["who", "where", "request", "contact", "check"]  # no page of details to match
    page.get_by_role("heading", name="Request received").wait_for()
    case = PrivacyRequest.objects.get()
    page.get_by_text(f"Your reference is {case.reference}.").wait_for()
    page.shot("submitted")
    assert (case.details, case.customer_name, case.subject_name, case.period_since) == ("", "", "", None)
    page.get_by_label("6-digit code from the email").fill(last_code())
    page.get_by_role("button", name="Confirm").click()
    page.get_by_role("heading", name="Email confirmed").wait_for()
    page.get_by_text("We have started work on your request").wait_for()
    page.shot("confirmed-and-open")

    case = PrivacyRequest.objects.get()
    assert case.data_points == {} and case.declared_at is None and case.regimes == ["policy", "eu_gdpr"]
    assert (case.status, case.identity_tier) == (Status.OPEN, "email")
    verbs = list(case.events.values_list("verb", flat=True))
    assert "email_confirmed" in verbs and "identity_verified" not in verbs  # nobody on staff had to check

    page.get_by_role("link", name="Follow your request").click()
    page.get_by_label("The email address you used for your request").fill("ada@example.org")
    page.get_by_role("button", name="Send me a code").click()
    page.get_by_label("6-digit code from the email").fill(last_code())
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name=case.reference).click()
    assert "Checking identity" not in page.content() and "EU GDPR" in page.content()
    page.shot("status-open")


def test_a_californian_matching_two_details_is_answered_with_the_categories(page: Any, dpo: Any) -> None:
    ensure_roles()
    dpo.groups.add(Group.objects.get(name="DPO"))
    orders = ProcessingActivity.objects.create(
        name="Customer orders", purposes="Delivering what you ordered", data_categories="Name, postal address",
        legal_basis="contract", sources="You, when you order", retention="6 years", recipients="Acme Couriers Ltd",
    )  # fmt: skip
    crm = CompanySystem.objects.create(name="CRM", owner=dpo)
    crm.activities.add(orders)

    wants_the_specific_pieces = {
        "Who is this request about?": "Me",
        "Which country do you live in?": "United States of America",
        "Which state or province do you live in?": "California (CA)",
        "Which period?": "Everything you hold about me",
        "I live in California and also want the specific pieces of personal information you hold": True,
    }
    fill_request(page, "access", wants_the_specific_pieces, until="identity")
    press(page, "Continue")  # no details, no declaration: the law asks for them
    page.get_by_text("For the specific pieces of information the law asks for at least 3").first.wait_for()
    page.shot("specific-pieces-need-details")
    details = {
        "A phone number we may have for you": "+1 415 555 0100",
        "A postal address we may have for you": "1 Main St, Fresno",
        "Date of birth": "1990-01-01",
        DECLARE: True,
        "Type your full name to sign": "Maria Gonzalez",
        "Your full name": "Maria Gonzalez",
        "Your email address": "maria@example.com",
    }
    fill_request(page, None, details)
    page.get_by_role("heading", name="Request received").wait_for()
    page.get_by_label("6-digit code from the email").fill(last_code())
    page.get_by_role("button", name="Confirm").click()
    page.get_by_text("checks the details you gave").wait_for()
    case = PrivacyRequest.objects.get()
    assert case.status == Status.VERIFYING and case.specific_pieces and case.declared_at is not None

    # Staff find only the phone and the address in our records: the date of birth is not held.
    page.context.clear_cookies()
    sign_in(page, dpo)
    page.goto(f"/admin/requests/privacyrequest/{case.pk}/change/")
    page.locator("summary", has_text="Verify identity").click()
    page.get_by_text("answered with the categories of information alone").wait_for()
    page.get_by_label("Phone number: +1 415 555 0100").check()
    page.get_by_label("Postal address: 1 Main St, Fresno").check()
    page.shot("verify-two-details")
    page.get_by_role("button", name="Verify identity").click()
    page.get_by_text("Identity verified for the categories only").wait_for()
    page.shot("verified-for-the-categories")
    case.refresh_from_db()
    assert (case.status, case.identity_tier) == (Status.OPEN, "matched")

    services.assign(case, to=dpo, by=dpo)
    services.record_system_check(case, by=dpo, system=crm, state="exported")
    complete_case(case, by=dpo)
    assert letters.letter_for(case, "request-completed") == LetterKind.CCPA_KNOW
    text = text_of(letters.render(case, LetterKind.CCPA_KNOW))
    assert "Name, postal address" in text and "Delivering what you ordered" in text  # the categories
    assert "You asked for the specific pieces of personal information" in text
    assert "We could verify your identity only to a reasonable degree of certainty" in text
    assert "answered your request as a request for the categories of personal information" in text
    assert "are in the answer pack" not in text
