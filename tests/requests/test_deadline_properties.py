"""Properties of the deadline engine that tests/requests/test_deadlines.py does not already state.

That file checks, for the original date: due >= received, extended >= due, one more paused day never makes
it earlier, and the due date is the earliest regime's. These add the extended (effective) date, which regime
governs, any number of paused days, pauses of regimes that cannot pause, adding regimes, their order, a
later receipt, and `regimes_for` on any input (with any establishment).
"""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from requests import deadlines
from requests.deadlines import Regime, compute, compute_one, regimes_for, resolve

ALL_CODES = sorted(deadlines.REGIMES)
received_dates = st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31))
regime_sets = st.lists(st.sampled_from(ALL_CODES), min_size=1, max_size=len(ALL_CODES), unique=True)
pauses = st.integers(min_value=0, max_value=120)
# The first call of a year builds its holiday calendar, which can take longer than hypothesis' deadline.
PURE = settings(deadline=None, max_examples=150)


@PURE
@given(regime_sets, received_dates, pauses, st.booleans())
def test_the_date_in_force_is_the_earliest_regimes_and_that_regime_governs(
    codes: list[str], received: date, paused: int, extended: bool
) -> None:
    result = compute(codes, received, paused_days=paused, extended=extended)
    own = {code: compute([code], received, paused_days=paused, extended=extended).effective for code in codes}
    assert result.effective == min(own.values())
    assert result.governing in codes
    assert own[result.governing] == result.effective
    assert result.governing_deadline.effective(extended) == result.effective
    assert result.effective == (result.extended_due if extended else result.due)


@PURE
@given(regime_sets, received_dates, pauses)
def test_every_date_is_on_or_after_receipt_and_an_extension_never_shortens_a_regime(
    codes: list[str], received: date, paused: int
) -> None:
    result = compute(codes, received, paused_days=paused)
    assert result.extended_due >= result.due >= received
    if result.acknowledge_by is not None:
        assert result.acknowledge_by >= received
    for one in result.by_regime:
        assert one.due >= received
        assert one.extended_due is None or one.extended_due >= one.due


@PURE
@given(regime_sets, received_dates, pauses, st.integers(min_value=0, max_value=400), st.booleans())
def test_more_paused_days_never_make_any_date_earlier(
    codes: list[str], received: date, paused: int, more: int, extended: bool
) -> None:
    fewer = compute(codes, received, paused_days=paused, extended=extended)
    longer = compute(codes, received, paused_days=paused + more, extended=extended)
    assert longer.due >= fewer.due
    assert longer.extended_due >= fewer.extended_due
    assert longer.effective >= fewer.effective


# Every regime as the table has it, and the operator's policy as an operator may configure it (pausable).
ALL_REGIMES = [*(resolve(code) for code in ALL_CODES), deadlines.policy(pausable=True)]


@PURE
@given(st.sampled_from(ALL_REGIMES), received_dates, st.integers(min_value=1, max_value=400))
def test_pauses_move_only_regimes_that_allow_a_pause(regime: Regime, received: date, paused: int) -> None:
    still = compute_one(regime, received)
    moved = compute_one(regime, received, paused_days=paused)
    if regime.pausable:
        # A pause restarts the clock (UK GDPR Art. 12A): the dates are those of a request received that many
        # days later, which for a day count is the same as adding the pause at the end.
        later = compute_one(regime, received + timedelta(days=paused))
        assert (moved.due, moved.extended_due) == (later.due, later.extended_due)
        assert moved.due >= still.due
        assert moved.due_adjustment.paused_days == paused
    else:
        assert (moved.due, moved.extended_due) == (still.due, still.extended_due)


@PURE
@given(regime_sets, st.sampled_from(ALL_CODES), received_dates, pauses, st.booleans())
def test_another_regime_can_only_bring_the_date_forward(
    codes: list[str], extra: str, received: date, paused: int, extended: bool
) -> None:
    before = compute(codes, received, paused_days=paused, extended=extended)
    after = compute([*codes, extra], received, paused_days=paused, extended=extended)
    assert after.due <= before.due
    assert after.extended_due <= before.extended_due
    assert after.effective <= before.effective


@PURE
@given(
    regime_sets.flatmap(lambda codes: st.permutations(codes).map(lambda p: (codes, p))),
    received_dates,
    pauses,
)
def test_the_order_regimes_are_listed_in_changes_no_date(
    orders: tuple[list[str], list[str]], received: date, paused: int
) -> None:
    codes, shuffled = orders
    one, other = compute(codes, received, paused_days=paused), compute(shuffled, received, paused_days=paused)
    assert (one.due, one.extended_due, one.acknowledge_by) == (
        other.due,
        other.extended_due,
        other.acknowledge_by,
    )


@PURE
@given(regime_sets, received_dates, pauses, st.integers(min_value=1, max_value=60))
def test_a_request_received_later_is_never_due_earlier(
    codes: list[str], received: date, paused: int, later: int
) -> None:
    first = compute(codes, received, paused_days=paused)
    second = compute(codes, received + timedelta(days=later), paused_days=paused)
    assert second.due >= first.due
    assert second.extended_due >= first.extended_due


@PURE
@given(
    st.text(max_size=6),
    st.one_of(st.none(), st.text(max_size=8)),
    st.lists(st.one_of(st.text(max_size=6), st.sampled_from(["GB", "de", "CA-QC", "US-CA", "CH", "kr"]))),
    received_dates,
)
def test_regimes_for_any_input_starts_with_the_policy_and_names_only_known_regimes(
    country: str, subdivision: str | None, establishment: list[str], received: date
) -> None:
    codes = regimes_for(country, subdivision, establishment=establishment)
    assert codes[0] == deadlines.POLICY
    assert len(codes) == len(set(codes)) and set(codes) <= set(deadlines.REGIMES)
    assert regimes_for(country.lower(), subdivision) == regimes_for(country.upper(), subdivision)
    # An establishment only adds regimes, so it can only bring a date forward.
    assert set(regimes_for(country, subdivision)) <= set(codes)
    assert compute(codes, received).due >= received
    assert compute(codes, received).due <= compute(regimes_for(country, subdivision), received).due


@PURE
@given(
    st.sampled_from(["US", "CA", "us", " US "]), st.sampled_from(["CA", "QC", "VA", "NY", "ON", "ca", " va"])
)
def test_a_subdivision_may_come_with_or_without_its_country(country: str, subdivision: str) -> None:
    bare = regimes_for(country, subdivision)
    assert regimes_for(country, f"{country.strip()}-{subdivision.strip()}") == bare
