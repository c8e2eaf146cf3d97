"""A handler logs a letter from a requester with no email, prints the acknowledgement and records it posted."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.contrib.auth.models import Group
from pypdf import PdfReader

from requests.models import PostalLetter, PrivacyRequest
from requests.roles import ensure_roles
from tests.e2e.test_accessibility import Axe, axe, axe_page  # noqa: F401 (fixtures: the page checked with axe)
from tests.e2e.test_staff_queue import sign_in
from tests.factories import pdf_bytes

# A browser keeps the machine's clock: not run in the clock-shifted pass.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.real_clock]


def test_a_handler_logs_a_postal_request_with_its_scan_and_posts_the_acknowledgement(
    axe: Axe,  # noqa: F811 (the fixture imported above)
    handler: Any,
    tmp_path: Any,
) -> None:
    page = axe.page
    ensure_roles()
    handler.groups.add(Group.objects.get(name="Handler"))
    sign_in(page, handler)
    page.goto("/admin/requests/privacyrequest/")
    page.get_by_role("link", name="Log a letter, email or call").click()
    page.get_by_label("Came by").select_option(label="Post")
    page.get_by_label("Right").select_option(label="Access my data")
    page.get_by_label("Requester's name").fill("Margaret Hale")
    page.get_by_label("Country where the person lives").select_option(label="United Kingdom")
    page.get_by_label("What they asked").fill(
        "A copy of everything you hold about me (letter dated 2 March)."
    )
    page.get_by_role("button", name="Log the request").click()
    page.get_by_text("Give an email address or a postal address.").wait_for()  # neither given
    page.shot("log-needs-an-address")
    page.get_by_label("Requester's postal address").fill("Flat 2, 14 Marlborough Road\nMilton\nMT1 4AB")
    scan = tmp_path / "letter.pdf"
    scan.write_bytes(pdf_bytes())
    page.get_by_label("Scan of the letter as received").set_input_files(str(scan))
    axe.check("log-postal")
    page.get_by_role("button", name="Log the request").click()
    page.get_by_text("print its acknowledgement under “Letters to post”").wait_for()
    case = PrivacyRequest.objects.get(requester_name="Margaret Hale")
    section = page.locator("section.to-post")
    assert "Acknowledgement of the request" in section.inner_text()
    assert "Request as received: letter.pdf" in page.locator("body").inner_text()  # the scan, as evidence
    axe.check("case-letters-to-post")

    with page.expect_download() as download:
        section.get_by_role("link", name="PDF to print").click()
    pdf = download.value.path().read_bytes()
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "Flat 2, 14 Marlborough Road" in text and f"We have logged your request {case.reference}" in text

    section.get_by_role("button", name="Record as posted").click()
    page.get_by_text("Recorded as posted: Acknowledgement of the request.").wait_for()
    assert "Nothing waiting to be posted." in page.locator("section.to-post").inner_text()
    assert "posted on" in page.locator("section.to-post").inner_text()
    axe.check("case-letter-posted")
    (item,) = PostalLetter.objects.filter(privacy_request=case)
    assert item.posted_by == handler and item.posted_on is not None
    axe.assert_clean()
