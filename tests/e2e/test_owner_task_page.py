"""A system's owner opens their emailed task in a real browser and answers it (screenshots in test-artifacts/)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.core import mail

from requests import services
from requests.models import CheckState, CompanySystem, OwnerTask, SystemCheck
from tests.factories import make_case

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.real_clock]

LINK = re.compile(r"https?://[^\s/]+(/owner-task/[A-Za-z0-9_-]+/)")


# This test found that the task page's "Referrer-Policy: no-referrer" made Chromium send "Origin: null" with the
# answer, which Django's CSRF check refused: no owner could have answered (the test client sends no Origin).
def test_an_owner_follows_the_link_sends_an_export_and_the_link_then_closes(
    page: Any, dpo: Any, tmp_path: Path, details_to_match: None
) -> None:
    system = CompanySystem.objects.create(name="Support mailbox", owner_email="support-owner@example.com")
    case = services.confirm_email(
        make_case(kind="access", data_points={"phone": "+44 20 7946 0000", "postal_address": "1 Baker St"})
    )
    services.verify(case, by=dpo, data_points=["phone", "postal_address"])  # opens the owner's task
    (message,) = [m for m in mail.outbox if m.to == ["support-owner@example.com"]]
    link = LINK.search(str(message.body))
    assert link, message.body

    page.goto(link[1])
    page.get_by_role(
        "heading", name=re.compile(f"Support mailbox: a task for request {case.reference}")
    ).wait_for()
    page.shot("task")
    assert case.requester_email in page.content() and "1 Baker St" not in page.content()
    extract = tmp_path / "mailbox.csv"
    extract.write_text("date,subject\n2026-11-01,Where is my order?\n")
    page.get_by_text("Exported").first.click()
    page.locator("input[type=file]").set_input_files(str(extract))
    page.get_by_role("button", name="Send the answer").click()
    page.get_by_role("heading", name=re.compile("Thank you|answer", re.IGNORECASE)).first.wait_for()
    page.shot("answered")
    task = OwnerTask.objects.get(privacy_request=case, system=system)
    assert task.status == "exported"
    assert SystemCheck.objects.get(privacy_request=case, system=system).state == CheckState.EXPORTED

    page.goto(link[1])  # the link works once
    page.shot("closed")
    page.get_by_role("heading", name="This task is already answered").wait_for()
