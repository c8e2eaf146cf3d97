"""Requests that need no proof of identity (an opt-out, a limit on sensitive data, an objection to direct
marketing) are carried out, not only recorded (issue 18; CCPA §7026(f), GDPR Art. 21(3), PECR reg. 22).

`intake.honour` opens such a case at once and starts the work in every system (connectors, owner tasks); each
finished run and answered task calls `complete_if_carried_out`, which closes the case when nothing is pending,
and only then is the requester told that it is done, and where.
"""

from __future__ import annotations

from django.db import transaction

from identity.tiers import Tier

from ..audit import record_event
from ..lifecycle import Status
from ..models import (
    ActorKind,
    ConnectorAction,
    ConnectorRun,
    Outcome,
    OwnerTask,
    PrivacyRequest,
    RunStatus,
    ThirdPartyNotice,
)
from ..models.owner_tasks import OwnerTaskStatus
from ..selectors import HOLDS_DATA, verification_tier
from . import third_parties
from .common import TransitionError, _claim, _email_requester

# A run in one of these is still to be done (a failed one waits for staff: a retry, or the work by hand).
PENDING_RUNS = frozenset({RunStatus.QUEUED, RunStatus.RUNNING, RunStatus.AWAITING_APPROVAL, RunStatus.FAILED})


def holds_data(privacy_request: PrivacyRequest) -> bool:
    """Whether any system's check found the person's data (whatever was then done to it)."""
    return privacy_request.system_checks.filter(state__in=HOLDS_DATA).exists()


def pending(privacy_request: PrivacyRequest) -> bool:
    """Whether any system still has the work to do, or a third party is still to be told."""
    return (
        ConnectorRun.objects.filter(privacy_request=privacy_request, status__in=PENDING_RUNS)
        .exclude(action=ConnectorAction.COMPARE)  # checking identity is not the work the request asks for
        .exists()
        or OwnerTask.objects.filter(privacy_request=privacy_request, status=OwnerTaskStatus.OPEN).exists()
        or ThirdPartyNotice.objects.filter(privacy_request=privacy_request, sent_at=None).exists()
    )


@transaction.atomic
def complete_if_carried_out(privacy_request: PrivacyRequest) -> bool:
    """Close a no-proof request once every system has done its part; True when this call closed it."""
    privacy_request.refresh_from_db()
    if verification_tier(privacy_request) is not Tier.NONE or privacy_request.status != Status.IN_PROGRESS:
        return False
    if pending(privacy_request):
        return False
    # Every system has answered and one held the person: what we hold is what we passed on, so now the third
    # parties are told (each sent notice calls this again). A stranger's opt-out for an address we do not hold
    # discloses nothing to anyone.
    # Checked again after telling: a second worker finishing at the same moment finds the first one's notices
    # (made, not yet sent) and leaves the case open for them.
    if not privacy_request.third_party_notices.exists() and holds_data(privacy_request):
        third_parties.tell(privacy_request)
        if pending(privacy_request):
            return False
    could_not = OwnerTask.objects.filter(
        privacy_request=privacy_request, status=OwnerTaskStatus.COULD_NOT
    ).exists()
    outcome = Outcome.PARTIALLY_FULFILLED if could_not else Outcome.FULFILLED
    try:
        old = _claim(privacy_request, allowed={Status.IN_PROGRESS}, to=Status.COMPLETED, outcome=outcome)
    except TransitionError:
        return False  # another worker closed it first
    systems = sorted(
        {*privacy_request.connector_runs.values_list("system_id", flat=True),
         *privacy_request.owner_tasks.values_list("system_id", flat=True)}
    )  # fmt: skip
    record_event(
        privacy_request,
        "carried_out",
        actor_kind=ActorKind.SYSTEM,
        old_status=old,
        new_status=Status.COMPLETED,
        data={
            "systems": systems,
            "third_parties": sorted(
                privacy_request.third_party_notices.exclude(third_party=None).values_list(
                    "third_party_id", flat=True
                )
            ),
            "outcome": outcome,
        },
    )
    _email_requester(privacy_request, "request-honoured")
    return True


def tell_third_party(notice_id: int) -> None:
    """Send one third party's notice (the `send_third_party_notice` task); the case may then be done."""
    privacy_request = third_parties.send_notice(notice_id)
    if privacy_request is not None:
        complete_if_carried_out(privacy_request)
