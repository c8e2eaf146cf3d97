"""The PDF letters, read as the requester (or a regulator) reads them: rendered, then their text extracted.

Cases are built through the services, as staff would work them; "now" is a fixed Monday so the dates
each letter states can be written out here.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.template.loader import get_template
from django.utils import translation
from pypdf import PdfReader

from privacyportal.pdf import _fetch_static
from requests import letters, services
from requests.lifecycle import Status
from requests.models import CompanySystem, Letter, LetterKind, PrivacyRequest, ProcessingActivity
from requests.tasks import send_requester_email
from tests.factories import complete_case, make_case

pytestmark = pytest.mark.django_db

MONDAY = datetime(2025, 3, 10, 10, tzinfo=UTC)
AUTHORITY = "Information Commissioner's Office (ICO)"


@pytest.fixture(autouse=True)
def _monday_10_march() -> Iterator[None]:
    with time_machine.travel(MONDAY, tick=False):
        yield


def text_of(pdf: bytes) -> str:
    """The letter's text with line wraps and page breaks flattened to single spaces."""
    pages = PdfReader(io.BytesIO(pdf)).pages
    return " ".join(" ".join(page.extract_text().split()) for page in pages)


def letter_text(case: PrivacyRequest, kind: str) -> str:
    return text_of(letters.render(case, kind))


@pytest.fixture
def register(dpo: Any) -> dict[str, CompanySystem]:
    """Three register entries in three systems, as a small online shop would keep them."""
    orders = ProcessingActivity.objects.create(
        name="Customer orders",
        purposes="Delivering what you ordered and handling returns",
        data_categories="Name, postal address, order history",
        legal_basis="contract",
        sources="You, when you place an order",
        recipients="Acme Couriers Ltd\nStripe Payments Europe Ltd",
        retention="6 years after the order, as tax law requires",
    )
    newsletter = ProcessingActivity.objects.create(
        name="Newsletter",
        purposes="Sending our monthly newsletter",
        data_categories="Email address, which newsletters you opened",
        legal_basis="consent",
        sources="Our sign-up form and the list broker Lists4U Ltd",
        recipients="Mailjet SAS",
        retention="Until you unsubscribe",
        transfers="United States (Mailjet support staff), under the standard contractual clauses",
        automated_decisions="We score how engaged you are to decide how often to write to you.",
    )
    hiring = ProcessingActivity.objects.create(
        name="Job applications",
        purposes="Choosing whom to hire",
        data_categories="CV, interview notes",
        legal_basis="legitimate_interests",
        sources="You, when you apply",
        retention="6 months after the position is filled",
    )
    crm = CompanySystem.objects.create(name="CRM", owner=dpo)
    crm.activities.add(orders, newsletter)
    billing = CompanySystem.objects.create(name="Billing", owner=dpo)
    billing.activities.add(orders)
    hr = CompanySystem.objects.create(name="Recruitment inbox", owner=dpo)
    hr.activities.add(hiring)
    return {"crm": crm, "billing": billing, "hr": hr}


def case_in_progress(dpo: Any, handler: Any, **fields: Any) -> PrivacyRequest:
    """A submitted case whose email was confirmed, identity verified where needed, and assigned."""
    case = make_case(**fields)
    services.confirm_email(case)
    if case.status == Status.VERIFYING:
        services.verify(case, by=dpo, data_points=["phone", "postal_address", "date_of_birth"])
    services.assign(case, to=handler, by=dpo)
    assert case.status == Status.IN_PROGRESS
    return case


def check(case: PrivacyRequest, handler: Any, **states: str) -> None:
    for system_name, state in states.items():
        system = CompanySystem.objects.get(name=system_name.replace("_", " "))
        services.record_system_check(case, by=handler, system=system, state=state)


def test_every_letter_kind_has_its_template() -> None:
    for kind in LetterKind.values:
        assert get_template(f"pdf/letter-{kind.replace('_', '-')}.html")


# Access (GDPR Art. 15).


def test_access_letter_gives_the_art15_information_of_each_register_entry_holding_the_data(
    dpo: Any, handler: Any, register: dict[str, CompanySystem]
) -> None:
    case = case_in_progress(dpo, handler)
    check(case, handler, CRM="exported", Billing="exported", Recruitment_inbox="no_data")
    complete_case(case, by=handler, outcome="fulfilled")
    assert letters.letter_for(case, "request-completed") == LetterKind.ACCESS

    text = letter_text(case, LetterKind.ACCESS)
    assert "Yes, we process personal data about you." in text
    # UK GDPR sets no look-back: everything we hold (requests/lookback.py).
    assert "all the personal data we hold about you, whenever we collected it, up to 10 March 2025" in text
    assert "12 months" not in text
    for expected in [
        "Customer orders",
        "Delivering what you ordered and handling returns",
        "Name, postal address, order history",
        "Contract (GDPR Art. 6(1)(b))",
        "Acme Couriers Ltd; Stripe Payments Europe Ltd",
        "6 years after the order, as tax law requires",
        "You, when you place an order",
        "Newsletter",
        "Sending our monthly newsletter",
        "Email address, which newsletters you opened",
        "Consent (GDPR Art. 6(1)(a))",
        "Mailjet SAS",
        "Until you unsubscribe",
        "Our sign-up form and the list broker Lists4U Ltd",
        "United States (Mailjet support staff), under the standard contractual clauses",
        "We score how engaged you are to decide how often to write to you.",
    ]:
        assert expected in text, expected
    # Orders transfer nothing and decide nothing automatically: the letter says so rather than leave a gap.
    assert "None: this data stays in the UK and the European Economic Area." in text
    assert "None: we make no decisions about you based solely on automated processing." in text
    # Every system searched, with what it held; the register entry of a system without data is not claimed.
    assert "CRM Exported" in text and "Billing Exported" in text and "Recruitment inbox No data" in text
    assert "Job applications" not in text and "Choosing whom to hire" not in text
    assert "http://127.0.0.1:8000/status/" in text and "new code we email you" in text
    for right in ["Article 16", "Article 17", "Article 18", "Article 21", "Article 20"]:
        assert right in text
    assert AUTHORITY in text and "section 165 of the Data Protection Act 2018" in text


def test_access_letter_covers_the_period_the_requester_asked_for(
    dpo: Any, handler: Any, register: dict[str, CompanySystem]
) -> None:
    case = case_in_progress(dpo, handler, period="since", period_since=date(2021, 6, 1))
    check(case, handler, CRM="exported")
    complete_case(case, by=handler, outcome="fulfilled")

    text = letter_text(case, LetterKind.ACCESS)
    assert "from 1 June 2021, as you asked, to 10 March 2025" in text
    assert "12 months" not in text


def test_access_letter_where_no_law_applies_covers_the_operators_12_months(
    dpo: Any, handler: Any, register: dict[str, CompanySystem]
) -> None:
    case = case_in_progress(dpo, handler, country="JP")  # only the operator's policy applies
    check(case, handler, CRM="exported")
    complete_case(case, by=handler, outcome="fulfilled")
    text = letter_text(case, LetterKind.ACCESS)
    assert "from 10 March 2024 to 10 March 2025: the 12 months before we received your request" in text


def test_a_californian_who_asks_for_everything_gets_everything_since_2022(
    dpo: Any, handler: Any, register: dict[str, CompanySystem]
) -> None:
    case = case_in_progress(dpo, handler, period="all", **californian())
    check(case, handler, CRM="exported")
    complete_case(case, by=handler, outcome="fulfilled")
    text = letter_text(case, LetterKind.CCPA_KNOW)
    assert "collected from 1 January 2022, as far back as the law reaches, to 10 March 2025" in text


def test_access_letter_says_plainly_when_we_hold_no_data(
    dpo: Any, handler: Any, register: dict[str, CompanySystem]
) -> None:
    case = case_in_progress(dpo, handler)
    check(case, handler, CRM="no_data", Billing="no_data", Recruitment_inbox="no_data")
    complete_case(case, by=handler, outcome="no_data")

    text = letter_text(case, LetterKind.ACCESS)
    assert "We do not process any personal data about you." in text
    assert "CRM No data" in text and "Billing No data" in text
    assert "How we use your data" not in text and "Customer orders" not in text
    assert "answer pack" not in text  # no copy to download
    assert AUTHORITY in text


def test_portability_gets_the_access_letter_with_the_machine_readable_copy(
    dpo: Any, handler: Any, register: dict[str, CompanySystem]
) -> None:
    case = case_in_progress(dpo, handler, kind="portability")
    check(case, handler, CRM="exported")
    complete_case(case, by=handler, outcome="fulfilled")
    assert letters.letter_for(case, "request-completed") == LetterKind.ACCESS

    text = letter_text(case, LetterKind.ACCESS)
    assert "Your personal data in a portable format: our answer" in text
    assert "structured, commonly used and machine-readable format" in text
    assert "(Articles 15 and 20 of the UK GDPR)" in text
    assert "JSON and CSV files, which you can reuse or give to another organisation" in text


# CCPA request to know (§1798.110, regulations §7024).


def californian(**fields: Any) -> dict[str, Any]:
    """A Californian asking for the specific pieces, with the signed declaration (unless `fields` say otherwise)."""
    return {
        "country": "US",
        "subdivision": "CA",
        "specific_pieces": True,
        "declaration_name": "Ada Lovelace",
        **fields,
    }


def test_ccpa_letter_gives_the_categories_and_includes_specific_pieces_for_the_high_tier(
    dpo: Any, handler: Any, register: dict[str, CompanySystem]
) -> None:
    case = case_in_progress(dpo, handler, **californian())
    assert case.identity_tier == "high"
    check(case, handler, CRM="exported", Billing="no_data")
    complete_case(case, by=handler, outcome="fulfilled")
    assert letters.letter_for(case, "request-completed") == LetterKind.CCPA_KNOW

    text = letter_text(case, LetterKind.CCPA_KNOW)
    assert "Your request to know: our response" in text
    assert "from 10 March 2024 to 10 March 2025: the 12 months before we received your request" in text
    for expected in [
        "Name, postal address, order history",  # categories of personal information
        "Our sign-up form and the list broker Lists4U Ltd",  # categories of sources
        "Delivering what you ordered and handling returns",  # business or commercial purposes
        "Acme Couriers Ltd; Stripe Payments Europe Ltd",  # third parties disclosed to
        "Mailjet SAS",
    ]:
        assert expected in text, expected
    assert "We do not sell personal information" in text and "We have not sold or shared" in text
    assert "The specific pieces of personal information we collected about you are in the answer pack" in text
    assert "as a request for the categories" not in text and "You asked for the categories" not in text
    assert "We will not discriminate against you" in text
    assert "deleted (§1798.105)" in text and "corrected (§1798.106)" in text
    assert "California Privacy Protection Agency" in text


def test_a_californian_who_asked_for_the_categories_gets_them_and_how_to_ask_for_the_specific_pieces(
    dpo: Any, handler: Any, register: dict[str, CompanySystem]
) -> None:
    case = make_case(country="US", subdivision="CA", data_points={"phone": "1", "postal_address": "2"})
    services.confirm_email(case)
    services.verify(case, by=dpo, data_points=["phone", "postal_address"])  # §7062(b): two details
    services.assign(case, to=handler, by=dpo)
    check(case, handler, CRM="exported")
    complete_case(case, by=handler, outcome="fulfilled")

    text = letter_text(case, LetterKind.CCPA_KNOW)
    assert "Name, postal address, order history" in text  # the categories are the answer
    assert "You asked for the categories of personal information we collected about you" in text
    assert "at least three details you give us must match" in text
    assert "declaration under penalty of perjury" in text
    assert "tick the box for the specific pieces" in text and "at http://127.0.0.1:8000/" in text
    assert "are in the answer pack" not in text and "as a request for the categories" not in text


def test_a_californian_request_for_the_specific_pieces_matching_two_details_is_answered_as_categories(
    dpo: Any, handler: Any, register: dict[str, CompanySystem]
) -> None:
    points = {"phone": "1", "postal_address": "2", "date_of_birth": "1990-01-01"}
    case = make_case(**californian(data_points=points))
    services.confirm_email(case)
    assert case.status == Status.VERIFYING
    # Only two of the three matched what we hold: not refused, verified for the categories (§7024(a)).
    services.verify(case, by=dpo, data_points=["phone", "postal_address"])
    assert (case.status, case.identity_tier) == (Status.OPEN, "matched")
    assert case.events.get(verb="identity_verified").data["reached"] == "matched"
    services.assign(case, to=handler, by=dpo)
    check(case, handler, CRM="exported")
    complete_case(case, by=handler, outcome="fulfilled")

    text = letter_text(case, LetterKind.CCPA_KNOW)
    assert "Name, postal address, order history" in text and "Mailjet SAS" in text  # the categories
    assert "You asked for the specific pieces of personal information we collected about you" in text
    assert "We could verify your identity only to a reasonable degree of certainty" in text
    assert "(§7024(a)), we have therefore not disclosed the specific pieces" in text
    assert "answered your request as a request for the categories of personal information" in text
    assert "you may ask again at any time at http://127.0.0.1:8000/" in text
    assert "are in the answer pack" not in text


# Erasure, rectification, restriction, objection: the confirmation (Art. 19 recipients).


def test_erasure_confirmation_lists_the_art19_recipients_of_the_systems_that_held_the_data(
    dpo: Any, handler: Any, register: dict[str, CompanySystem]
) -> None:
    case = case_in_progress(dpo, handler, kind="erasure")
    check(case, handler, CRM="erased", Billing="erased", Recruitment_inbox="no_data")
    services.record_recipient_notice(
        case, by=handler, recipient="Acme Couriers Ltd", method="email", told_on=date(2025, 3, 10)
    )
    services.record_recipient_notice(
        case,
        by=handler,
        recipient="Mailjet SAS",
        not_told_reason="Mailjet deletes unsubscribed contacts itself.",
    )
    complete_case(case, by=handler, outcome="fulfilled")
    assert letters.letter_for(case, "request-completed") == LetterKind.CONFIRMATION

    text = letter_text(case, LetterKind.CONFIRMATION)
    assert "Confirmation of erasure" in text and "Outcome: Done in full" in text
    assert "We have erased the personal data we held about you" in text
    assert "CRM Erased" in text and "Billing Erased" in text and "Recruitment inbox No data" in text
    assert "The law asks us to tell each recipient" in text and "(Article 19 of the UK GDPR)" in text
    # Only what staff recorded: told how and when; not told and why; not yet told.
    assert "Acme Couriers Ltd: told by email on 10 March 2025" in text
    assert (
        "Mailjet SAS: not told, because it proved impossible or would take a disproportionate effort" in text
    )
    assert "Stripe Payments Europe Ltd: not yet told" in text
    assert AUTHORITY in text


def test_a_recipient_notice_must_name_a_register_recipient_and_say_how_or_why_not(
    dpo: Any, handler: Any, register: dict[str, CompanySystem]
) -> None:
    case = case_in_progress(dpo, handler, kind="erasure")
    check(case, handler, CRM="erased")
    with pytest.raises(ValidationError, match="register names"):
        services.record_recipient_notice(
            case, by=handler, recipient="Nobody Ltd", method="email", told_on=None
        )
    with pytest.raises(ValidationError, match="why this recipient was not told"):
        services.record_recipient_notice(case, by=handler, recipient="Acme Couriers Ltd")
    with pytest.raises(ValidationError, match="between the day the request came and today"):
        services.record_recipient_notice(
            case, by=handler, recipient="Acme Couriers Ltd", method="email", told_on=date(2030, 1, 1)
        )
    assert not case.recipient_notices.exists()
    access = case_in_progress(dpo, handler, requester_email="b@example.org")
    with pytest.raises(services.TransitionError, match=r"Art\. 19"):
        services.record_recipient_notice(
            access, by=handler, recipient="Acme Couriers Ltd", not_told_reason="x"
        )


def test_partial_erasure_says_what_we_kept_and_why(
    dpo: Any, handler: Any, register: dict[str, CompanySystem]
) -> None:
    case = case_in_progress(dpo, handler, kind="erasure")
    check(case, handler, Billing="restricted", CRM="erased")
    note = "We keep your invoices of 2024 until 2030 because tax law requires it."
    complete_case(case, by=handler, outcome="partially_fulfilled", note=note)

    text = letter_text(case, LetterKind.CONFIRMATION)
    assert "Outcome: Done in part" in text and note in text
    assert "We have erased part of the personal data" in text and "(Article 17(3) of the UK GDPR)" in text
    assert "Billing Restricted" in text


def test_rectification_confirmation_quotes_the_correction_and_says_no_one_else_was_told(
    dpo: Any, handler: Any, register: dict[str, CompanySystem]
) -> None:
    case = case_in_progress(
        dpo,
        handler,
        kind="rectification",
        rectification_current="Postal address: 1 Old Road, Leeds",
        rectification_wanted="Postal address: 2 New Street, York",
    )
    check(case, handler, Recruitment_inbox="rectified")  # its register entry discloses to no one
    complete_case(case, by=handler, outcome="fulfilled")

    text = letter_text(case, LetterKind.CONFIRMATION)
    assert "Confirmation of correction" in text
    assert "Postal address: 1 Old Road, Leeds" in text and "Postal address: 2 New Street, York" in text
    assert "Recruitment inbox Rectified" in text
    assert "We did not disclose your data to anyone else, so there was no one to inform." in text


def test_objection_to_direct_marketing_is_confirmed_without_an_art19_list(
    register: dict[str, CompanySystem],
) -> None:
    case = make_case(kind="objection", marketing_only=True)  # honoured at once, no verification
    assert case.status == Status.COMPLETED

    text = letter_text(case, LetterKind.CONFIRMATION)
    assert "Our answer to your objection" in text and "Outcome: Done in full" in text
    assert "We have stopped using it for direct marketing" in text
    assert "Article 19" not in text  # Art. 19 covers rectification, erasure and restriction only


def test_completion_letter_answers_an_opt_out(register: dict[str, CompanySystem]) -> None:
    case = make_case(kind="opt_out", **californian(declaration_name=""))
    assert case.status == Status.COMPLETED

    text = letter_text(case, LetterKind.COMPLETION)
    assert "Our answer to your request" in text and "Outcome: Done in full" in text
    assert "We do not sell personal information or share it for cross-context behavioral advertising" in text
    assert "(Cal. Civ. Code §1798.120 and Cal. Code Regs. tit. 11, §7026)" in text
    assert "We will not discriminate against you" in text


# Fees, refusals, forwards.


def test_fee_letter_lists_each_line_the_total_and_when_the_quote_lapses(dpo: Any, handler: Any) -> None:
    case = case_in_progress(dpo, handler)
    services.quote_fee(
        case,
        by=dpo,
        amount=Decimal("52.50"),
        currency="gbp",
        reason="repetitive",
        breakdown=[("Copying 400 pages", Decimal("40.00")), ("Tracked postage", Decimal("12.50"))],
    )

    text = letter_text(case, LetterKind.FEE)
    assert "we consider your request repetitive." in text
    assert "Copying 400 pages 40.00 GBP" in text and "Tracked postage 12.50 GBP" in text
    assert "Total 52.50 GBP" in text
    assert "(Article 12(5) of the UK GDPR)" in text
    assert "We will do nothing further on your request until you accept the fee." in text
    assert f'open request {case.reference} and choose "Accept the fee" or "Decline the fee"' in text
    assert "This quote lapses 30 days after we sent it, on 9 April 2025." in text
    assert AUTHORITY in text


REFUSALS = [
    ("identity_not_verified", "We could not verify the requester's identity", "(Article 12(2) and 12(6))"),
    ("manifestly_unfounded", "The request is manifestly unfounded", "UK GDPR allows us to refuse"),
    ("excessive", "The request is excessive or repetitive", "request that is manifestly excessive"),
    ("legal_exemption", "A legal exemption applies", "Schedules 2 to 4 of the Data Protection Act 2018"),
    ("rights_of_others", "Answering would harm the rights of others", "Article 15(4) of the UK GDPR"),
]


@pytest.mark.parametrize(("reason", "label", "law"), REFUSALS)
def test_refusal_gives_the_reason_the_explanation_the_law_and_where_to_complain(
    dpo: Any, handler: Any, reason: str, label: str, law: str
) -> None:
    case = case_in_progress(dpo, handler)
    explanation = "Your request asks for records of the police inquiry of 2023, which we must not disclose."
    services.deny(case, by=dpo, reason=reason, explanation=explanation)
    assert letters.letter_for(case, "request-denied") == LetterKind.REFUSAL

    text = letter_text(case, LetterKind.REFUSAL)
    assert "Our decision: we will not act on your request" in text
    assert f"Reason: {label}" in text and explanation in text and law in text
    assert AUTHORITY in text and "Article 77 of the UK GDPR" in text and "(Article 79 of the UK GDPR" in text
    assert "You may make a new request at any time at http://127.0.0.1:8000/." in text


def test_a_californian_who_cannot_be_verified_for_the_categories_is_pointed_to_the_privacy_policy(
    dpo: Any, handler: Any, settings: Any
) -> None:
    settings.PRIVACY_POLICY_URL = "https://example.com/privacy"
    case = services.confirm_email(make_case(country="US", subdivision="CA"))
    services.deny(case, by=dpo, reason="identity_not_verified", explanation="None of the details matched.")

    text = letter_text(case, LetterKind.REFUSAL)
    assert "Reason: We could not verify the requester's identity" in text
    assert (
        "even to the reasonable degree of certainty that the categories of personal information need" in text
    )
    assert (
        "cannot disclose either the categories or the specific pieces" in text
        and "(§7024(a) and (b))" in text
    )
    assert "Our privacy policy sets out our information practices" in text
    assert "https://example.com/privacy" in text


def test_without_a_privacy_policy_address_the_refusal_offers_to_send_it(dpo: Any, handler: Any) -> None:
    case = services.confirm_email(make_case(country="US", subdivision="CA"))
    services.deny(case, by=dpo, reason="identity_not_verified", explanation="None of the details matched.")
    assert "Write to dpo@example.com and we will send it to you." in letter_text(case, LetterKind.REFUSAL)


def test_an_unverified_californian_deletion_is_asked_about_opting_out_which_needs_no_proof(
    dpo: Any, handler: Any
) -> None:
    case = services.confirm_email(make_case(kind="erasure", country="US", subdivision="CA"))
    services.deny(case, by=dpo, reason="identity_not_verified", explanation="None of the details matched.")

    text = letter_text(case, LetterKind.REFUSAL)
    assert "refuse a request to delete that we cannot verify" in text and "§7022" in text
    assert "You do not need to prove who you are to stop us selling or sharing" in text
    assert "Would you like us to?" in text
    assert "http://127.0.0.1:8000/requests/new/opt_out/" in text
    assert "privacy policy" not in text


def test_a_gdpr_refusal_for_identity_says_nothing_of_california(dpo: Any, handler: Any) -> None:
    case = services.confirm_email(make_case(kind="erasure"))
    services.deny(case, by=dpo, reason="identity_not_verified", explanation="The address is not ours.")
    text = letter_text(case, LetterKind.REFUSAL)
    assert (
        "The UK GDPR allows us to ask for the information we need" in text
        and "(Article 12(2) and 12(6))" in text
    )
    assert "CCPA" not in text and "opt_out" not in text and "privacy policy" not in text


def test_forward_letter_names_the_controller_that_will_answer(dpo: Any, handler: Any) -> None:
    case = case_in_progress(
        dpo, handler, customer_name="Globex Retail GmbH", relationship="agent", subject_name="Grace Hopper"
    )
    services.forward(case, by=dpo, controller="Globex Retail GmbH")
    assert letters.letter_for(case, "request-forwarded") == LetterKind.FORWARD

    text = letter_text(case, LetterKind.FORWARD)
    assert "Dear Ada Lovelace," in text
    assert "You made this request on behalf of Grace Hopper." in text  # the agent reads whose data it is
    assert "on behalf of our customer, Globex Retail GmbH" in text
    assert "We have passed your request to Globex Retail GmbH, and they will answer you." in text
    assert "it is the controller, and we are its processor" in text
    assert f"write to dpo@example.com quoting {case.reference}" in text


# Language, the fetcher, and the letter that goes out with the email.


def test_a_russian_requesters_letter_shows_the_cyrillic_name_and_reference(
    dpo: Any, handler: Any, data_subject: dict[str, str], register: dict[str, CompanySystem]
) -> None:
    case = case_in_progress(dpo, handler, language="ru", **data_subject)
    check(case, handler, CRM="exported")
    complete_case(case, by=handler, outcome="fulfilled")

    text = letter_text(case, LetterKind.ACCESS)
    assert "Зоя Космодемьянская" in text and case.reference in text


# The register in the requester's language (requests/translation.py): what a DPO wrote in Russian for the entries.
RUSSIAN = {
    "Customer orders": {
        "name_ru": "Обработка заказов",
        "purposes_ru": "Доставка заказанных вами товаров и оформление возвратов",
        "data_categories_ru": "Фамилия и имя, почтовый адрес, история заказов",
        "sources_ru": "Непосредственно от вас при оформлении заказа",
        "recipients_ru": "Курьерская служба Acme Couriers Ltd\nПлатёжный сервис Stripe Payments Europe Ltd",
        "retention_ru": "6 лет после заказа, как того требует налоговое законодательство",
    },
    "Newsletter": {
        "name_ru": "Информационная рассылка",
        "purposes_ru": "Направление ежемесячной информационной рассылки",
        "data_categories_ru": "Адрес электронной почты, сведения об открытии писем",
        "sources_ru": "Форма подписки на нашем сайте и поставщик списков рассылки Lists4U Ltd",
        "recipients_ru": "Сервис рассылок Mailjet SAS",
        "retention_ru": "До отказа от подписки",
        "transfers_ru": "США (служба поддержки Mailjet) на основании стандартных договорных условий",
        "automated_decisions_ru": "Мы оцениваем вашу вовлечённость, чтобы решать, как часто вам писать.",
    },
}
# Everything the register says in English of the two entries, as the English access letter prints it.
ENGLISH = [
    "Customer orders",
    "Delivering what you ordered and handling returns",
    "Name, postal address, order history",
    "You, when you place an order",
    "Acme Couriers Ltd; Stripe Payments Europe Ltd",
    "6 years after the order, as tax law requires",
    "Newsletter",
    "Sending our monthly newsletter",
    "Email address, which newsletters you opened",
    "Our sign-up form and the list broker Lists4U Ltd",
    "Until you unsubscribe",
    "United States (Mailjet support staff), under the standard contractual clauses",
    "We score how engaged you are to decide how often to write to you.",
]


@pytest.fixture
def in_russian(register: dict[str, CompanySystem]) -> dict[str, CompanySystem]:
    """The register's orders and newsletter entries written in Russian too."""
    for name, texts in RUSSIAN.items():
        ProcessingActivity.objects.filter(name_en=name).update(**texts)
    return register


def russian_access_letter(dpo: Any, handler: Any, data_subject: dict[str, str]) -> str:
    case = case_in_progress(dpo, handler, language="ru", **data_subject)
    check(case, handler, CRM="exported", Recruitment_inbox="no_data")
    complete_case(case, by=handler, outcome="fulfilled")
    return letter_text(case, LetterKind.ACCESS)


def test_a_russian_access_letter_prints_the_register_in_russian_and_nothing_of_the_english(
    dpo: Any, handler: Any, data_subject: dict[str, str], in_russian: dict[str, CompanySystem]
) -> None:
    text = russian_access_letter(dpo, handler, data_subject)

    for texts in RUSSIAN.values():
        for field, russian in texts.items():
            expected = russian.replace("\n", "; ") if field == "recipients_ru" else russian
            assert expected in text, expected
    for english in ENGLISH:
        assert english not in text, english
    # In the order of their Russian names, not the English ones (Customer orders, Newsletter).
    assert text.index("Информационная рассылка") < text.index("Обработка заказов")


def test_an_english_access_letter_prints_the_english_register_when_there_is_a_russian_one(
    dpo: Any, handler: Any, in_russian: dict[str, CompanySystem]
) -> None:
    case = case_in_progress(dpo, handler)
    check(case, handler, CRM="exported")
    complete_case(case, by=handler, outcome="fulfilled")

    text = letter_text(case, LetterKind.ACCESS)

    for english in ENGLISH:
        assert english in text, english
    for texts in RUSSIAN.values():
        for russian in texts.values():
            assert russian.split("\n")[0] not in text, russian


def test_a_text_missing_in_russian_prints_the_english_one_rather_than_nothing(
    dpo: Any, handler: Any, data_subject: dict[str, str], in_russian: dict[str, CompanySystem]
) -> None:
    ProcessingActivity.objects.filter(name_en="Newsletter").update(
        name_ru=None, retention_ru=None, transfers_ru=""
    )

    text = russian_access_letter(dpo, handler, data_subject)

    assert "Newsletter" in text and "Until you unsubscribe" in text
    assert "United States (Mailjet support staff), under the standard contractual clauses" in text
    # The rest of the entry stays Russian.
    assert "Направление ежемесячной информационной рассылки" in text and "Sending our" not in text
    # By name as printed: the entry still named in English is not pushed to the end for want of a Russian name.
    assert text.index("Newsletter") < text.index("Обработка заказов")


def test_a_recipient_told_is_stated_in_either_language_whichever_language_staff_recorded_it_in(
    dpo: Any, handler: Any, in_russian: dict[str, CompanySystem]
) -> None:
    case = case_in_progress(dpo, handler, kind="erasure", language="ru", requester_name="Иван Петров")
    check(case, handler, CRM="erased", Billing="erased")
    # Recorded under the English name, as the case page does whatever its language (tests/requests/test_case_page.py).
    with translation.override("ru"):
        services.record_recipient_notice(
            case, by=handler, recipient="Acme Couriers Ltd", method="email", told_on=date(2025, 3, 10)
        )
    complete_case(case, by=handler, outcome="fulfilled")

    text = letter_text(case, LetterKind.CONFIRMATION)
    assert "Курьерская служба Acme Couriers Ltd: уведомлено (электронная почта) 10 марта 2025" in text
    assert "Платёжный сервис Stripe Payments Europe Ltd: ещё не уведомлён" in text
    assert "Сервис рассылок Mailjet SAS: ещё не уведомлён" in text
    case.language = "en"
    case.save(update_fields=["language"])
    english = letter_text(case, LetterKind.CONFIRMATION)
    assert "Acme Couriers Ltd: told by email on 10 March 2025" in english
    assert "Stripe Payments Europe Ltd: not yet told" in english and "Курьерская" not in english


def test_a_recipient_written_only_in_russian_is_still_listed_in_an_english_confirmation(
    dpo: Any, handler: Any, register: dict[str, CompanySystem]
) -> None:
    ProcessingActivity.objects.filter(name_en="Newsletter").update(
        recipients_en=None, recipients_ru="Сервис рассылок Mailjet SAS"
    )
    case = case_in_progress(dpo, handler, kind="erasure")
    check(case, handler, CRM="erased")
    complete_case(case, by=handler, outcome="fulfilled")

    text = letter_text(case, LetterKind.CONFIRMATION)

    assert "Сервис рассылок Mailjet SAS: not yet told" in text and "Acme Couriers Ltd: not yet told" in text


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/x.css",
        "https://letters.invalid/static/../settings.py",
        "https://letters.invalid/static/css/../../privacyportal/settings.py",
        "https://letters.invalid/media/evidence.png",
        "file:///etc/passwd",
    ],
)
def test_the_pdf_fetcher_refuses_anything_but_a_local_static_file(url: str) -> None:
    with pytest.raises(ValueError):
        _fetch_static(url)


def test_the_pdf_fetcher_serves_the_letter_stylesheet() -> None:
    body, content_type = _fetch_static("https://letters.invalid/static/css/letter.css")
    assert content_type == "text/css" and b"@page" in body


def test_an_extension_emails_the_letter_once_and_a_retried_task_reuses_it(
    dpo: Any, handler: Any, django_capture_on_commit_callbacks: Any
) -> None:
    case = case_in_progress(dpo, handler)
    reason = "We hold your data in eleven systems, three of them archived on tape."
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.extend(case, by=dpo, reason=reason)

    (message,) = mail.outbox
    assert message.to == ["ada@example.org"]
    ((filename, content, mimetype),) = message.attachments
    assert filename.startswith("extension-") and mimetype == "application/pdf"
    text = text_of(content)
    # The operator's policy (90 days, 10 March as day 1) ends before UK GDPR's three months, so it governs.
    assert reason in text and "We will answer by: Saturday 7 June 2025" in text
    assert Letter.objects.filter(privacy_request=case, kind=LetterKind.EXTENSION).count() == 1

    seq = case.events.get(verb="extended").seq
    send_requester_email(case.pk, "request-extended", seq)  # e.g. retried after a mail-server outage
    assert Letter.objects.filter(privacy_request=case).count() == 1
    assert len(mail.outbox) == 2 and mail.outbox[1].attachments[0][1] == content


def test_declining_a_fee_sends_the_refusal_letter_in_the_requesters_language(
    dpo: Any, handler: Any, django_capture_on_commit_callbacks: Any
) -> None:
    case = case_in_progress(dpo, handler, kind="rectification", language="ru", requester_name="Иван Петров")
    services.quote_fee(
        case,
        by=dpo,
        amount=Decimal("10"),
        currency="GBP",
        reason="repetitive",
        breakdown=[("Copies", Decimal("10"))],
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.decline_fee(case)
    (email,) = mail.outbox
    assert [a[0].split("-")[0] for a in email.attachments] == ["refusal"]
    assert case.letters.get().kind == LetterKind.REFUSAL
    assert "Иван Петров" in text_of(email.attachments[0][1])


def test_a_russian_extension_letter_explains_its_date_in_russian(
    dpo: Any, handler: Any, django_capture_on_commit_callbacks: Any
) -> None:
    case = case_in_progress(dpo, handler, kind="rectification", language="ru", requester_name="Иван Петров")
    services.extend(case, by=dpo, reason="Пять систем и двенадцать лет переписки.")
    text = letter_text(case, LetterKind.EXTENSION)
    assert "Пять систем и двенадцать лет переписки." in text
    # The date in words, in Russian too, not only the template; never the staff's "Пн 10 марта" shorthand.
    assert "Мы ответим не позднее" in text and "марта 2025 г." in text
    assert "Due " not in text and "Срок —" not in text and "Пн " not in text


def test_our_links_in_an_email_stop_at_the_sentences_punctuation(settings: Any) -> None:
    # The Russian emails write "…/status/, войдя": the comma became part of the link (a 404).
    from requests.templatetags.emails import email_html

    settings.PORTAL_BASE_URL = "https://portal.example"
    html = email_html(
        "Sign in at https://portal.example/status/, then. Or https://portal.example. Not https://portal.example.evil/x"
    )
    assert '<a href="https://portal.example/status/">' in html and '<a href="https://portal.example">' in html
    assert 'href="https://portal.example.evil' not in html


def test_letters_keep_their_stylesheet_under_the_production_static_storage(
    settings: Any, tmp_path: Any, dpo: Any, handler: Any, register: dict[str, CompanySystem], caplog: Any
) -> None:
    """With DEBUG off the manifest storage names the hashed copy (css/letter.<hash>.css), which exists only
    where collectstatic wrote it; the fetcher once looked only in the source folders and letters came out bare."""
    from django.core.management import call_command
    from django.templatetags.static import static

    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    call_command("collectstatic", "--noinput", verbosity=0)
    url = static("css/letter.css")
    assert url != "/static/css/letter.css"  # the hashed name, as in production
    body, content_type = _fetch_static("https://letters.invalid" + url)
    assert content_type == "text/css" and b"@page" in body
    case = case_in_progress(dpo, handler, kind="erasure")
    check(case, handler, CRM="erased")
    complete_case(case, by=handler, outcome="fulfilled")
    settings.DEBUG = False
    # PDF_STRICT_ASSETS (test settings) raises if the stylesheet was not served; and the styling shows in the PDF.
    pdf = letters.render(case, LetterKind.CONFIRMATION)
    assert_styled(pdf)
    if os.environ.get("LETTER_DUMP"):  # to look at the letter as production renders it
        Path(os.environ["LETTER_DUMP"]).mkdir(parents=True, exist_ok=True)
        (Path(os.environ["LETTER_DUMP"]) / "production-confirmation.pdf").write_bytes(pdf)


def assert_styled(pdf: bytes) -> None:
    """The letterhead's look, read from the PDF: its operator name in DejaVu Sans Bold and in blue (#1d4ed8);
    without the stylesheet the whole letter is the default serif font in black."""
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    resources: Any = page["/Resources"]
    fonts = {str(font.get_object()["/BaseFont"]) for font in resources["/Font"].values()}
    assert any(name.endswith("DejaVu-Sans-Bold") for name in fonts), fonts
    contents = page.get_contents()
    assert contents is not None and b"0.113725 0.305882 0.847059 rg" in contents.get_data()


def test_a_letter_whose_stylesheet_cannot_be_served_fails_loudly(
    monkeypatch: Any, dpo: Any, handler: Any, settings: Any, caplog: Any
) -> None:
    from privacyportal import pdf

    monkeypatch.setattr(pdf, "_collected", lambda relative: None)
    monkeypatch.setattr("django.contrib.staticfiles.finders.find", lambda relative: None)
    case = case_in_progress(dpo, handler)
    services.extend(case, by=dpo, reason="Eleven systems.")
    with pytest.raises(pdf.MissingAsset, match=r"css/letter\.css"):
        letters.render(case, LetterKind.EXTENSION)
    # In production the letter still goes (it says what the law requires), and the failure is logged as an error.
    settings.PDF_STRICT_ASSETS = False
    with caplog.at_level("ERROR", logger="privacyportal.pdf"):
        bare = letters.render(case, LetterKind.EXTENSION)
    with pytest.raises(AssertionError):
        assert_styled(bare)  # the check of the production test would catch an unstyled letter
    assert "rendered without: no static file 'css/letter.css'" in caplog.text
