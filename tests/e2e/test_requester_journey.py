"""A data subject's journey in a real browser, in English and in Russian (screenshots in test-artifacts/)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail

from requests.lifecycle import Status
from requests.models import Message, PrivacyRequest
from tests.e2e.walk import fill_request, press
from tests.factories import pdf_bytes

# A browser keeps the machine's clock: not run in the clock-shifted pass.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.real_clock]

PDF = pdf_bytes()
CALIFORNIAN_OPT_OUT = {
    "Who is this request about?": "Me",
    "Which country do you live in?": "United States of America",
    "Which state or province do you live in?": "California (CA)",
    "Your full name": "Sam Carter",
    "Your email address": "sam@example.com",
}


def last_code() -> str:
    found = re.search(r"^\s+(\d{6})$", str(mail.outbox[-1].body), re.MULTILINE)
    assert found, mail.outbox[-1].body
    return found.group(1)


def test_an_access_request_from_home_page_to_status_page(page: Any) -> None:
    page.goto("/")
    page.shot("home")
    page.get_by_role("button", name="Start now").click()
    page.get_by_role("radio", name="Access my data").check()
    press(page, "Continue")
    answers = {
        "Who is this request about?": "Me",
        "Which country do you live in?": "United Kingdom",
        "Which period?": "Only the last 12 months",
        "Your full name": "Ada Lovelace",
        "Your email address": "ada@example.org",
        "Anything else that helps us find your data (optional)": "Customer number ORDER-1234",
    }
    fill_request(
        page, None, answers, on_page=lambda step: step == "check" and page.shot("check-your-answers")
    )
    page.get_by_role("heading", name="Request received").wait_for()
    case = PrivacyRequest.objects.get()
    assert case.reference in page.content()
    page.shot("submitted")
    page.get_by_label("6-digit code from the email").fill(last_code())
    page.get_by_role("button", name="Confirm").click()
    page.get_by_role("heading", name="Email confirmed").wait_for()
    page.shot("verified")
    assert PrivacyRequest.objects.get().status == Status.OPEN  # UK GDPR: the confirmed email is enough

    page.get_by_role("link", name="Follow your request").click()
    page.get_by_label("The email address you used for your request").fill("ada@example.org")
    page.get_by_role("button", name="Send me a code").click()
    page.get_by_label("6-digit code from the email").fill(last_code())
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Your requests").wait_for()
    page.shot("status-list")
    page.get_by_role("link", name=case.reference).click()
    assert "Checking identity" not in page.content() and "UK GDPR" in page.content()
    page.shot("status-case")


def test_a_russian_requester_corrects_data_and_answers_with_a_file(
    page: Any, dpo: Any, tmp_path: Any
) -> None:
    from requests import services

    page.goto("/")
    page.get_by_role("button", name="Русский").click()
    page.get_by_role("heading", name="Ваши права на защиту данных").wait_for()
    page.get_by_role("link", name="Исправить мои данные").click()
    answers = {
        "Who is this request about?": "Me",
        "Which country do you live in?": "Russia",
        "What is wrong?": "Адрес: ул. Ленина, 1",
        "What should it say?": "Адрес: ул. Пушкина, 10",
        "Your full name": "Иван Петров",
        "Your email address": "ivan@example.ru",
    }
    fill_request(page, None, answers, language="ru")
    page.get_by_role("heading", name="Запрос получен").wait_for()
    assert mail.outbox[-1].subject.endswith(PrivacyRequest.objects.get().reference)
    page.get_by_label("Шестизначный код из письма").fill(last_code())
    page.get_by_role("button", name="Подтвердить").click()
    page.get_by_role("heading", name="Адрес электронной почты подтверждён").wait_for()
    page.shot("ru-verified")

    case = PrivacyRequest.objects.get()
    services.pause(case, by=dpo, reason="Уточните, пожалуйста, адрес")
    Message.objects.create(
        privacy_request=case,
        author_kind="staff",
        author=dpo,
        body="Пришлите, пожалуйста, счёт с новым адресом.",
    )

    page.goto("/status/")
    page.get_by_label("Адрес электронной почты, указанный в запросе").fill("ivan@example.ru")
    page.get_by_role("button", name="Прислать код").click()
    page.get_by_label("Шестизначный код из письма").fill(last_code())
    page.get_by_role("button", name="Войти").click()
    page.get_by_role("link", name=case.reference).click()
    page.get_by_text("Мы ждём вашего ответа").wait_for()
    page.shot("ru-waiting")
    bill = tmp_path / "счёт.pdf"
    bill.write_bytes(PDF)
    page.get_by_label("Ваше сообщение").fill("Счёт во вложении.")
    page.get_by_label("Приложить файл (необязательно)").set_input_files(str(bill))
    page.get_by_role("button", name="Отправить сообщение").click()
    page.get_by_text("Счёт во вложении.").wait_for()
    page.shot("ru-replied")
    case.refresh_from_db()
    assert case.status == Status.OPEN and Message.objects.filter(author_kind="requester").count() == 1


def test_an_opt_out_is_honoured_at_once(page: Any) -> None:
    fill_request(page, "opt_out", CALIFORNIAN_OPT_OUT)
    page.get_by_role("heading", name="Your opt-out is in effect").wait_for()
    page.shot("opt-out-honoured")
    assert PrivacyRequest.objects.get().status == Status.COMPLETED


def test_an_opt_out_with_systems_to_act_in_is_recorded_and_carried_out(page: Any) -> None:
    from requests.models import CompanySystem

    CompanySystem.objects.create(name="Support mailbox", owner_email="support-owner@example.com")
    fill_request(page, "opt_out", CALIFORNIAN_OPT_OUT)
    page.get_by_role("heading", name="Request recorded").wait_for()
    page.shot("opt-out-recorded")
    assert PrivacyRequest.objects.get().status == Status.IN_PROGRESS
