"""The operator's outbox page (superusers): the backlog above the list, in English and Russian, axe clean."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from privacyportal.models import QueuedTask
from tests.e2e.test_accessibility import Axe, axe, axe_page  # noqa: F401 (fixtures: the page checked with axe)
from tests.e2e.test_staff_queue import sign_in

# A browser keeps the machine's clock: not run in the clock-shifted pass.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.real_clock]

WORDS = {
    "en": ("Waiting to be delivered:", "the oldest promised:", "Given up:"),
    "ru": ("Ожидают доставки:", "самая старая поставлена:", "Брошены:"),
}


@pytest.mark.parametrize("language", ["en", "ru"])
def test_an_operator_sees_a_stale_outbox_backlog_above_the_list(
    axe: Axe,  # noqa: F811 (the fixture imported above)
    dpo: Any,
    live_server: Any,
    language: str,
) -> None:
    dpo.is_superuser = True
    dpo.save(update_fields=["is_superuser"])
    now = timezone.now()
    for minutes in (40, 3):  # one waiting long past a redelivery, one just promised
        QueuedTask.objects.create(
            task_id=f"00000000-0000-4000-8000-0000000000{minutes:02d}",
            name="requests.tasks.send_requester_email", args=[1, "request-received", 0],
            created_at=now - timedelta(minutes=minutes), published_at=now - timedelta(minutes=minutes),
        )  # fmt: skip
    QueuedTask.objects.create(
        task_id="00000000-0000-4000-8000-000000000099", name="identity.tasks.send_verification_email", args=[2],
        created_at=now - timedelta(hours=7), published_at=now - timedelta(hours=1), publishes=25,
    )  # fmt: skip
    page = axe.page
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, dpo)
    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
    )
    page.goto("/admin/privacyportal/queuedtask/")
    backlog = page.locator(".outbox-backlog")
    text = backlog.inner_text()
    waiting, oldest, given_up = WORDS[language]
    assert f"{waiting} 2" in text and oldest in text and f"{given_up} 1" in text, text
    assert "stale" in (backlog.get_attribute("class") or "")  # the 40-minute one is past the 25 allowed
    assert (
        page.locator("h1").inner_text() == {"en": "Outbox tasks", "ru": "Задачи очереди отправки"}[language]
    )
    axe.check(f"outbox-{language}")  # and its screenshot
    # Every column on screen at 1280 px: nothing scrolls sideways.
    assert page.evaluate(
        "() => { const r = document.querySelector('.results'); return r.scrollWidth <= r.clientWidth; }"
    )
