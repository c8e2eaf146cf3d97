"""How a case ends: completed, denied or withdrawn."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..audit import record_event
from ..lifecycle import Status
from ..models import (
    ActorKind,
    DenialReason,
    Outcome,
    Packet,
    PacketStatus,
    PrivacyRequest,
)
from .common import _claim, _email_requester, _require_text
from .rules import PACKET_KINDS, _guard


@transaction.atomic
def complete(
    privacy_request: PrivacyRequest, *, by: AbstractBaseUser, outcome: str, note: str = ""
) -> PrivacyRequest:
    """Close the case as done (in full or in part) or as holding no data."""
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": _("Choose how the request was answered.")})
    rule = _guard(privacy_request, "complete")
    if (
        privacy_request.kind in PACKET_KINDS
        and outcome != Outcome.NO_DATA
        and not Packet.objects.filter(privacy_request=privacy_request, status=PacketStatus.RELEASED).exists()
    ):
        # The completion letter tells the requester to download their data: it must be there.
        raise ValidationError({"outcome": _("Build and release the packet first: the answer points to it.")})
    old = _claim(
        privacy_request,
        allowed=rule.statuses,
        to=Status.COMPLETED,
        outcome=outcome,
        outcome_note=(note or "").strip(),
    )
    record_event(
        privacy_request,
        "completed",
        by=by,
        old_status=old,
        new_status=Status.COMPLETED,
        data={"outcome": outcome},
    )
    _email_requester(privacy_request, "request-completed")
    return privacy_request


@transaction.atomic
def deny(
    privacy_request: PrivacyRequest,
    *,
    by: AbstractBaseUser | None,
    reason: str,
    explanation: str,
    letter: str = "request-denied",
) -> PrivacyRequest:
    """Refuse the request with a reason; the letter tells the requester they may complain."""
    if reason not in DenialReason.values:
        raise ValidationError({"reason": _("Choose the reason for refusing.")})
    if reason == DenialReason.MANIFESTLY_UNFOUNDED and "ru_152fz" in privacy_request.regimes:
        # Art. 20(2): a refusal cites Art. 14(8) or another federal law; "manifestly unfounded" is neither.
        raise ValidationError(
            {
                "reason": _(
                    "Federal Law 152-FZ has no ground for refusing a request as manifestly unfounded. Refuse "
                    "under Article 14(8) or another federal law (a legal exemption, naming the provision in the "
                    "explanation), or as a repeated request (excessive)."
                )
            }
        )
    explanation = _require_text(
        explanation, "explanation", _("Explain the refusal: the requester receives this explanation.")
    )
    rule = _guard(privacy_request, "deny")
    old = _claim(
        privacy_request,
        allowed=rule.statuses,
        to=Status.DENIED,
        denial_reason=reason,
        outcome_note=explanation,
    )
    record_event(
        privacy_request, "denied", by=by, old_status=old, new_status=Status.DENIED, data={"reason": reason}
    )
    _email_requester(privacy_request, letter)
    return privacy_request


@transaction.atomic
def withdraw(
    privacy_request: PrivacyRequest, *, by: AbstractBaseUser | None = None, note: str = ""
) -> PrivacyRequest:
    """The requester withdraws (by=None), or staff record that they did."""
    rule = _guard(privacy_request, "withdraw")
    old = _claim(
        privacy_request, allowed=rule.statuses, to=Status.WITHDRAWN, outcome_note=(note or "").strip()
    )
    record_event(
        privacy_request,
        "withdrawn",
        by=by,
        actor_kind=None if by else ActorKind.REQUESTER,
        old_status=old,
        new_status=Status.WITHDRAWN,
    )
    _email_requester(privacy_request, "request-withdrawn")
    return privacy_request


@transaction.atomic
def lift_restriction(privacy_request: PrivacyRequest, *, by: AbstractBaseUser, reason: str) -> PrivacyRequest:
    """Art. 18(3): lift a restriction, telling the requester first, and why.

    The email goes now; the systems whose connector restricted the data are unrestricted only once it has been
    sent (`notify.email_requester` starts them), and the case page lists the systems restricted by hand.
    """
    reason = _require_text(reason, "reason", _("Say why the restriction is lifted: the requester is told."))
    rule = _guard(privacy_request, "lift")
    _claim(
        privacy_request,
        allowed=rule.statuses,
        conditions={"restriction_lifted_at__isnull": True},
        restriction_lifted_at=timezone.now(),
        restriction_lift_reason=reason,
    )
    record_event(privacy_request, "restriction_lifted", by=by)
    _email_requester(privacy_request, "restriction-lifted")
    return privacy_request
