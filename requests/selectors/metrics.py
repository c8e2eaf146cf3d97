"""Read-only figures for the staff dashboard and the CCPA §7102 yearly metrics (DESIGN §8).

Every function takes the cases to count as a queryset (the caller decides whose cases those are: a handler's
dashboard counts the unassigned queue and their own cases) and the date it counts from, so nothing here calls
`now()` and the same numbers come out in tests, on the page and in the CSV.

Days are counted between calendar dates in the operator's time zone (`selectors.local_date`), as the legal
clocks count them: a request received on Monday and answered on Wednesday took 2 days.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from ..lifecycle import OPEN_STATUSES, Status
from ..models import DenialReason, Kind, PrivacyRequest
from .clock import local_date, operator_zone

# Sorted, so the SQL (and a query-count test) does not change with set iteration order.
OPEN = sorted(s.value for s in OPEN_STATUSES)
# "Closed" for the time-to-answer figures means we answered: withdrawn, forwarded and never-confirmed
# (expired) cases end without an answer from us and would only blur how fast we answer.
ANSWERED = [Status.COMPLETED.value, Status.DENIED.value]
CLOSED_WINDOW_DAYS = 365


def _one_decimal(value: Decimal | float | int) -> Decimal:
    # Half up, as people round: a Python float round() would give 2.2 for 2.25.
    return Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def median_days(days: Iterable[int]) -> Decimal | None:
    """The median to one decimal; of an even count, the mean of the two middle values. None if no values."""
    values = sorted(days)
    return _one_decimal(statistics.median(values)) if values else None


def mean_days(days: Iterable[int]) -> Decimal | None:
    values = list(days)
    return _one_decimal(Decimal(sum(values)) / Decimal(len(values))) if values else None


def days_to_answer(received_at: datetime, closed_at: datetime) -> int:
    return (local_date(closed_at) - local_date(received_at)).days


def local_midnight(day: date) -> datetime:
    """The moment `day` starts where the operator works, to compare with stored (UTC) timestamps."""
    return datetime.combine(day, time.min, tzinfo=operator_zone())


# --- The four numbers at the top of the dashboard ---------------------------------------------------------


@dataclass(frozen=True)
class Summary:
    open: int
    overdue: int
    due_this_week: int  # not yet overdue, due today or in the next 7 days
    median_days_to_close: Decimal | None  # answered in the last 365 days; None if none were
    week_ends: date  # the last day counted in `due_this_week`, so links can ask the queue for the same


def summary(queryset: QuerySet[PrivacyRequest], today: date) -> Summary:
    """Open, overdue and due-this-week counts (one query), and the median days to answer over the last year."""
    week_ends = today + timedelta(days=7)
    counts = (
        queryset.order_by()
        .filter(status__in=OPEN)
        .aggregate(
            open=Count("pk"),
            overdue=Count("pk", filter=Q(effective_due_at__lt=today)),
            due_this_week=Count("pk", filter=Q(effective_due_at__gte=today, effective_due_at__lte=week_ends)),
        )
    )
    since = local_midnight(today - timedelta(days=CLOSED_WINDOW_DAYS - 1))
    closed = (
        queryset.order_by()
        .filter(status__in=ANSWERED, closed_at__gte=since)
        .values_list("received_at", "closed_at")
    )
    return Summary(
        open=counts["open"],
        overdue=counts["overdue"],
        due_this_week=counts["due_this_week"],
        median_days_to_close=median_days(
            days_to_answer(received, closed_at) for received, closed_at in closed.iterator() if closed_at
        ),
        week_ends=week_ends,
    )


# --- Requests received per month, by kind -----------------------------------------------------------------


@dataclass(frozen=True)
class Month:
    month: date  # the first day of the month
    counts: dict[str, int]  # every Kind value, zero included, in Kind order

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def month_starts(today: date, months: int) -> list[date]:
    """The first days of the last `months` calendar months, oldest first, ending with today's month."""
    starts = [today.replace(day=1)]
    while len(starts) < months:
        starts.append((starts[-1] - timedelta(days=1)).replace(day=1))
    return starts[::-1]


def per_month(queryset: QuerySet[PrivacyRequest], *, today: date, months: int = 12) -> list[Month]:
    """Requests received in each of the last `months` calendar months (this one included), per kind.

    One grouped query; months and kinds with no requests are filled in with zeros.
    """
    starts = month_starts(today, months)
    rows = (
        queryset.order_by()
        .filter(received_at__gte=local_midnight(starts[0]))
        # Months in the operator's zone: a request at 23:30 UTC on 31 March is April's in Berlin.
        .annotate(month=TruncMonth("received_at", tzinfo=operator_zone()))
        .values("month", "kind")
        .annotate(n=Count("pk"))
    )
    found: dict[tuple[date, str], int] = {}
    for row in rows:
        month = row["month"]
        day = month.date() if isinstance(month, datetime) else month
        found[(day, row["kind"])] = row["n"]
    return [Month(start, {kind: found.get((start, kind), 0) for kind in Kind.values}) for start in starts]


# --- CCPA §7102 yearly metrics -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CcpaCategory:
    code: str
    label: str | Promise
    kinds: tuple[str, ...]


# The request types §7102(a) asks a business to count, and the rights of ours that are each.
# Restriction and objection are GDPR rights with no CCPA counterpart, so they are not in this table.
CCPA_CATEGORIES: tuple[CcpaCategory, ...] = (
    CcpaCategory("know", _("Know"), (Kind.ACCESS.value, Kind.PORTABILITY.value)),
    CcpaCategory("delete", _("Delete"), (Kind.ERASURE.value,)),
    CcpaCategory("correct", _("Correct"), (Kind.RECTIFICATION.value,)),
    CcpaCategory("opt_out", _("Opt out of sale/sharing"), (Kind.OPT_OUT.value,)),
    CcpaCategory("limit", _("Limit use of sensitive PI"), (Kind.LIMIT_SENSITIVE.value,)),
)
CCPA_KINDS = sorted(kind for category in CCPA_CATEGORIES for kind in category.kinds)
# How regimes_for gives a requester "ccpa" (submit stores "US-CA" as "CA").
CALIFORNIA = Q(country="US", subdivision="CA")


@dataclass(frozen=True)
class CcpaRow:
    category: CcpaCategory
    received: int
    # Completed, in whole or in part (or we held no data: the request was answered). An opt-out or a limit is
    # completed only once every system has carried it out (services/carry_out.py), so it counts then.
    complied: int
    denied: int
    # §7102(b): requests not acted on because they could not be verified: refused for that reason, or lapsed
    # because the sender never confirmed the address (CCPA regs §7060-§7062).
    unverifiable: int
    denied_by_reason: dict[str, int]  # every DenialReason value, zero included, in DenialReason order
    median_days: Decimal | None  # receipt to answer, over complied and denied cases
    mean_days: Decimal | None


def ccpa_cases(
    queryset: QuerySet[PrivacyRequest], year: int, *, california_only: bool = False
) -> QuerySet[PrivacyRequest]:
    """The cases §7102 counts for `year`: CCPA rights received that calendar year (operator's time zone).

    Requests about a customer's data are left out: there we are the customer's service provider, and the
    customer, as the business, counts them.
    """
    cases = queryset.order_by().filter(
        kind__in=CCPA_KINDS,
        processor_request=False,
        received_at__gte=local_midnight(date(year, 1, 1)),
        received_at__lt=local_midnight(date(year + 1, 1, 1)),
    )
    return cases.filter(CALIFORNIA) if california_only else cases


def ccpa_metrics(
    queryset: QuerySet[PrivacyRequest], year: int, *, california_only: bool = False
) -> list[CcpaRow]:
    """One row per CCPA request type for requests received in `year`: received, complied, denied, days.

    `california_only` counts only requesters in California (the ones "ccpa" applies to); otherwise every
    requester is counted, as a business that treats everyone alike may report. Restriction and objection
    are not CCPA rights and are not counted. Two queries: the counts grouped by kind, then the answered
    cases' two dates for the medians.
    """
    cases = ccpa_cases(queryset, year, california_only=california_only)
    counts = {
        row["kind"]: row
        for row in cases.values("kind").annotate(
            received=Count("pk"),
            complied=Count("pk", filter=Q(status=Status.COMPLETED)),
            denied=Count("pk", filter=Q(status=Status.DENIED)),
            unverifiable=Count(
                "pk",
                filter=Q(status=Status.EXPIRED)
                | Q(status=Status.DENIED, denial_reason=DenialReason.IDENTITY_NOT_VERIFIED),
            ),
            **{
                f"denied_{reason}": Count("pk", filter=Q(status=Status.DENIED, denial_reason=reason))
                for reason in DenialReason.values
            },
        )
    }
    days: dict[str, list[int]] = {kind: [] for kind in CCPA_KINDS}
    answered = cases.filter(status__in=ANSWERED)
    for kind, received_at, closed_at in answered.values_list("kind", "received_at", "closed_at").iterator():
        if closed_at:
            days[kind].append(days_to_answer(received_at, closed_at))
    return [_ccpa_row(category, counts, days) for category in CCPA_CATEGORIES]


def _ccpa_row(
    category: CcpaCategory, counts: dict[str, dict[str, int]], days: dict[str, list[int]]
) -> CcpaRow:
    rows = [counts[kind] for kind in category.kinds if kind in counts]
    answered = [n for kind in category.kinds for n in days[kind]]
    return CcpaRow(
        category=category,
        received=sum(row["received"] for row in rows),
        complied=sum(row["complied"] for row in rows),
        denied=sum(row["denied"] for row in rows),
        unverifiable=sum(row["unverifiable"] for row in rows),
        denied_by_reason={
            reason: sum(row[f"denied_{reason}"] for row in rows) for reason in DenialReason.values
        },
        median_days=median_days(answered),
        mean_days=mean_days(answered),
    )
