"""Moving a case along its clock: assign, pause and resume, extend, forward, expire."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from identity.tiers import Tier
from privacyportal import outbox

from ..audit import record_event
from ..lifecycle import Status
from ..models import (
    ActorKind,
    PrivacyRequest,
)
from ..selectors import deadlines_of, local_date, local_today, verification_tier
from .common import (
    SEND_STAFF_NOTICE,
    TransitionError,
    _cancel_owner_tasks,
    _claim,
    _deadline_fields,
    _email_requester,
    _require_text,
    _staff_message,
)
from .rules import _guard


@transaction.atomic
def assign(privacy_request: PrivacyRequest, *, to: AbstractBaseUser, by: AbstractBaseUser) -> PrivacyRequest:
    """Give the case to a staff member; an open case starts being worked on."""
    if not (getattr(to, "is_staff", False) and to.is_active):
        raise ValidationError({"assignee": _("Cases can only be assigned to active staff.")})
    rule = _guard(privacy_request, "assign")
    if privacy_request.assignee_id == to.pk:
        raise TransitionError(
            _("%(reference)s is already assigned to %(name)s.")
            % {"reference": privacy_request.reference, "name": to.get_username()}
        )
    target = Status.IN_PROGRESS if privacy_request.status == Status.OPEN else None
    # The condition on the assignee makes a double click (or two DPOs at once) record one assignment.
    old = _claim(
        privacy_request,
        allowed=rule.statuses,
        to=target,
        conditions={"assignee": privacy_request.assignee_id},
        assignee=to,
    )
    record_event(
        privacy_request,
        "assigned",
        by=by,
        old_status=old,
        new_status=privacy_request.status,
        data={"assignee": to.pk},
    )
    if to.pk != by.pk:
        outbox.enqueue(SEND_STAFF_NOTICE, privacy_request.pk, "assigned")
    return privacy_request


@transaction.atomic
def pause(
    privacy_request: PrivacyRequest, *, by: AbstractBaseUser, reason: str, doubt: bool = False
) -> PrivacyRequest:
    """Wait for the requester (identity, clarification). The clock stops only where the regime allows.

    `doubt`: staff have a reasonable doubt about who asks (GDPR Art. 12(6)) on a case that needed only the
    confirmed email. The case then needs two matching details (identity/tiers.py): it goes back to the identity
    check when the requester answers, and until then nobody acts on it (the system owners' open tasks stop; they
    are sent again once identity is verified).
    """
    reason = _require_text(reason, "reason", _("Say what you need from the requester."))
    rule = _guard(privacy_request, "pause")
    now = timezone.now()
    changes: dict[str, Any] = {"paused_at": now, "resume_status": privacy_request.status}
    if doubt:
        tier = verification_tier(privacy_request)
        if tier is not Tier.EMAIL:
            raise ValidationError({"doubt": _doubt_refused(tier)})
        changes.update(
            resume_status=Status.VERIFYING, identity_doubt_at=now, identity_verified_at=None, identity_tier=""
        )
    old = _claim(privacy_request, allowed=rule.statuses, to=Status.AWAITING_REQUESTER, **changes)
    # The reason goes to the requester in a message; the event keeps no free text, only that a doubt was raised.
    message = _staff_message(privacy_request, by=by, body=reason)
    data: dict[str, Any] = {"message": message.pk}
    if doubt:
        data.update(doubt=True, tasks_cancelled=_cancel_owner_tasks(privacy_request, now))
    record_event(
        privacy_request,
        "paused",
        by=by,
        old_status=old,
        new_status=Status.AWAITING_REQUESTER,
        data=data,
    )
    _email_requester(privacy_request, "new-message")
    return privacy_request


def _doubt_refused(tier: Tier) -> str:
    if tier is Tier.NONE:
        return _("This request needs no proof of identity: the law says to act on it without one.")
    return _("This request already needs matching details: ask for them without recording a doubt.")


def _unpause(privacy_request: PrivacyRequest) -> tuple[int, dict[str, Any]]:
    """The days this pause lasted, and the fields that restart the clock with them counted."""
    paused_at = privacy_request.paused_at or timezone.now()
    days = max(0, (local_today() - local_date(paused_at)).days)
    paused_days = privacy_request.paused_days + days
    return days, {
        "paused_days": paused_days,
        "paused_at": None,
        "resume_status": "",
        **_deadline_fields(deadlines_of(privacy_request, paused_days=paused_days)),
    }


@transaction.atomic
def resume(privacy_request: PrivacyRequest, *, by: AbstractBaseUser | None = None) -> PrivacyRequest:
    """The requester answered (or staff resume): restart the clock and return to where the case was."""
    rule = _guard(privacy_request, "resume")
    to = Status(privacy_request.resume_status or Status.OPEN)
    days, changes = _unpause(privacy_request)
    old = _claim(privacy_request, allowed=rule.statuses, to=to, **changes)
    record_event(
        privacy_request,
        "resumed",
        by=by,
        actor_kind=None if by else ActorKind.REQUESTER,
        old_status=old,
        new_status=to,
        data={"paused_days": days, "due": privacy_request.effective_due_at.isoformat()},
    )
    return privacy_request


@transaction.atomic
def extend(privacy_request: PrivacyRequest, *, by: AbstractBaseUser, reason: str) -> PrivacyRequest:
    """Extend the deadline once, within the original period, with a written reason for the requester."""
    reason = _require_text(reason, "reason", _("An extension needs a written reason for the requester."))
    rule = _guard(privacy_request, "extend")
    d = deadlines_of(privacy_request, extended=True)
    # The row must still be unextended and in time when claimed: two DPOs at once extend it once.
    old = _claim(
        privacy_request,
        allowed=rule.statuses,
        conditions={"extended": False, "due_at__gte": local_today()},
        extended=True,
        extension_reason=reason,
        **_deadline_fields(d),
    )
    record_event(
        privacy_request,
        "extended",
        by=by,
        old_status=old,
        new_status=old,
        data={"due": d.due.isoformat(), "extended_due": d.extended_due.isoformat(), "governing": d.governing},
    )
    _email_requester(privacy_request, "request-extended")
    return privacy_request


@transaction.atomic
def forward(privacy_request: PrivacyRequest, *, by: AbstractBaseUser, controller: str) -> PrivacyRequest:
    """Send a request about a customer's data to that customer (the controller); we are its processor."""
    controller = _require_text(controller, "controller", _("Name the controller the request goes to."))
    rule = _guard(privacy_request, "forward")
    old = _claim(privacy_request, allowed=rule.statuses, to=Status.FORWARDED, forwarded_to=controller)
    record_event(privacy_request, "forwarded", by=by, old_status=old, new_status=Status.FORWARDED)
    _email_requester(privacy_request, "request-forwarded")
    return privacy_request


@transaction.atomic
def expire(privacy_request: PrivacyRequest) -> PrivacyRequest:
    """Close a request whose email was never confirmed."""
    old = _claim(privacy_request, allowed={Status.NEW}, to=Status.EXPIRED)
    record_event(privacy_request, "expired", old_status=old, new_status=Status.EXPIRED)
    return privacy_request
