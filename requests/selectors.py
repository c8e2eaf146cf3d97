"""Reads shared by services, views, admin and API: how a stored case maps onto the deadline engine."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from identity.tiers import Tier, tier_for
from privacyportal.addresses import normalise_email

from . import deadlines
from .deadlines import Deadlines, Regime
from .lifecycle import OPEN_STATUSES, WORKING_STATUSES
from .models import Notice, PrivacyRequest, ProcessingActivity, RequestEvent, StaffPreference


def operator_zone() -> ZoneInfo:
    return ZoneInfo(settings.PRIVACY_OPERATOR_TIMEZONE)


def local_date(moment: datetime) -> date:
    """The calendar date of `moment` where the operator works: legal clocks count the operator's days."""
    return moment.astimezone(operator_zone()).date()


def local_today() -> date:
    return local_date(timezone.now())


def regime_objects(codes: list[str]) -> list[Regime]:
    """The stored regime codes as regimes, with the operator's configuration applied."""
    result = []
    for code in codes:
        if code == deadlines.POLICY:
            result.append(
                deadlines.policy(
                    days=settings.PRIVACY_POLICY_DAYS,
                    extended_days=settings.PRIVACY_POLICY_EXTENDED_DAYS or None,
                    pausable=settings.PRIVACY_POLICY_PAUSABLE,
                )
            )
        elif code == "eu_gdpr" and settings.PRIVACY_EU_HOLIDAY_COUNTRY:
            result.append(deadlines.resolve(code).with_calendar(settings.PRIVACY_EU_HOLIDAY_COUNTRY))
        else:
            result.append(deadlines.resolve(code))
    return result


def deadlines_of(
    privacy_request: PrivacyRequest, *, paused_days: int | None = None, extended: bool | None = None
) -> Deadlines:
    """The case's deadlines as the engine computes them (optionally with other pause/extension values)."""
    return deadlines.compute(
        regime_objects(privacy_request.regimes),
        local_date(privacy_request.received_at),
        paused_days=privacy_request.paused_days if paused_days is None else paused_days,
        extended=privacy_request.extended if extended is None else extended,
    )


REFERENCE = re.compile(r"PR-[0-9]{4}-[0-9]{6,}")


def search(cases: QuerySet[PrivacyRequest], term: str) -> QuerySet[PrivacyRequest]:
    """The staff search (admin queue and API alike): a reference when it is one; anything else (even
    "pr-office@…") is an email address, matched exactly on its normalised form."""
    term = term.strip()
    if REFERENCE.fullmatch(term.upper()):
        return cases.filter(reference=term.upper())
    return cases.filter(email_key=normalise_email(term))


def cases_of(email: str) -> QuerySet[PrivacyRequest]:
    """Every case a requester (by proved email address) may see on the status page, newest first."""
    return PrivacyRequest.objects.filter(email_key=normalise_email(email)).order_by("-received_at", "-id")


PUBLIC_VERBS = {
    "submitted", "email_confirmed", "honoured", "identity_verified", "assigned", "paused", "resumed",
    "extended", "completed", "denied", "withdrawn", "forwarded", "expired", "evidence_added", "message_received",
    "message_sent", "fee_quoted", "fee_accepted", "fee_declined", "packet_released", "packet_downloaded",
    "packet_purged",
}  # fmt: skip


def public_timeline(privacy_request: PrivacyRequest) -> QuerySet[RequestEvent]:
    """What the requester may see of the case's history (not who on staff looked at what)."""
    return privacy_request.events.filter(verb__in=PUBLIC_VERBS).order_by("seq")


# What a system's check says was done to the data there (the Art. 19 notices follow from these).
HOLDS_DATA = ("data_found", "exported", "erased", "rectified", "restricted")


def recipients_to_notify(privacy_request: PrivacyRequest) -> list[str]:
    """Art. 19: the recipients, by name, of data from the systems where this person's data was found."""

    activities = ProcessingActivity.objects.filter(
        systems__checks__request=privacy_request, systems__checks__state__in=HOLDS_DATA
    ).distinct()
    return sorted({name for activity in activities for name in activity.recipient_names})


def cases_for(user: Any, queryset: QuerySet[PrivacyRequest] | None = None) -> QuerySet[PrivacyRequest]:
    """The cases a member of staff may see (DESIGN §8): all of them with `view_all_cases`, otherwise the
    unassigned queue and their own. The admin, the dashboard, file downloads and the API all use this."""
    cases = PrivacyRequest.objects.all() if queryset is None else queryset
    if not (getattr(user, "is_staff", False) and user.has_perm("requests.view_privacyrequest")):
        return cases.none()
    if user.has_perm("requests.view_all_cases"):
        return cases
    return cases.filter(Q(assignee=user) | Q(assignee__isnull=True))


# --- The staff queue ------------------------------------------------------------------------------------------
#
# What each of the queue's filters means, defined once. The API list calls `queue()`; the admin list scopes its
# cases with `cases_for` (its queryset also serves the case page, where no filter applies) and each of its list
# filters calls the function below for its criterion, so "overdue" or "mine" cannot drift apart between the two.
# Each criterion stays a plain condition on the case's own columns, which the indexes (partial ones on open cases)
# serve: bench/bench_queue.py checks the plans at 1,000,000 cases (DESIGN §12).


# What staff see when they ask for nothing: the cases that still need an answer.
DEFAULT_QUEUE = "open"


@dataclass(frozen=True)
class QueueFilters:
    """What a member of staff asks of the queue; None (or "") leaves that criterion out."""

    queue: str = DEFAULT_QUEUE  # "open", "closed" or "all"
    status: str | None = None
    kind: str | None = None
    regime: str | None = None  # the governing regime
    overdue: bool | None = None  # True: overdue only; False: not overdue
    due_within: int | None = None  # days from today, today's and overdue cases included
    due_before: date | None = None
    assignee: str | int | None = None  # "me", "none" or a user id
    repetitive: bool | None = None
    processor_request: bool | None = None
    search: str = ""  # a reference or a requester's email address


def queue(actor: Any, filters: QueueFilters) -> QuerySet[PrivacyRequest]:
    """The staff queue: the cases `actor` may see, narrowed by `filters` (ordering and paging are the caller's)."""
    cases = in_queue(cases_for(actor), filters.queue)
    if filters.status:
        cases = cases.filter(status=filters.status)
    if filters.kind:
        cases = cases.filter(kind=filters.kind)
    if filters.regime:
        cases = governed_by(cases, filters.regime)
    if filters.overdue is not None:
        cases = overdue(cases, filters.overdue)
    if filters.due_within is not None:
        cases = due_within(cases, filters.due_within)
    if filters.due_before:
        cases = cases.filter(effective_due_at__lt=filters.due_before)
    if filters.assignee:
        cases = assigned(cases, filters.assignee, actor=actor)
    if filters.repetitive is not None:
        cases = cases.filter(repetitive=filters.repetitive)
    if filters.processor_request is not None:
        cases = cases.filter(processor_request=filters.processor_request)
    if filters.search.strip():
        cases = search(cases, filters.search)
    return cases


# Sorted: a stable statement, whatever order the set iterates in (the partial indexes list them sorted too).
OPEN_VALUES = sorted(s.value for s in OPEN_STATUSES)


def in_queue(cases: QuerySet[PrivacyRequest], which: str) -> QuerySet[PrivacyRequest]:
    """Open cases still need an answer, closed ones have had theirs; anything else ("all") means both."""
    if which == "open":
        return cases.filter(status__in=OPEN_VALUES)
    if which == "closed":
        return cases.exclude(status__in=OPEN_VALUES)
    return cases


def governed_by(cases: QuerySet[PrivacyRequest], regime: str) -> QuerySet[PrivacyRequest]:
    """The governing regime (the one whose deadline binds), not any regime the case falls under."""
    return cases.filter(governing_regime=regime)


def overdue(cases: QuerySet[PrivacyRequest], is_overdue: bool = True) -> QuerySet[PrivacyRequest]:
    """Overdue: the due date (extended, if it was) is before today in the operator's calendar; a case due
    today is not overdue yet."""
    return (cases.filter if is_overdue else cases.exclude)(effective_due_at__lt=local_today())


def due_within(cases: QuerySet[PrivacyRequest], days: int) -> QuerySet[PrivacyRequest]:
    """Due by the end of the `days`th day from today: overdue cases are due sooner still, so they count."""
    return cases.filter(effective_due_at__lte=local_today() + timedelta(days=days))


def assigned(cases: QuerySet[PrivacyRequest], who: str | int, *, actor: Any) -> QuerySet[PrivacyRequest]:
    """ "me": the actor's cases; "none": nobody's yet (the unassigned queue); a number: that user's."""
    if who == "me":
        return cases.filter(assignee=actor)
    if who == "none":
        return cases.filter(assignee__isnull=True)
    return cases.filter(assignee_id=int(who))


def effective_due_by(day: date) -> QuerySet[PrivacyRequest]:
    """Open, verified cases whose effective due date is on or before `day` (two index-backed branches)."""
    working = sorted(s.value for s in WORKING_STATUSES)
    return PrivacyRequest.objects.filter(status__in=working, effective_due_at__lte=day)


DIGEST_KINDS = ("due_14", "due_7", "due_2", "due_1", "extension_window")


def digest_notices(user: Any, *, since: datetime, until: datetime) -> list[Notice]:
    """Reminders claimed in [since, until) for this person's cases (and the unassigned ones, for a DPO)."""
    mine = Q(request__assignee=user)
    if user.is_superuser:
        mine |= Q(request__assignee__isnull=True)
    return list(
        Notice.objects.filter(
            mine, kind__in=DIGEST_KINDS, sent=True, created_at__gte=since, created_at__lt=until
        )
        .select_related("request")
        .order_by("request__effective_due_at", "request_id", "kind")
    )


def verification_tier(privacy_request: PrivacyRequest) -> Tier:
    """What proof of identity the case's right needs under its laws (identity/tiers.py)."""
    return tier_for(
        privacy_request.kind, privacy_request.regimes, marketing_only=privacy_request.marketing_only
    )


def staff_language(user: Any) -> str:
    """The language a member of staff reads their emails in (their preference; English if they set none)."""
    language = StaffPreference.objects.filter(user=user).values_list("language", flat=True).first()
    return language or "en"
