"""The request form as question pages (issue 21): one question a page, the law deciding what is asked, errors
GOV.UK's way, check your answers, and nothing typed ever lost (a language switch, a 429, a wrong answer)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from identity.models import Evidence
from requests.models import PrivacyRequest
from tests.factories import pdf_bytes
from tests.intake import send

pytestmark = pytest.mark.django_db

GDPR_SELF = {"relationship": "self", "country": "DE", "period": "all",
             "requester_name": "Ada Lovelace", "requester_email": "Ada@Example.org", "language": "en"}  # fmt: skip


def text(response: Any) -> str:
    html = response.content.decode()
    main = html[html.index("<main") :]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main))


def title(response: Any) -> str:
    return re.search(r"<title>(.*?)</title>", response.content.decode(), re.S).group(1).strip()  # type: ignore[union-attr]


def walk(client: Client, kind: str, answers: dict[str, Any]) -> list[str]:
    """The pages a requester is sent through, from the right's entry point to "check your answers"."""
    seen = [f"/requests/new/{kind}/"]
    response = client.post(seen[0], answers)
    while response.status_code == 302 and not response["Location"].endswith("/check/"):
        seen.append(response["Location"])
        response = client.post(response["Location"], answers)
    assert response.status_code == 302, text(response)
    return [*seen, response["Location"]]


def test_a_gdpr_access_request_for_oneself_asks_a_name_and_an_email_and_nothing_else_required(
    client: Client,
) -> None:
    pages = walk(client, "access", GDPR_SELF)
    assert [page.rsplit("/", 2)[-2] for page in pages] == ["access", "where", "request", "contact", "check"]
    check = client.get(pages[-1])
    assert "Check your answers before sending your request" in text(check)
    for answer in (
        "Me",
        "Germany",
        "Everything you hold about me",
        "Ada Lovelace",
        "Ada@Example.org",
        "English",
    ):
        assert answer in text(check)
    # Each answer can be changed, on its own page.
    assert 'href="/requests/new/access/where/#id_country"' in check.content.decode()
    response = client.post(pages[-1])
    assert response["Location"] == "/requests/submitted/"
    case = PrivacyRequest.objects.get()
    assert (case.kind, case.requester_name, case.country, case.period) == (
        "access",
        "Ada Lovelace",
        "DE",
        "all",
    )
    assert case.data_points == {} and case.details == ""
    # Sent once: the answers are gone, and going back to the form starts a new request.
    assert client.get("/requests/new/access/check/")["Location"] == "/requests/new/access/"


def test_an_erasure_for_oneself_needs_only_who_where_and_the_contact_details(client: Client) -> None:
    answers = {"relationship": "self", "country": "FR", "requester_name": "Ada", "requester_email": "ada@example.org",
               "language": "en"}  # fmt: skip
    assert [page.rsplit("/", 2)[-2] for page in walk(client, "erasure", answers)] == [
        "erasure", "where", "contact", "check",
    ]  # fmt: skip


def test_the_place_decides_the_law_and_the_law_what_else_is_asked(client: Client) -> None:
    client.post("/requests/new/access/", {"relationship": "self"})
    assert (
        client.post("/requests/new/access/where/", {"country": "US"})["Location"]
        == "/requests/new/access/state/"
    )
    state = client.post("/requests/new/access/state/", {"subdivision": "US-CA"})
    assert state["Location"] == "/requests/new/access/request/"
    # Only the CCPA tells the categories from the specific pieces: only a Californian is asked which.
    assert "specific pieces" in text(client.get(state["Location"]))
    details = client.post("/requests/new/access/request/", {"period": "all", "specific_pieces": "on"})
    assert details["Location"] == "/requests/new/access/identity/"
    # The specific pieces need three details and the signed declaration: the page says so, all at once.
    identity = client.post("/requests/new/access/identity/", {"phone": "+1 415 555 0100"})
    assert identity.status_code == 400
    body = identity.content.decode()
    assert title(identity).startswith("Error:")
    assert "at least 3 of these details" in text(identity) and "sign the declaration" in text(identity)
    # The details' message is about the group: above the details, linked from the summary, not the phone's.
    assert 'href="#details-group"' in body and 'id="details-group"' in body
    assert 'id="id_phone_error"' not in body
    assert 'value="+1 415 555 0100"' in body  # what was typed is kept
    # Moving to France: no state, no details; the state answered before does not reach the case.
    client.post("/requests/new/access/where/", {"country": "FR"})
    client.post("/requests/new/access/request/", {"period": "all"})
    client.post("/requests/new/access/contact/", GDPR_SELF)
    check = client.get("/requests/new/access/check/")
    assert check.status_code == 200 and "State or province" not in text(check)
    client.post("/requests/new/access/check/")
    case = PrivacyRequest.objects.get()
    assert (case.country, case.subdivision) == ("FR", "")


def test_california_asks_for_the_state_and_the_details_pages(client: Client) -> None:
    california = {**GDPR_SELF, "country": "US", "subdivision": "US-CA", "phone": "+1 415 555 0100",
                  "account_reference": "C-1", "date_of_birth": "1990-01-02"}  # fmt: skip
    pages = walk(client, "access", california)
    assert [page.rsplit("/", 2)[-2] for page in pages] == [
        "access", "where", "state", "request", "identity", "contact", "check",
    ]  # fmt: skip
    check = text(client.get(pages[-1]))
    assert "California (CA)" in check and "2 January 1990" in check


def test_a_page_shows_all_its_errors_at_once_the_govuk_way(client: Client) -> None:
    client.post("/requests/new/erasure/", {"relationship": "self"})
    client.post("/requests/new/erasure/where/", {"country": "DE"})
    response = client.post("/requests/new/erasure/contact/", {"requester_email": "not an address"})
    assert response.status_code == 400
    body = response.content.decode()
    assert title(response).startswith("Error:")
    summary = re.search(r'<div class="error-summary".*?</div>', body, re.S).group(0)  # type: ignore[union-attr]
    assert "autofocus" in summary and 'tabindex="-1"' in summary and "There is a problem" in summary
    assert '<a href="#id_requester_name">Enter your full name</a>' in summary
    assert "Enter an email address in the correct format, like name@example.com" in summary
    assert '<a href="#id_language_0">Select the language for our letters</a>' in summary
    # Each field in error is marked for assistive technology and shown in red, and keeps what was typed.
    assert re.search(
        r'<input type="email" name="requester_email" value="not an address"[^>]*aria-invalid="true"', body
    )
    assert body.count("field-error") >= 3


def test_a_page_cannot_be_skipped_to(client: Client) -> None:
    assert client.get("/requests/new/access/check/")["Location"] == "/requests/new/access/"
    assert client.get("/requests/new/access/contact/")["Location"] == "/requests/new/access/"
    client.post("/requests/new/access/", {"relationship": "self"})
    assert client.get("/requests/new/access/contact/")["Location"] == "/requests/new/access/where/"
    # A page these answers do not need: the state, for someone in Germany.
    client.post("/requests/new/access/where/", {"country": "DE"})
    assert client.get("/requests/new/access/state/")["Location"] == "/requests/new/access/request/"
    assert client.get("/requests/new/access/nowhere/").status_code == 404
    assert client.get("/requests/new/appeal/").status_code == 404


def test_back_links_follow_the_pages_this_request_needs(client: Client) -> None:
    walk(client, "access", {**GDPR_SELF, "country": "US", "subdivision": "US-VA"})
    request_page = client.get("/requests/new/access/request/").content.decode()
    assert 'class="back-link" href="/requests/new/access/state/"' in request_page
    assert 'class="back-link" href="/"' in client.get("/requests/new/access/").content.decode()


def test_switching_language_keeps_the_page_and_what_was_typed(client: Client) -> None:
    client.post("/requests/new/erasure/", {"relationship": "self"})
    client.post("/requests/new/erasure/where/", {"country": "DE"})
    page = client.get("/requests/new/erasure/contact/").content.decode()
    # The language buttons send the page's own form, so what was typed goes with them (no JavaScript needed).
    assert re.search(
        r'<button[^>]*name="switch_language" form="question" formaction="/requests/new/erasure/contact/"',
        page,
    )
    response = client.post(
        "/requests/new/erasure/contact/",
        {
            "requester_name": "Ада Лавлейс",
            "requester_email": "ada@",
            "language": "en",
            "switch_language": "ru",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/requests/new/erasure/contact/"
    again = client.get(response["Location"])
    body = again.content.decode()
    assert '<html lang="ru">' in body and "Ваше полное имя" in body
    assert 'value="Ада Лавлейс"' in body and 'value="ada@"' in body
    assert again.status_code == 200 and "error-summary" not in body  # switching is not sending
    # The letters' language had followed the page's, so it follows the switch too.
    assert re.search(r'value="ru"[^>]*checked', body)


def test_the_429_page_keeps_the_answers_and_says_when_to_try_again(client: Client, settings: Any) -> None:
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.RATELIMIT_SUBMIT = "1/h"
    assert send(client, "erasure", {**GDPR_SELF, "requester_email": "one@example.org"})["Location"] == (
        "/requests/submitted/"
    )
    limited = send(client, "erasure", GDPR_SELF)
    assert limited.status_code == 429 and 0 < int(limited["Retry-After"]) <= 3600
    words = text(limited)
    assert re.search(r"Please try again in \d+ minutes?\.", words) and "We have kept your answers" in words
    assert 'href="/requests/new/erasure/check/"' in limited.content.decode()
    # Nothing typed was lost: the check page still has it all.
    assert "Ada Lovelace" in text(client.get("/requests/new/erasure/check/"))
    assert PrivacyRequest.objects.count() == 1


def test_for_someone_else_the_permission_is_asked_on_its_own_page_and_kept(
    client: Client, settings: Any, tmp_path: Any
) -> None:
    settings.PRIVATE_ROOT = tmp_path
    agent = {**GDPR_SELF, "relationship": "agent", "subject_name": "Grace Hopper"}
    client.post("/requests/new/erasure/", agent)
    page = client.get("/requests/new/erasure/them/")
    assert "About the person you ask for" in text(page) and "power of attorney" in text(page)
    missing = client.post("/requests/new/erasure/them/", {"subject_name": "Grace Hopper"})
    assert "Attach the signed permission" in text(missing)
    permission = SimpleUploadedFile("permission.pdf", pdf_bytes())
    kept = client.post(
        "/requests/new/erasure/them/", {"subject_name": "Grace Hopper", "permission": permission}
    )
    assert kept["Location"] == "/requests/new/erasure/where/"
    assert "We kept the file you sent: permission.pdf" in text(client.get("/requests/new/erasure/them/"))
    assert send(client, "erasure", {**agent, "country": "DE"})["Location"] == "/requests/submitted/"
    case = PrivacyRequest.objects.get()
    assert case.relationship == "agent" and case.subject_name == "Grace Hopper"
    assert Evidence.objects.get().privacy_request == case


def test_an_opt_out_does_not_promise_a_code(client: Client) -> None:
    client.post("/requests/new/opt_out/", {"relationship": "self"})
    client.post("/requests/new/opt_out/where/", {"country": "US"})
    client.post("/requests/new/opt_out/state/", {"subdivision": "US-CA"})
    contact = text(client.get("/requests/new/opt_out/contact/"))
    assert "We send a code" not in contact and "We write to this address to tell you it is done" in contact


def test_the_start_page_asks_what_you_want_to_do(client: Client) -> None:
    assert 'href="/requests/new/"' in client.get("/").content.decode()
    unanswered = client.post("/requests/new/", {})
    assert unanswered.status_code == 400 and title(unanswered).startswith("Error:")
    assert "Select what you want to do" in text(unanswered)
    assert client.post("/requests/new/", {"kind": "erasure"})["Location"] == "/requests/new/erasure/"


def test_nothing_is_pre_selected(client: Client) -> None:
    page = client.get("/requests/new/access/").content.decode()
    assert "checked" not in page


def test_two_requests_prepared_side_by_side_keep_their_own_files(
    client: Client, settings: Any, tmp_path: Any
) -> None:
    settings.PRIVATE_ROOT = tmp_path
    for kind, name in (("access", "Xavier Ortiz"), ("erasure", "Yvonne Lee")):
        client.post(f"/requests/new/{kind}/", {"relationship": "agent"})
        upload = SimpleUploadedFile(f"{name.split()[0].lower()}.pdf", pdf_bytes())
        client.post(f"/requests/new/{kind}/them/", {"subject_name": name, "permission": upload})
    # Before: one kept file per browser, so Yvonne's replaced Xavier's and went onto Xavier's case.
    assert "xavier.pdf" in text(client.get("/requests/new/access/them/"))
    agent = {**GDPR_SELF, "relationship": "agent"}
    assert (
        send(client, "access", {**agent, "subject_name": "Xavier Ortiz"})["Location"]
        == "/requests/submitted/"
    )
    case = PrivacyRequest.objects.get()
    assert [item.name for item in Evidence.objects.filter(privacy_request=case)] == ["xavier.pdf"]
    # Sent: the file went with its request; the erasure's own file is still kept for it.
    assert "yvonne.pdf" in text(client.get("/requests/new/erasure/them/"))


def test_a_language_the_portal_does_not_speak_is_ignored(client: Client) -> None:
    client.post("/requests/new/erasure/", {"relationship": "self"})
    client.post("/requests/new/erasure/where/", {"country": "DE"})
    response = client.post("/requests/new/erasure/contact/", {"language": "en", "switch_language": "de"})
    assert response.status_code == 302
    assert '<html lang="en">' in client.get(response["Location"]).content.decode()
