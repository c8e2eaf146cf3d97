"""The life of a case: one status set and one transition table (DESIGN §4). Pure data."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    NEW = "new", _("Waiting for email confirmation")
    VERIFYING = "verifying", _("Checking identity")
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    AWAITING_REQUESTER = "awaiting_requester", _("Waiting for the requester")
    FEE_PENDING = "fee_pending", _("Waiting for a fee decision")
    COMPLETED = "completed", _("Completed")
    DENIED = "denied", _("Refused")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    FORWARDED = "forwarded", _("Forwarded to the controller")
    EXPIRED = "expired", _("Expired (email never confirmed)")


S = Status
# Every open state may end as denied, withdrawn or forwarded.
_EXITS = frozenset({S.DENIED, S.WITHDRAWN, S.FORWARDED})

TRANSITIONS: dict[Status, frozenset[Status]] = {
    # Opt-outs and limits are honoured at once: new → completed without verification.
    S.NEW: frozenset({S.VERIFYING, S.OPEN, S.COMPLETED, S.EXPIRED}) | _EXITS,
    S.VERIFYING: frozenset({S.OPEN, S.AWAITING_REQUESTER}) | _EXITS,
    S.OPEN: frozenset({S.IN_PROGRESS, S.AWAITING_REQUESTER, S.FEE_PENDING}) | _EXITS,
    S.IN_PROGRESS: frozenset({S.COMPLETED, S.AWAITING_REQUESTER, S.FEE_PENDING}) | _EXITS,
    # Back to where the case was when it paused (the case remembers it).
    S.AWAITING_REQUESTER: frozenset({S.VERIFYING, S.OPEN, S.IN_PROGRESS}) | _EXITS,
    S.FEE_PENDING: frozenset({S.OPEN, S.IN_PROGRESS}) | _EXITS,
    S.COMPLETED: frozenset(),
    S.DENIED: frozenset(),
    S.WITHDRAWN: frozenset(),
    S.FORWARDED: frozenset(),
    S.EXPIRED: frozenset(),
}

CLOSED_STATUSES: frozenset[Status] = frozenset(s for s, targets in TRANSITIONS.items() if not targets)
OPEN_STATUSES: frozenset[Status] = frozenset(Status) - CLOSED_STATUSES
# The clock is stopped here where the regime allows it.
PAUSED_STATUSES: frozenset[Status] = frozenset({S.AWAITING_REQUESTER, S.FEE_PENDING})


def can_transition(old: str, new: str) -> bool:
    return Status(new) in TRANSITIONS[Status(old)]
