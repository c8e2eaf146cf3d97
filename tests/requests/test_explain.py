from __future__ import annotations

from datetime import date

from django.utils import translation

from privacyportal.typography import tidy
from requests.deadlines import compute, policy
from requests.explain import explain, for_requester


def test_explains_a_weekend_roll_in_one_sentence() -> None:
    result = compute(["policy", "uk_gdpr"], date(2025, 2, 8))
    assert explain(result) == "Due Mon 10 Mar 2025: UK GDPR, one month from Sat 8 Feb, moved off the weekend."


def test_explains_the_day_one_count_and_the_extension() -> None:
    result = compute(["ccpa"], date(2025, 1, 6), extended=True)
    assert explain(result) == "Due Sat 5 Apr 2025: CCPA, extended to 90 days counting Mon 6 Jan as day 1."


def test_explains_a_ccpa_opt_out_in_business_days() -> None:
    result = compute(["policy", "ccpa"], date(2025, 1, 6), right="opt_out")
    assert explain(result) == "Due Mon 27 Jan 2025: CCPA, 15 working days from Mon 6 Jan."


def test_explains_month_end_restart_and_holiday() -> None:
    # UK GDPR Art. 12A: the month runs from when the ID arrived (receipt + the days paused).
    assert explain(compute(["uk_gdpr"], date(2025, 1, 31), paused_days=7)) == (
        "Due Fri 7 Mar 2025: UK GDPR, one month from Fri 7 Feb, restarted after 7 days waiting for the requester."
    )
    assert explain(compute(["uk_gdpr"], date(2025, 1, 30), paused_days=1)) == (
        "Due Fri 28 Feb 2025: UK GDPR, one month from Fri 31 Jan, restarted after 1 day waiting for the "
        "requester, the last day of that month."
    )
    assert explain(compute([policy(pausable=True)], date(2025, 1, 6), paused_days=5)) == (
        "Due Mon 24 Feb 2025: our privacy policy, 45 days counting Mon 6 Jan as day 1, "
        "plus 5 days paused while waiting for the requester."
    )
    assert explain(compute(["uk_gdpr"], date(2025, 4, 5))) == (
        "Due Tue 6 May 2025: UK GDPR, one month from Sat 5 Apr, moved off a public holiday (May Day)."
    )
    assert explain(compute(["ru_152fz"], date(2025, 12, 26))) == (
        "Due Wed 21 Jan 2026: Federal Law 152-FZ, 10 working days from Fri 26 Dec 2025."
    )


def test_explains_the_new_regimes_and_their_calendars() -> None:
    assert explain(compute(["quebec"], date(2025, 3, 22))) == (
        "Due Tue 22 Apr 2025: Quebec Law 25, 30 days from Sat 22 Mar, moved off a public holiday (Easter Monday)."
    )
    assert (
        explain(compute(["quebec"], date(2025, 1, 30)))
        == "Due Sat 1 Mar 2025: Quebec Law 25, 30 days from Thu 30 Jan."
    )
    assert explain(compute(["pipeda"], date(2025, 1, 6), extended=True)) == (
        "Due Fri 7 Mar 2025: PIPEDA, extended to 60 days from Mon 6 Jan."
    )
    assert explain(compute(["ch_fadp"], date(2025, 1, 30))) == (
        "Due Mon 3 Mar 2025: Swiss FADP, 30 days from Thu 30 Jan, moved off the weekend."
    )
    assert explain(compute(["tr_kvkk"], date(2025, 1, 6))) == (
        "Due Tue 4 Feb 2025: KVKK, 30 days counting Mon 6 Jan as day 1."
    )
    assert explain(compute(["kr_pipa"], date(2025, 9, 25))) == (
        "Due Fri 10 Oct 2025: Korean PIPA, 10 days from Thu 25 Sep, moved off a public holiday (The day preceding "
        "Chuseok)."
    )
    assert explain(compute(["policy", "ru_152fz"], date(2025, 10, 30), right="rectification")) == (
        "Due Tue 11 Nov 2025: Federal Law 152-FZ, 7 working days from Thu 30 Oct."
    )


def test_explains_in_russian() -> None:
    with translation.override("ru"):
        text = explain(compute(["policy", "uk_gdpr"], date(2025, 2, 8)))
    assert text == "Срок — Пн 10 марта 2025: UK GDPR, 1 месяц с Сб 8 февраля, перенесён с выходного дня."
    with translation.override("ru"):
        restarted = explain(compute(["uk_gdpr"], date(2025, 1, 31), paused_days=7))
        names = [explain(compute([code], date(2025, 1, 6))).split(": ")[1].split(",")[0] for code in NEW]
    assert restarted == (
        "Срок — Пт 7 марта 2025: UK GDPR, 1 месяц с Пт 7 февраля, отсчёт заново после 7 дней ожидания ответа "
        "заявителя."
    )
    assert names == [
        "PIPEDA (Канада)",
        "Закон Швейцарии о защите данных (FADP)",
        "KVKK (Турция)",
        "PIPA (Южная Корея)",
    ]


NEW = ["pipeda", "ch_fadp", "tr_kvkk", "kr_pipa"]


def test_a_letter_tells_the_requester_the_period_in_sentences() -> None:
    """Letters say the law's period in words and the day in full; the staff's "Mon 10 Mar" shorthand stays out."""
    extended = compute(["ru_152fz"], date(2025, 3, 10), extended=True)
    assert for_requester(extended) == (
        "With the extension, Federal Law 152-FZ gives us 15 working days from the day after we received your "
        "request. We will answer by 31 March 2025 at the latest."
    )
    with translation.override("ru"):
        # The date ends the sentence with "г.": the letter's typography drops the doubled stop (tidy).
        assert tidy(for_requester(extended), "ru") == (
            "С учётом продления закон (Федеральный закон № 152-ФЗ) отводит на ответ 15 рабочих дней со дня, "
            "следующего за днём получения вашего запроса. Мы ответим не позднее 31 марта 2025 г."
        )
    assert for_requester(compute(["ccpa"], date(2025, 1, 6))) == (
        "CCPA gives us 45 days, counting the day we received your request as the first. "
        "We will answer by 19 February 2025 at the latest."
    )
    assert for_requester(compute(["uk_gdpr"], date(2025, 2, 8))) == (
        "UK GDPR gives us one month from the day after we received your request; as its last day is not a working "
        "day, the period ends on the next working day. We will answer by 10 March 2025 at the latest."
    )


def test_a_letter_never_calls_our_policy_a_law() -> None:
    result = compute([policy()], date(2025, 1, 6), extended=True)
    assert for_requester(result).startswith("With the extension, our privacy policy gives us 90 days")
    with translation.override("ru"):
        assert "закон" not in for_requester(result).lower()
