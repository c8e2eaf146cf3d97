"""A DPO refuses a request in a real browser: the reason is chosen, the letter is read, and only then sent
(screenshots in test-artifacts/, in English and in Russian)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from requests import services
from requests.lifecycle import Status
from requests.models import CompanySystem, PrivacyRequest
from requests.roles import ensure_roles
from tests.e2e.conftest import open_page
from tests.e2e.test_staff_queue import sign_in
from tests.factories import make_case

# A browser keeps the machine's clock: not run in the clock-shifted pass.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.real_clock]

EXPLANATION = "You asked for exactly the same data last week and we answered in full."


def a_dpo(user: Any) -> Any:
    ensure_roles()
    user.first_name, user.last_name = "Maria", "Petrova"
    user.save()
    user.groups.add(Group.objects.get(name="DPO"))
    return user


def test_a_dpo_refuses_through_the_confirmation_step_reading_the_letter_first(page: Any, dpo: Any) -> None:
    a_dpo(dpo)
    CompanySystem.objects.create(name="Zoho CRM", owner=dpo)
    case = services.confirm_email(make_case(kind="access", country="DE"))
    sign_in(page, dpo)
    page.goto(f"/admin/requests/privacyrequest/{case.pk}/change/")
    # What cannot be done yet says why; the timeline reads as sentences.
    actions = page.locator(".case-actions").inner_text()
    assert "Complete: " in actions and "assign the case first" in actions
    assert "The requester confirmed their email address" in page.locator(".case-timeline").inner_text()
    page.shot("case")

    mail.outbox.clear()  # the acknowledgement and the like, sent when the case was made
    page.locator("summary", has_text="Refuse").click()
    page.get_by_label("Explanation for the requester:").fill(EXPLANATION)
    page.get_by_role("button", name="Refuse").click()  # no reason chosen: refused, and said why
    page.get_by_text("Choose the reason for refusing: the letter gives it to the requester.").wait_for()
    assert page.get_by_label("Explanation for the requester:").input_value() == EXPLANATION  # kept
    page.shot("refusal-without-reason")

    page.get_by_label("Reason:", exact=True).select_option(label="The request is excessive or repetitive")
    page.get_by_role("button", name="Refuse").click()
    page.get_by_text("Nothing has been sent yet.").wait_for()
    assert f"Our decision on request {case.reference}" in page.locator(".email-subject").inner_text()
    assert EXPLANATION in page.locator(".email-body").inner_text()
    letter = page.frame_locator("iframe.letter")
    # The letter's typography binds short words with no-break spaces.
    heading = letter.locator("h1").inner_text().replace("\xa0", " ")
    assert heading == "Our decision: we will not act on your request"
    letter.get_by_text(EXPLANATION).wait_for()
    page.shot("confirm-refusal")
    assert PrivacyRequest.objects.get(pk=case.pk).status == Status.OPEN and not mail.outbox

    page.get_by_role("button", name="Confirm and send").click()
    page.get_by_text("Refused; the requester has the reasons and their right to complain.").wait_for()
    page.shot("refused")
    assert PrivacyRequest.objects.get(pk=case.pk).status == Status.DENIED
    assert "Refused: The request is excessive or repetitive" in page.locator(".case-timeline").inner_text()


def test_a_dpo_working_in_russian_sees_the_case_and_the_confirmation_in_russian(
    browser: Any, live_server: Any, request: Any, dpo: Any
) -> None:
    a_dpo(dpo)
    CompanySystem.objects.create(name="Zoho CRM", owner=dpo)
    case = services.confirm_email(make_case(kind="access", country="DE", language="ru"))
    services.assign(case, to=dpo, by=dpo)
    context, page = open_page(browser, live_server, request)
    context.add_cookies([{"name": "django_language", "value": "ru", "url": live_server.url}])
    try:
        sign_in_russian(page, dpo)
        page.goto(f"/admin/requests/privacyrequest/{case.pk}/change/")
        timeline = page.locator(".case-timeline").inner_text()
        assert "Назначено: Maria Petrova" in timeline and "Применимые законы:" in timeline
        actions = page.locator(".case-actions").inner_text()
        assert "Сейчас недоступно" in actions and "Ещё не проверены: Zoho CRM" in actions
        page.shot("ru-case")
        page.locator("summary", has_text="Отказать").click()
        page.get_by_label("Причина:", exact=True).select_option("excessive")
        page.locator("textarea[name=deny-explanation]").fill("Вы уже получили эти данные на прошлой неделе.")
        page.locator(".action-deny button").click()
        page.get_by_text("Пока ничего не отправлено.").wait_for()
        page.frame_locator("iframe.letter").get_by_text("Вы уже получили эти данные").wait_for()
        page.shot("ru-confirm-refusal")
        assert PrivacyRequest.objects.get(pk=case.pk).status == Status.IN_PROGRESS
    finally:
        context.close()


def sign_in_russian(page: Any, user: Any) -> None:
    device = TOTPDevice.objects.create(user=user, name="Authenticator", confirmed=True)
    page.goto("/admin/")
    page.locator("[name=username]").fill(user.username)
    page.locator("[name=password]").fill("correct horse battery staple")
    page.locator("[name=otp_token]").fill(f"{totp(device.bin_key):06d}")
    page.locator("[type=submit]").click()
    page.locator("#content").wait_for()
