"""The case timeline in plain words (requests/selectors/timeline.py): what staff read, in their language, and a
wording for every verb the code records."""

from __future__ import annotations

import ast
import html
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import time_machine

from requests import services
from requests.selectors.timeline import WORDING
from tests.factories import make_case, signed_in

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
MON_4_JAN = datetime(2027, 1, 4, 10, 30, tzinfo=UTC)


def recorded_verbs() -> dict[str, str]:
    """Every verb a `record_event(...)` call in the code writes (a literal, or each branch of an `x if c else y`),
    with where it is written."""
    verbs: dict[str, str] = {}
    for path in sorted(ROOT.glob("*/**/*.py")):
        relative = path.relative_to(ROOT)
        # var/ and .venv-tools/ are git-ignored: tools' virtualenvs (Fides' for bench_vs_fides.py, on Python 3.13).
        if (
            relative.parts[0] in ("tests", "bench", ".venv", ".venv-tools", "var")
            or "migrations" in relative.parts
        ):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", None))
            if name != "record_event" or len(node.args) < 2:
                continue
            for part in ast.walk(node.args[1]):
                if isinstance(part, ast.Constant) and isinstance(part.value, str):
                    verbs.setdefault(part.value, f"{relative}:{node.lineno}")
    return verbs


def test_the_source_is_searched_where_the_verbs_are_written() -> None:
    found = recorded_verbs()
    # A finder that found nothing would pass the next test whatever the wording said.
    assert {
        "submitted",
        "assigned",
        "denied",
        "system_checked",
        "appeal_received",
        "complaint_received",
    } <= set(found)


def test_every_verb_recorded_in_the_code_has_its_wording() -> None:
    missing = {verb: where for verb, where in recorded_verbs().items() if verb not in WORDING}
    assert not missing, f"add a line to WORDING in requests/selectors/timeline.py for: {missing}"


def case_page(case: Any) -> str:
    return f"/admin/requests/privacyrequest/{case.pk}/change/"


def timeline_of(page: str) -> str:
    """The timeline section's text, tags stripped and spaces squeezed."""
    section = page[page.index('id="timeline-h"') :]
    text = html.unescape(re.sub(r"<[^>]+>", " ", section))
    return " ".join(text.split())


@time_machine.travel(MON_4_JAN, tick=False)
def test_staff_read_the_timeline_in_plain_words_with_who_and_when(dpo: Any) -> None:
    dpo.first_name, dpo.last_name = "Maria", "Petrova"
    dpo.save()
    case = services.confirm_email(make_case(kind="rectification", country="DE"))
    services.assign(case, to=dpo, by=dpo)
    client = signed_in(dpo, "DPO")

    text = timeline_of(client.get(case_page(case)).content.decode())

    assert "Request received (Web form)" in text
    assert "Laws that apply: our privacy policy, EU GDPR" in text
    assert "The requester confirmed their email address" in text
    assert "Assigned to Maria Petrova" in text
    assert "Status changed from Open to In progress" in text
    assert "Maria Petrova · 4 Jan 2027, 10:30" in text
    assert "The requester · 4 Jan 2027, 10:30" in text
    # None of the developer's view: codes, ids, arrows, lists.
    for code in ("assignee=", "regimes=", "→", "['", "email_confirmed", "verifying"):
        assert code not in text


@time_machine.travel(MON_4_JAN, tick=False)
def test_staff_working_in_russian_read_the_timeline_in_russian(dpo: Any) -> None:
    dpo.first_name, dpo.last_name = "Мария", "Петрова"
    dpo.save()
    case = services.confirm_email(make_case(kind="rectification", country="DE"))
    services.assign(case, to=dpo, by=dpo)
    client = signed_in(dpo, "DPO")
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "ru"

    text = timeline_of(client.get(case_page(case)).content.decode())

    assert "Хронология" in text
    assert "Запрос получен (Веб-форма)" in text
    assert "Назначено: Мария Петрова" in text
    assert "Применимые законы: наша политика конфиденциальности, GDPR ЕС" in text
    assert "Статус изменён: было «Открыт», стало «В работе»" in text
    assert "Мария Петрова · 4 января 2027, 10:30" in text
    assert "Status changed" not in text and "Assigned to" not in text and "Request received" not in text
