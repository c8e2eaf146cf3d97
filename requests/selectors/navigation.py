"""Moving through the queue from the case page: the next case in the queue view staff came from."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from ..models import PrivacyRequest


def next_case(cases: QuerySet[PrivacyRequest], after: PrivacyRequest) -> PrivacyRequest | None:
    """The case after `after` in the queue's order (due date, then id) among `cases`, the queue view with its
    filters; None at its end. `after` need not be in `cases` any more (assigned just now, out of "Unassigned"):
    the next one is still the one after its place."""
    due = after.effective_due_at
    later = Q(effective_due_at__gt=due) | Q(effective_due_at=due, pk__gt=after.pk)
    return cases.filter(later).order_by("effective_due_at", "id").first()
