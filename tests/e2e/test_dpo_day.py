"""A DPO's day in a real browser: one sign-in screen, a saved view, twenty cases assigned at once, a note, a reply
from a template and a refusal read before it is sent (screenshots in test-artifacts/test_a_dpos_day/)."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from django.core import mail
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from requests import services
from requests.lifecycle import Status
from requests.models import CaseNote, Message, PrivacyRequest, ReplyTemplate, SavedView
from requests.roles import ensure_roles
from tests.factories import PASSWORD, in_role, make_case

# A browser keeps the machine's clock: not run in the clock-shifted pass.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.real_clock]

DEFAULTS = importlib.import_module("requests.migrations.0023_notes_and_replies").DEFAULTS
NOTE = "Called the requester back: they use two addresses, both in the CRM."
EXPLANATION = "You asked for exactly the same information last week and we answered in full."


def starting_templates() -> None:
    """What the migration made (a transactional test flushes it)."""
    for language, purpose, name, subject, body in DEFAULTS:
        ReplyTemplate.objects.get_or_create(
            language=language, name=name, defaults={"purpose": purpose, "subject": subject, "body": body}
        )


def test_a_dpos_day(page: Any, dpo: Any, handler: Any) -> None:
    ensure_roles()
    starting_templates()
    in_role(dpo, "DPO")
    in_role(handler, "Handler")
    dpo.first_name, dpo.last_name = "Maria", "Petrova"
    dpo.save()
    california = [
        services.confirm_email(
            make_case(
                kind="access", country="US", subdivision="CA",
                requester_name=f"Californian {i:02d}", requester_email=f"ca{i:02d}@example.org",
            )
        )
        for i in range(24)
    ]  # fmt: skip
    elsewhere = [services.confirm_email(make_case(requester_email=f"uk{i}@example.org")) for i in range(3)]

    # Sign in: username, password and the code from the app, on one screen.
    device = TOTPDevice.objects.create(user=dpo, name="Authenticator", confirmed=True)
    page.goto("/admin/")
    page.get_by_label("Username:").fill(dpo.username)
    page.get_by_label("Password:").fill(PASSWORD)
    page.get_by_label("Code:").fill(f"{totp(device.bin_key):06d}")
    assert page.locator("select").count() == 0  # no device to pick
    page.shot("sign-in")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Privacy requests").first.wait_for()

    # The built-in view, saved as the DPO's own, then opened from the saved link.
    page.goto("/admin/requests/privacyrequest/")
    page.get_by_role("link", name="Unassigned California").click()
    page.get_by_label("Save these filters as").fill("California inbox")
    page.get_by_role("button", name="Save this view").click()
    page.get_by_text("View “California inbox” saved.").wait_for()
    page.goto("/admin/requests/privacyrequest/")
    page.get_by_role("link", name="California inbox").click()
    rows = page.locator("#result_list tbody tr")
    rows.first.wait_for()
    assert rows.count() == 24
    assert not any(case.reference in page.content() for case in elsewhere)
    assert SavedView.objects.filter(owner=dpo, name="California inbox").count() == 1
    page.shot("saved-view")

    # Twenty of them to the handler at once: one assignment, one event, per case.
    boxes = page.locator("#result_list tbody input.action-select")
    for i in range(20):
        boxes.nth(i).check()
    page.get_by_label("Action:").select_option(label="Assign to…")
    page.get_by_role("button", name="Go").click()
    page.get_by_label("Assign to").select_option(value=str(handler.pk))
    page.shot("assign-to")
    page.get_by_role("button", name="Assign").click()
    page.get_by_text("20 cases assigned to").wait_for()
    page.shot("assigned")
    assigned = PrivacyRequest.objects.filter(assignee=handler)
    assert assigned.count() == 20
    assert all(case.events.filter(verb="assigned").count() == 1 for case in assigned)
    assert rows.count() == 4  # the view still shows the unassigned ones only

    # One of the four left: a note, then a reply started from a template and edited before it goes.
    case = (
        PrivacyRequest.objects.filter(pk__in=[c.pk for c in california], assignee=None).order_by("pk").first()
    )
    assert case is not None
    page.get_by_role("link", name=case.reference).click()
    page.get_by_role("heading", name="Timeline").wait_for()
    page.wait_for_load_state()
    page.get_by_label("Add an internal note").fill(NOTE)
    page.get_by_role("button", name="Add note").click()
    page.get_by_text("Note added; only staff can read it.").wait_for()
    assert NOTE in page.locator(".case-timeline").inner_text()
    page.get_by_label("Start from a template").select_option(label="Clarification")
    box = page.get_by_label("Message to the requester")
    filled = box.input_value()
    assert case.reference in filled and "[what we need to know]" in filled
    box.fill(filled.replace("[what we need to know]", "which of your two addresses you mean"))
    page.get_by_role("button", name="Send message").click()
    page.get_by_text("Message sent;").wait_for()
    sent = Message.objects.get(privacy_request=case)
    assert "which of your two addresses you mean" in sent.body and NOTE not in sent.body
    page.shot("note-and-reply")

    # Refuse: no reason is chosen for the DPO; the letter is read first, and only "Confirm and send" sends it.
    mail.outbox.clear()
    page.wait_for_load_state()
    page.locator("summary", has_text="Refuse").click()
    assert page.get_by_label("Reason:", exact=True).input_value() == ""
    page.get_by_label("Reason:", exact=True).select_option("excessive")
    page.get_by_label("Explanation for the requester:").fill(EXPLANATION)
    page.get_by_role("button", name="Refuse").click()
    page.get_by_text("Nothing has been sent yet.").wait_for()
    page.frame_locator("iframe.letter").get_by_text(EXPLANATION).wait_for()
    page.shot("confirm-refusal")
    assert PrivacyRequest.objects.get(pk=case.pk).is_open and not mail.outbox
    page.get_by_role("button", name="Confirm and send").click()
    page.get_by_text("Refused;").first.wait_for()
    page.shot("refused")
    assert PrivacyRequest.objects.get(pk=case.pk).status == Status.DENIED
    (letter,) = [m for m in mail.outbox if case.requester_email in m.to]
    assert EXPLANATION in str(letter.body) and NOTE not in str(letter.body)
    assert list(CaseNote.objects.values_list("text", flat=True)) == [NOTE]
