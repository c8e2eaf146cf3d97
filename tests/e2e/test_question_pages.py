"""The question pages (issue 21) in a real browser: axe-core on every page in English and in Russian, on a desktop
and on a phone (screenshots of each in test-artifacts/), and a request made with the keyboard alone, with and
without JavaScript, switching language half-way without losing what was typed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from requests.forms import PrivacyRequestForm
from requests.models import PrivacyRequest
from tests.e2e.conftest import open_page
from tests.e2e.test_accessibility import FOCUSED, Axe, continue_with_keyboard, tab_to
from tests.e2e.walk import fill_request, press, words
from tests.factories import pdf_bytes

# A browser keeps the machine's clock: not run in the clock-shifted pass.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.real_clock]

DECLARE = str(PrivacyRequestForm.base_fields["declare"].label)
SPECIFIC_PIECES = str(PrivacyRequestForm.base_fields["specific_pieces"].label)

# A Californian asking for the specific pieces for herself: every page a request for oneself can have.
CALIFORNIA_ACCESS = {
    "Who is this request about?": "Me",
    "Which country do you live in?": "United States of America",
    "Which state or province do you live in?": "California (CA)",
    "Which period?": "Everything you hold about me",
    SPECIFIC_PIECES: True,
}
CALIFORNIA_DETAILS = {
    "A phone number we may have for you": "+1 415 555 0100",
    "A postal address we may have for you": "1 Main St, Fresno",
    "Date of birth": "1990-01-02",
    DECLARE: True,
    "Type your full name to sign": "Maria Gonzalez",
    "Your full name": "Maria Gonzalez",
    "Your email address": "maria@example.com",
}
# The right's own question, for each right that has one besides access.
OWN_QUESTION = {
    "portability": {"Which period?": "Only the last 12 months"},
    "rectification": {"What is wrong?": "My surname", "What should it say?": "Hopper"},
    "restriction": {"Your reasons": "The data is wrong and I have asked you to correct it."},
    "objection": {"Your reasons": "I never agreed to profiling."},
}


@pytest.fixture
def browser_context(browser: Any, live_server: Any, request: Any) -> Iterator[Any]:
    """Opens pages on the live server with the given context options; closes them after the test."""
    contexts: list[Any] = []

    def open_with(**options: Any) -> Any:
        context, page = open_page(browser, live_server, request, **options)
        contexts.append(context)
        return page

    yield open_with
    for context in contexts:
        context.close()


def in_russian(page: Any) -> None:
    page.goto("/")
    page.get_by_role("button", name="Русский").click()
    page.locator("html[lang=ru]").wait_for()


# Screenshots of every page in both languages on a desktop and on a phone; axe-core in each language once, at one
# width each (axe takes most of the time, and its rules hardly depend on the width).
@pytest.mark.parametrize(
    ("language", "width", "run_axe"),
    [("en", 1280, True), ("ru", 390, True), ("ru", 1280, False), ("en", 390, False)],
    ids=["en-1280-axe", "ru-390-axe", "ru-1280", "en-390"],
)
def test_every_question_page_in_both_languages_on_a_desktop_and_a_phone(
    browser_context: Any,
    axe_source: str,
    settings: Any,
    tmp_path: Any,
    language: str,
    width: int,
    run_axe: bool,
) -> None:
    # The Content Security Policy is bypassed so axe can be injected (ours allows no inline script).
    page = browser_context(bypass_csp=True)
    page.set_viewport_size({"width": width, "height": 900})
    axe, say = Axe(page, axe_source), words(language)
    look = axe.check if run_axe else page.shot

    def check(walk: str, *, from_error: bool = False) -> Any:
        """Checks each page of a walk; one that starts on a page in error has checked that page already."""
        seen: list[str] = []

        def visit(step: str) -> None:
            seen.append(step)
            if not (from_error and len(seen) == 1):
                look(f"{walk}-{step}")

        return visit

    def errors_have_the_focus(name: str) -> None:
        assert page.title().startswith(say("Error:")), page.title()
        expect(page.locator("#errors")).to_be_focused()  # the summary is read out first
        look(name)

    if language == "ru":
        in_russian(page)
    else:
        page.goto("/")
    look("home")
    page.get_by_role("button", name=say("Start now")).click()  # a link drawn as a button, GOV.UK's way
    page.get_by_role("heading", name=say("What do you want to do?")).wait_for()
    look("start")
    press(page, say("Continue"))
    errors_have_the_focus("start-error")
    page.get_by_role("radio", name=say("Access my data"), exact=True).check()
    press(page, say("Continue"))

    # A Californian for herself: who, where, state, the period and the specific pieces, the details, contact.
    fill_request(page, None, CALIFORNIA_ACCESS, language=language, on_page=check("access"), until="identity")
    press(page, say("Continue"))  # no details, no declaration: the law asks for both
    errors_have_the_focus("access-identity-error")
    fill_request(page, None, CALIFORNIA_DETAILS, language=language, on_page=check("access", from_error=True))
    page.get_by_role("heading", name=say("Request received")).wait_for()
    look("submitted")

    # An agent for someone else: the page about them, with its error, and the 429 that keeps the answers.
    agent = {"Who is this request about?": "Someone who authorised me to act for them"}
    fill_request(page, "erasure", agent, language=language, on_page=check("agent"), until="them")
    page.get_by_label(say("Their full name"), exact=True).fill("Sam Subject")
    press(page, say("Continue"))  # no permission attached
    errors_have_the_focus("agent-them-error")
    permission = tmp_path / "permission.pdf"
    permission.write_bytes(pdf_bytes())
    about_them = {
        "Signed permission or proof of parental responsibility": permission,
        "Which country does the person live in?": "Germany",
        "Your full name": "Agnes Agent",
        "Your email address": "agent@example.org",
    }
    fill_request(
        page, None, about_them, language=language, on_page=check("agent", from_error=True), send=False
    )
    settings.RATELIMIT_SUBMIT = "0/h"
    press(page, say("Send request"))
    page.get_by_role("heading", name=say("Too many attempts")).wait_for()
    look("too-many")
    page.get_by_role("link", name=say("Back to your answers")).click()
    page.wait_for_url("**/requests/new/erasure/check/")
    assert "Sam Subject" in page.content()  # nothing typed was lost

    # Each right's own question.
    for right, own in OWN_QUESTION.items():
        answers = {"Who is this request about?": "Me", "Which country do you live in?": "Germany", **own}
        fill_request(page, right, answers, language=language, until="request")
        look(f"{right}-request")
    axe.assert_clean()


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_an_access_request_made_with_the_keyboard_alone_switching_language_half_way(
    browser_context: Any, javascript: bool
) -> None:
    """Everything works without JavaScript: the error summary's focus, its links, the language buttons."""
    page = browser_context(java_script_enabled=javascript)
    ru = words("ru")
    page.goto("/requests/new/access/")
    tab_to(page, "Me")
    page.keyboard.press("Space")
    continue_with_keyboard(page, "Which country do you live in?")
    tab_to(page, "Which country do you live in?")
    page.keyboard.type("Germany")  # a closed select picks the option typed
    continue_with_keyboard(page, "What should your copy include?")
    tab_to(page, "Everything you hold about me")
    page.keyboard.press("Space")
    tab_to(page, "Continue")
    page.keyboard.press("Enter")

    page.get_by_role("heading", name="Your name and email address").wait_for()
    tab_to(page, "Your email address")
    page.keyboard.type("ada@example.org")
    tab_to(page, "Continue")
    page.keyboard.press("Enter")  # the name forgotten
    expect(
        page.locator("#errors")
    ).to_be_focused()  # the summary is read out first, autofocus needs no script
    page.shot("error-summary-focused")
    page.keyboard.press("Tab")
    assert page.evaluate(FOCUSED)["name"] == "Enter your full name"  # its link
    page.keyboard.press("Enter")
    expect(page.get_by_label("Your full name", exact=True)).to_be_focused()
    page.keyboard.type("Ada Lovelace")

    # The name is typed, not sent: the language button sends it with the page, which comes back in Russian.
    tab_to(page, "Русский", back=True)
    page.keyboard.press("Enter")
    page.locator("html[lang=ru]").wait_for()
    page.shot("switched-to-russian")
    assert page.get_by_label(ru("Your full name"), exact=True).input_value() == "Ada Lovelace"
    assert page.get_by_label(ru("Your email address"), exact=True).input_value() == "ada@example.org"
    assert page.locator("#errors").count() == 0  # switching is not sending
    tab_to(page, ru("Continue"))
    page.keyboard.press("Enter")
    page.get_by_role("heading", name=ru("Check your answers before sending your request")).wait_for()
    page.shot("check-your-answers")
    tab_to(page, ru("Send request"))
    page.keyboard.press("Enter")
    page.get_by_role("heading", name=ru("Request received")).wait_for()
    page.shot("submitted")
    case = PrivacyRequest.objects.get()
    assert case.reference in page.content()
    assert (case.kind, case.requester_name, case.requester_email, case.country, case.period) == (
        "access", "Ada Lovelace", "ada@example.org", "DE", "all",
    )  # fmt: skip
    assert case.language == "ru"  # the letters' language followed the page's


def test_enter_in_a_field_continues_and_never_switches_language(browser_context: Any) -> None:
    # Before: the header's language buttons belong to the page's form and come first, so Enter sent the first
    # of them: an English page reloaded and went nowhere, a Russian one turned English with its letters.
    page = browser_context()
    in_russian(page)
    say = words("ru")
    page.goto("/requests/new/erasure/")
    page.get_by_label(say("Me"), exact=True).check()
    press(page, say("Continue"))
    page.get_by_label(say("Which country do you live in?")).select_option("DE")
    press(page, say("Continue"))
    page.get_by_label(say("Your full name")).fill("Ада Лавлейс")
    page.get_by_label(say("Your email address")).fill("ada@example.org")
    with page.expect_navigation():
        page.get_by_label(say("Your email address")).press("Enter")
    page.get_by_role("heading", name=say("Check your answers before sending your request")).wait_for()
    assert page.locator("html").get_attribute("lang") == "ru"
    assert "Русский" in page.locator("main").inner_text()  # the letters' language stayed Russian
