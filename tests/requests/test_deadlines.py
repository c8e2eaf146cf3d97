"""Fixed-date vectors for every regime: month ends, 29 February, weekends, holidays, pauses, extension,
and the earliest-of rule. Each expected date was worked out by hand from the rule quoted beside it."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from requests import deadlines
from requests.deadlines import compute, regimes_for, resolve

D = date

# (regimes, received, paused_days, due, extended_due, governing, why)
VECTORS = [
    # UK GDPR: one calendar month, same-dated day or the month's last, off weekends and E&W bank holidays.
    (
        ["uk_gdpr"],
        D(2025, 1, 31),
        0,
        D(2025, 2, 28),
        D(2025, 4, 30),
        "uk_gdpr",
        "no 31 Feb: last day of month",
    ),
    (["uk_gdpr"], D(2025, 2, 8), 0, D(2025, 3, 10), D(2025, 5, 8), "uk_gdpr", "Sat 8 Mar moves to Mon"),
    (["uk_gdpr"], D(2024, 1, 31), 0, D(2024, 2, 29), D(2024, 4, 30), "uk_gdpr", "leap year month end"),
    (["uk_gdpr"], D(2024, 2, 29), 0, D(2024, 4, 2), D(2024, 5, 29), "uk_gdpr", "Good Friday + Easter Monday"),
    (["uk_gdpr"], D(2025, 11, 25), 0, D(2025, 12, 29), D(2026, 2, 25), "uk_gdpr", "Christmas and Boxing Day"),
    (["uk_gdpr"], D(2025, 4, 5), 0, D(2025, 5, 6), D(2025, 7, 7), "uk_gdpr", "early May bank holiday"),
    (["uk_gdpr"], D(2025, 4, 21), 0, D(2025, 5, 21), D(2025, 7, 21), "uk_gdpr", "received on a bank holiday"),
    (["uk_gdpr"], D(2024, 12, 25), 0, D(2025, 1, 27), D(2025, 3, 25), "uk_gdpr", "Sat 25 Jan moves to Mon"),
    (["uk_gdpr"], D(2025, 1, 31), 7, D(2025, 3, 7), D(2025, 5, 7), "uk_gdpr", "paused a week (Art. 12A)"),
    (["uk_gdpr"], D(2025, 2, 8), 3, D(2025, 3, 11), D(2025, 5, 12), "uk_gdpr", "pause, then off Sunday"),
    # EU GDPR: Reg. 1182/71; weekends only by default; not pausable.
    (["eu_gdpr"], D(2023, 12, 31), 0, D(2024, 1, 31), D(2024, 4, 1), "eu_gdpr", "Sun 31 Mar: weekends only"),
    (["eu_gdpr"], D(2024, 1, 30), 0, D(2024, 2, 29), D(2024, 4, 30), "eu_gdpr", "29 Feb in a leap year"),
    (["eu_gdpr"], D(2025, 3, 31), 0, D(2025, 4, 30), D(2025, 6, 30), "eu_gdpr", "30-day month"),
    (
        ["eu_gdpr"],
        D(2025, 3, 31),
        10,
        D(2025, 4, 30),
        D(2025, 6, 30),
        "eu_gdpr",
        "pause does not move EU dates",
    ),
    (
        ["eu_gdpr"],
        D(2025, 11, 30),
        0,
        D(2025, 12, 30),
        D(2026, 3, 2),
        "eu_gdpr",
        "28 Feb 2026 Sat → Mon 2 Mar",
    ),
    # CCPA: 45 days counting receipt as day 1, no pause, no roll-forward.
    (["ccpa"], D(2025, 1, 6), 0, D(2025, 2, 19), D(2025, 4, 5), "ccpa", "issue example"),
    (["ccpa"], D(2024, 2, 29), 0, D(2024, 4, 13), D(2024, 5, 28), "ccpa", "leap day, due on a Saturday"),
    (["ccpa"], D(2025, 1, 6), 30, D(2025, 2, 19), D(2025, 4, 5), "ccpa", "verification time is included"),
    (["ccpa"], D(2025, 1, 4), 0, D(2025, 2, 17), D(2025, 4, 3), "ccpa", "received on a Saturday"),
    # Other US states: 45 + 45.
    (["us_state"], D(2025, 3, 1), 0, D(2025, 4, 14), D(2025, 5, 29), "us_state", "Virginia-style"),
    # LGPD: 15 days from the day after receipt, no extension, off weekends and Brazilian holidays.
    (["lgpd"], D(2025, 4, 5), 0, D(2025, 4, 22), D(2025, 4, 22), "lgpd", "Sunday then Tiradentes"),
    (["lgpd"], D(2025, 1, 2), 0, D(2025, 1, 17), D(2025, 1, 17), "lgpd", "plain"),
    # Quebec: 30 days, no extension, Quebec holidays.
    (["quebec"], D(2025, 6, 1), 0, D(2025, 7, 2), D(2025, 7, 2), "quebec", "Canada Day"),
    (["quebec"], D(2025, 5, 19), 0, D(2025, 6, 18), D(2025, 6, 18), "quebec", "received on a holiday"),
    # 152-FZ: 10 working days (+5), starting the day after receipt, Russian holidays and transfers.
    (
        ["ru_152fz"],
        D(2025, 10, 30),
        0,
        D(2025, 11, 14),
        D(2025, 11, 21),
        "ru_152fz",
        "working Sat 1 Nov, 3-4 Nov",
    ),
    (
        ["ru_152fz"],
        D(2025, 12, 26),
        0,
        D(2026, 1, 21),
        D(2026, 1, 28),
        "ru_152fz",
        "New Year holidays to 9 Jan",
    ),
    (["ru_152fz"], D(2025, 6, 11), 0, D(2025, 6, 27), D(2025, 7, 4), "ru_152fz", "Russia Day + transfer"),
    # Operator policy: 45 days counting receipt as day 1, pausable, 90 when extended.
    (["policy"], D(2025, 1, 6), 0, D(2025, 2, 19), D(2025, 4, 5), "policy", "plain"),
    (["policy"], D(2025, 1, 6), 5, D(2025, 2, 24), D(2025, 4, 10), "policy", "paused five days"),
    # The earliest of all regimes governs; on a tie the law governs, not the policy.
    (["policy", "uk_gdpr"], D(2025, 1, 31), 0, D(2025, 2, 28), D(2025, 4, 30), "uk_gdpr", "UK earlier"),
    (["policy", "ccpa"], D(2025, 1, 6), 0, D(2025, 2, 19), D(2025, 4, 5), "ccpa", "tie goes to the law"),
    (["policy", "lgpd"], D(2025, 4, 5), 0, D(2025, 4, 22), D(2025, 4, 22), "lgpd", "no extension caps it"),
    (
        ["policy", "ru_152fz"],
        D(2025, 10, 30),
        0,
        D(2025, 11, 14),
        D(2025, 11, 21),
        "ru_152fz",
        "Russia earlier",
    ),
    (["policy", "quebec"], D(2025, 6, 1), 0, D(2025, 7, 2), D(2025, 7, 2), "quebec", "Quebec earlier"),
]


@pytest.mark.parametrize(
    ("regimes", "received", "paused", "due", "extended_due", "governing", "why"),
    VECTORS,
    ids=[f"{'+'.join(v[0])}-{v[1]}-p{v[2]}" for v in VECTORS],
)
def test_deadline_vectors(
    regimes: list[str], received: date, paused: int, due: date, extended_due: date, governing: str, why: str
) -> None:
    result = compute(regimes, received, paused_days=paused)
    assert (result.due, result.extended_due, result.governing) == (due, extended_due, governing), why


def test_extension_switches_the_governing_date() -> None:
    # Not extended: UK GDPR (10 Mar) beats the policy (24 Mar). Extended: both give 8 May; the law governs.
    plain = compute(["policy", "uk_gdpr"], D(2025, 2, 8))
    extended = compute(["policy", "uk_gdpr"], D(2025, 2, 8), extended=True)
    assert (plain.effective, plain.governing) == (D(2025, 3, 10), "uk_gdpr")
    assert (extended.effective, extended.governing) == (D(2025, 5, 8), "uk_gdpr")


def test_extended_governing_is_the_regime_that_cannot_extend() -> None:
    result = compute(["policy", "lgpd"], D(2025, 4, 5), extended=True)
    assert (result.effective, result.governing) == (D(2025, 4, 22), "lgpd")


def test_ccpa_acknowledgement_is_ten_business_days_counting_receipt() -> None:
    assert compute(["ccpa"], D(2025, 1, 6)).acknowledge_by == D(2025, 1, 17)
    assert compute(["ccpa"], D(2025, 1, 4)).acknowledge_by == D(2025, 1, 17)  # Saturday: Monday is day 1
    assert compute(["ccpa"], D(2024, 2, 29)).acknowledge_by == D(2024, 3, 13)
    assert compute(["uk_gdpr"], D(2025, 1, 6)).acknowledge_by is None
    assert compute(["policy", "ccpa"], D(2025, 1, 6)).acknowledge_by == D(2025, 1, 17)


@pytest.mark.parametrize("right", ["opt_out", "limit_sensitive"])
def test_ccpa_opt_out_and_limit_are_due_in_fifteen_business_days(right: str) -> None:
    # CCPA regs §7026(f)(1), §7027(g)(1): from Mon 6 Jan 2025, business day 1 is Tue 7 Jan, day 15 Mon 27 Jan.
    result = compute(["policy", "ccpa"], D(2025, 1, 6), right=right)
    assert (result.due, result.governing, result.acknowledge_by) == (D(2025, 1, 27), "ccpa", None)
    assert compute(["policy", "ccpa"], D(2025, 1, 6), right=right, extended=True).effective == D(2025, 1, 27)
    assert compute(["ccpa"], D(2025, 1, 4), right=right).due == D(2025, 1, 24)  # Saturday: Monday is day 1
    # Every other right keeps the general clock; other laws keep theirs for an opt-out.
    assert compute(["policy", "ccpa"], D(2025, 1, 6), right="access").due == D(2025, 2, 19)
    assert compute(["policy", "uk_gdpr"], D(2025, 2, 8), right="opt_out").due == D(2025, 3, 10)


def test_eu_gdpr_uses_the_operators_member_state_holidays_when_configured() -> None:
    germany = resolve("eu_gdpr").with_calendar("DE")
    # One month from 3 Sep 2025 is Fri 3 Oct: German Unity Day, so Monday 6 Oct in Germany.
    assert compute([germany], D(2025, 9, 3)).due == D(2025, 10, 6)
    assert compute(["eu_gdpr"], D(2025, 9, 3)).due == D(2025, 10, 3)


def test_configured_policy_can_govern() -> None:
    short = deadlines.policy(days=20, extended_days=40)
    result = compute([short, "eu_gdpr"], D(2025, 1, 31))
    assert (result.due, result.governing) == (D(2025, 2, 19), "policy")
    assert compute([deadlines.policy(days=30), "eu_gdpr"], D(2025, 1, 31)).governing == "eu_gdpr"


def test_policy_that_is_not_pausable_ignores_pauses() -> None:
    rigid = deadlines.policy(pausable=False)
    assert compute([rigid], D(2025, 1, 6), paused_days=9).due == D(2025, 2, 19)


def test_unknown_regime_and_bad_input_are_refused() -> None:
    with pytest.raises(deadlines.UnknownRegime):
        compute(["gdpr"], D(2025, 1, 1))
    with pytest.raises(ValueError):
        compute(["policy"], D(2025, 1, 1), paused_days=-1)
    with pytest.raises(ValueError):
        compute([], D(2025, 1, 1))


@pytest.mark.parametrize(
    ("country", "subdivision", "expected"),
    [
        ("DE", None, ["policy", "eu_gdpr"]),
        ("de", None, ["policy", "eu_gdpr"]),
        ("NO", None, ["policy", "eu_gdpr"]),  # EEA
        ("GB", None, ["policy", "uk_gdpr"]),
        ("US", "CA", ["policy", "ccpa"]),
        ("US", "US-VA", ["policy", "us_state"]),
        ("US", "NY", ["policy"]),
        ("US", None, ["policy"]),
        ("CA", "QC", ["policy", "quebec"]),
        ("CA", "ON", ["policy"]),
        ("BR", None, ["policy", "lgpd"]),
        ("RU", None, ["policy", "ru_152fz"]),
        ("CH", None, ["policy"]),
    ],
)
def test_regimes_for(country: str, subdivision: str | None, expected: list[str]) -> None:
    assert regimes_for(country, subdivision) == expected


ALL_CODES = sorted(deadlines.REGIMES)
received_dates = st.dates(min_value=D(2020, 1, 1), max_value=D(2030, 12, 31))
regime_sets = st.lists(st.sampled_from(ALL_CODES), min_size=1, max_size=4, unique=True)


@settings(deadline=None)  # the first call of a year builds its holiday calendar
@given(regime_sets, received_dates, st.integers(min_value=0, max_value=60))
def test_properties_of_every_deadline(codes: list[str], received: date, paused: int) -> None:
    result = compute(codes, received, paused_days=paused)
    assert result.due >= received
    assert result.extended_due >= result.due
    assert result.due == min(compute([c], received, paused_days=paused).due for c in codes)
    assert compute(codes, received, paused_days=paused + 1).due >= result.due
