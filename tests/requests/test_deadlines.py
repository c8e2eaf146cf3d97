"""Fixed-date vectors for every regime: month ends, 29 February, weekends, holidays, pauses, extension,
and the earliest-of rule. Each expected date was worked out by hand from the rule quoted beside it."""

from __future__ import annotations

from datetime import date, timedelta

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
    # Art. 12A: the month restarts from receipt plus the days paused (then rolls), not month then pause.
    (
        ["uk_gdpr"],
        D(2025, 1, 31),
        7,
        D(2025, 3, 7),
        D(2025, 5, 7),
        "uk_gdpr",
        "paused a week: from Fri 7 Feb",
    ),
    (["uk_gdpr"], D(2025, 2, 8), 3, D(2025, 3, 11), D(2025, 5, 12), "uk_gdpr", "from 11 Feb; Sun 11 May"),
    (
        ["uk_gdpr"],
        D(2025, 1, 30),
        1,
        D(2025, 2, 28),
        D(2025, 4, 30),
        "uk_gdpr",
        "ID on 31 Jan: 28 Feb, not 3 Mar",
    ),
    (
        ["uk_gdpr"],
        D(2025, 1, 31),
        1,
        D(2025, 3, 3),
        D(2025, 5, 1),
        "uk_gdpr",
        "from Sat 1 Feb: Sat 1 Mar → Mon",
    ),
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
    # LGPD: 15 days from the day after receipt, no extension; off Sundays and Brazilian holidays (Civil Code
    # art. 132 §1), not off Saturdays.
    (["lgpd"], D(2025, 4, 5), 0, D(2025, 4, 22), D(2025, 4, 22), "lgpd", "Sunday then Tiradentes"),
    (["lgpd"], D(2025, 1, 2), 0, D(2025, 1, 17), D(2025, 1, 17), "lgpd", "plain"),
    (["lgpd"], D(2025, 1, 3), 0, D(2025, 1, 18), D(2025, 1, 18), "lgpd", "a Saturday due date stays"),
    (["lgpd"], D(2025, 1, 4), 0, D(2025, 1, 20), D(2025, 1, 20), "lgpd", "Sunday moves to Monday"),
    # Quebec: 30 days, no extension; off Sundays and the Interpretation Act's holidays (s. 52, s. 61(23)).
    (["quebec"], D(2025, 6, 1), 0, D(2025, 7, 2), D(2025, 7, 2), "quebec", "Canada Day"),
    (["quebec"], D(2025, 5, 19), 0, D(2025, 6, 18), D(2025, 6, 18), "quebec", "received on a holiday"),
    (["quebec"], D(2025, 1, 30), 0, D(2025, 3, 1), D(2025, 3, 1), "quebec", "a Saturday due date stays"),
    (["quebec"], D(2025, 1, 31), 0, D(2025, 3, 3), D(2025, 3, 3), "quebec", "Sunday moves to Monday"),
    (["quebec"], D(2025, 3, 22), 0, D(2025, 4, 22), D(2025, 4, 22), "quebec", "Easter Monday is a holiday"),
    (["quebec"], D(2025, 3, 19), 0, D(2025, 4, 19), D(2025, 4, 19), "quebec", "Good Friday to the Saturday"),
    (
        ["quebec"],
        D(2027, 12, 2),
        0,
        D(2028, 1, 3),
        D(2028, 1, 3),
        "quebec",
        "no observed New Year in the Act",
    ),
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
    # PIPEDA s. 8(3)-(4): 30 days after receipt, +30; off Sundays and federal holidays (Interpretation Act
    # ss. 26, 35), not off Saturdays.
    (["pipeda"], D(2025, 1, 6), 0, D(2025, 2, 5), D(2025, 3, 7), "pipeda", "plain"),
    (["pipeda"], D(2025, 1, 30), 0, D(2025, 3, 1), D(2025, 3, 31), "pipeda", "a Saturday due date stays"),
    (["pipeda"], D(2025, 6, 1), 0, D(2025, 7, 2), D(2025, 7, 31), "pipeda", "Canada Day"),
    (["pipeda"], D(2025, 8, 31), 0, D(2025, 10, 1), D(2025, 10, 30), "pipeda", "Truth and Reconciliation"),
    (["pipeda"], D(2025, 3, 22), 0, D(2025, 4, 22), D(2025, 5, 21), "pipeda", "Easter Monday"),
    (["pipeda"], D(2025, 1, 6), 9, D(2025, 2, 5), D(2025, 3, 7), "pipeda", "no pause"),
    # Swiss FADP / DPO Art. 18: 30 days, no extension; off Saturdays, Sundays and federal holidays (CO Art. 78).
    (["ch_fadp"], D(2025, 1, 6), 0, D(2025, 2, 5), D(2025, 2, 5), "ch_fadp", "plain"),
    (["ch_fadp"], D(2025, 1, 30), 0, D(2025, 3, 3), D(2025, 3, 3), "ch_fadp", "Saturday moves to Monday"),
    (
        ["ch_fadp"],
        D(2025, 7, 2),
        0,
        D(2025, 8, 4),
        D(2025, 8, 4),
        "ch_fadp",
        "National Day, then the weekend",
    ),
    # KVKK Art. 13(2): 30 days, receipt as day 1, no roll, no extension.
    (["tr_kvkk"], D(2025, 1, 6), 0, D(2025, 2, 4), D(2025, 2, 4), "tr_kvkk", "plain"),
    (["tr_kvkk"], D(2025, 1, 31), 0, D(2025, 3, 1), D(2025, 3, 1), "tr_kvkk", "a Saturday due date stays"),
    # Korean PIPA Decree Art. 41(4): 10 days from the day after receipt; off Saturdays and public holidays (Civil
    # Act Art. 161), no extension.
    (["kr_pipa"], D(2025, 1, 6), 0, D(2025, 1, 16), D(2025, 1, 16), "kr_pipa", "plain"),
    (["kr_pipa"], D(2025, 1, 1), 0, D(2025, 1, 13), D(2025, 1, 13), "kr_pipa", "Saturday moves to Monday"),
    (["kr_pipa"], D(2025, 1, 17), 0, D(2025, 1, 31), D(2025, 1, 31), "kr_pipa", "Seollal and the extra day"),
    (["kr_pipa"], D(2025, 9, 25), 0, D(2025, 10, 10), D(2025, 10, 10), "kr_pipa", "Chuseok, then Hangul Day"),
    # Operator policy: 45 days counting receipt as day 1, 90 when extended, not paused unless configured.
    (["policy"], D(2025, 1, 6), 0, D(2025, 2, 19), D(2025, 4, 5), "policy", "plain"),
    (["policy"], D(2025, 1, 6), 5, D(2025, 2, 19), D(2025, 4, 5), "policy", "no pause by default"),
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
    (["policy", "pipeda"], D(2025, 1, 6), 0, D(2025, 2, 5), D(2025, 3, 7), "pipeda", "PIPEDA earlier"),
    (["policy", "kr_pipa"], D(2025, 1, 6), 0, D(2025, 1, 16), D(2025, 1, 16), "kr_pipa", "Korea earliest"),
    (
        ["policy", "uk_gdpr"],
        D(2025, 1, 6),
        30,
        D(2025, 2, 19),
        D(2025, 4, 5),
        "policy",
        "UK paused past policy",
    ),
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


def test_the_policy_pauses_only_when_configured_to() -> None:
    # The policy promises 45 days with no pause; an operator may choose otherwise (PRIVACY_POLICY_PAUSABLE).
    assert compute([deadlines.policy()], D(2025, 1, 6), paused_days=9).due == D(2025, 2, 19)
    pausable = compute([deadlines.policy(pausable=True)], D(2025, 1, 6), paused_days=5)
    assert (pausable.due, pausable.extended_due) == (D(2025, 2, 24), D(2025, 4, 10))


def test_a_uk_pause_restarts_the_month_and_other_regimes_keep_their_rule() -> None:
    # Art. 12A: one month from receipt + the days paused. Every pausable regime therefore gives the dates of a
    # request received that many days later; the others ignore the pause.
    for received, paused in [(D(2025, 1, 30), 1), (D(2024, 12, 31), 60), (D(2025, 3, 31), 30)]:
        moved = compute(["uk_gdpr"], received, paused_days=paused)
        later = compute(["uk_gdpr"], received + timedelta(days=paused))
        assert (moved.due, moved.extended_due) == (later.due, later.extended_due)
        assert moved.governing_deadline.due_adjustment.restarted_from == received + timedelta(days=paused)
    assert compute(["uk_gdpr"], D(2025, 1, 30)).governing_deadline.due_adjustment.restarted_from is None
    for code in ["eu_gdpr", "ccpa", "lgpd", "quebec", "ru_152fz", "pipeda", "ch_fadp", "tr_kvkk", "kr_pipa"]:
        assert compute([code], D(2025, 1, 30), paused_days=10).due == compute([code], D(2025, 1, 30)).due, (
            code
        )


@pytest.mark.parametrize("right", ["rectification", "erasure"])
def test_a_russian_correction_or_destruction_is_due_in_seven_working_days(right: str) -> None:
    # 152-FZ Art. 20(3). From Thu 30 Oct 2025: Fri 31 Oct (1), the working Saturday 1 Nov (2), 3-4 Nov are
    # holidays, Wed 5 (3) to Fri 7 (5), Mon 10 (6), Tue 11 Nov (7). No extension, no acknowledgement.
    result = compute(["policy", "ru_152fz"], D(2025, 10, 30), right=right)
    assert (result.due, result.extended_due, result.governing, result.acknowledge_by) == (
        D(2025, 11, 11), D(2025, 11, 11), "ru_152fz", None,
    )  # fmt: skip
    assert compute(["ru_152fz"], D(2025, 10, 30), right=right, extended=True).effective == D(2025, 11, 11)
    # Access keeps the ten working days (+5); other laws keep their clock for a correction.
    assert compute(["ru_152fz"], D(2025, 10, 30), right="access").due == D(2025, 11, 14)
    assert compute(["policy", "uk_gdpr"], D(2025, 2, 8), right=right).due == D(2025, 3, 10)


# An appeal received on Mon 2 Mar 2026, decided within each state's period counting the day of receipt as day 1:
# 60 days end Thu 30 Apr, 45 days Wed 15 Apr (no roll: the state laws move no date off a weekend).
APPEAL_VECTORS = {
    "VA": D(2026, 4, 30),  # Va. Code §59.1-577(C): 60 days
    "CT": D(2026, 4, 30),  # Conn. Gen. Stat. §42-518(d): 60 days
    "IA": D(2026, 4, 30),  # Iowa Code §715D.3(3): 60 days
    "CO": D(2026, 4, 15),  # C.R.S. §6-1-1306(3): 45 days
    # Not read in the statute: the shortest period of any state, 45 days.
    **dict.fromkeys(
        ["TX", "OR", "MT", "DE", "NH", "NJ", "TN", "MN", "MD", "IN", "KY", "RI", "NE"], D(2026, 4, 15)
    ),
}


def test_every_us_state_but_utah_has_an_appeal_with_an_authority_to_complain_to() -> None:
    assert set(deadlines.STATE_APPEALS) == deadlines.US_STATES - {"UT"} == set(APPEAL_VECTORS)
    assert deadlines.state_appeal("UT") is None and deadlines.state_appeal("CA") is None  # Utah; the CCPA
    assert deadlines.state_appeal(" va ") is deadlines.STATE_APPEALS["VA"]
    for code, rule in deadlines.STATE_APPEALS.items():
        assert rule.authority_url.startswith("https://") and rule.authority.startswith("the "), code
        if rule.checked is deadlines.Checked.UNCONFIRMED:  # the safe side until someone reads the law
            assert (rule.decide, rule.extended) == (deadlines.UNCONFIRMED_APPEAL, None), code


@pytest.mark.parametrize(("state", "due"), sorted(APPEAL_VECTORS.items()))
def test_an_appeal_is_decided_within_its_states_period(state: str, due: date) -> None:
    result = compute([resolve("us_state").in_state(state)], D(2026, 3, 2), right="appeal")
    assert (result.due, result.extended_due, result.governing, result.acknowledge_by) == (
        due, due, "us_state", None,
    )  # fmt: skip
    # The request itself keeps the general 45 days (+45), whatever the state.
    request = compute([resolve("us_state").in_state(state)], D(2026, 3, 2), right="access")
    assert (request.due, request.extended_due) == (D(2026, 4, 15), D(2026, 5, 30))


def test_an_appeal_counts_receipt_as_day_one_and_does_not_roll_off_a_weekend() -> None:
    # Received Fri 6 Mar 2026: day 60 is Mon 4 May. Received Wed 4 Mar: day 60 is Sat 2 May, and it stays.
    virginia = resolve("us_state").in_state("VA")
    assert compute([virginia], D(2026, 3, 6), right="appeal").due == D(2026, 5, 4)
    assert compute([virginia], D(2026, 3, 4), right="appeal").due == D(2026, 5, 2)
    # A state the table does not know, or none: the shortest period, no extension.
    for regime in [resolve("us_state"), resolve("us_state").in_state("NY")]:
        result = compute([regime], D(2026, 3, 2), right="appeal")
        assert (result.due, result.extended_due) == (D(2026, 4, 15), D(2026, 4, 15))
    # Only us_state has an appeal: the policy keeps its own clock for one.
    both = compute(["policy", virginia], D(2026, 3, 2), right="appeal")
    assert (both.due, both.governing) == (D(2026, 4, 15), "policy")
    assert resolve("uk_gdpr").in_state("VA") == resolve("uk_gdpr")


def test_a_uk_complaint_is_acknowledged_within_30_days_and_answered_by_the_policy() -> None:
    # DPA 2018 s. 164A(3): 30 days "beginning when the complaint is received": Mon 2 Mar 2026 is day 1, day 30 is
    # Tue 31 Mar. The outcome is due "without undue delay" (s. 164A(4)): no count, so the policy's 45 days govern.
    result = compute(["policy", "uk_gdpr"], D(2026, 3, 2), right="complaint")
    assert (result.acknowledge_by, result.due, result.extended_due, result.governing) == (
        D(2026, 3, 31), D(2026, 4, 15), D(2026, 5, 30), "policy",
    )  # fmt: skip
    assert [r.regime.code for r in result.by_regime] == ["policy"]
    # Received Sat 28 Feb 2026: day 30 is Sun 29 Mar, and it stays there (the statute's words; the ICO counts from
    # the next day and moves off a weekend, which is later).
    assert compute(["policy", "uk_gdpr"], D(2026, 2, 28), right="complaint").acknowledge_by == D(2026, 3, 29)
    # UK law sets the outcome no date of its own: the operator's policy must be there to set one.
    with pytest.raises(ValueError, match="complaint"):
        compute(["uk_gdpr"], D(2026, 3, 2), right="complaint")
    # Other laws have no complaint procedure: their general clock, their own acknowledgement (CCPA) or none.
    assert compute(["policy", "eu_gdpr"], D(2026, 3, 2), right="complaint").acknowledge_by is None
    assert compute(["policy", "uk_gdpr"], D(2026, 3, 2), right="access").acknowledge_by is None


def test_quebec_and_canada_holidays_are_the_statutes_lists() -> None:
    quebec = deadlines.quebec_holidays(2029)
    assert (
        quebec[D(2029, 4, 2)] == "Easter Monday" and quebec[D(2029, 7, 2)] == "Canada Day"
    )  # 1 July a Sunday
    assert D(2029, 6, 25) not in quebec and D(2028, 1, 3) not in deadlines.quebec_holidays(2028)
    assert D(2025, 9, 30) not in deadlines.quebec_holidays(2025)  # a federal day, not in Quebec's Act
    canada = deadlines.canada_holidays(2029)
    assert canada[D(2029, 11, 12)] == "Remembrance Day"  # s. 35(2): the Monday after a Sunday
    assert D(2029, 6, 24) not in canada and D(2020, 9, 30) not in deadlines.canada_holidays(2020)
    assert [deadlines.easter_sunday(y) for y in (2024, 2025, 2038)] == [
        D(2024, 3, 31),
        D(2025, 4, 20),
        D(2038, 4, 25),
    ]


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
        ("CA", "ON", ["policy", "pipeda"]),
        ("CA", None, ["policy", "pipeda"]),
        ("BR", None, ["policy", "lgpd"]),
        ("RU", None, ["policy", "ru_152fz"]),
        ("CH", None, ["policy", "ch_fadp"]),
        ("TR", None, ["policy", "tr_kvkk"]),
        ("KR", None, ["policy", "kr_pipa"]),
        ("JP", None, ["policy"]),
    ],
)
def test_regimes_for(country: str, subdivision: str | None, expected: list[str]) -> None:
    assert regimes_for(country, subdivision) == expected
    assert regimes_for(country, subdivision, establishment=()) == expected


@pytest.mark.parametrize(
    ("country", "subdivision", "establishment", "expected"),
    [
        ("JP", None, ["GB"], ["policy", "uk_gdpr"]),
        ("JP", None, ["gb-sct"], ["policy", "uk_gdpr"]),
        ("JP", None, ["DE"], ["policy", "eu_gdpr"]),
        ("JP", None, ["NO"], ["policy", "eu_gdpr"]),  # EEA
        ("FR", None, ["DE", "IE"], ["policy", "eu_gdpr"]),  # once
        ("US", "CA", ["DE", "US-FL"], ["policy", "ccpa", "eu_gdpr"]),  # Florida's law is for Floridians
        ("JP", None, ["US-CA"], ["policy"]),  # the CCPA protects California residents only
        ("DE", None, ["GB"], ["policy", "eu_gdpr", "uk_gdpr"]),
        ("GB", None, ["GB"], ["policy", "uk_gdpr"]),
        ("JP", None, ["CH"], ["policy", "ch_fadp"]),
        ("JP", None, ["CA-QC"], ["policy", "quebec"]),
        ("JP", None, ["CA-ON"], ["policy", "pipeda"]),
        ("JP", None, ["CA"], ["policy", "pipeda"]),
        ("JP", None, ["BR", "RU", "TR", "KR"], ["policy", "lgpd", "ru_152fz", "tr_kvkk", "kr_pipa"]),
        ("JP", None, ["JP", "", " "], ["policy"]),
    ],
)
def test_regimes_for_adds_the_establishments_regimes(
    country: str, subdivision: str | None, establishment: list[str], expected: list[str]
) -> None:
    assert regimes_for(country, subdivision, establishment=establishment) == expected


def test_establishment_regimes_name_the_place_and_the_law_once() -> None:
    assert deadlines.establishment_regimes(["de", "FR", "US-FL", "gb"]) == [
        ("DE", "eu_gdpr"),
        ("GB", "uk_gdpr"),
    ]
    assert deadlines.establishment_regimes([]) == []


def test_a_japanese_requester_of_a_uk_operator_gets_uk_gdprs_month() -> None:
    codes = regimes_for("JP", None, establishment=["GB"])
    result = compute(codes, D(2025, 2, 8))
    assert (result.due, result.extended_due, result.governing) == (D(2025, 3, 10), D(2025, 5, 8), "uk_gdpr")
    assert compute(regimes_for("JP", None), D(2025, 2, 8)).due == D(2025, 3, 24)  # the policy alone


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
