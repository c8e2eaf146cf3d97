"""Each law's letters, read as a lawyer of that law reads them: the provisions, the regulator and the remedies it
requires, in English and in Russian, and nothing of another law the requester is not under.

docs/letters.md lists each element against the provision it comes from; REQUIRED below is that list in the words
the letters print. Set LETTER_DUMP=/some/dir to keep every PDF rendered here, to look at them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError

from requests import letters, services
from requests.models import CompanySystem, LetterKind, PrivacyRequest
from requests.services.common import TransitionError
from tests.factories import complete_case
from tests.requests.test_letters import case_in_progress, check, in_russian, register, text_of

pytestmark = pytest.mark.django_db
# The register of test_letters: three entries in three systems, the orders and newsletter entries also in Russian.
__all__ = ["in_russian", "register"]

MONDAY = datetime(2025, 3, 10, 10, tzinfo=UTC)

# (country, subdivision) of a requester of each law family the issue names, and a few more.
PLACES = {
    "GB": ("GB", ""),
    "FR": ("FR", ""),
    "RU": ("RU", ""),
    "BR": ("BR", ""),
    "US-CA": ("US", "CA"),
    "US-VA": ("US", "VA"),
    "CA-QC": ("CA", "QC"),
    "CA-ON": ("CA", "ON"),
    "CH": ("CH", ""),
    "TR": ("TR", ""),
    "KR": ("KR", ""),
    "JP": ("JP", ""),  # no law we know: the operator's policy alone
}


@pytest.fixture(autouse=True)
def _monday_10_march() -> Iterator[None]:
    with time_machine.travel(MONDAY, tick=False):
        yield


def render(case: PrivacyRequest, kind: str, place: str) -> str:
    pdf = letters.render(case, kind)
    if os.environ.get("LETTER_DUMP"):
        folder = Path(os.environ["LETTER_DUMP"])
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{place}-{case.language}-{kind}-{case.kind}.pdf").write_bytes(pdf)
    return text_of(pdf)


def case_for(place: str, dpo: Any, handler: Any, *, language: str = "en", **fields: Any) -> PrivacyRequest:
    country, subdivision = PLACES[place]
    return case_in_progress(
        dpo,
        handler,
        country=country,
        subdivision=subdivision,
        language=language,
        requester_name="Ada Lovelace" if language == "en" else "Анна Павлова",
        **fields,
    )


def access_answer(place: str, dpo: Any, handler: Any, language: str) -> str:
    case = case_for(place, dpo, handler, language=language)
    check(case, handler, CRM="exported")
    complete_case(case, by=handler)
    return render(case, letters.access_letter_kind(case), place)


def refusal(place: str, dpo: Any, handler: Any, language: str, reason: str = "legal_exemption") -> str:
    case = case_for(place, dpo, handler, language=language)
    services.deny(case, by=dpo, reason=reason, explanation="A court order requires us to keep these records.")
    return render(case, LetterKind.REFUSAL, place)


def quote(case: PrivacyRequest, dpo: Any, ground: str = "repetitive") -> None:
    services.quote_fee(
        case,
        by=dpo,
        amount=Decimal("10.00"),
        currency="eur",
        reason=ground,
        breakdown=[("Copies", Decimal(10))],
    )


def erasure_answer(place: str, dpo: Any, handler: Any, language: str) -> str:
    case = case_for(place, dpo, handler, language=language, kind="erasure")
    check(case, handler, CRM="erased")
    complete_case(case, by=handler)
    return render(case, LetterKind.CONFIRMATION, place)


# What each law's letters must say, in English: (place, letter) -> phrases. Each comes from a provision listed in
# docs/letters.md; "remedies" is in every letter.
REMEDIES = {
    "GB": [
        "Information Commissioner's Office (ICO)",
        "https://ico.org.uk/make-a-complaint/",
        "section 165 of the Data Protection Act 2018",
        "section 167 of the Data Protection Act 2018",
        "section 164A",
    ],
    "FR": [
        "Commission nationale de l'informatique et des libertés (CNIL)",
        "Article 77 of the GDPR",
        "Article 79",
    ],
    "RU": ["Roskomnadzor", "https://rkn.gov.ru/", "Article 17(1)", "moral harm"],
    "BR": ["National Data Protection Authority (ANPD)", "Article 18 §1 of the LGPD", "Article 22"],
    "US-CA": ["California Privacy Protection Agency", "https://cppa.ca.gov/", "California Attorney General"],
    "US-VA": ["Office of the Attorney General of Virginia"],
    "CA-QC": ["Commission d'accès à l'information du Québec", "section 42", "within 30 days", "section 43"],
    "CA-ON": ["Office of the Privacy Commissioner of Canada", "section 11 of PIPEDA", "Federal Court"],
    "CH": ["Federal Data Protection and Information Commissioner (FDPIC)", "Article 32 of the FADP"],
    "TR": ["Personal Data Protection Board", "within thirty days", "Article 14 of the KVKK"],
    "KR": ["Personal Information Protection Commission (PIPC)", "Dispute Mediation Committee"],
    "JP": [
        "Information Commissioner's Office (ICO)",
        "data protection authority of the country where you live",
    ],
}
ACCESS = {
    "GB": [
        "(Article 15 of the UK GDPR)",
        "GDPR Art. 15(1)(a)",
        "GDPR Art. 15(1)(c)",
        "Article 16",
        "Contract (GDPR Art. 6(1)(b))",
    ],
    "FR": ["(Article 15 of the GDPR)", "GDPR Art. 15(1)(a)"],
    "RU": [
        "(Article 14 and Article 20(1) of Federal Law No. 152-FZ)",
        "152-FZ art. 14(7)(2)",
        "152-FZ art. 14(7)(3)",
        "152-FZ art. 14(7)(4), (9)",
        "the information Article 14(7) of Federal Law No. 152-FZ lists",
        "free of charge (Article 20(1))",
        "Article 14(7)(7)",
        "Federal Law No. 152-FZ of 27 July 2006",
        "Contract (152-FZ art. 6(1)(5))",
    ],
    "BR": [
        "(Article 18, I and II, and Article 19 of the LGPD)",
        "our declaration under Article 19, II, of the LGPD",
        "the origin of the data, the purpose of the processing and the legal basis",
        "LGPD art. 19, II (purpose)",
        "Article 19 §3",
        "LGPD art. 19, II (origin)",
        "Contract (LGPD art. 7, V)",
    ],
    "US-CA": ["§1798.110 and §1798.115", "§7024"],
    "CA-QC": ["(section 27 of the Quebec Private Sector Act)", "section 28.1"],
}
REFUSAL = {
    "GB": ["Schedules 2 to 4 of the Data Protection Act 2018"],
    "FR": ["under Article 23 of the GDPR"],
    "RU": ["Article 14(8)", "Article 20(2)"],
    "BR": ["Article 18 §4, II", "Article 16", "free of charge (Article 18 §5)"],
    "US-CA": ["§1798.105(d) and §1798.145"],
    "US-VA": ["Va. Code §59.1-577(C)", "Appeal our decision", "within 60 days"],
    "CA-QC": ["section 34", "sections 37 to 41", "help you (section 34)"],
    "CA-ON": ["section 8(7)"],
    "CH": ["Article 26(4)"],
    "TR": ["Article 13(3)"],
    "KR": ["Article 35(4)"],
    "JP": ["Our privacy policy commits us"],
}
# A law the requester is not under never appears in their letter.
FOREIGN = {
    "RU": ["GDPR", "ICO", "CCPA"],
    "BR": ["GDPR", "ICO", "152-FZ"],
    "US-CA": ["GDPR", "Information Commissioner"],
    "US-VA": ["GDPR", "Information Commissioner", "CCPA"],
    "CA-QC": ["GDPR", "Information Commissioner", "PIPEDA"],
    "FR": ["UK GDPR", "Information Commissioner", "Data Protection Act 2018"],
    "GB": ["CNIL", "Article 23 of the GDPR", "152-FZ"],
}


@pytest.mark.parametrize("place", sorted(PLACES))
def test_a_refusal_cites_the_requesters_own_law_its_regulator_and_remedies(
    place: str, dpo: Any, handler: Any
) -> None:
    text = refusal(place, dpo, handler, "en")
    for phrase in REMEDIES[place] + REFUSAL[place]:
        assert phrase in text, phrase
    for phrase in FOREIGN.get(place, []):
        assert phrase not in text, phrase


@pytest.mark.parametrize("place", sorted(ACCESS))
def test_an_access_answer_gives_what_the_requesters_law_lists(
    place: str, dpo: Any, handler: Any, register: dict[str, CompanySystem]
) -> None:
    text = access_answer(place, dpo, handler, "en")
    for phrase in ACCESS[place] + REMEDIES[place]:
        assert phrase in text, phrase
    # The period covered: everything held up to the day of receipt (a Californian: back to 1 January 2022).
    if place == "US-CA":
        assert "from 10 March 2024 to 10 March 2025: the 12 months before we received your request" in text
        assert "(as far back as 1 January 2022)" in text
        assert text.count("We will not discriminate against you") == 1  # the response says it once
    else:
        assert "whenever we collected it, up to 10 March 2025, the day we received your request" in text
    for phrase in FOREIGN.get(place, []):
        assert phrase not in text, phrase


@pytest.mark.parametrize(
    ("place", "basis", "recipients"),
    [
        ("GB", "(Article 17 of the UK GDPR)", "(Article 19 of the UK GDPR)"),
        ("FR", "(Article 17 of the GDPR)", "(Article 19 of the GDPR)"),
        (
            "RU",
            "(Article 14(1), Article 20(3) and Article 21 of Federal Law No. 152-FZ)",
            "(Article 20(3) of",
        ),
        ("BR", "(Article 18, IV and VI, of the LGPD)", "(Article 18 §6 of the LGPD)"),
        ("US-CA", "(Cal. Civ. Code §1798.105)", "(Cal. Civ. Code §1798.105(c) and §1798.106(c))"),
    ],
)
def test_an_erasure_confirmation_cites_the_law_it_answers_and_its_duty_to_tell_recipients(
    place: str, basis: str, recipients: str, dpo: Any, handler: Any, register: dict[str, CompanySystem]
) -> None:
    text = erasure_answer(place, dpo, handler, "en")
    assert basis in text and recipients in text
    for phrase in REMEDIES[place]:
        assert phrase in text, phrase


def test_the_letter_says_which_laws_apply_and_why(
    settings: Any, dpo: Any, handler: Any, register: dict[str, CompanySystem]
) -> None:
    """A Russian resident of an operator established in the UK is owed both laws: the letter names each, the
    requester's own first, and cites both."""
    settings.PRIVACY_ESTABLISHMENT = ("GB",)
    text = access_answer("RU", dpo, handler, "en")
    assert (
        "The law that applies Federal Law No. 152-FZ of 27 July 2006 “On Personal Data” (where you live); "
        "The UK General Data Protection Regulation (UK GDPR) and the Data Protection Act 2018 "
        "(where we are established)"
    ) in text
    assert "(Article 14 and Article 20(1) of Federal Law No. 152-FZ and Article 15 of the UK GDPR)" in text
    assert "Roskomnadzor" in text and "Information Commissioner's Office (ICO)" in text
    # Each element of the answer says where both laws ask for it.
    assert (
        "GDPR Art. 15(1)(a); 152-FZ art. 14(7)(3)" in text
        or "152-FZ art. 14(7)(3); GDPR Art. 15(1)(a)" in text
    )


@pytest.mark.parametrize(
    ("place", "fee_law", "ground"),
    [
        ("GB", "(Article 12(5) of the UK GDPR)", "repetitive"),
        ("US-CA", "(Cal. Civ. Code §1798.145(h)(3))", "repetitive"),
        ("CA-QC", "(section 33 of the Quebec Private Sector Act)", "reproduction"),
    ],
)
def test_a_fee_letter_cites_the_law_that_allows_the_fee(
    place: str, fee_law: str, ground: str, dpo: Any, handler: Any
) -> None:
    case = case_for(place, dpo, handler)
    quote(case, dpo, ground)
    text = render(case, LetterKind.FEE, place)
    assert fee_law in text
    if place != "GB":
        assert "GDPR" not in text


@pytest.mark.parametrize("place", ["RU", "BR"])
def test_no_fee_can_be_asked_where_the_law_makes_requests_free(place: str, dpo: Any, handler: Any) -> None:
    case = case_for(place, dpo, handler)
    with pytest.raises(TransitionError, match="free of charge"):
        quote(case, dpo)


def test_a_forward_notice_cites_the_processors_duty_in_the_requesters_law(dpo: Any, handler: Any) -> None:
    case = case_for("BR", dpo, handler)
    services.forward(case, by=dpo, controller="Globex Retail GmbH")
    text = render(case, LetterKind.FORWARD, "BR")
    assert "(Articles 5, VII, and 39 of the LGPD)" in text and "GDPR" not in text


def test_a_152fz_extension_notice_is_the_reasoned_notice_the_law_asks_for(dpo: Any, handler: Any) -> None:
    case = case_for("RU", dpo, handler)
    services.extend(case, by=dpo, reason="Пять систем.")
    text = render(case, LetterKind.EXTENSION, "RU")
    assert (
        "extend the time to answer by up to five working days, provided we send you a reasoned notice" in text
    )
    assert "Roskomnadzor" in text and "We will answer by 31 March 2025 at the latest." in text
    assert "GDPR" not in text


# --- Russian ---------------------------------------------------------------------------------------------------

RUSSIAN = {
    "RU": ["Роскомнадзор", "статьи 17", "152-ФЗ", "Уважаемый(ая) Анна Павлова!"],
    "GB": ["ICO", "раздел 165 Закона о защите данных 2018 года", "Уважаемый(ая) Анна Павлова!"],
    "BR": ["ANPD", "LGPD"],
    "CA-QC": ["Commission d'accès à l'information du Québec", "статья 34"],
    # The state and its Attorney General in Russian too (deadlines.STATE_APPEALS names are translated).
    "US-VA": ["Офис Генерального прокурора штата Виргиния", "штата Виргиния", "Va. Code §59.1-577(C)"],
}


@pytest.mark.parametrize("place", sorted(RUSSIAN))
def test_a_russian_letter_is_all_russian_with_its_laws_in_russian(place: str, dpo: Any, handler: Any) -> None:
    text = refusal(place, dpo, handler, "ru")
    for phrase in RUSSIAN[place]:
        assert phrase in text, phrase
    # No English sentence left: the words every English letter uses never appear.
    for english in ENGLISH_WORDS:
        assert english not in text, english
    assert "10 марта 2025 г." in text


ENGLISH_WORDS = [
    " the ",
    " we ",
    " your ",
    " you ",
    "Dear ",
    "Article ",
    "section ",
    "Yours sincerely",
    " and ",
]


@pytest.mark.parametrize("place", ["RU", "GB", "BR", "CA-QC", "FR"])
def test_a_russian_access_answer_has_no_english_left(
    place: str, dpo: Any, handler: Any, in_russian: dict[str, CompanySystem]
) -> None:
    """The register in Russian too (what the DPO wrote), the law's own elements in Russian, the date as written."""
    text = access_answer(place, dpo, handler, "ru")
    for english in ENGLISH_WORDS:
        assert english not in text, english
    assert (
        "Обработка заказов" in text and "10 марта 2025 г." in text and "Уважаемый(ая) Анна Павлова!" in text
    )


def test_a_russian_152fz_letter_is_signed_by_the_person_responsible_for_processing(
    dpo: Any, handler: Any, in_russian: dict[str, CompanySystem]
) -> None:
    text = access_answer("RU", dpo, handler, "ru")
    assert "лицо, ответственное за организацию обработки персональных данных" in text
    assert "части 7 статьи 14" in text and "безвозмездно" in text


# --- Cases under several laws, follow-ups, and the edges ----------------------------------------------------


def test_a_us_state_letter_cites_the_states_own_section_never_our_policy(
    dpo: Any, handler: Any, register: dict[str, CompanySystem]
) -> None:
    text = access_answer("US-VA", dpo, handler, "en")
    assert "(Va. Code §59.1-577)" in text and "under our privacy policy" not in text
    assert "The consumer privacy law of Virginia (Va. Code §59.1-577) (where you live)" in text
    case = case_for("US-VA", dpo, handler, kind="erasure")
    check(case, handler, CRM="erased")
    complete_case(case, by=handler, outcome="partially_fulfilled", note="Invoices are kept for tax law.")
    text = render(case, LetterKind.CONFIRMATION, "US-VA")
    # Virginia's law sets no duty to tell recipients: the letter says what we did without claiming one.
    assert "We told each recipient to whom we disclosed your personal data what we did" in text
    assert "The law asks us to tell each recipient" not in text


def test_an_access_answer_under_two_laws_gives_the_rights_of_both(
    settings: Any, dpo: Any, handler: Any, register: dict[str, CompanySystem]
) -> None:
    settings.PRIVACY_ESTABLISHMENT = ("RU",)
    text = access_answer("GB", dpo, handler, "en")
    assert (
        "The UK GDPR also gives you the right:" in text
        and "Federal Law No. 152-FZ also gives you the right:" in text
    )
    assert "This is the procedure for exercising your rights that Article 14(7)(7) asks us to state." in text
    assert "To use any of these rights" not in text  # said once, in the 152-FZ procedure
    assert "GDPR Art. 15(1)(a); 152-FZ art. 14(7)(3)" in text


def test_a_complaint_outcome_names_the_remedies_of_the_original_requests_laws(
    settings: Any, dpo: Any, handler: Any
) -> None:
    """A Russian resident's complaint to a UK-established operator: the outcome names Roskomnadzor as well as the
    ICO, and does not tell someone who just complained to us to complain to us first."""
    settings.PRIVACY_ESTABLISHMENT = ("GB",)
    original = case_for("RU", dpo, handler, kind="rectification")
    complaint = services.complain(original, complaint="You took three weeks to answer.")
    services.assign(complaint, to=handler, by=dpo)
    services.decide(
        complaint, by=dpo, outcome="complaint_upheld", reasons="We were slow; we have added staff."
    )
    text = render(complaint, LetterKind.COMPLAINT_OUTCOME, "RU")
    assert "Roskomnadzor" in text and "Information Commissioner's Office (ICO)" in text
    assert "section 164A" not in text


def test_a_russian_email_names_the_regulator_in_russian(dpo: Any, handler: Any) -> None:
    case = case_for("RU", dpo, handler, language="ru")
    mail.outbox.clear()
    services.deny(case, by=dpo, reason="legal_exemption", explanation="Суд обязал нас хранить эти записи.")
    from requests.services.notify import email_requester

    email_requester(case.pk, "request-denied")
    body = mail.outbox[-1].body
    assert "Роскомнадзор" in body and "Federal Service" not in body


def test_an_eu_gdpr_requester_outside_the_eea_is_pointed_to_our_lead_authority(
    settings: Any, dpo: Any, handler: Any
) -> None:
    """A Californian of an operator established in Germany is under the GDPR (Art. 3(1)) but lives and works in no
    EU state: the operator's own authority is theirs, not "the authority where you live"."""
    settings.PRIVACY_ESTABLISHMENT = ("DE",)
    settings.PRIVACY_SUPERVISORY_AUTHORITY = (
        "the Hamburg Commissioner for Data Protection, https://datenschutz-hamburg.de/"
    )
    text = refusal("US-CA", dpo, handler, "en")
    assert "Hamburg Commissioner for Data Protection, https://datenschutz-hamburg.de/" in text
    assert "edpb.europa.eu" not in text


@pytest.mark.parametrize(
    ("configured", "named"),
    [
        ("", "complain to the data protection authority of the country where you live"),
        ("https://ico.org.uk/make-a-complaint/", "the Information Commissioner's Office (ICO)"),
    ],
)
def test_the_operators_authority_reads_well_however_it_is_configured(
    configured: str, named: str, settings: Any, dpo: Any, handler: Any
) -> None:
    settings.PRIVACY_SUPERVISORY_AUTHORITY = configured
    text = refusal("JP", dpo, handler, "en")
    assert named in text and "complain to ," not in text and "complain to (" not in text


def test_a_fee_under_our_policy_alone_cites_no_empty_law(dpo: Any, handler: Any) -> None:
    case = case_for("JP", dpo, handler)
    quote(case, dpo)
    text = render(case, LetterKind.FEE, "JP")
    assert "Our privacy policy allows us to charge a reasonable fee" in text and "()" not in text


def test_152fz_has_no_manifestly_unfounded_refusal(dpo: Any, handler: Any) -> None:
    case = case_for("RU", dpo, handler)
    with pytest.raises(ValidationError, match="Article 14"):
        services.deny(case, by=dpo, reason="manifestly_unfounded", explanation="You ask too often.")


def test_a_refusal_under_both_the_eu_and_the_uk_gdpr_gives_both_laws_exemptions(
    settings: Any, dpo: Any, handler: Any
) -> None:
    settings.PRIVACY_ESTABLISHMENT = ("GB",)
    text = refusal("FR", dpo, handler, "en")
    assert "Schedules 2 to 4 of the Data Protection Act 2018" in text and "under its Article 23" in text
    assert "CNIL" in text and "Information Commissioner's Office (ICO)" in text
