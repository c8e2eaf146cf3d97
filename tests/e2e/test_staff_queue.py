"""A DPO signs in with password and TOTP in a real browser and sees the queue (screenshots in test-artifacts/)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import Group
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from requests import services
from requests.models import CompanySystem, ProcessingActivity
from requests.roles import ensure_roles
from tests.factories import make_case

# A browser keeps the machine's clock: not run in the clock-shifted pass.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.real_clock]


def test_a_dpo_signs_in_with_totp_and_sees_overdue_cases_first(page: Any, dpo: Any, handler: Any) -> None:
    ensure_roles()
    dpo.groups.add(Group.objects.get(name="DPO"))
    device = TOTPDevice.objects.create(user=dpo, name="Authenticator", confirmed=True)
    with time_machine.travel(datetime(2025, 2, 8, 10, tzinfo=UTC), tick=False):
        late = services.confirm_email(make_case(kind="rectification", requester_email="late@example.org"))
    soon = services.confirm_email(make_case(kind="rectification", country="US", subdivision="CA"))
    services.assign(soon, to=handler, by=dpo)

    page.goto("/admin/")
    page.get_by_label("Username:").fill("dpo")
    page.get_by_label("Password:").fill("correct horse battery staple")
    page.get_by_label("Code:").fill(f"{totp(device.bin_key):06d}")
    page.shot("login")  # username, password and code on one screen
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Privacy requests").first.wait_for()  # the admin index: signed in
    page.goto("/admin/requests/privacyrequest/")
    page.get_by_role("link", name=late.reference).wait_for()
    page.shot("queue")
    html = page.content()
    assert html.index(late.reference) < html.index(soon.reference) and "overdue" in html
    page.get_by_role("link", name=late.reference).click()
    page.shot("case")
    assert "The requester confirmed their email address" in page.content()


def sign_in(page: Any, user: Any) -> None:
    device = TOTPDevice.objects.create(user=user, name="Authenticator", confirmed=True)
    page.goto("/admin/")
    page.get_by_label("Username:").fill(user.username)
    page.get_by_label("Password:").fill("correct horse battery staple")
    page.get_by_label("Code:").fill(f"{totp(device.bin_key):06d}")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Privacy requests").first.wait_for()


def test_a_dpo_works_a_case_from_the_case_page(page: Any, dpo: Any, details_to_match: None) -> None:
    ensure_roles()
    dpo.groups.add(Group.objects.get(name="DPO"))
    crm = CompanySystem.objects.create(name="Zoho CRM", owner=dpo)
    crm.activities.add(
        ProcessingActivity.objects.create(
            name="Clients", purposes="p", data_categories="c", legal_basis="contract", sources="s",
            retention="6 years", recipients="Zoho Corporation B.V.",
        )
    )  # fmt: skip
    case = services.confirm_email(
        make_case(kind="erasure", data_points={"phone": "+44 20 7946 0000", "postal_address": "1 Baker St"})
    )
    sign_in(page, dpo)
    page.goto(f"/admin/requests/privacyrequest/{case.pk}/change/")
    page.shot("case-verifying")
    page.locator("summary", has_text="Verify identity").click()
    page.get_by_role("button", name="Verify identity").click()  # nothing ticked: refused, said why
    page.get_by_text("needs 2 matching details; 0 ticked").wait_for()
    page.shot("verify-refused")
    page.get_by_label("Phone number: +44 20 7946 0000").check()
    page.get_by_label("Postal address: 1 Baker St").check()
    page.get_by_role("button", name="Verify identity").click()
    page.get_by_text("Identity verified; the case is open.").wait_for()
    page.locator("summary", has_text="Assign").click()
    page.get_by_role("button", name="Assign").click()
    page.locator("li.success", has_text="Assigned to").wait_for()
    row = page.locator(".system-row", has_text="Zoho CRM")
    row.get_by_label("State").select_option(label="Erased")
    row.get_by_label("Notes").fill("Contact and 3 notes deleted")
    row.get_by_role("button", name="Save").click()
    page.get_by_text("Zoho CRM: Erased.").wait_for()
    assert "Zoho Corporation B.V." in page.content()  # Art. 19: whom to tell
    page.get_by_label("Message to the requester").fill("We have found your record and are deleting it.")
    page.get_by_role("button", name="Send message").click()
    page.locator("li.success", has_text="Message sent").wait_for()
    page.shot("case-in-progress")
    page.locator("summary", has_text="Complete").click()
    page.get_by_label("Outcome").select_option(label="Done in full")
    page.get_by_role("button", name="Complete").click()
    page.get_by_text("Nothing has been sent yet.").wait_for()  # the answer the requester will get, first
    page.shot("complete-check")
    page.get_by_role("button", name="Confirm and send").click()
    page.get_by_text("Completed; the requester has been told.").wait_for()
    page.shot("case-completed")
    case.refresh_from_db()
    assert case.status == "completed" and case.outcome == "fulfilled"


def test_a_handler_logs_a_letter_with_the_day_it_arrived(page: Any, handler: Any) -> None:
    ensure_roles()
    handler.groups.add(Group.objects.get(name="Handler"))
    sign_in(page, handler)
    page.goto("/admin/requests/privacyrequest/")
    page.get_by_role("link", name="Log a letter, email or call").click()
    page.get_by_label("Came by").select_option(label="Post")
    page.get_by_label("Received on").fill("2099-01-01")
    page.get_by_label("Right").select_option(label="Access my data")
    page.get_by_label("Requester's name").fill("Margaret Hale")
    page.get_by_label("Requester's email").fill("margaret@example.org")
    page.get_by_label("Country where the person lives").select_option(label="United Kingdom")
    page.get_by_label("What they asked").fill(
        "A copy of everything you hold about me (letter dated 2 March)."
    )
    page.get_by_role("button", name="Log the request").click()
    page.get_by_text("The day received cannot be in the future.").wait_for()
    assert page.get_by_label("What they asked").input_value().startswith("A copy of everything")  # kept
    page.shot("log-refused")
    page.get_by_label("Received on").fill("2026-03-02")
    page.get_by_role("button", name="Log the request").click()
    page.get_by_text("the requester has an acknowledgement").wait_for()
    page.shot("logged-case")
    html = page.content()
    assert "Checking identity" in html and "Post" in html
    # UK GDPR: one month from Mon 2 Mar 2026 is Thu 2 Apr 2026.
    assert "Due Thu 2 Apr 2026" in html
    # Handlers are not offered the DPO's actions.
    assert "Extend" not in page.locator(".case-actions").inner_text()
    assert "Refuse" not in page.locator(".case-actions").inner_text()
