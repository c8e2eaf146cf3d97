"""How far back an access answer reaches, by law and by what the requester asked (requests/lookback.py)."""

from __future__ import annotations

from datetime import date

import pytest

from requests.lookback import months_before, period_start

RECEIVED = date(2026, 3, 10)
TWELVE = date(2025, 3, 10)


@pytest.mark.parametrize(
    ("regimes", "period", "since", "expected"),
    [
        # GDPR, UK GDPR, LGPD, 152-FZ, Quebec: no look-back, the whole history, unless the requester asks less.
        (["policy", "uk_gdpr"], "", None, None),
        (["policy", "eu_gdpr"], "all", None, None),
        (["policy", "lgpd"], "", None, None),
        (["policy", "ru_152fz"], "", None, None),
        (["policy", "quebec"], "", None, None),
        (["policy", "us_state"], "", None, None),
        (["policy", "uk_gdpr"], "12_months", None, TWELVE),
        (["policy", "uk_gdpr"], "since", date(2019, 5, 1), date(2019, 5, 1)),
        # CCPA: 12 months by default; more on request, never before 1 January 2022 (§1798.130(a)(2)(B)).
        (["policy", "ccpa"], "", None, TWELVE),
        (["policy", "ccpa"], "all", None, date(2022, 1, 1)),
        (["policy", "ccpa"], "since", date(2020, 1, 1), date(2022, 1, 1)),
        (["policy", "ccpa"], "since", date(2024, 7, 1), date(2024, 7, 1)),
        # A Californian owed UK GDPR too (an operator established in the UK): the further reach wins.
        (["policy", "uk_gdpr", "ccpa"], "", None, None),
        (["policy", "uk_gdpr", "ccpa"], "since", date(2020, 1, 1), date(2020, 1, 1)),
        # No law: the operator's promise of 12 months, or more when asked.
        (["policy"], "", None, TWELVE),
        (["policy"], "all", None, None),
        # "since" without a date falls back to the law's reach.
        (["policy", "uk_gdpr"], "since", None, None),
    ],
)
def test_period_start(regimes: list[str], period: str, since: date | None, expected: date | None) -> None:
    assert period_start(regimes, RECEIVED, period, since) == expected


def test_months_before_clips_to_the_months_last_day() -> None:
    assert months_before(date(2024, 2, 29), 12) == date(2023, 2, 28)
    assert months_before(date(2026, 3, 31), 1) == date(2026, 2, 28)
