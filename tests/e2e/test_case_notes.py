"""A DPO works a case from the queue in a real browser: a note, a reply from a template, then the keyboard.

Screenshots in test-artifacts/test_a_dpo_notes_replies_from_a_template_and_moves_on_by_keyboard/.
"""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from django.contrib.auth.models import Group

from requests import services
from requests.models import CaseNote, Message, PrivacyRequest, ReplyTemplate
from requests.roles import ensure_roles
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_staff_queue import sign_in
from tests.factories import make_case

# A browser keeps the machine's clock: not run in the clock-shifted pass.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.real_clock]

DEFAULTS = importlib.import_module("requests.migrations.0023_notes_and_replies").DEFAULTS
NOTE = "Phoned the requester: the old address is 12 Elm Road."


def focused(page: Any) -> str:
    return str(page.evaluate("document.activeElement && document.activeElement.id"))


def test_a_dpo_notes_replies_from_a_template_and_moves_on_by_keyboard(
    page: Any, dpo: Any, handler: Any
) -> None:
    ensure_roles()  # a transactional test flushes what the migrations made: the roles and the templates
    for language, purpose, name, subject, body in DEFAULTS:
        ReplyTemplate.objects.get_or_create(
            language=language, name=name, defaults={"purpose": purpose, "subject": subject, "body": body}
        )
    dpo.groups.add(Group.objects.get(name="DPO"))
    handler.groups.add(Group.objects.get(name="Handler"))
    # Three open cases due the same day, so the queue lists them in the order they came.
    first = services.confirm_email(make_case(kind="rectification", requester_email="first@example.org"))
    taken = services.confirm_email(make_case(kind="rectification", requester_email="taken@example.org"))
    services.assign(taken, to=handler, by=dpo)
    last = services.confirm_email(make_case(kind="rectification", requester_email="last@example.org"))
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)

    sign_in(page, dpo)
    page.goto("/admin/requests/privacyrequest/?who=unassigned")
    page.get_by_role("link", name=first.reference).click()
    page.get_by_role("heading", name="Timeline").wait_for()
    page.wait_for_load_state()  # the shortcuts' script (deferred) has run
    assert "_changelist_filters=who%3Dunassigned" in page.url
    page.shot("case")

    # A note: only staff see it, in the timeline.
    page.get_by_label("Add an internal note").fill(NOTE)
    page.get_by_role("button", name="Add note").click()
    page.get_by_text("Note added; only staff can read it.").wait_for()
    page.wait_for_load_state()
    timeline = page.locator(".case-timeline")
    timeline.get_by_text(NOTE).wait_for()
    assert "Internal note:" in timeline.inner_text()
    page.locator(".case-timeline").screenshot(path=str(page_artifact(page, "timeline-note")))
    page.shot("note-in-timeline")

    # A template fills the box at once (no reload); the text is edited before it goes.
    box = page.get_by_label("Message to the requester")
    url = page.url
    page.get_by_label("Start from a template").select_option(label="Clarification")
    assert page.url == url and focused(page) == "id_message-body"
    filled = box.input_value()
    assert filled.startswith(f"Request {first.reference}: a question about your request")
    assert "Dear Ada Lovelace" in filled and "[what we need to know]" in filled
    page.locator("section", has=page.locator("#messages-h")).screenshot(
        path=str(page_artifact(page, "template"))
    )
    box.fill(filled.replace("[what we need to know]", "which of your addresses is wrong"))
    page.get_by_role("button", name="Send message").click()
    page.get_by_text("Message sent;").wait_for()
    page.wait_for_load_state()
    sent = Message.objects.get(privacy_request=first)
    assert "tell us which of your addresses is wrong" in sent.body and "[" not in sent.body
    assert (
        "which of your addresses is wrong"
        in page.get_by_role("region", name="Messages with the requester").inner_text()
    )

    # The keyboard: r goes to the reply box, and keys typed there are text, not shortcuts.
    page.keyboard.press("r")
    assert focused(page) == "id_message-body"
    page.keyboard.type("j")
    assert box.input_value() == "j" and page.url.startswith(url.split("#")[0].split("?")[0])
    page.keyboard.press("Escape")
    page.keyboard.press("?")
    assert page.locator("#case-keys").get_attribute("open") is not None
    page.shot("shortcuts-help")
    page.keyboard.press("?")
    # a: assigned to me, still in the "Unassigned" view I came from.
    page.keyboard.press("a")
    page.get_by_text("Assigned to Dana.").wait_for()
    page.wait_for_load_state()
    assert PrivacyRequest.objects.get(pk=first.pk).assignee == dpo
    assert "_changelist_filters=who%3Dunassigned" in page.url
    # j: the next unassigned case (the handler's is not in this view).
    page.keyboard.press("j")
    page.wait_for_url(f"**/privacyrequest/{last.pk}/change/**")
    page.get_by_text("No case after this one in this queue.").wait_for()
    page.shot("next-case")
    assert list(CaseNote.objects.values_list("text", flat=True)) == [NOTE]
    assert not refused, refused


def page_artifact(page: Any, name: str) -> Any:
    """A path beside the test's numbered screenshots (the conftest's `page.shot` saves whole pages)."""
    folder = ARTIFACTS / "test_a_dpo_notes_replies_from_a_template_and_moves_on_by_keyboard"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{name}.png"
