"""The emails that carry a code (confirm the address, sign in, download): the operator's brand, the code alone and
prominent in both parts, what it is for, how long it works, and what to do if it was not asked for."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives

from identity import services
from requests.models import PrivacyRequest
from tests.factories import make_case

pytestmark = pytest.mark.django_db


def sent_verification(case: PrivacyRequest, **options: Any) -> Any:
    services.send_verification(case, base_url="https://portal.example", **options)
    return mail.outbox[-1]


def sent_sign_in_code(case: PrivacyRequest) -> Any:
    services.send_sign_in_code(case)
    return mail.outbox[-1]


def sent_download_code(case: PrivacyRequest) -> Any:
    services.send_download_code(case)
    return mail.outbox[-1]


SENDERS: dict[str, Callable[[PrivacyRequest], Any]] = {
    "verify-email": sent_verification,
    "sign-in": sent_sign_in_code,
    "download-code": sent_download_code,
}
PURPOSE = {  # what each says the code is for
    "verify-email": ("Confirm your email address", "To confirm this email address is yours"),
    "sign-in": ("Your sign-in code", "Enter this code to see your privacy requests"),
    "download-code": ("Your download code", "Enter this code to download your data for request"),
}


def parts(message: Any) -> tuple[str, str]:
    assert isinstance(message, EmailMultiAlternatives)
    (html, mimetype) = message.alternatives[0]
    assert mimetype == "text/html"
    return str(message.body), str(html)


def the_code(text: str) -> str:
    found = re.search(r"^\s+(\d{6})$", text, re.MULTILINE)
    assert found, text
    return found.group(1)


@pytest.mark.parametrize("template", SENDERS)
def test_the_code_stands_alone_near_the_top_of_the_text_and_large_in_a_box_in_the_html(template: str) -> None:
    case = make_case(kind="access")
    text, html = parts(SENDERS[template](case))
    code = the_code(text)
    lines = text.splitlines()
    assert [line.strip() for line in lines[:8]].count(code) == 1  # alone on its line, in the first few
    # The HTML part: the code in an element of its own, large, spaced and monospaced, in a box.
    box = re.search(rf'<span class="code" style="([^"]*)">{code}</span>', html)
    assert box, html
    style = box.group(1)
    assert "font-size:32px" in style and "letter-spacing:8px" in style and "monospace" in style
    assert "border:2px solid" in style
    # Once in the message (the subject, which is its title, may repeat it).
    assert html.split("</head>")[1].count(code) == 1
    # The brand bar, as on the site: the operator's name on the header's blue.
    assert re.search(r'<div style="background:#1e3a8a;[^"]*">\s*<p [^>]*>Example Consulting Ltd</p>', html)
    heading, purpose = PURPOSE[template]
    assert f">{heading}</h1>" in html and purpose in html and purpose in text
    assert "work once, for 30 minutes" in html or "works once, for 30 minutes" in html
    assert "If you did not" in html and "If you did not" in text


def test_the_reminder_says_so_in_both_parts() -> None:
    case = make_case(kind="access")
    text, html = parts(sent_verification(case, reminder=True))
    assert "You have not confirmed your email address yet" in text
    assert "You have not confirmed your email address yet" in html


def test_a_russian_requester_gets_the_code_emails_in_russian() -> None:
    case = make_case(kind="access", language="ru", requester_name="Иван Петров")
    text, html = parts(sent_verification(case))
    code = the_code(text)
    assert '<html lang="ru">' in html and "Подтвердите адрес электронной почты" in html
    assert "Уважаемый(ая) Иван Петров!" in html and "Запросы о персональных данных" in html
    assert re.search(rf'<span class="code" style="[^"]*">{code}</span>', html)
    text, html = parts(SENDERS["sign-in"](case))
    assert "Ваш код для входа" in html and the_code(text) in html
    text, html = parts(SENDERS["download-code"](case))
    assert "Ваш код для скачивания" in html and the_code(text) in html


def test_a_reference_in_a_code_email_never_breaks_across_lines() -> None:
    case = make_case(kind="access")
    _text, html = parts(sent_verification(case))
    assert f'<span style="white-space:nowrap">{case.reference}</span>' in html
