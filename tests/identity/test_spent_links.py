"""An emailed confirmation link opened when it can no longer confirm: already used, superseded, expired or unknown.
Each says where the requester stands and offers a way on, never "the code is wrong" with nothing after it."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.utils import timezone

from requests.lifecycle import Status
from requests.models import PrivacyRequest
from tests.factories import make_case
from tests.intake import browser_of

pytestmark = pytest.mark.django_db

CONFIRMED = "Your email address is already confirmed"
SPENT = "This link no longer works"
RESEND_BUTTON = 'name="resend"'
STATUS_BUTTON = '<a class="button" href="/status/">See where your request is</a>'


def code_and_token(message: Any) -> tuple[str, str]:
    code = re.search(r"^\s+(\d{6})$", str(message.body), re.MULTILINE)
    token = re.search(r"/verify/(\S+)/$", str(message.body), re.MULTILINE)
    assert code and token, message.body
    return code.group(1), token.group(1)


@pytest.fixture
def emailed(django_capture_on_commit_callbacks: Any) -> Any:
    """A request as submitted: the case, and the code and link token of the email it sent."""

    def submit(**fields: Any) -> tuple[PrivacyRequest, str, str]:
        with django_capture_on_commit_callbacks(execute=True):
            case = make_case(kind="erasure", **fields)
        return (case, *code_and_token(mail.outbox[-1]))

    return submit


def code_form_action(page: str) -> str:
    found = re.search(
        r'<form method="post" action="([^"]+)"[^>]*>\s*<input type="hidden" name="csrfmiddlewaretoken"[^>]*>\s*'
        r'<div class="field">',
        page,
    )
    assert found, page
    return found.group(1)


def open_link(client: Client, token: str) -> Any:
    return client.get(f"/verify/{token}/", follow=True)


def test_a_link_opened_after_the_code_was_used_says_the_address_is_confirmed_and_leads_on(
    emailed: Any,
) -> None:
    case, code, token = emailed()
    assert browser_of(case).post("/verify/", {"code": code})["Location"] == "/verify/done/"
    response = open_link(Client(), token)  # later, from the email, on a phone
    page = response.content.decode()
    assert response.status_code == 200 and f"<h1>{CONFIRMED}</h1>" in page
    assert case.reference in page and STATUS_BUTTON in page
    assert "not right" not in page and "no longer works" not in page


def test_an_older_link_of_a_confirmed_address_says_it_is_confirmed(emailed: Any) -> None:
    case, _code, old_token = emailed()
    browser = browser_of(case)
    browser.post("/verify/resend/")  # a newer email: the older link stops working
    new_code, _ = code_and_token(mail.outbox[-1])
    browser.post("/verify/", {"code": new_code})
    page = open_link(Client(), old_token).content.decode()
    assert CONFIRMED in page and STATUS_BUTTON in page


def test_an_expired_link_offers_a_new_code_sent_to_the_requesters_own_address(emailed: Any) -> None:
    case, _code, token = emailed()
    phone = Client()
    with time_machine.travel(timezone.now() + timedelta(minutes=31)):
        response = open_link(phone, token)
        page = response.content.decode()
        assert response.status_code == 400 and f"<h1>{SPENT}</h1>" in page
        assert "works once, for 30 minutes" in page and RESEND_BUTTON in page
        assert "ada@example.org" not in page  # the address is never shown
        resent = phone.post(response.redirect_chain[-1][0], {"resend": "1"})
        page = resent.content.decode()
        assert resent.status_code == 200 and "We have sent a new code" in page
        (sent,) = mail.outbox[1:]
        assert sent.to == ["ada@example.org"]
        new_code, _ = code_and_token(sent)
        # The page's own code form, as the browser would send it.
        assert phone.post(code_form_action(page), {"code": new_code})["Location"] == "/verify/done/"
    case.refresh_from_db()
    assert case.status == Status.OPEN


def test_an_unknown_link_offers_a_new_code_only_for_this_browsers_own_request(emailed: Any) -> None:
    case, _code, _token = emailed()
    mail.outbox.clear()
    stranger = Client()
    response = open_link(stranger, "not-a-link-we-sent")
    page = response.content.decode()
    assert response.status_code == 400 and SPENT in page and RESEND_BUTTON not in page
    assert 'class="button" href="/"' in page and 'href="/status/"' in page  # start again, or follow a request
    assert stranger.post(response.redirect_chain[-1][0], {"resend": "1"}).status_code == 400
    assert mail.outbox == []

    own = browser_of(case)
    response = open_link(own, "not-a-link-we-sent")
    assert RESEND_BUTTON in response.content.decode()
    own.post(response.redirect_chain[-1][0], {"resend": "1"})
    assert [m.to for m in mail.outbox] == [["ada@example.org"]]


def test_the_link_of_a_request_that_lapsed_unconfirmed_offers_no_new_code(emailed: Any) -> None:
    case, _code, token = emailed()
    PrivacyRequest.objects.filter(pk=case.pk).update(status=Status.EXPIRED)  # as the sweep leaves it
    for later in (timedelta(minutes=5), timedelta(days=15)):
        with time_machine.travel(timezone.now() + later):
            page = open_link(Client(), token).content.decode()
            assert SPENT in page and RESEND_BUTTON not in page and "make your request again" in page


def test_the_confirmed_and_spent_link_pages_speak_russian(emailed: Any) -> None:
    case, code, token = emailed(language="ru")
    browser_of(case).post("/verify/", {"code": code})
    phone = Client()
    phone.cookies["django_language"] = "ru"
    page = open_link(phone, token).content.decode()
    assert '<html lang="ru">' in page and "Ваш адрес электронной почты уже подтверждён" in page
    assert '<a class="button" href="/status/">Узнать, на каком этапе ваш запрос</a>' in page
    page = open_link(phone, "not-a-link-we-sent").content.decode()
    assert "Эта ссылка больше не действует" in page
