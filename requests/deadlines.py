"""Deadline arithmetic for every privacy regime the portal knows.

Pure functions: no ORM, no settings, no ``now()``. Dates and regimes come in as arguments and the
results are stored on the case row by the services (DESIGN §5).

The effective deadline is the *earliest* of the operator's policy and of every regime that applies to
the requester. Each regime is a small declarative :class:`Regime`; the table at the bottom is the
whole legal knowledge of this module.
"""

from __future__ import annotations

import calendar
import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from functools import lru_cache

import holidays


class Unit(StrEnum):
    DAYS = "days"  # calendar days
    MONTHS = "months"  # calendar months, Reg. 1182/71 style
    WORKING_DAYS = "working_days"  # Mon–Fri less the regime's public holidays


class Start(StrEnum):
    # Day-count clocks of `policy` and `ccpa` count the day of receipt as day 1 (the earlier, safe reading).
    RECEIPT_IS_DAY_ONE = "receipt_is_day_one"
    # Civil-law reading (Reg. 1182/71 art. 3, Russian and Brazilian codes): the period starts the day after.
    DAY_AFTER_RECEIPT = "day_after_receipt"


@dataclass(frozen=True)
class Clock:
    amount: int
    unit: Unit

    def describe(self) -> str:
        words = {Unit.DAYS: "day", Unit.MONTHS: "month", Unit.WORKING_DAYS: "working day"}
        word = words[self.unit] + ("" if self.amount == 1 else "s")
        return f"{_number_word(self.amount)} {word}"


@dataclass(frozen=True)
class Calendar:
    """Which days are working days: weekends always are not; holidays from the `holidays` package."""

    country: str | None = None
    subdivision: str | None = None

    def is_working_day(self, day: date) -> bool:
        if self.country is None:
            return day.weekday() < 5
        return bool(_holiday_calendar(self.country, self.subdivision, day.year).is_working_day(day))

    def holiday_name(self, day: date) -> str | None:
        if self.country is None:
            return None
        name = _holiday_calendar(self.country, self.subdivision, day.year).get(day)
        return str(name) if name else None


WEEKENDS_ONLY = Calendar()


@dataclass(frozen=True)
class Regime:
    code: str
    name: str
    clock: Clock
    extended: Clock | None  # the total period once extended, counted from the same start; None: no extension
    start: Start
    pausable: bool  # do days spent waiting for the requester push the due date out?
    roll_forward: bool  # a due date on a weekend or holiday moves to the next working day
    calendar: Calendar = WEEKENDS_ONLY
    acknowledge: Clock | None = None  # working days (on `calendar`) to acknowledge receipt

    def with_calendar(self, country: str | None, subdivision: str | None = None) -> Regime:
        return dataclasses.replace(self, calendar=Calendar(country, subdivision))


@dataclass(frozen=True)
class Adjustment:
    """Why a regime's date is not simply start + clock."""

    paused_days: int = 0
    moved_from: date | None = None  # the date before it was rolled off a weekend or holiday
    moved_because: str | None = None  # "the weekend" or a holiday's name
    last_day_of_month: bool = False  # the same-dated day did not exist in the target month


@dataclass(frozen=True)
class RegimeDeadline:
    regime: Regime
    received: date
    due: date
    due_adjustment: Adjustment
    extended_due: date | None
    extended_adjustment: Adjustment | None
    acknowledge_by: date | None

    def effective(self, extended: bool) -> date:
        if extended and self.extended_due is not None:
            return self.extended_due
        return self.due


@dataclass(frozen=True)
class Deadlines:
    due: date  # the earliest original due date across regimes
    extended_due: date  # the earliest due date once extended (regimes without extension keep their due date)
    acknowledge_by: date | None  # the earliest acknowledgement any regime requires, if one does
    governing: str  # code of the regime whose date is effective now
    extended: bool
    by_regime: tuple[RegimeDeadline, ...]

    @property
    def effective(self) -> date:
        return self.extended_due if self.extended else self.due

    @property
    def governing_deadline(self) -> RegimeDeadline:
        return next(r for r in self.by_regime if r.regime.code == self.governing)


class UnknownRegime(ValueError):
    pass


def _number_word(n: int) -> str:
    words = {
        1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 10: "ten", 12: "twelve", 15: "fifteen",
    }  # fmt: skip
    return words.get(n, str(n))


@lru_cache(maxsize=256)
def _holiday_calendar(country: str, subdivision: str | None, year: int) -> holidays.HolidayBase:
    return holidays.country_holidays(country, subdiv=subdivision, years=year)


def add_months(start: date, months: int) -> tuple[date, bool]:
    """The same-dated day `months` later, or that month's last day if it has none (Reg. 1182/71 art. 3(2)(c)).

    Returns the date and whether it was clipped to the month's end.
    """
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    last = calendar.monthrange(year, month)[1]
    if start.day > last:
        return date(year, month, last), True
    return date(year, month, start.day), False


def add_working_days(received: date, count: int, cal: Calendar) -> date:
    """The `count`-th working day after the day of receipt."""
    day = received
    remaining = count
    while remaining:
        day += timedelta(days=1)
        if cal.is_working_day(day):
            remaining -= 1
    return day


def nth_working_day_from(received: date, count: int, cal: Calendar) -> date:
    """The `count`-th working day counting the day of receipt as day 1 when it is a working day."""
    day = received - timedelta(days=1)
    return add_working_days(day, count, cal)


def roll_forward(day: date, cal: Calendar) -> tuple[date, str | None]:
    """Move a due date off weekends and public holidays to the next working day."""
    if cal.is_working_day(day):
        return day, None
    reason = cal.holiday_name(day) or "the weekend"
    while not cal.is_working_day(day):
        day += timedelta(days=1)
    return day, reason


def _period_end(regime: Regime, clock: Clock, received: date, paused_days: int) -> tuple[date, Adjustment]:
    clipped = False
    if clock.unit is Unit.WORKING_DAYS:
        # Working-day clocks in the table all start the day after receipt; pauses are calendar days.
        raw = add_working_days(received + timedelta(days=paused_days), clock.amount, regime.calendar)
    elif clock.unit is Unit.MONTHS:
        raw, clipped = add_months(received, clock.amount)
        raw += timedelta(days=paused_days)
    else:
        first_day = received if regime.start is Start.RECEIPT_IS_DAY_ONE else received + timedelta(days=1)
        raw = first_day + timedelta(days=clock.amount - 1 + paused_days)
    if not regime.roll_forward:
        return raw, Adjustment(paused_days=paused_days, last_day_of_month=clipped)
    rolled, because = roll_forward(raw, regime.calendar)
    return rolled, Adjustment(
        paused_days=paused_days,
        moved_from=raw if because else None,
        moved_because=because,
        last_day_of_month=clipped,
    )


def compute_one(regime: Regime, received: date, *, paused_days: int = 0) -> RegimeDeadline:
    """One regime's due date, extended due date and acknowledgement date for a request received on `received`."""
    if paused_days < 0:
        raise ValueError("paused_days cannot be negative")
    paused = paused_days if regime.pausable else 0
    due, due_adjustment = _period_end(regime, regime.clock, received, paused)
    extended_due: date | None = None
    extended_adjustment: Adjustment | None = None
    if regime.extended is not None:
        extended_due, extended_adjustment = _period_end(regime, regime.extended, received, paused)
    acknowledge_by = None
    if regime.acknowledge is not None:
        acknowledge_by = nth_working_day_from(received, regime.acknowledge.amount, regime.calendar)
    return RegimeDeadline(
        regime=regime,
        received=received,
        due=due,
        due_adjustment=due_adjustment,
        extended_due=extended_due,
        extended_adjustment=extended_adjustment,
        acknowledge_by=acknowledge_by,
    )


def resolve(regime: str | Regime) -> Regime:
    if isinstance(regime, Regime):
        return regime
    try:
        return REGIMES[regime]
    except KeyError:
        raise UnknownRegime(f"unknown regime {regime!r}") from None


def for_right(regime: Regime, right: str | None) -> Regime:
    """The regime as it applies to one right: a right with a clock of its own (RIGHT_CLOCKS) answers by that
    clock, with no extension and no acknowledgement; any other right keeps the regime's general clock."""
    clock = RIGHT_CLOCKS.get((regime.code, right or ""))
    if clock is None:
        return regime
    # Working-day clocks count from the day after receipt (`add_working_days`); the sentence must say so.
    start = Start.DAY_AFTER_RECEIPT if clock.unit is Unit.WORKING_DAYS else regime.start
    return dataclasses.replace(regime, clock=clock, start=start, extended=None, acknowledge=None)


def compute(
    regimes: Iterable[str | Regime],
    received: date,
    *,
    right: str | None = None,
    paused_days: int = 0,
    extended: bool = False,
) -> Deadlines:
    """The deadlines of a request received on `received` under every regime in `regimes`.

    `due` and `extended_due` are the earliest across regimes; a regime with no extension keeps its
    original due date in the extended comparison, so an extension can never outrun it. `paused_days`
    push a regime's dates out only if that regime is pausable. `governing` names the regime whose date
    is in force (`extended` picks which of the two dates that is). On a tie the statutory regime
    governs rather than the operator's policy, so the explanation cites the law. `right` (a request kind) picks
    a right's own clock where a regime has one (a CCPA opt-out: 15 business days).
    """
    resolved = [for_right(resolve(r), right) for r in regimes]
    if not resolved:
        raise ValueError("at least one regime is required (the operator policy always applies)")
    results = tuple(compute_one(r, received, paused_days=paused_days) for r in resolved)

    def rank(result: RegimeDeadline) -> tuple[date, int, int]:
        is_policy = 1 if result.regime.code == POLICY else 0
        return (result.effective(extended), is_policy, resolved.index(result.regime))

    governing = min(results, key=rank)
    acks = [r.acknowledge_by for r in results if r.acknowledge_by is not None]
    return Deadlines(
        due=min(r.due for r in results),
        extended_due=min(r.effective(True) for r in results),
        acknowledge_by=min(acks) if acks else None,
        governing=governing.regime.code,
        extended=extended,
        by_regime=results,
    )


POLICY = "policy"

EU_EEA = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "HR",
        "CY",
        "CZ",
        "DK",
        "EE",
        "FI",
        "FR",
        "DE",
        "GR",
        "HU",
        "IE",
        "IT",
        "LV",
        "LT",
        "LU",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SK",
        "SI",
        "ES",
        "SE",
        "IS",
        "LI",
        "NO",
    ]
)
# US states with a comprehensive consumer privacy law answering in 45 days, extendable by 45.
US_STATES = frozenset(
    [
        "VA",
        "CO",
        "CT",
        "UT",
        "TX",
        "OR",
        "MT",
        "IA",
        "DE",
        "NH",
        "NJ",
        "TN",
        "MN",
        "MD",
        "IN",
        "KY",
        "RI",
        "NE",
    ]
)


def regimes_for(country: str, subdivision: str | None = None) -> list[str]:
    """The regime codes that apply to a requester in `country` (ISO 3166-1 alpha-2) and `subdivision`.

    The operator's policy always applies; it is listed first.
    """
    country = (country or "").strip().upper()
    sub = (subdivision or "").strip().upper()
    if "-" in sub:  # accept "US-CA" as well as "CA"
        sub = sub.split("-", 1)[1]
    codes = [POLICY]
    if country in EU_EEA:
        codes.append("eu_gdpr")
    elif country == "GB":
        codes.append("uk_gdpr")
    elif country == "US":
        if sub == "CA":
            codes.append("ccpa")
        elif sub in US_STATES:
            codes.append("us_state")
    elif country == "BR":
        codes.append("lgpd")
    elif country == "CA" and sub == "QC":
        codes.append("quebec")
    elif country == "RU":
        codes.append("ru_152fz")
    return codes


def policy(*, days: int = 45, extended_days: int | None = 90, pausable: bool = True) -> Regime:
    """The operator's own promise, as configured (settings feed this through the services)."""
    return Regime(
        code=POLICY,
        name="our privacy policy",
        clock=Clock(days, Unit.DAYS),
        extended=Clock(extended_days, Unit.DAYS) if extended_days else None,
        start=Start.RECEIPT_IS_DAY_ONE,
        pausable=pausable,
        roll_forward=False,
    )


REGIMES: dict[str, Regime] = {
    r.code: r
    for r in (
        policy(),
        Regime(
            code="eu_gdpr",
            name="EU GDPR",
            clock=Clock(1, Unit.MONTHS),
            extended=Clock(3, Unit.MONTHS),
            start=Start.DAY_AFTER_RECEIPT,
            # EDPB Guidelines 01/2022 give no general pause; the earlier, safe reading.
            pausable=False,
            roll_forward=True,
            # Holidays of the Member State where the controller acts; weekends only until the operator says
            # which (services call `with_calendar`). Fewer holidays is the earlier, safe reading.
        ),
        Regime(
            code="uk_gdpr",
            name="UK GDPR",
            clock=Clock(1, Unit.MONTHS),
            extended=Clock(3, Unit.MONTHS),
            start=Start.DAY_AFTER_RECEIPT,
            pausable=True,  # Art. 12A: the clock stops while waiting for ID, a fee or clarification
            roll_forward=True,
            calendar=Calendar("GB", "ENG"),  # England & Wales bank holidays
        ),
        Regime(
            code="ccpa",
            name="CCPA",
            clock=Clock(45, Unit.DAYS),
            extended=Clock(90, Unit.DAYS),
            start=Start.RECEIPT_IS_DAY_ONE,
            pausable=False,  # §7021: verification time is included
            roll_forward=False,
            acknowledge=Clock(10, Unit.WORKING_DAYS),  # business days, weekends only: the earlier reading
        ),
        Regime(
            code="us_state",
            name="US state privacy law",
            clock=Clock(45, Unit.DAYS),
            extended=Clock(90, Unit.DAYS),
            start=Start.RECEIPT_IS_DAY_ONE,
            pausable=False,
            roll_forward=False,
        ),
        Regime(
            code="lgpd",
            name="LGPD",
            clock=Clock(15, Unit.DAYS),
            extended=None,
            start=Start.DAY_AFTER_RECEIPT,
            pausable=False,
            roll_forward=True,
            calendar=Calendar("BR"),
        ),
        Regime(
            code="quebec",
            name="Quebec Law 25",
            clock=Clock(30, Unit.DAYS),
            extended=None,
            start=Start.DAY_AFTER_RECEIPT,
            pausable=False,
            roll_forward=True,
            calendar=Calendar("CA", "QC"),
        ),
        Regime(
            code="ru_152fz",
            name="Federal Law 152-FZ",
            clock=Clock(10, Unit.WORKING_DAYS),
            extended=Clock(15, Unit.WORKING_DAYS),  # +5 working days with a reasoned notice
            start=Start.DAY_AFTER_RECEIPT,
            pausable=False,
            roll_forward=True,
            calendar=Calendar("RU"),  # with the government's transfers of days off
        ),
    )
}


# Rights a regime answers by a clock of their own, stricter than its general one (no extension, no
# acknowledgement: the request is confirmed received at once). CCPA regs §7026(f)(1) (opt-out of sale/sharing)
# and §7027(g)(1) (limit the use of sensitive data): "no later than 15 business days from the date the business
# receives the request". Business days are counted Monday to Friday only: the earlier, safe reading, as for the
# CCPA acknowledgement (state holidays would make it later).
RIGHT_CLOCKS: dict[tuple[str, str], Clock] = {
    ("ccpa", "opt_out"): Clock(15, Unit.WORKING_DAYS),
    ("ccpa", "limit_sensitive"): Clock(15, Unit.WORKING_DAYS),
}
