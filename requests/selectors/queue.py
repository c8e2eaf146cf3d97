"""The one staff queue (DESIGN §8): which cases a member of staff sees, filtered the same way in the admin and the API.

What each of the queue's filters means, defined once. The API list calls `queue()`; the admin list scopes its
cases with `cases_for` (its queryset also serves the case page, where no filter applies) and each of its list
filters calls the function below for its criterion, so "overdue" or "mine" cannot drift apart between the two.
Each criterion stays a plain condition on the case's own columns, which the indexes (partial ones on open cases)
serve: bench/bench_queue.py checks the plans at 1,000,000 cases (DESIGN §12).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db import connections
from django.db.models import Exists, OuterRef, Q, QuerySet

from privacyportal.addresses import normalise_email

from ..lifecycle import OPEN_STATUSES, WORKING_STATUSES
from ..models import OwnerTask, OwnerTaskStatus, PrivacyRequest, SavedView
from .clock import local_today, regime_objects, us_state_of

REFERENCE = re.compile(r"PR-[0-9]{4}-[0-9]{6,}")


# Names and free text are matched from three characters: the trigram indexes (migration 0021) cannot narrow a
# shorter term, which would read every case.
MIN_TEXT_SEARCH = 3


def searchable(term: str) -> bool:
    """Whether `search` looks for this term at all: a shorter name or text matches nothing."""
    term = " ".join(term.split())
    return "@" in term or REFERENCE.fullmatch(term.upper()) is not None or len(term) >= MIN_TEXT_SEARCH


def search(cases: QuerySet[PrivacyRequest], term: str) -> QuerySet[PrivacyRequest]:
    """The staff search (admin queue and API alike).

    A reference when it is one; an address (anything with an "@", even "pr-office@…") exactly on its normalised
    form, never the database's case folding; anything else in the requester's or the data subject's name and in
    what they asked, ignoring case (PostgreSQL: GIN trigram indexes on UPPER(...), which serve `icontains`).
    """
    term = " ".join(term.split())
    if REFERENCE.fullmatch(term.upper()):
        return cases.filter(reference=term.upper())
    if "@" in term:
        return cases.filter(email_key=normalise_email(term))
    if not searchable(term):
        return cases.none()
    spellings = {term}
    if connections[cases.db].vendor == "sqlite" and not term.isascii():
        # The embedded run's SQLite folds the case of ASCII letters only: "иван" would miss "Иван". Try the ways a
        # name or a sentence is written instead (PostgreSQL folds every letter itself).
        spellings |= {term.lower(), term.upper(), term.capitalize(), term.title()}
    found = Q()
    for spelling in spellings:
        found |= (
            Q(requester_name__icontains=spelling)
            | Q(subject_name__icontains=spelling)
            | Q(details__icontains=spelling)
        )
    return cases.filter(found)


def clock_stopped(privacy_request: PrivacyRequest) -> bool:
    """Paused, and the governing regime lets the waiting push its due date out: the days left stand still.

    A paused case under a law whose clock never stops (the CCPA) keeps counting down while we wait.
    """
    if privacy_request.paused_at is None:
        return False
    regimes = regime_objects(privacy_request.regimes, state=us_state_of(privacy_request))
    return any(r.pausable for r in regimes if r.code == privacy_request.governing_regime)


def saved_views_of(user: Any) -> QuerySet[SavedView]:
    """The views a member of staff saved for themselves (nobody sees another's)."""
    return SavedView.objects.filter(owner=user).order_by("name", "pk")


def cases_for(user: Any, queryset: QuerySet[PrivacyRequest] | None = None) -> QuerySet[PrivacyRequest]:
    """The cases a member of staff may see (DESIGN §8): all of them with `view_all_cases`, otherwise the
    unassigned queue and their own. The admin, the dashboard, file downloads and the API all use this."""
    cases = PrivacyRequest.objects.all() if queryset is None else queryset
    if not (getattr(user, "is_staff", False) and user.has_perm("requests.view_privacyrequest")):
        return cases.none()
    if user.has_perm("requests.view_all_cases"):
        return cases
    return cases.filter(Q(assignee=user) | Q(assignee__isnull=True))


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
    owner_tasks_open: bool | None = None  # True: a system's owner still has a task to answer; False: none
    search: str = ""  # a reference, an email address, a name or words from what was asked


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
    if filters.owner_tasks_open is not None:
        cases = with_open_owner_tasks(cases, filters.owner_tasks_open)
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


def with_open_owner_tasks(cases: QuerySet[PrivacyRequest], is_open: bool = True) -> QuerySet[PrivacyRequest]:
    """Cases where a system's owner still has a task to answer (the partial index owner_task_open), or none."""
    waiting = OwnerTask.objects.filter(privacy_request=OuterRef("pk"), status=OwnerTaskStatus.OPEN)
    return cases.filter(Exists(waiting) if is_open else ~Exists(waiting))


def written_after_closing(
    cases: QuerySet[PrivacyRequest], is_written: bool = True
) -> QuerySet[PrivacyRequest]:
    """Closed cases the requester wrote on since, not yet answered by staff (services/thread.py)."""
    return cases.filter(written_after_closing_at__isnull=not is_written)


def effective_due_by(day: date) -> QuerySet[PrivacyRequest]:
    """Open, verified cases whose effective due date is on or before `day` (two index-backed branches)."""
    working = sorted(s.value for s in WORKING_STATUSES)
    return PrivacyRequest.objects.filter(status__in=working, effective_due_at__lte=day)
