"""Accessibility in a real browser: axe-core's WCAG 2.0-2.2 A and AA rules on every public page and the main
staff screens, and a request made with the keyboard alone (screenshots in test-artifacts/)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.sessions.backends.db import SessionStore
from django.core import mail
from django.utils import timezone

from identity import enrolment
from requests import services
from requests.models import (
    CompanySystem,
    Packet,
    PacketStatus,
    PrivacyRequest,
    ProcessingActivity,
    ReplyTemplate,
)
from requests.roles import ensure_roles
from tests.e2e.conftest import open_page
from tests.e2e.test_staff_queue import sign_in
from tests.e2e.walk import fill_request
from tests.factories import PASSWORD, make_case

# A browser keeps the machine's clock: not run in the clock-shifted pass.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.real_clock]

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
FAILING_IMPACTS = {"serious", "critical"}

# Runs in the page: the violations, cut down to what the assertion message shows.
AXE_RUN = """async (tags) => {
  const results = await axe.run(document, {runOnly: {type: "tag", values: tags}});
  return results.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help, count: v.nodes.length,
    targets: v.nodes.slice(0, 3).map((node) => node.target.join(" ")),
  }));
}"""

# Labels, help texts and error messages reach their field by id: ids must be unique and references must
# resolve (axe only says "needs review" for these; a second row of fields would be labelled by the first).
ID_REFERENCES = r"""() => {
  const counts = {};
  for (const el of document.querySelectorAll("[id]")) counts[el.id] = (counts[el.id] || 0) + 1;
  const problems = Object.keys(counts).filter((id) => counts[id] > 1).map((id) => `duplicate id="${id}"`);
  for (const attr of ["for", "aria-describedby", "aria-labelledby", "aria-controls"]) {
    for (const el of document.querySelectorAll(`[${attr}]`)) {
      for (const id of el.getAttribute(attr).split(/\s+/).filter(Boolean)) {
        if (!document.getElementById(id)) problems.push(`${attr}="${id}" refers to nothing`);
      }
    }
  }
  return problems;
}"""

# The focused element: its name, whether its focus shows (an outline or a box shadow), and whether it is at
# least partly on screen (WCAG 2.4.11: focus not entirely hidden).
FOCUSED = """() => {
  const el = document.activeElement, style = getComputedStyle(el), box = el.getBoundingClientRect();
  const label = el.labels && el.labels.length ? el.labels[0].innerText : el.innerText;
  return {
    name: (label || el.getAttribute("aria-label") || el.id || el.tagName).trim(),
    visible: (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0) || style.boxShadow !== "none",
    on_screen: box.width > 0 && box.right > 0 && box.bottom > 0 && box.left < innerWidth && box.top < innerHeight,
  };
}"""


@pytest.fixture
def axe_page(browser: Any, live_server: Any, request: Any) -> Iterator[Any]:
    """The e2e `page`, with the Content Security Policy bypassed so axe can be injected as a script tag
    (ours allows no inline script); the keyboard test keeps the real policy."""
    context, page = open_page(browser, live_server, request, bypass_csp=True)
    yield page
    context.close()


class Axe:
    """Checks pages as they are now; collects every serious or critical violation for one assertion at the end,
    so one run reports every page."""

    def __init__(self, page: Any, source: str) -> None:
        self.page, self.source = page, source
        self.problems: list[str] = []

    def check(self, name: str) -> None:
        self.page.shot(name)
        if not self.page.evaluate("() => typeof window.axe !== 'undefined'"):
            self.page.add_script_tag(content=self.source)
        where = f"{name} ({self.page.url})"
        for v in self.page.evaluate(AXE_RUN, WCAG_TAGS):
            if v["impact"] in FAILING_IMPACTS:
                self.problems.append(
                    f"{where}: {v['id']} [{v['impact']}] {v['help']}; "
                    f"{v['count']} element(s), e.g. {', '.join(v['targets'])}"
                )
        self.problems += [f"{where}: {problem}" for problem in self.page.evaluate(ID_REFERENCES)]

    def assert_clean(self) -> None:
        report = "\n".join(self.problems)
        assert not self.problems, f"{len(self.problems)} accessibility violation(s):\n{report}"


@pytest.fixture
def axe(axe_page: Any, axe_source: str) -> Axe:
    return Axe(axe_page, axe_source)


def last_code() -> str:
    found = re.search(r"^\s+(\d{6})$", str(mail.outbox[-1].body), re.MULTILINE)
    assert found, mail.outbox[-1].body
    return found.group(1)


def age_sign_in(page: Any) -> None:
    """Move the browser session's sign-in 31 minutes back, as if the requester had signed in that long ago."""
    key = next(c["value"] for c in page.context.cookies() if c["name"] == settings.SESSION_COOKIE_NAME)
    session = SessionStore(session_key=key)
    session["status_signed_in_at"] -= 31 * 60
    session.save()


def requester_cases(dpo: Any) -> tuple[PrivacyRequest, PrivacyRequest, PrivacyRequest]:
    """Three cases of one requester: a fee to decide with messages, a released packet, an expired one."""
    fee = services.confirm_email(make_case(kind="rectification"))
    services.assign(fee, to=dpo, by=dpo)
    services.send_message(fee, by=dpo, body="Which address should we correct?")
    services.reply(fee, body="The postal address: it should be 10 Pushkin Street.")
    services.quote_fee(
        fee, by=dpo, amount=Decimal("50.00"), currency="gbp", reason="repetitive",
        breakdown=[("Copying 400 pages", Decimal("40.00")), ("Postage", Decimal("10.00"))],
    )  # fmt: skip
    now = timezone.now()
    released = services.confirm_email(make_case(kind="access"))
    Packet.objects.create(
        privacy_request=released, status=PacketStatus.RELEASED, built_at=now, released_at=now,
        expires_at=now + timedelta(days=30), size=48_213,
    )  # fmt: skip
    expired = services.confirm_email(make_case(kind="portability"))
    Packet.objects.create(
        privacy_request=expired, status=PacketStatus.EXPIRED, built_at=now - timedelta(days=40),
        released_at=now - timedelta(days=40), expires_at=now - timedelta(days=10), purged_at=now,
    )  # fmt: skip
    return fee, released, expired


def test_public_pages_have_no_serious_accessibility_violations(axe: Axe, dpo: Any) -> None:
    page = axe.page
    fee, released, expired = requester_cases(dpo)

    page.goto("/")
    axe.check("home")
    # Each question page is checked in both languages in test_question_pages.py; here a request leads on.
    rectification = {
        "Who is this request about?": "Me",
        "Which country do you live in?": "United Kingdom",
        "What is wrong?": "My surname",
        "What should it say?": "Hopper",
        "Your full name": "Grace Hopper",
        "Your email address": "grace@example.org",
    }
    fill_request(page, "rectification", rectification)
    page.get_by_role("heading", name="Request received").wait_for()
    axe.check("submitted")
    page.goto("/verify/")
    axe.check("verify-code")
    page.get_by_label("6-digit code from the email").fill("000000")
    page.get_by_role("button", name="Confirm").click()
    page.get_by_role("heading", name="Confirm your email").wait_for()
    axe.check("verify-code-refused")

    page.goto("/status/")
    axe.check("status-sign-in")
    page.get_by_label("The email address you used for your request").fill("ada@example.org")
    page.get_by_role("button", name="Send me a code").click()
    page.get_by_role("heading", name="Enter your code").wait_for()
    axe.check("status-code")
    page.get_by_label("6-digit code from the email").fill(last_code())
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Your requests").wait_for()
    axe.check("status-cases")
    page.get_by_role("link", name=fee.reference).click()
    page.get_by_role("button", name="Accept the fee").wait_for()
    axe.check("status-case-fee-and-messages")
    page.get_by_role("link", name="Decline the fee").click()
    page.get_by_role("heading", name="Are you sure you want to decline the fee?").wait_for()
    axe.check("decline-fee-confirm")
    page.get_by_role("link", name="Cancel").click()
    page.get_by_role("link", name="Withdraw this request").click()
    page.get_by_role("heading", name="Are you sure you want to withdraw this request?").wait_for()
    axe.check("withdraw-confirm")
    page.goto(f"/status/cases/{released.reference}/")
    axe.check("status-case-released")
    page.get_by_role("link", name="Download your data").click()
    page.get_by_role("heading", name="Download your data").wait_for()
    axe.check("download")
    age_sign_in(page)  # signed in over half an hour ago: a fresh code before the download
    page.reload()
    axe.check("download-ask-code")
    page.get_by_role("button", name="Email me a code").click()
    page.get_by_label("6-digit code from the email").wait_for()
    axe.check("download-code")
    page.goto(f"/status/cases/{expired.reference}/download/")
    page.get_by_role("heading", name="This download has expired").wait_for()
    axe.check("download-expired")
    page.goto("/verify/not-a-link-we-sent/")
    page.get_by_role("heading", name="This link no longer works").wait_for()
    axe.check("verify-link-spent")
    page.goto("/accessibility/")
    page.get_by_role("heading", name="Accessibility statement", exact=True).wait_for()
    axe.check("accessibility-statement")

    page.goto("/")
    page.get_by_role("button", name="Русский").click()
    page.get_by_role("heading", name="Ваши права на защиту данных").wait_for()
    axe.check("home-ru")
    page.goto("/requests/new/access/")
    page.get_by_role("button", name="Продолжить").click()  # "Continue", unanswered
    page.locator("#errors").wait_for()
    axe.check("question-errors-ru")
    page.goto(f"/status/cases/{fee.reference}/")
    axe.check("status-case-ru")
    page.goto("/accessibility/")
    axe.check("accessibility-statement-ru")

    page.set_viewport_size({"width": 375, "height": 800})  # a phone: the header wraps, targets stay large
    page.goto("/")
    axe.check("home-ru-narrow")
    page.goto("/requests/new/erasure/")
    axe.check("question-ru-narrow")
    axe.assert_clean()


def refuse_to_the_confirmation(page: Any) -> None:
    """From the case page, as far as the email and letter a refusal would send (nothing is sent)."""
    page.locator("summary", has_text="Refuse").click()
    page.get_by_label("Reason:", exact=True).select_option("excessive")
    page.get_by_label("Explanation for the requester:").fill("This is the third request this month.")
    page.locator(".action-deny button").click()
    page.get_by_text("Nothing has been sent yet.").wait_for()


def test_staff_screens_have_no_serious_accessibility_violations(
    axe: Axe, dpo: Any, handler: Any, details_to_match: None
) -> None:
    page = axe.page
    ensure_roles()
    dpo.groups.add(Group.objects.get(name="DPO"))
    crm = CompanySystem.objects.create(name="Zoho CRM", owner=dpo)
    crm.activities.add(
        ProcessingActivity.objects.create(
            name="Clients", purposes="p", data_categories="c", legal_basis="contract", sources="s",
            retention="6 years", recipients="Zoho Corporation B.V.",
        )
    )  # fmt: skip
    CompanySystem.objects.create(name="Mailchimp", owner=dpo)  # two rows of checklist fields on the case page
    # The case page's "Start from a template" picker (a transactional test may have flushed the migration's).
    ReplyTemplate.objects.get_or_create(
        language="en", name="Acknowledgement", defaults={"purpose": "acknowledge", "subject": "Re {reference}",
                                                         "body": "Dear {requester_name},"}
    )  # fmt: skip
    # The queue's three colours of days left: overdue, due within 7 days, and the case worked on below.
    with time_machine.travel(datetime(2025, 2, 8, 10, tzinfo=UTC), tick=False):
        services.confirm_email(make_case(kind="access", requester_email="late@example.org"))
    with time_machine.travel(timezone.now() - timedelta(days=26), tick=False):
        services.confirm_email(make_case(kind="access", requester_email="soon@example.org"))
    case = services.confirm_email(
        make_case(kind="erasure", data_points={"phone": "+44 20 7946 0000", "postal_address": "1 Baker St"})
    )
    services.send_message(case, by=dpo, body="We are checking your details.")
    services.reply(case, body="Thank you.")

    page.goto("/admin/")
    axe.check("admin-login")
    sign_in(page, dpo)
    axe.check("admin-index")
    page.goto("/admin/requests/privacyrequest/")
    page.locator(".days-overdue").wait_for()
    axe.check("queue")
    page.goto(f"/admin/requests/privacyrequest/{case.pk}/change/")
    page.locator("summary", has_text="Verify identity").click()  # an action form, open
    axe.check("case")
    refuse_to_the_confirmation(page)
    axe.check("confirm-refusal")
    page.goto("/admin/requests/privacyrequest/add/")
    axe.check("log-a-letter")
    page.get_by_role("button", name="Log the request").click()
    page.get_by_text("Please correct the errors below.").wait_for()
    axe.check("log-a-letter-refused")
    page.goto("/admin/dashboard/")
    axe.check("dashboard")
    page.goto("/admin/tokens/")
    axe.check("api-tokens")
    page.goto("/admin/identity/staffenrolment/add/")
    axe.check("send-enrolment-link")

    # The admin follows the system's dark theme, and so must our colours.
    page.emulate_media(color_scheme="dark")
    page.goto("/admin/requests/privacyrequest/")
    axe.check("queue-dark")
    page.goto(f"/admin/requests/privacyrequest/{case.pk}/change/")
    page.locator("summary", has_text="Verify identity").click()
    axe.check("case-dark")
    refuse_to_the_confirmation(page)
    axe.check("confirm-refusal-dark")
    page.goto("/admin/dashboard/")
    axe.check("dashboard-dark")
    page.emulate_media(color_scheme="light")

    page.context.clear_cookies()  # a new member of staff opens the enrolment link a DPO sent
    _row, link = enrolment.issue(handler)
    page.goto("/admin/enrol/" + link.rsplit("/admin/enrol/", 1)[1])
    page.get_by_label("Your password").fill(PASSWORD)
    axe.check("enrol-password")
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="Set up two-factor sign-in").wait_for()
    axe.check("enrol")
    axe.assert_clean()


def tab_to(page: Any, name: str, *, back: bool = False) -> None:
    """Press Tab (or Shift+Tab) until `name` has the focus; every stop on the way must show its focus."""
    for _ in range(40):
        page.keyboard.press("Shift+Tab" if back else "Tab")
        focused = page.evaluate(FOCUSED)
        assert focused["visible"] and focused["on_screen"], f"focus cannot be seen on {focused}"
        if focused["name"] == name:
            return
    raise AssertionError(f"{name!r} cannot be reached with the keyboard")


def continue_with_keyboard(page: Any, heading: str) -> None:
    """Tab to "Continue", press Enter, and wait for the next question page's heading."""
    tab_to(page, "Continue")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name=heading).wait_for()


def test_a_rectification_request_made_with_the_keyboard_alone(page: Any) -> None:
    page.goto("/requests/new/rectification/")
    page.keyboard.press("Tab")
    skip = page.evaluate(FOCUSED)
    assert skip == {"name": "Skip to content", "visible": True, "on_screen": True}
    page.shot("skip-link")
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"
    page.keyboard.press("Tab")
    assert page.evaluate(FOCUSED)["name"] == "Back"  # the header's links and buttons were skipped

    tab_to(page, "Me")
    page.keyboard.press("Space")
    continue_with_keyboard(page, "Which country do you live in?")
    tab_to(page, "Which country do you live in?")
    page.keyboard.type("United Kingdom")  # a closed select picks the option typed
    assert page.get_by_label("Which country do you live in?").input_value() == "GB"
    continue_with_keyboard(page, "What should we correct?")
    tab_to(page, "What is wrong?")
    page.keyboard.type("My surname")
    tab_to(page, "What should it say?")
    page.keyboard.type("Hopper")
    tab_to(page, "What is wrong?", back=True)
    page.keyboard.press("End")
    page.keyboard.type(": it says Hoper")
    page.shot("filled-with-the-keyboard")
    continue_with_keyboard(page, "Your name and email address")
    tab_to(page, "Your full name")
    page.keyboard.type("Grace Hopper")
    tab_to(page, "Your email address")
    page.keyboard.type("grace@example.org")
    continue_with_keyboard(page, "Check your answers before sending your request")
    tab_to(page, "Send request")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Request received").wait_for()
    page.shot("submitted")
    case = PrivacyRequest.objects.get()
    assert (case.kind, case.requester_name, case.requester_email, case.country) == (
        "rectification", "Grace Hopper", "grace@example.org", "GB",
    )  # fmt: skip
    assert (case.rectification_current, case.rectification_wanted) == ("My surname: it says Hoper", "Hopper")
