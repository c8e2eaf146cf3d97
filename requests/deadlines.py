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
from collections.abc import Callable, Iterable, Mapping, Set
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from functools import lru_cache

import holidays
from django.utils.translation import gettext_noop as N_


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


WEEKEND = frozenset({5, 6})  # Saturday and Sunday (Monday is 0)
SUNDAY = frozenset({6})


@dataclass(frozen=True)
class Calendar:
    """Which days are working days: never a rest day (`rest_days`), never a public holiday.

    Holidays come from the `holidays` package for `country`/`subdivision`, or, where `statute` names one, from
    the list the law itself gives (STATUTE_HOLIDAYS) in place of the package's.
    """

    country: str | None = None
    subdivision: str | None = None
    # Weekdays a period never ends on. Most laws say Saturday and Sunday; where the law names only Sunday (or
    # "holidays", Sunday among them) a Saturday is an ordinary day and a due date on it stays there.
    rest_days: frozenset[int] = WEEKEND
    statute: str | None = None

    def is_working_day(self, day: date) -> bool:
        days_off, working_weekend_days = _days_off(self, day.year)
        if day in days_off:
            return False
        if day in working_weekend_days:  # a government's transfer of a day off (Russia)
            return True
        return day.weekday() not in self.rest_days

    def holiday_name(self, day: date) -> str | None:
        name = _days_off(self, day.year)[0].get(day)
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
    # Days to acknowledge receipt: working days on `calendar` counting the day of receipt, or calendar days
    # counted as `start` says.
    acknowledge: Clock | None = None
    # The US state whose law this is (`us_state` groups many): its appeal period differs (STATE_APPEALS).
    state: str = ""
    # False where the law sets this right no date for the answer, only an acknowledgement (a UK complaint): the
    # other regimes' dates govern, and this one adds its acknowledgement date.
    answers: bool = True

    def with_calendar(self, country: str | None, subdivision: str | None = None) -> Regime:
        return dataclasses.replace(
            self, calendar=dataclasses.replace(self.calendar, country=country, subdivision=subdivision)
        )

    def in_state(self, state: str) -> Regime:
        """The regime as the law of one US state (`us_state` only; any other regime is the same everywhere)."""
        return dataclasses.replace(self, state=state.strip().upper()) if self.code == "us_state" else self


@dataclass(frozen=True)
class Adjustment:
    """Why a regime's date is not simply start + clock."""

    paused_days: int = 0
    # A month clock that restarted when what we asked the requester for arrived: receipt plus the days paused.
    restarted_from: date | None = None
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
def _package_holidays(country: str, subdivision: str | None, year: int) -> holidays.HolidayBase:
    return holidays.country_holidays(country, subdiv=subdivision, years=year)


def _days_off(cal: Calendar, year: int) -> tuple[Mapping[date, str], Set[date]]:
    """The calendar's public holidays in `year`, and the weekend days the government made working days."""
    if cal.statute is not None:
        return STATUTE_HOLIDAYS[cal.statute](year), frozenset()
    if cal.country is None:
        return {}, frozenset()
    package = _package_holidays(cal.country, cal.subdivision, year)
    return package, package.weekend_workdays


def easter_sunday(year: int) -> date:
    """Western Easter Sunday (the anonymous Gregorian computus), for the holidays that move with it."""
    golden = year % 19
    century, year_of_century = divmod(year, 100)
    leap_centuries, century_rest = divmod(century, 4)
    correction = (century + 8) // 25
    epact = (19 * golden + century - leap_centuries - (century - correction + 1) // 3 + 15) % 30
    leap_years, year_rest = divmod(year_of_century, 4)
    weekday_offset = (32 + 2 * century_rest + 2 * leap_years - epact - year_rest) % 7
    shift = (golden + 11 * epact + 22 * weekday_offset) // 451
    month, day = divmod(epact + weekday_offset - 7 * shift + 114, 31)
    return date(year, month, day + 1)


def _nth_monday(year: int, month: int, n: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(7 - first.weekday()) % 7 + 7 * (n - 1))


def _monday_before(day: date) -> date:
    return day - timedelta(days=day.weekday() or 7)


def _with_next_day_if_sunday(days: dict[date, str], day: date, name: str) -> None:
    days[day] = name
    if day.weekday() == 6:
        days[day + timedelta(days=1)] = name


@lru_cache(maxsize=64)
def quebec_holidays(year: int) -> Mapping[date, str]:
    """Holidays of Quebec's Interpretation Act (CQLR c. I-16) s. 61(23); Sundays (a) are the calendar's rest days.

    A period that ends on one of them ends the next day that is not (s. 52); a Saturday is not a holiday. The
    `holidays` package's CA-QC list lacks Easter Monday (d) and adds days the Act does not have (2 January, and
    25 June when 24 June is a Sunday), so this list is the Act's own.
    """
    sunday_easter = easter_sunday(year)
    days = {
        date(year, 1, 1): "New Year's Day",  # (b)
        sunday_easter - timedelta(days=2): "Good Friday",  # (c)
        sunday_easter + timedelta(days=1): "Easter Monday",  # (d)
        # (i) the day the Governor General fixes for the Sovereign's birthday, the Monday before 25 May; Quebec's
        # National Patriots' Day falls on it (j).
        _monday_before(date(year, 5, 25)): "National Patriots' Day",
        date(year, 6, 24): "National Holiday",  # (e)
        _nth_monday(year, 9, 1): "Labour Day",  # (g)
        _nth_monday(year, 10, 2): "Thanksgiving",  # (g.1)
        date(year, 12, 25): "Christmas Day",  # (h)
    }
    _with_next_day_if_sunday(
        days, date(year, 7, 1), "Canada Day"
    )  # (f): 1 July, or 2 July if the 1st is a Sunday
    return days


@lru_cache(maxsize=64)
def canada_holidays(year: int) -> Mapping[date, str]:
    """Holidays of the federal Interpretation Act (R.S.C. 1985, c. I-21) s. 35(1)-(2), everywhere in Canada.

    Sundays are the calendar's rest days. Provincial and civic holidays (s. 35(1)(a)-(b)) are left out: fewer
    holidays is the earlier, safe reading, and the requester's province may not be the operator's.
    """
    sunday_easter = easter_sunday(year)
    days = {
        sunday_easter - timedelta(days=2): "Good Friday",
        sunday_easter + timedelta(days=1): "Easter Monday",
        _monday_before(date(year, 5, 25)): "Victoria Day",  # also the Sovereign's birthday as proclaimed
        _nth_monday(year, 9, 1): "Labour Day",
        _nth_monday(year, 10, 2): "Thanksgiving",  # proclaimed each year for the second Monday of October
        date(year, 12, 25): "Christmas Day",
    }
    # s. 35(2): when New Year's Day, Canada Day or Remembrance Day is a Sunday, the Monday is a holiday too.
    _with_next_day_if_sunday(days, date(year, 1, 1), "New Year's Day")
    _with_next_day_if_sunday(days, date(year, 7, 1), "Canada Day")
    _with_next_day_if_sunday(days, date(year, 11, 11), "Remembrance Day")
    if year >= 2021:  # added to s. 35(1) in 2021
        days[date(year, 9, 30)] = "National Day for Truth and Reconciliation"
    return days


STATUTE_HOLIDAYS: dict[str, Callable[[int], Mapping[date, str]]] = {
    "ca_qc_interpretation_act": quebec_holidays,
    "ca_interpretation_act": canada_holidays,
}


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
    """The end of `clock` for a request received on `received` and paused `paused_days`.

    Every unit counts as if the request had arrived `paused_days` later: for day counts that is the same as
    adding the pause at the end.
    """
    clipped = False
    restarted_from: date | None = None
    if clock.unit is Unit.WORKING_DAYS:
        # Working-day clocks in the table all start the day after receipt; pauses are calendar days.
        raw = add_working_days(received + timedelta(days=paused_days), clock.amount, regime.calendar)
    elif clock.unit is Unit.MONTHS:
        # UK GDPR Art. 12A: the month runs from when the ID, fee or clarification arrives, not from receipt; we
        # take receipt plus the days paused (the arrival date when the question went out on receipt, else
        # earlier). Adding the pause after the month arithmetic instead would give 3 Mar, not 28 Feb, for a
        # request of 30 Jan answered on 31 Jan.
        start = received + timedelta(days=paused_days)
        raw, clipped = add_months(start, clock.amount)
        restarted_from = start if paused_days else None
    else:
        first_day = received if regime.start is Start.RECEIPT_IS_DAY_ONE else received + timedelta(days=1)
        raw = first_day + timedelta(days=clock.amount - 1 + paused_days)
    if not regime.roll_forward:
        return raw, Adjustment(
            paused_days=paused_days, restarted_from=restarted_from, last_day_of_month=clipped
        )
    rolled, because = roll_forward(raw, regime.calendar)
    return rolled, Adjustment(
        paused_days=paused_days,
        restarted_from=restarted_from,
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
    return RegimeDeadline(
        regime=regime,
        received=received,
        due=due,
        due_adjustment=due_adjustment,
        extended_due=extended_due,
        extended_adjustment=extended_adjustment,
        acknowledge_by=acknowledgement_due(regime, received),
    )


def acknowledgement_due(regime: Regime, received: date) -> date | None:
    """The last day to acknowledge receipt under `regime`, if it asks for an acknowledgement.

    Working days count the day of receipt as day 1 when it is one (CCPA §7021); calendar days count as the
    regime's `start` says and move off a weekend or holiday only where the regime rolls (DPA 2018 s. 164A(3):
    "30 days beginning when the complaint is received", the day of receipt is day 1 and nothing moves).
    """
    clock = regime.acknowledge
    if clock is None:
        return None
    if clock.unit is Unit.WORKING_DAYS:
        return nth_working_day_from(received, clock.amount, regime.calendar)
    if clock.unit is not Unit.DAYS:
        raise ValueError(f"an acknowledgement counted in {clock.unit} is not supported")
    first_day = received if regime.start is Start.RECEIPT_IS_DAY_ONE else received + timedelta(days=1)
    day = first_day + timedelta(days=clock.amount - 1)
    return roll_forward(day, regime.calendar)[0] if regime.roll_forward else day


def resolve(regime: str | Regime) -> Regime:
    if isinstance(regime, Regime):
        return regime
    try:
        return REGIMES[regime]
    except KeyError:
        raise UnknownRegime(f"unknown regime {regime!r}") from None


def for_right(regime: Regime, right: str | None) -> Regime:
    """The regime as it applies to one right: a right with a clock of its own (RIGHT_CLOCKS) answers by that
    clock, with no extension and no acknowledgement; any other right keeps the regime's general clock.

    An appeal under a US state law is decided within that state's period (STATE_APPEALS); a UK complaint is
    acknowledged within 30 days and has no date of its own for the outcome (COMPLAINT_ACKNOWLEDGEMENTS).
    """
    if right == APPEAL and regime.code == "us_state":
        return _appeal_regime(regime)
    if right == COMPLAINT and regime.code in COMPLAINT_ACKNOWLEDGEMENTS:
        return dataclasses.replace(
            regime,
            acknowledge=COMPLAINT_ACKNOWLEDGEMENTS[regime.code],
            start=Start.RECEIPT_IS_DAY_ONE,  # "beginning when the complaint is received"
            roll_forward=False,
            extended=None,
            pausable=False,
            answers=False,
        )
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
    a right's own clock where a regime has one (a CCPA opt-out: 15 business days; a correction under 152-FZ: 7
    working days; an appeal in Virginia: 60 days; a UK complaint: acknowledged within 30 days).
    """
    resolved = [for_right(resolve(r), right) for r in regimes]
    if not resolved:
        raise ValueError("at least one regime is required (the operator policy always applies)")
    answering = [r for r in resolved if r.answers]
    if not answering:
        raise ValueError(f"no regime sets a date to answer {right!r}: the operator policy must be among them")
    results = tuple(compute_one(r, received, paused_days=paused_days) for r in answering)

    def rank(result: RegimeDeadline) -> tuple[date, int, int]:
        is_policy = 1 if result.regime.code == POLICY else 0
        return (result.effective(extended), is_policy, answering.index(result.regime))

    governing = min(results, key=rank)
    # A regime that only acknowledges (a UK complaint) still sets the acknowledgement date.
    acks = [day for r in resolved if (day := acknowledgement_due(r, received)) is not None]
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


def _place(code: str, subdivision: str | None = None) -> tuple[str, str]:
    """("GB", "") from "gb", ("US", "CA") from ("US", "US-CA"), ("US", "CA") or "US-CA"."""
    country = (code or "").strip().upper()
    sub = (subdivision or "").strip().upper()
    if subdivision is None and "-" in country:  # a whole ISO 3166-2 code, as PRIVACY_ESTABLISHMENT gives them
        country, sub = country.split("-", 1)
    if "-" in sub:  # accept "US-CA" as well as "CA"
        sub = sub.split("-", 1)[1]
    return country, sub


def _residence_regime(country: str, sub: str) -> str | None:
    """The regime a requester living in `country`/`sub` brings with them, if the portal knows one."""
    if country in EU_EEA:
        return "eu_gdpr"
    if country == "GB":
        return "uk_gdpr"
    if country == "US":
        if sub == "CA":
            return "ccpa"
        return "us_state" if sub in US_STATES else None
    if country == "CA":
        # Quebec's private-sector Act for Quebecers; PIPEDA for the rest of Canada (the provinces whose own laws
        # are "substantially similar" still leave it cross-border and federal work, which an online portal is).
        return "quebec" if sub == "QC" else "pipeda"
    return {"BR": "lgpd", "RU": "ru_152fz", "CH": "ch_fadp", "TR": "tr_kvkk", "KR": "kr_pipa"}.get(country)


def residence_regime(country: str, subdivision: str | None = None) -> str | None:
    """The regime a requester living in `country`/`subdivision` brings with them (None: only the policy's)."""
    return _residence_regime(*_place(country, subdivision or ""))


def establishment_regime(place: str) -> str | None:
    """The regime owed to *every* requester because the operator is established at `place` ("GB", "CA-QC").

    Each is the law's own territorial rule (docs/deadlines.md, "Where the operator is established"):
    UK GDPR and GDPR Art. 3(1) (an establishment's processing, wherever the person is); FADP Art. 3(1) (effects
    in Switzerland); LGPD Art. 3(I) (processing in Brazil); 152-FZ Art. 1(1) (operators in Russia); KVKK Art. 2
    and PIPA Art. 2-3 (every controller they govern, with no condition on where the person lives); PIPEDA
    s. 4(1)(a) (an organisation's commercial activities); Quebec's private-sector Act s. 1 (an enterprise in
    Quebec). US state laws protect only their residents (CCPA §1798.140(i)), so a US establishment adds none.
    """
    country, sub = _place(place)
    if country == "US":
        return None
    return _residence_regime(country, sub)


def establishment_regimes(establishment: Iterable[str]) -> list[tuple[str, str]]:
    """(place, regime) for each place in `establishment` that brings a regime, in order, each regime once."""
    found: list[tuple[str, str]] = []
    for place in establishment:
        code = establishment_regime(place)
        if code is not None and code not in (known for _, known in found):
            found.append((place.strip().upper(), code))
    return found


def regimes_for(
    country: str, subdivision: str | None = None, *, establishment: Iterable[str] = ()
) -> list[str]:
    """The regime codes that apply to a requester in `country` (ISO 3166-1 alpha-2) and `subdivision`.

    `establishment` names where the operator is established (ISO 3166-1 or 3166-2 codes: "GB", "DE", "CA-QC");
    each place adds the regime its law applies to everyone's requests. The operator's policy always applies; it
    is listed first, then the requester's own law, then the establishment's.
    """
    codes = [POLICY]
    own = _residence_regime(*_place(country, subdivision or ""))
    for code in [own, *(code for _, code in establishment_regimes(establishment))]:
        if code is not None and code not in codes:
            codes.append(code)
    return codes


def policy(*, days: int = 45, extended_days: int | None = 90, pausable: bool = False) -> Regime:
    """The operator's own promise, as configured (settings feed this through the services).

    Not pausable unless configured: the policy promises an answer within `days` with no pause.
    """
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
            # Art. 12A: the month begins when the ID or fee asked for arrives; days waiting for a clarification
            # do not count. Both are counted as a restart from receipt plus the days paused (`_period_end`).
            pausable=True,
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
            clock=Clock(15, Unit.DAYS),  # Art. 19(II)
            extended=None,
            start=Start.DAY_AFTER_RECEIPT,  # Civil Code art. 132: the first day is excluded
            pausable=False,
            roll_forward=True,
            # Art. 132 §1 moves a period ending on a *feriado* to the next working day. Sundays and holidays are
            # feriados; a Saturday is not, so a due date on it stays (the earlier reading).
            calendar=Calendar("BR", rest_days=SUNDAY),
        ),
        Regime(
            code="quebec",
            name="Quebec Law 25",
            clock=Clock(30, Unit.DAYS),  # private-sector Act (CQLR c. P-39.1) s. 32
            extended=None,
            start=Start.DAY_AFTER_RECEIPT,
            pausable=False,
            roll_forward=True,
            # Interpretation Act s. 52: only a period ending on a holiday moves, and its holidays (s. 61(23)) are
            # Sundays and a fixed list; a Saturday is not one.
            calendar=Calendar(rest_days=SUNDAY, statute="ca_qc_interpretation_act"),
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
        Regime(
            code="pipeda",
            name="PIPEDA",
            clock=Clock(30, Unit.DAYS),  # s. 8(3): "not later than thirty days after receipt"
            # s. 8(4)(a): a further thirty days at most, for unreasonable interference or consultations, with a
            # notice within the first thirty days. s. 8(4)(b) (converting to an alternative format, "the period
            # that is necessary") has no end we could compute; the thirty-day cap is the earlier reading.
            extended=Clock(60, Unit.DAYS),
            start=Start.DAY_AFTER_RECEIPT,  # Interpretation Act s. 27: the day of receipt is excluded
            pausable=False,
            roll_forward=True,
            # Interpretation Act s. 26: a period ending on a holiday ends the next day that is not; s. 35 makes
            # Sundays and a federal list holidays, not Saturdays.
            calendar=Calendar(rest_days=SUNDAY, statute="ca_interpretation_act"),
        ),
        Regime(
            code="ch_fadp",
            name="Swiss FADP",
            clock=Clock(30, Unit.DAYS),  # FADP Art. 25(7); Data Protection Ordinance Art. 18(1)
            # DPO Art. 18(2): a controller that cannot answer in 30 days tells the person and names its own later
            # date. The law sets no limit to compute, so the portal offers no extension: the 30 days stand.
            extended=None,
            start=Start.DAY_AFTER_RECEIPT,  # Code of Obligations Art. 77(1)(1)
            pausable=False,
            roll_forward=True,
            # CO Art. 78 moves a last day on a Sunday or public holiday; the Federal Act on Time Limits Falling on
            # Saturdays (SR 173.110.3) treats Saturday as one for federal statutory limits. Federal holidays only:
            # cantonal ones would make the date later.
            calendar=Calendar("CH"),
        ),
        Regime(
            code="tr_kvkk",
            name="KVKK",
            clock=Clock(30, Unit.DAYS),  # Law No. 6698 Art. 13(2): "within thirty days at the latest"
            extended=None,
            # Neither the Law nor the Board's Communiqué on applications says how the days are counted or whether
            # a last day on a weekend or holiday moves: receipt is day 1 and no roll, the earlier reading.
            start=Start.RECEIPT_IS_DAY_ONE,
            pausable=False,
            roll_forward=False,
        ),
        Regime(
            code="kr_pipa",
            name="Korean PIPA",
            # Enforcement Decree Art. 41(4) (access), 43(3) (correction, erasure), 44(2) (suspension): ten days.
            clock=Clock(10, Unit.DAYS),
            # PIPA Art. 35(3) and Decree Art. 42(2): access may be postponed with a notice given within the same
            # ten days, until the reason ends. That is no fixed extension, so the portal offers none.
            extended=None,
            start=Start.DAY_AFTER_RECEIPT,  # Civil Act Art. 157: the first day is not counted
            pausable=False,
            roll_forward=True,  # Civil Act Art. 161: a last day on a Saturday or public holiday moves to the next
            calendar=Calendar("KR"),
        ),
    )
}


# Rights a regime answers by a clock of their own, stricter than its general one (no extension, no
# acknowledgement: the request is confirmed received at once). Working-day clocks count from the day after
# receipt on the regime's calendar.
RIGHT_CLOCKS: dict[tuple[str, str], Clock] = {
    # CCPA regs §7026(f)(1) (opt-out of sale/sharing) and §7027(g)(1) (limit the use of sensitive data): "no later
    # than 15 business days from the date the business receives the request". Business days are counted Monday
    # to Friday only: the earlier, safe reading, as for the CCPA acknowledgement (state holidays would make it
    # later); the ccpa calendar has no holidays.
    ("ccpa", "opt_out"): Clock(15, Unit.WORKING_DAYS),
    ("ccpa", "limit_sensitive"): Clock(15, Unit.WORKING_DAYS),
    # 152-FZ Art. 20(3): data shown to be incomplete, inaccurate or out of date are corrected, and data shown to
    # be unlawfully obtained or not needed are destroyed, within seven working days of the person providing that.
    ("ru_152fz", "rectification"): Clock(7, Unit.WORKING_DAYS),
    ("ru_152fz", "erasure"): Clock(7, Unit.WORKING_DAYS),
}


# --- Appeals and complaints -----------------------------------------------------------------------------------
# Two procedures that follow a request rather than exercise a right: an appeal of a refusal under a US state law,
# and a complaint about how a request was handled under UK law. Their cases carry the kind as their `right`.

APPEAL = "appeal"
COMPLAINT = "complaint"


class Checked(StrEnum):
    """How far a row of STATE_APPEALS was checked (docs/deadlines.md gives each source)."""

    TEXT = "statute text"  # the period was read in the law's own words
    SECONDARY = "secondary sources"  # sources other than the law agree on it; the law's text was not read
    UNCONFIRMED = "unconfirmed"  # not found: the shortest period any state gives, and no extension


@dataclass(frozen=True)
class StateAppeal:
    """How a consumer appeals a controller's refusal under one US state's law, and whom they may then complain to.

    The decision is due within `decide` of receiving the appeal, counting the day of receipt (the earlier
    reading, as for `us_state` requests); `extended` is the whole period once extended, where the law allows.
    A refused appeal must name the authority that takes complaints.
    """

    state: str
    law: str
    decide: Clock
    extended: Clock | None
    authority: str
    authority_url: str
    checked: Checked


# The shortest decision period any state law gives: used where a state's own could not be confirmed.
UNCONFIRMED_APPEAL = Clock(45, Unit.DAYS)


def _unconfirmed(state: str, law: str, authority: str, url: str) -> StateAppeal:
    return StateAppeal(state, law, UNCONFIRMED_APPEAL, None, authority, url, Checked.UNCONFIRMED)


# Every state of US_STATES but Utah, whose Act has no appeal (Utah Code §13-61-203 lists what a controller does
# with a request, and no appeal). Where the law's text could not be read, the state decides in 45 days with no
# extension until someone checks it: an earlier answer is always lawful. Authorities' complaint pages where two
# sources agree on the address, else their home page.
STATE_APPEALS: dict[str, StateAppeal] = {
    "VA": StateAppeal(
        N_("Virginia"), "Va. Code §59.1-577(C)", Clock(60, Unit.DAYS), None,
        N_("the Office of the Attorney General of Virginia"),
        "https://www.oag.state.va.us/consumer-protection/index.php/file-a-complaint", Checked.SECONDARY,
    ),
    # 45 days; the law is said to allow 60 more (or 45: sources differ), not read: no extension offered.
    "CO": StateAppeal(
        N_("Colorado"), "C.R.S. §6-1-1306(3)", Clock(45, Unit.DAYS), None,
        N_("the Colorado Attorney General"), "https://coag.gov/file-complaint/", Checked.SECONDARY,
    ),
    # Public Act 22-15 §4(d): "not later than sixty days after receipt of an appeal".
    "CT": StateAppeal(
        N_("Connecticut"), "Conn. Gen. Stat. §42-518(d)", Clock(60, Unit.DAYS), None,
        N_("the Connecticut Attorney General"), "https://portal.ct.gov/AG/Common/Complaint-Form-Landing-page",
        Checked.TEXT,
    ),
    # Iowa Code §715D.3(3): "Within sixty days of receipt of an appeal".
    "IA": StateAppeal(
        N_("Iowa"), "Iowa Code §715D.3(3)", Clock(60, Unit.DAYS), None,
        N_("the Iowa Attorney General"), "https://www.iowaattorneygeneral.gov/", Checked.TEXT,
    ),
    "TX": _unconfirmed(
        N_("Texas"), "Tex. Bus. & Com. Code §541.053", N_("the Texas Attorney General"),
        "https://www.texasattorneygeneral.gov/",
    ),
    "OR": _unconfirmed(
        N_("Oregon"), "Oregon Consumer Privacy Act (ORS 646A.570 to 646A.604)",
        N_("the Oregon Attorney General (Oregon Department of Justice)"), "https://www.doj.state.or.us/",
    ),
    "MT": _unconfirmed(
        N_("Montana"), "Montana Consumer Data Privacy Act (MCA Title 30, ch. 14, part 28)",
        N_("the Montana Attorney General (Montana Department of Justice)"), "https://dojmt.gov/",
    ),
    "DE": _unconfirmed(
        N_("Delaware"), "Delaware Personal Data Privacy Act (6 Del. C. ch. 12D)",
        N_("the Delaware Attorney General (Delaware Department of Justice)"), "https://attorneygeneral.delaware.gov/",
    ),
    "NH": _unconfirmed(
        N_("New Hampshire"), "RSA ch. 507-H", N_("the New Hampshire Attorney General (Department of Justice)"),
        "https://www.doj.nh.gov/",
    ),
    "NJ": _unconfirmed(
        N_("New Jersey"), "New Jersey Data Privacy Act (P.L. 2023, c. 266)", N_("the New Jersey Division of Consumer Affairs"),
        "https://www.njconsumeraffairs.gov/",
    ),
    "TN": _unconfirmed(
        N_("Tennessee"), "Tennessee Information Protection Act (Tenn. Code §47-18-3301 et seq.)",
        N_("the Tennessee Attorney General"), "https://www.tn.gov/attorneygeneral",
    ),
    "MN": _unconfirmed(
        N_("Minnesota"), "Minnesota Consumer Data Privacy Act (Minn. Stat. ch. 325O)", N_("the Minnesota Attorney General"),
        "https://www.ag.state.mn.us/Office/Complaint.asp",
    ),
    "MD": _unconfirmed(
        N_("Maryland"), "Maryland Online Data Privacy Act (Md. Code, Com. Law §14-4601 et seq.)",
        N_("the Maryland Attorney General"), "https://www.marylandattorneygeneral.gov/",
    ),
    "IN": _unconfirmed(
        N_("Indiana"), "Indiana Consumer Data Protection Act (Ind. Code art. 24-15)", N_("the Indiana Attorney General"),
        "https://www.in.gov/attorneygeneral/",
    ),
    "KY": _unconfirmed(
        N_("Kentucky"), "Kentucky Consumer Data Protection Act (2024 HB 15)", N_("the Kentucky Attorney General"),
        "https://www.ag.ky.gov/",
    ),
    "RI": _unconfirmed(
        N_("Rhode Island"), "Rhode Island Data Transparency and Privacy Protection Act (R.I. Gen. Laws ch. 6-48.1)",
        N_("the Rhode Island Attorney General"), "https://riag.ri.gov/",
    ),
    "NE": _unconfirmed(
        N_("Nebraska"), "Nebraska Data Privacy Act (2024 LB 1074)", N_("the Nebraska Attorney General"),
        "https://ago.nebraska.gov/",
    ),
}  # fmt: skip


def state_appeal(state: str) -> StateAppeal | None:
    """The appeal a consumer of `state` has under its privacy law, or None (no such law, or none in it: Utah)."""
    return STATE_APPEALS.get((state or "").strip().upper())


def _appeal_regime(regime: Regime) -> Regime:
    """`us_state` as it decides an appeal: the state's period from receipt of the appeal, its extension if any.

    A state the table does not know (or `us_state` with no state) gets the shortest period, with no extension.
    """
    rule = state_appeal(regime.state)
    decide, extended = (rule.decide, rule.extended) if rule else (UNCONFIRMED_APPEAL, None)
    return dataclasses.replace(
        regime, clock=decide, extended=extended, start=Start.RECEIPT_IS_DAY_ONE, acknowledge=None
    )


# DPA 2018 s. 164A(3), inserted by the Data (Use and Access) Act 2025 s. 103: "acknowledge receipt of the complaint
# within the period of 30 days beginning when the complaint is received". The outcome is due "without undue
# delay" (s. 164A(4)), a standard rather than a count: the operator's policy sets the complaint's date.
COMPLAINT_ACKNOWLEDGEMENTS: dict[str, Clock] = {"uk_gdpr": Clock(30, Unit.DAYS)}
