"""The life of a case and of its packet: a status set and a transition table each (DESIGN §4). Pure data."""

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
# The requester confirmed their email: staff work on the case (reminders, the overdue list, most actions).
WORKING_STATUSES: frozenset[Status] = OPEN_STATUSES - {S.NEW}
# The clock is stopped here where the regime allows it.
PAUSED_STATUSES: frozenset[Status] = frozenset({S.AWAITING_REQUESTER, S.FEE_PENDING})


def can_transition(old: str, new: str) -> bool:
    return Status(new) in TRANSITIONS[Status(old)]


class PacketStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    BUILDING = "building", _("Building")
    READY = "ready", _("Ready for release")
    FAILED = "failed", _("Failed")
    RELEASED = "released", _("Released to the requester")
    EXPIRED = "expired", _("Expired and deleted")


P = PacketStatus
# Staff queue a build; the pdf worker builds it (a redelivered task carries on building); a DPO releases what is
# ready; the purge deletes it. Queued again at any point before release: the newer build supersedes the running
# one. Released is final until the download expires; an expired packet may be built again from scratch.
PACKET_TRANSITIONS: dict[PacketStatus, frozenset[PacketStatus]] = {
    P.QUEUED: frozenset({P.QUEUED, P.BUILDING, P.EXPIRED}),
    P.BUILDING: frozenset({P.QUEUED, P.BUILDING, P.READY, P.FAILED, P.EXPIRED}),
    P.READY: frozenset({P.QUEUED, P.RELEASED, P.EXPIRED}),
    P.FAILED: frozenset({P.QUEUED, P.EXPIRED}),
    P.RELEASED: frozenset({P.EXPIRED}),
    P.EXPIRED: frozenset({P.QUEUED}),
}


def packet_sources(target: PacketStatus) -> list[str]:
    """The statuses a packet may move to `target` from: the `status__in` of every conditional UPDATE that moves it."""
    return sorted(s.value for s, targets in PACKET_TRANSITIONS.items() if target in targets)
