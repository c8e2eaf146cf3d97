"""The requester's first steps, as a browser would take them: submit, get the email, confirm."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from identity.models import EmailChallenge
from requests.lifecycle import Status
from requests.models import RIGHTS, PrivacyRequest
from tests.factories import pdf_bytes
from tests.intake import pages

pytestmark = pytest.mark.django_db

BASE = {
    "requester_name": "Ада Лавлейс",
    "requester_email": "ada@example.org",
    "relationship": "self",
    "country": "GB",
    "subdivision": "",
    "language": "en",
    "period": "12_months",
    # Details that help us find the data: optional, kept for staff.
    "phone": "+44 20 7946 0000",
    "account_reference": "ORDER-1234",
}
CALIFORNIA = {"country": "US", "subdivision": "US-CA"}


def code_and_link(message: Any) -> tuple[str, str]:
    code = re.search(r"^\s+(\d{6})$", message.body, re.MULTILINE)
    link = re.search(r"(http://\S+/verify/(\S+)/)", message.body)
    assert code and link, message.body
    return code.group(1), link.group(2)


@pytest.mark.parametrize("kind", [kind.value for kind in RIGHTS])
def test_every_right_has_a_form_asking_only_what_it_needs(client: Client, kind: str) -> None:
    html = pages(
        client, kind, {**BASE, "rectification_current": "a", "rectification_wanted": "b", "grounds": "x"}
    )
    assert 'name="requester_email"' in html and 'name="country"' in html
    assert ('name="period"' in html) == (kind in ("access", "portability"))
    assert ('name="rectification_wanted"' in html) == (kind == "rectification")
    assert ('name="grounds"' in html) == (kind in ("restriction", "objection"))
    assert ('name="marketing_only"' in html) == (kind == "objection")


def test_unknown_right_is_404(client: Client) -> None:
    assert client.get("/requests/new/everything/").status_code == 404


@pytest.mark.parametrize("kind", ["appeal", "complaint"])
def test_an_appeal_or_complaint_has_no_form_of_its_own(client: Client, kind: str) -> None:
    # Each follows a case, from that case's status page.
    assert client.get(f"/requests/new/{kind}/").status_code == 404


def test_submit_then_confirm_with_the_emailed_code(client: Client, submit_form: Any) -> None:
    response = submit_form("access")
    assert response.status_code == 302 and response["Location"] == "/requests/submitted/"
    case = PrivacyRequest.objects.get()
    page = client.get("/requests/submitted/").content.decode()
    assert case.reference in page and "6-digit code" in page
    (message,) = mail.outbox
    assert message.to == ["ada@example.org"]
    code, _token = code_and_link(message)
    assert message.subject == f"{code} is your code for request {case.reference}"
    assert "Ада Лавлейс" in message.body and "&" not in message.body  # plain text, not HTML-escaped
    # CCPA regs §7021(b): how identity is checked, and when to expect the answer.
    assert "What happens next:" in message.body and "/status/" in message.body
    assert f"We will answer by {case.effective_due_at:%-d %B %Y}" in message.body
    response = client.post("/verify/", {"code": code})
    assert response.status_code == 302 and response["Location"] == "/verify/done/"
    done = client.get("/verify/done/").content.decode()
    assert "Email confirmed" in done and "started work" in done
    assert 'href="/status/">See where your request is</a>' in done  # no dead end: the way on
    case.refresh_from_db()
    assert case.status == Status.OPEN  # under UK GDPR the confirmed email is enough (identity/tiers.py)
    assert case.identity_tier == "email" and case.identity_verified_at is not None
    assert client.post("/verify/", {"code": code}).status_code == 302  # already done: no error, no second use


def test_a_californian_request_to_know_waits_for_staff_to_match_two_details(
    client: Client, submit_form: Any
) -> None:
    submit_form("access", **CALIFORNIA)
    code, _ = code_and_link(mail.outbox[0])
    client.post("/verify/", {"code": code})
    done = client.get("/verify/done/").content.decode()
    assert "checks the details you gave" in done
    case = PrivacyRequest.objects.get()
    assert case.status == Status.VERIFYING and case.identity_verified_at is None and not case.specific_pieces


def test_email_tier_opens_the_case_at_once(client: Client, submit_form: Any) -> None:
    submit_form("rectification", rectification_current="Old address", rectification_wanted="New address")
    assert "confirming your address is all the proof of identity we need" in mail.outbox[0].body
    code, _ = code_and_link(mail.outbox[0])
    client.post("/verify/", {"code": code})
    assert PrivacyRequest.objects.get().status == Status.OPEN
    assert "started work" in client.get("/verify/done/").content.decode()


def test_the_link_asks_for_a_click_then_confirms_once(submit_form: Any) -> None:
    submit_form("erasure")
    _, token = code_and_link(mail.outbox[0])
    other_browser = Client()
    # The token leaves the address bar (and every log) at once: the page that asks is /verify/link/.
    opened = other_browser.get(f"/verify/{token}/")
    confirm_page = opened["Location"]
    assert opened.status_code == 302 and confirm_page.startswith("/verify/link/?link=")
    assert token not in confirm_page and token not in str(dict(other_browser.session))  # kept as its HMAC
    page = other_browser.get(confirm_page)
    assert page.status_code == 200 and PrivacyRequest.objects.get().status == Status.NEW  # a scanner's GET
    assert other_browser.post(confirm_page)["Location"] == "/verify/done/"
    assert PrivacyRequest.objects.get().status == Status.OPEN
    for again in (other_browser.post(confirm_page), Client().post(f"/verify/{token}/")):
        assert again.status_code == 200
        assert "Your email address is already confirmed" in again.content.decode()


def test_a_page_opened_from_the_link_before_the_change_still_confirms(submit_form: Any) -> None:
    submit_form("erasure")
    _, token = code_and_link(mail.outbox[0])
    # Its form has no action: it posts to the address it was opened at, the link itself.
    assert Client().post(f"/verify/{token}/")["Location"] == "/verify/done/"
    assert PrivacyRequest.objects.get().status == Status.OPEN


def test_two_links_opened_in_one_browser_each_confirm_their_own_case(submit_form: Any) -> None:
    # The review found the second link overwrote the first: pressing A's button confirmed B, and A lapsed.
    submit_form("erasure")
    submit_form("access")
    first, second = (PrivacyRequest.objects.get(kind=kind) for kind in ("erasure", "access"))
    browser = Client()
    tabs = [browser.get(f"/verify/{code_and_link(email)[1]}/")["Location"] for email in mail.outbox[:2]]
    assert browser.post(tabs[0])["Location"] == "/verify/done/"
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == Status.OPEN and second.status == Status.NEW
    assert browser.post(tabs[1])["Location"] == "/verify/done/"
    second.refresh_from_db()
    assert second.status == Status.OPEN


def test_the_confirm_page_without_a_link_says_so(client: Client) -> None:
    for response in (
        client.get("/verify/link/"),
        client.post("/verify/link/"),
        client.get("/verify/link/?link=guess"),
    ):
        page = response.content.decode()
        assert response.status_code == 400 and "This link no longer works" in page
        # No request of this browser's to send a new code for: the way on is home.
        assert 'href="/"' in page and "Send me a new code" not in page


def test_wrong_codes_lock_the_challenge_after_five(client: Client, submit_form: Any) -> None:
    submit_form("access")
    code, _ = code_and_link(mail.outbox[0])
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        response = client.post("/verify/", {"code": wrong})
        assert response.status_code == 400 and "not right" in response.content.decode()
    assert client.post("/verify/", {"code": code}).status_code == 400
    assert PrivacyRequest.objects.get().status == Status.NEW


def test_an_expired_code_is_refused(client: Client, submit_form: Any) -> None:
    submit_form("access")
    code, _ = code_and_link(mail.outbox[0])
    with time_machine.travel(timezone.now() + timedelta(minutes=31)):
        assert client.post("/verify/", {"code": code}).status_code == 400
    assert PrivacyRequest.objects.get().status == Status.NEW


def test_a_new_code_replaces_the_old_one(client: Client, submit_form: Any) -> None:
    submit_form("access")
    old_code, _ = code_and_link(mail.outbox[0])
    response = client.post("/verify/resend/")
    page = response.content.decode()
    assert "We have sent a new code" in page
    new_code, _ = code_and_link(mail.outbox[1])
    if new_code != old_code:
        assert client.post("/verify/", {"code": old_code}).status_code == 400
    # The page's code form posts to the code's own address, not back to "send a new code".
    assert '<form method="post" action="/verify/" class="request-form narrow"' in page
    assert client.post("/verify/", {"code": new_code}).status_code == 302
    assert len(mail.outbox) == 2


def test_codes_are_stored_hashed(submit_form: Any) -> None:
    submit_form("access")
    code, token = code_and_link(mail.outbox[0])
    challenge = EmailChallenge.objects.get()
    assert code not in (challenge.code_hash, challenge.token_hash)
    assert token not in (challenge.code_hash, challenge.token_hash)


@pytest.mark.parametrize(
    ("kind", "extra"), [("opt_out", {}), ("limit_sensitive", {}), ("objection", {"marketing_only": "on"})]
)
def test_opt_outs_are_honoured_at_once_without_verification(
    client: Client, submit_form: Any, kind: str, extra: dict[str, str]
) -> None:
    submit_form(kind, country="US", subdivision="US-CA", **extra)
    case = PrivacyRequest.objects.get()
    assert case.status == Status.COMPLETED
    page = client.get("/requests/submitted/").content.decode()
    # Each kind has its own heading: a limit or an objection is not an opt-out.
    heading = {
        "opt_out": "Your opt-out is in effect",
        "limit_sensitive": "Your limit on sensitive information is in effect",
        "objection": "Your objection to direct marketing is in effect",
    }[kind]
    assert f"<h1>{heading}</h1>" in page and case.reference in page
    (message,) = mail.outbox
    assert message.subject == f"Your request {case.reference} has been honoured"


def test_bad_input_re_renders_with_messages_and_keeps_what_was_typed(submit_form: Any) -> None:
    state = submit_form(
        "access", requester_email="not-an-email", country="US", subdivision="", period="since"
    )
    assert state.status_code == 400 and "There is a problem" in state.content.decode()
    assert "Choose the state or province" in state.content.decode()
    period = submit_form("access", requester_email="not-an-email", period="since")
    assert "Give the date, or choose another period." in period.content.decode()
    response = submit_form("access", requester_email="not-an-email")
    html = response.content.decode()
    assert response.status_code == 400
    assert "Enter an email address in the correct format, like name@example.com" in html
    assert 'value="Ада Лавлейс"' in html and 'value="not-an-email"' in html
    assert PrivacyRequest.objects.count() == 0 and mail.outbox == []


def test_agent_requests_need_the_subjects_name(submit_form: Any) -> None:
    response = submit_form("erasure", relationship="agent")
    assert "Tell us the name of the person" in response.content.decode()
    permission = SimpleUploadedFile("permission.pdf", pdf_bytes())
    submit_form(
        "erasure",
        relationship="agent",
        subject_name="Charles Babbage",
        subject_email="cb@example.org",
        permission=permission,
    )
    case = PrivacyRequest.objects.get()
    assert (case.relationship, case.subject_name, case.requester_name) == (
        "agent",
        "Charles Babbage",
        "Ада Лавлейс",
    )


def test_customer_data_becomes_a_processor_request(submit_form: Any) -> None:
    submit_form("erasure", about_customer_data="on", customer_name="Acme Ltd")
    case = PrivacyRequest.objects.get()
    assert case.processor_request and case.customer_name == "Acme Ltd"


def test_the_honeypot_creates_nothing(client: Client, submit_form: Any) -> None:
    response = submit_form("access", website="http://spam.example")
    assert response.status_code == 302
    assert PrivacyRequest.objects.count() == 0 and mail.outbox == []


def test_submissions_are_rate_limited(submit_form: Any, settings: Any) -> None:
    for _ in range(10):
        assert submit_form("opt_out").status_code == 302
    response = submit_form("opt_out")
    assert response.status_code == 429 and "Too many attempts" in response.content.decode()
    assert PrivacyRequest.objects.count() == 10


def test_urls_never_carry_personal_data_or_case_ids(client: Client, submit_form: Any) -> None:
    response = submit_form("access")
    case = PrivacyRequest.objects.get()
    assert str(case.pk) not in response["Location"] and "ada" not in response["Location"]


def test_the_form_speaks_russian(client: Client) -> None:
    client.post("/i18n/setlang/", {"language": "ru", "next": "/"})
    html = pages(client, "access", BASE)
    assert "Получить доступ к моим данным" in html and "Ваше полное имя" in html
    assert re.search(r'value="ru"[^>]*checked', html)  # the letters' language follows the page's


@pytest.mark.parametrize("kind", ["access", "erasure", "rectification"])
def test_the_details_are_optional_and_kept_for_staff_when_given(submit_form: Any, kind: str) -> None:
    # Asked where a law asks to match them (California); elsewhere "anything else" on the last page does.
    extra = {"rectification_current": "a", "rectification_wanted": "b"} if kind == "rectification" else {}
    extra |= CALIFORNIA
    bare = submit_form(kind, requester_email="bare@example.org", phone="", account_reference="", **extra)
    assert bare.status_code == 302
    assert PrivacyRequest.objects.get(requester_email="bare@example.org").data_points == {}
    submit_form(kind, **extra)
    case = PrivacyRequest.objects.get(requester_email="ada@example.org")
    assert case.data_points == {"phone": "+44 20 7946 0000", "account_reference": "ORDER-1234"}
    submitted = case.events.get(verb="submitted").data
    assert submitted["data_points"] == ["account_reference", "phone"] and "ORDER-1234" not in str(submitted)


def test_the_form_says_the_details_help_find_the_data_and_asks_for_no_id(client: Client) -> None:
    html = pages(client, "access", {**BASE, **CALIFORNIA})
    assert "Details to check it is you" in html and "if you leave them out, we will write and ask" in html
    assert "never an ID document" in html
    for name in ("phone", "postal_address", "account_reference", "date_of_birth"):
        field = re.search(rf'<(input|textarea)[^>]*name="{name}"[^>]*>', html)
        assert field and "required" not in field.group(0), name


def test_a_californian_asking_for_the_categories_needs_no_details_or_declaration(submit_form: Any) -> None:
    response = submit_form("access", **CALIFORNIA, phone="", account_reference="")
    assert response.status_code == 302
    case = PrivacyRequest.objects.get()
    assert not case.specific_pieces and case.declared_at is None and case.data_points == {}


def test_california_specific_pieces_need_three_details_and_a_signed_declaration(submit_form: Any) -> None:
    html = submit_form("access", **CALIFORNIA, specific_pieces="on").content.decode()
    assert "For the specific pieces of information the law asks for at least 3 of these details" in html
    assert "sign the declaration" in html and "untick the box to ask for the categories only" in html
    response = submit_form(
        "access",
        **CALIFORNIA,
        specific_pieces="on",
        postal_address="1 Main St, Fresno",
        declare="on",
        declaration_name="Ada Lovelace",
    )
    assert response.status_code == 302
    case = PrivacyRequest.objects.get()
    assert case.declaration_name == "Ada Lovelace" and case.declared_at is not None and case.specific_pieces


def test_a_californian_portability_request_is_for_the_specific_pieces(submit_form: Any) -> None:
    html = submit_form("portability", **CALIFORNIA).content.decode()
    assert "at least 3 of these details" in html and "sign the declaration" in html
    assert "untick the box" not in html  # a portable copy is the specific pieces: there is nothing to untick


def test_only_californians_are_held_to_the_specific_pieces(submit_form: Any) -> None:
    # Everyone else's request for access gets a copy: the box changes nothing for them.
    assert submit_form("access", specific_pieces="on", phone="", account_reference="").status_code == 302
    case = PrivacyRequest.objects.get()
    assert not case.specific_pieces and case.status == Status.NEW


def test_rights_that_need_only_the_email_do_not_ask_for_details(client: Client) -> None:
    california = {**BASE, **CALIFORNIA, "grounds": "because"}
    html = pages(client, "restriction", california)
    assert 'name="phone"' not in html and 'name="declare"' not in html
    access = pages(client, "access", {**california, "specific_pieces": "on"})
    assert 'name="declare"' in access and 'name="specific_pieces"' in access
    portability = pages(client, "portability", california)
    assert 'name="declare"' in portability and 'name="specific_pieces"' not in portability
    erasure = pages(client, "erasure", california)
    assert 'name="phone"' in erasure and 'name="declare"' not in erasure
    # Under the GDPR nothing is matched: no page of details at all.
    assert 'name="phone"' not in pages(client, "erasure", BASE)


def test_a_russian_requester_gets_russian_email_and_pages(client: Client, submit_form: Any) -> None:
    client.post("/i18n/setlang/", {"language": "ru", "next": "/"})
    submit_form("access", language="ru", requester_name="Иван Петров")
    (message,) = mail.outbox
    case = PrivacyRequest.objects.get()
    code, _ = code_and_link(message)
    assert message.subject == f"{code} — ваш код для запроса {case.reference}"
    assert "Уважаемый(ая) Иван Петров!" in message.body  # formal, as in the letters
    page = client.get("/requests/submitted/").content.decode()
    assert "Запрос получен" in page and "Срок — " in page


def test_a_case_completed_later_is_not_called_an_honoured_opt_out(
    client: Client, submit_form: Any, dpo: Any
) -> None:
    from requests import services

    submit_form("rectification", rectification_current="a", rectification_wanted="b")
    code, _ = code_and_link(mail.outbox[0])
    client.post("/verify/", {"code": code})
    case = PrivacyRequest.objects.get()
    services.assign(case, to=dpo, by=dpo)
    services.complete(case, by=dpo, outcome="fulfilled")
    response = client.get("/requests/submitted/")
    assert response.status_code == 302 and response["Location"] == "/verify/done/"


def test_a_processor_request_tells_the_requester_it_goes_to_the_customer(
    client: Client, submit_form: Any
) -> None:
    submit_form("erasure", about_customer_data="on", customer_name="Acme Ltd")
    page = client.get("/requests/submitted/").content.decode()
    assert "we pass your request to Acme Ltd, who decides on it" in page


def test_an_opt_out_being_carried_out_says_so_and_not_done(client: Client, submit_form: Any) -> None:
    from requests.models import CompanySystem

    CompanySystem.objects.create(name="Support mailbox", owner_email="support-owner@example.com")
    submit_form("opt_out", country="US", subdivision="US-CA")
    case = PrivacyRequest.objects.get()
    assert case.status == Status.IN_PROGRESS
    page = client.get("/requests/submitted/").content.decode()
    assert "Request recorded" in page and case.reference in page and "suppression list" in page
    assert "honoured" not in page and "Email confirmed" not in page
    assert not [m for m in mail.outbox if "has been honoured" in m.subject]  # not told "done" before it is


def test_the_form_asks_what_the_laws_of_the_establishment_ask_too(submit_form: Any, settings: Any) -> None:
    """The form works out the laws as the intake service does (PRIVACY_ESTABLISHMENT included)."""
    settings.PRIVACY_VERIFICATION_TIERS = {"uk_gdpr": {"access": "high"}}
    japan = {"country": "JP", "phone": "", "account_reference": ""}
    assert submit_form("access", **japan).status_code == 302  # no law of Japan's in the portal: the email
    settings.PRIVACY_ESTABLISHMENT = ("GB",)
    html = submit_form("access", requester_email="b@example.org", **japan).content.decode()
    assert "Give at least 3 of these details" in html and "sign the declaration" in html
