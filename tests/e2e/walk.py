"""A requester answering the question pages in a real browser (issue 21), for the browser tests to read as journeys.

`fill_request(page, "access", {"Who is this request about?": "Me", "Which country do you live in?": "Germany",
...})` answers each page with the answers it asks for, as a person would: found by the label or question the
person reads, typed or picked, then "Continue", until "check your answers"; then "Send request". Answers are
written in English; on a Russian page the questions and the choices are looked up in the portal's own catalogue
(what is typed is typed as given), so a test reads the same in both languages and survives new translations.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.utils import translation

MAX_PAGES = 12  # more than a request has pages: a loop would be a bug


def words(language: str) -> Callable[[str], str]:
    """The portal's words in `language`: `words("ru")("Continue")` is what a Russian page says."""

    def say(text: str) -> str:
        with translation.override(language):
            return translation.gettext(text)

    return say


def step_of(url: str) -> str:
    """The question page a URL shows: "who" for a right's entry point, "check" for check your answers."""
    parts = [part for part in urlsplit(url).path.split("/") if part]  # requests, new, <right>[, <step>]
    return parts[3] if len(parts) > 3 else "who"


def press(page: Any, name: str) -> None:
    """Press a button that sends the page, and wait for the page it leads to (the same one, in error)."""
    with page.expect_navigation():
        page.get_by_role("button", name=name, exact=True).click()


def answer(page: Any, question: str, value: Any, say: Callable[[str], str]) -> bool:
    """Answer `question` if this page asks it: False when it is not on this page."""
    control = page.get_by_label(say(question), exact=True)
    if control.count():
        kind = control.evaluate("(el) => el.tagName === 'INPUT' ? el.type : el.tagName.toLowerCase()")
        if kind == "select":
            control.select_option(label=say(value))
        elif kind == "checkbox":
            control.set_checked(bool(value))
        elif kind == "file":
            control.set_input_files(str(value) if isinstance(value, Path) else value)
        else:
            control.fill(value)
        return True
    # A group of radios: named by its legend (on a page of one question, the caption and the question).
    group = page.get_by_role("group", name=say(question))
    if group.count():
        group.get_by_role("radio", name=say(value), exact=True).check()
        return True
    return False


def fill_request(
    page: Any,
    right: str | None,
    answers: Mapping[str, Any],
    *,
    language: str = "en",
    on_page: Callable[[str], object] | None = None,
    until: str | None = None,
    send: bool = True,
) -> None:
    """Answer the pages of `right` from its entry point (None: from the page the browser is on) with `answers`
    (question or label: what is typed, the choice picked, True to tick, a file's path), "Continue" on each.

    `on_page(step)` sees each page before it is answered (a screenshot, an accessibility check). The walk stops
    on the page `until` (unanswered), or on "check your answers", sending from it when `send`. A page that comes
    back in error, or an answer no page asked for, fails the test with what the page said.
    """
    say = words(language)
    if right is not None:
        page.goto(f"/requests/new/{right}/")
    left = dict(answers)
    for _ in range(MAX_PAGES):
        step = step_of(page.url)
        if on_page is not None:
            on_page(step)
        if step == until:
            return
        if step == "check":
            assert not left, f"no page asked {list(left)}"
            if send:
                press(page, say("Send request"))
            return
        for question in [question for question, value in left.items() if answer(page, question, value, say)]:
            del left[question]
        press(page, say("Continue"))
        if step_of(page.url) == step and page.locator("#errors").count():
            raise AssertionError(
                f"the {step!r} page refused the answers: {page.locator('#errors').inner_text()}"
            )
    raise AssertionError("the question pages went round in a loop")
