"""A handler finds a mail in the inbox and makes it a case in one step; the case page opens on it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.utils import timezone

from privacyportal.mailbox import Attachment, IncomingMail
from requests.models import InboxState, PrivacyRequest
from requests.roles import ensure_roles
from requests.services import inbox
from tests.e2e.test_accessibility import Axe, axe, axe_page  # noqa: F401 (fixtures: the page checked with axe)
from tests.e2e.test_staff_queue import sign_in
from tests.factories import pdf_bytes

# A browser keeps the machine's clock: not run in the clock-shifted pass.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.real_clock]


def test_a_handler_makes_a_mailed_request_a_case_in_one_step(
    axe: Axe,  # noqa: F811 (the fixture imported above)
    handler: Any,
) -> None:
    page = axe.page
    ensure_roles()
    handler.groups.add(Group.objects.get(name="Handler"))
    reached = timezone.now() - timedelta(days=2)
    incoming = IncomingMail(
        uid=1, message_id="<e2e-1@mail.example>", in_reply_to="", references=(),
        sender="zoya@example.ru", sender_name="Зоя Космодемьянская", subject="Удаление данных",
        text="Здравствуйте!\nПрошу удалить мои персональные данные.\n<script>alert('x')</script>",
        received_at=reached, attachments=(Attachment("паспорт.pdf", "application/pdf", pdf_bytes()),),
        automatic=False, bounce_of="", is_bounce=False, size=4000,
    )  # fmt: skip
    item = inbox.store(incoming)
    sign_in(page, handler)
    page.goto("/admin/requests/privacyrequest/")
    page.get_by_role("link", name="Inbox: 1 new").click()
    row = page.locator("#result_list tbody tr").first
    assert "Удаление данных" in row.inner_text() and "Delete my data" in row.inner_text()
    page.shot("inbox-list")
    page.get_by_role("link", name="Удаление данных").click()
    text = page.locator("pre.mail-text").inner_text()
    assert "<script>alert('x')</script>" in text  # shown as text, never run
    assert page.get_by_label("Right").input_value() == "erasure"
    assert page.get_by_label("Language for letters").input_value() == "ru"
    assert page.get_by_label("Requester's name").input_value() == "Зоя Космодемьянская"
    axe.check("inbox-item")
    page.shot("inbox-item")
    page.get_by_label("Country where the person lives").select_option(label="Germany")
    page.get_by_role("button", name="Make it a case").click()
    page.get_by_text("the sender has an acknowledgement").wait_for()
    case = PrivacyRequest.objects.get()
    assert page.url.endswith(f"/admin/requests/privacyrequest/{case.pk}/change/")
    body = page.locator("body").inner_text()
    assert case.reference in body and "Made a case from an email to the privacy mailbox" in body
    assert "паспорт.pdf" in body  # the mail's file, now the case's evidence
    axe.check("case-from-inbox")
    page.shot("case-from-inbox")
    assert case.received_at == reached and case.kind == "erasure" and case.language == "ru"
    item.refresh_from_db()
    assert item.state == InboxState.TURNED
    assert [m.to for m in mail.outbox if case.reference in str(m.subject) + str(m.body)] == [
        ["zoya@example.ru"]
    ]
    axe.assert_clean()
