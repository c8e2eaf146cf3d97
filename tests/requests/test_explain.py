from __future__ import annotations

from datetime import date

from django.utils import translation

from requests.deadlines import compute
from requests.explain import explain


def test_explains_a_weekend_roll_in_one_sentence() -> None:
    result = compute(["policy", "uk_gdpr"], date(2025, 2, 8))
    assert explain(result) == "Due Mon 10 Mar 2025: UK GDPR, one month from Sat 8 Feb, moved off the weekend."


def test_explains_the_day_one_count_and_the_extension() -> None:
    result = compute(["ccpa"], date(2025, 1, 6), extended=True)
    assert explain(result) == "Due Sat 5 Apr 2025: CCPA, extended to 90 days counting Mon 6 Jan as day 1."


def test_explains_a_ccpa_opt_out_in_business_days() -> None:
    result = compute(["policy", "ccpa"], date(2025, 1, 6), right="opt_out")
    assert explain(result) == "Due Mon 27 Jan 2025: CCPA, 15 working days from Mon 6 Jan."


def test_explains_month_end_pause_and_holiday() -> None:
    assert explain(compute(["uk_gdpr"], date(2025, 1, 31), paused_days=7)) == (
        "Due Fri 7 Mar 2025: UK GDPR, one month from Fri 31 Jan, the last day of that month, "
        "plus 7 days paused while waiting for the requester."
    )
    assert explain(compute(["uk_gdpr"], date(2025, 4, 5))) == (
        "Due Tue 6 May 2025: UK GDPR, one month from Sat 5 Apr, moved off a public holiday (May Day)."
    )
    assert explain(compute(["ru_152fz"], date(2025, 12, 26))) == (
        "Due Wed 21 Jan 2026: Federal Law 152-FZ, 10 working days from Fri 26 Dec 2025."
    )


def test_explains_in_russian() -> None:
    with translation.override("ru"):
        text = explain(compute(["policy", "uk_gdpr"], date(2025, 2, 8)))
    assert text == "Срок — Пн 10 марта 2025: UK GDPR, 1 месяц с Сб 8 февраля, перенесён с выходного дня."
