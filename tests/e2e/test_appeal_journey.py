"""A Virginian whose request was refused appeals from the status page, in a real browser (screenshots in
test-artifacts/), and reads the decision there."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.core import mail

from requests import services
from requests.models import PrivacyRequest
from requests.roles import ensure_roles
from tests.e2e.conftest import ARTIFACTS, open_page
from tests.e2e.test_staff_queue import sign_in
from tests.factories import make_case

# A browser keeps the machine's clock: not run in the clock-shifted pass.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.real_clock]

REASONS = "I closed my account two years ago. Nothing obliges you to keep my order history: please delete it."


def last_code() -> str:
    found = re.search(r"^\s+(\d{6})$", str(mail.outbox[-1].body), re.MULTILINE)
    assert found, mail.outbox[-1].body
    return found.group(1)


def test_a_virginian_refused_appeals_from_the_status_page(
    page: Any, dpo: Any, browser: Any, live_server: Any, request: Any
) -> None:
    # The DPO's browser, opened first: opening a page clears the test's screenshot folder.
    context, staff = open_page(browser, live_server, request)

    def staff_shot(name: str) -> None:
        staff.screenshot(path=str(ARTIFACTS / request.node.name / f"staff-{name}.png"), full_page=True)

    refused = services.deny(
        services.confirm_email(make_case(kind="erasure", country="US", subdivision="VA")),
        by=dpo,
        reason="legal_exemption",
        explanation="Virginia tax law makes us keep your invoices for six years.",
    )
    page.goto("/status/")
    page.get_by_label("The email address you used for your request").fill("ada@example.org")
    page.get_by_role("button", name="Send me a code").click()
    page.get_by_label("6-digit code from the email").fill(last_code())
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name=refused.reference).click()
    appeal_section = page.get_by_role("region", name="Appeal our decision")
    appeal_section.wait_for()
    assert "The privacy law of Virginia lets you appeal our decision" in appeal_section.inner_text()
    assert "the Office of the Attorney General of Virginia" in appeal_section.inner_text()
    page.shot("refused-case-offers-an-appeal")

    # Sent empty, the form says what is missing and nothing is created.
    page.get_by_role("button", name="Send my appeal").click()
    page.get_by_text("This field is required.").wait_for()
    assert not refused.follow_ups.exists()
    page.get_by_label("Why you think our decision is wrong").fill(REASONS)
    page.shot("appeal-written")
    page.get_by_role("button", name="Send my appeal").click()
    appeal = PrivacyRequest.objects.get(kind="appeal")
    page.get_by_role("heading", name=f"{appeal.reference} · Appeal against our decision").wait_for()
    content = page.content()
    assert f"We received your appeal as {appeal.reference}" in content
    assert "US state privacy law (VA), 60 days counting" in content and "We received your appeal." in content
    assert mail.outbox[-1].subject == f"We received your appeal {appeal.reference}"
    page.shot("appeal-received")

    # A DPO, in a browser of their own, takes the appeal and refuses it with reasons.
    ensure_roles()
    dpo.groups.add(Group.objects.get(name="DPO"))
    sign_in(staff, dpo)
    staff.goto(f"/admin/requests/privacyrequest/{appeal.pk}/change/")
    assert "Appeal against the answer to" in staff.content() and refused.reference in staff.content()
    assert REASONS in staff.content()
    staff.locator("summary", has_text="Assign").click()
    staff.locator("details.action-assign").get_by_role("button", name="Assign").click()
    staff.locator("summary", has_text="Decide").click()
    decide = staff.locator("details.action-decide")
    decide.get_by_label("Decision").select_option("appeal_refused")
    decide.get_by_label("Reasons for the requester").fill(
        "The invoices are from 2024: the law keeps them until 2030."
    )
    staff_shot("decides-the-appeal")
    decide.get_by_role("button", name="Decide").click()
    staff.get_by_text("Nothing has been sent yet.").wait_for()  # the letter, read before it goes
    staff_shot("checks-the-decision")
    staff.get_by_role("button", name="Confirm and send").click()
    staff.get_by_text("Decided; the requester has the letter.").wait_for()
    staff_shot("appeal-decided")
    context.close()

    # The requester finds the decision and its letter on the status page.
    page.reload()
    page.get_by_text("Appeal refused: our decision stands").first.wait_for()
    assert "Decision on an appeal" in page.content()  # the letter, listed with a link to its PDF
    page.shot("appeal-decided")
    page.get_by_role("link", name=refused.reference).click()
    assert f"Your appeal: {appeal.reference}" in page.get_by_text("Your appeal:").inner_text()
    assert page.get_by_role("region", name="Appeal our decision").count() == 0  # one appeal per answer
    page.shot("refused-case-after-the-appeal")
