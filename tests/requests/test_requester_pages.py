"""What every requester sees around a request: the footer's links, the accessibility statement, a heading of its own
for each request honoured at once, and references that stay whole on a phone."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from requests.lifecycle import Status
from tests.factories import make_case
from tests.intake import browser_of

pytestmark = pytest.mark.django_db

STATEMENT_LINK = '<a href="/accessibility/">Accessibility statement</a>'


def footer(page: str) -> str:
    found = re.search(r'<footer class="site-footer">.*?</footer>', page, re.DOTALL)
    assert found, page
    return found.group(0)


def test_every_page_and_error_page_links_to_the_statement_and_the_privacy_notice(
    client: Client, settings: Any
) -> None:
    settings.DEBUG = False
    settings.PRIVACY_POLICY_URL = "https://example.com/privacy"
    for url in ("/", "/status/", "/no-such-page/"):
        links = footer(client.get(url).content.decode())
        assert STATEMENT_LINK in links, url
        assert '<a href="https://example.com/privacy">Privacy notice</a>' in links, url
    settings.PRIVACY_POLICY_URL = ""  # no notice to link to: no link
    for url in ("/", "/no-such-page/"):
        links = footer(client.get(url).content.decode())
        assert STATEMENT_LINK in links and "Privacy notice" not in links


def test_the_accessibility_statement_says_how_accessible_the_portal_is_and_whom_to_tell(
    client: Client, settings: Any
) -> None:
    settings.PRIVACY_ACCESSIBILITY_REVIEWED = date(2027, 3, 1)
    response = client.get("/accessibility/")
    page = response.content.decode()
    assert response.status_code == 200 and "<h1>Accessibility statement</h1>" in page
    for heading in (
        "How accessible this portal is", "What to do if you cannot use part of this portal",
        "Reporting accessibility problems with this portal", "Enforcement procedure", "Compliance status",
        "How we tested this portal", "Preparation of this accessibility statement",
    ):  # fmt: skip
        assert f">{heading}</h" in page, heading
    assert "Web Content Accessibility Guidelines (WCAG) version 2.2 at level AA" in page
    assert "partially compliant" in page and "PDF letters" in page and "axe-core" in page
    assert "zoom in up to 200%" in page and "the codes we email work for 30 minutes" in page
    assert page.count('<a href="mailto:dpo@example.com">dpo@example.com</a>') >= 2
    assert "This statement was prepared on 1 March 2027." in page  # the operator's review, never today


def test_the_accessibility_statement_speaks_russian(client: Client, settings: Any) -> None:
    settings.PRIVACY_ACCESSIBILITY_REVIEWED = date(2027, 3, 1)
    client.cookies["django_language"] = "ru"
    page = client.get("/accessibility/").content.decode()
    assert '<html lang="ru">' in page and "<h1>Заявление о доступности</h1>" in page
    assert "Насколько доступен портал" in page and "увеличивать масштаб до 200%" in page
    assert "Заявление подготовлено 1 марта 2027 г." in page and "г.." not in page
    assert '<a href="/accessibility/">Заявление о доступности</a>' in footer(page)


@pytest.mark.parametrize(
    ("kind", "extra", "heading", "russian"),
    [
        ("opt_out", {}, "Your opt-out is in effect", "Ваш отказ от продажи, передачи данных и рекламы действует"),
        ("limit_sensitive", {}, "Your limit on sensitive information is in effect",
         "Ограничение использования ваших чувствительных данных действует"),
        ("objection", {"marketing_only": True}, "Your objection to direct marketing is in effect",
         "Ваше возражение против прямого маркетинга действует"),
    ],
)  # fmt: skip
def test_each_request_honoured_at_once_has_its_own_heading(
    kind: str, extra: dict[str, Any], heading: str, russian: str
) -> None:
    case = make_case(kind=kind, country="US", subdivision="CA", **extra)
    assert case.status == Status.COMPLETED
    browser = browser_of(case)
    page = browser.get("/requests/submitted/").content.decode()
    assert f"<title>{heading} · Example Consulting Ltd</title>" in page and f"<h1>{heading}</h1>" in page
    assert "Opt-out request honoured" not in page and "honoured" not in page.lower().split("<footer")[0]
    browser.cookies["django_language"] = "ru"
    assert f"<h1>{russian}</h1>" in browser.get("/requests/submitted/").content.decode()


def test_a_reference_stays_whole_on_a_phone() -> None:
    case = make_case(kind="access")
    browser = browser_of(case)
    page = browser.get("/requests/submitted/").content.decode()
    assert f'<strong><span class="ref">{case.reference}</span></strong>' in page
    session = browser.session
    session["status_email"] = case.email_key  # signed in to the status page
    session.save()
    page = browser.get("/status/cases/").content.decode()
    assert f'<a href="/status/cases/{case.reference}/"><span class="ref">{case.reference}</span></a>' in page
    # The class keeps it on one line (no break at its hyphens).
    css = (Path(settings.BASE_DIR) / "static/css/portal.css").read_text()
    assert ".ref { white-space: nowrap; }" in css
