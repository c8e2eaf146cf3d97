"""The queue at 1280 px with 200 cases, in English and Russian: every column in view, no overlap, axe clean;
a search whose term never reaches the address bar (screenshots in test-artifacts/)."""

from __future__ import annotations

import shutil
from typing import Any

import pytest
from django.conf import settings

from requests import services
from requests.roles import ensure_roles
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_accessibility import AXE_RUN, FAILING_IMPACTS, WCAG_TAGS
from tests.e2e.test_staff_queue import sign_in
from tests.factories import in_role, make_case

# A browser keeps the machine's clock: not run in the clock-shifted pass.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.real_clock]

QUEUE = "/admin/requests/privacyrequest/"
WIDTH = 1280
HEADERS = {
    "en": ["Reference", "Requester", "Right", "Received", "Days left", "Status", "Assignee", "Flags"],
    "ru": ["Номер", "Заявитель", "Право", "Получен", "Осталось дней", "Статус", "Исполнитель", "Отметки"],
}
NAMES = ["Anna Petrova", "Boris Ivanov", "Clara Schmidt", "Dmitri Sokolov", "Eleanor Whitfield-Hargreaves"]


def two_hundred_cases(dpo: Any, handler: Any) -> None:
    for i in range(200):
        fields: dict[str, Any] = {
            "requester_name": f"{NAMES[i % 5]} {i}",
            "requester_email": f"p{i}@example.org",
        }
        if i % 7 == 0:
            fields.update(relationship="agent", subject_name=f"Subject {i}")
        if i % 5 == 2:
            fields.update(country="US", subdivision="CA")
        case = services.confirm_email(make_case(kind=["access", "portability", "erasure"][i % 3], **fields))
        if i % 4 == 0:
            services.assign(case, to=handler, by=dpo)
        if i % 9 == 0:
            services.pause(case, by=dpo, reason="Which account do you mean?")


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_queue_fits_1280_px_in_english_and_russian(
    browser: Any, live_server: Any, dpo: Any, handler: Any, axe_source: str, language: str, request: Any
) -> None:
    ensure_roles()
    in_role(dpo, "DPO")
    in_role(handler, "Handler")
    two_hundred_cases(dpo, handler)
    context = browser.new_context(
        base_url=live_server.url,
        locale="en-GB",
        viewport={"width": WIDTH, "height": 900},
        bypass_csp=True,  # axe is injected as a script tag
    )
    shots = ARTIFACTS / request.node.name
    shutil.rmtree(shots, ignore_errors=True)
    shots.mkdir(parents=True, exist_ok=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, dpo)
    # The language staff chose (Django's language cookie), as the admin's language switch sets it.
    context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}])
    page.goto(QUEUE)
    page.locator("#result_list").wait_for()
    page.screenshot(path=str(shots / "01-queue.png"))  # what fits on the screen, not the whole page
    page.screenshot(path=str(shots / "02-queue-full.png"), full_page=True)

    # Every column header is on screen: nothing scrolls sideways.
    for header in HEADERS[language]:
        box = page.locator("#result_list thead th", has_text=header).first.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= WIDTH, (header, box)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= WIDTH
    # ...and the table itself does not scroll inside its box (the admin lets it, hiding the last columns).
    assert page.evaluate(
        "() => { const r = document.querySelector('.results'); return r.scrollWidth <= r.clientWidth; }"
    )
    # No app sidebar, and "Log a letter" does not run into the title.
    assert page.locator("#nav-sidebar").count() == 0
    title = page.locator("#content h1").bounding_box()
    button = page.locator(".object-tools a").first.bounding_box()
    assert title and button
    overlaps = not (
        button["x"] >= title["x"] + title["width"]
        or title["y"] + title["height"] <= button["y"]
        or button["y"] + button["height"] <= title["y"]
    )
    assert not overlaps, (title, button)
    # A paused case says so in words.
    assert page.locator(".days-paused").count() > 0

    page.add_script_tag(content=axe_source)
    problems = [
        f"{v['id']} [{v['impact']}] {v['help']}: {', '.join(v['targets'])}"
        for v in page.evaluate(AXE_RUN, WCAG_TAGS)
        if v["impact"] in FAILING_IMPACTS
    ]
    assert not problems, "\n".join(problems)

    # The search: the term goes in the body of a POST; the address bar shows a token.
    page.locator("#searchbar").fill("Anna Petrova")
    page.locator("#searchbar").press("Enter")
    page.locator("#result_list").wait_for()
    assert "Anna" not in page.url and "s=" in page.url
    assert page.locator("#result_list tbody tr").count() == 40
    page.screenshot(path=str(shots / "03-searched.png"))
    if language == "en":
        assign_two_and_search_for_nobody(page, shots, handler)
    context.close()


def assign_two_and_search_for_nobody(page: Any, shots: Any, handler: Any) -> None:
    """Tick two rows, "Assign to…", pick the handler on the page that asks, back to the queue; then a search that
    finds nothing says what can be searched."""
    page.locator("#result_list tbody input.action-select").nth(1).check()
    page.locator("#result_list tbody input.action-select").nth(2).check()
    page.get_by_label("Action:").select_option(label="Assign to…")
    page.get_by_role("button", name="Go").click()
    page.get_by_label("Assign to").select_option(value=str(handler.pk))
    page.screenshot(path=str(shots / "04-assign-to.png"), full_page=True)
    page.get_by_role("button", name="Assign").click()
    page.get_by_text("2 cases assigned to").wait_for()
    page.screenshot(path=str(shots / "05-assigned.png"))
    page.locator("#searchbar").fill("Nobody Here")
    page.locator("#searchbar").press("Enter")
    page.get_by_text("No case matches").wait_for()
    page.screenshot(path=str(shots / "06-no-match.png"))
