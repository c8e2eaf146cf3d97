"""A fee quoted for a manifestly unfounded, excessive or repeated request, and the requester's answer."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .. import fee_rules
from ..audit import record_event
from ..lifecycle import Status
from ..models import (
    ActorKind,
    DenialReason,
    FeeReason,
    PrivacyRequest,
)
from .common import TransitionError, _claim, _email_requester
from .rules import _guard
from .triage import _unpause


@transaction.atomic
def quote_fee(
    privacy_request: PrivacyRequest,
    *,
    by: AbstractBaseUser,
    amount: Decimal,
    currency: str,
    reason: str,
    breakdown: list[tuple[str, Decimal]],
) -> PrivacyRequest:
    """Ask a fee for an excessive, repetitive or manifestly unfounded request, with a cost estimate.

    Nothing more is done until the requester accepts; the clock stops where the regime allows (UK GDPR
    Art. 12A). The estimate's lines must add up to the amount.
    """
    if reason not in FeeReason.values:
        raise ValidationError({"reason": _("Choose why a fee is justified.")})
    if amount <= 0:
        raise ValidationError({"amount": _("The fee must be more than zero.")})
    currency = (currency or "").strip().upper()
    if len(currency) != 3 or not currency.isalpha():
        raise ValidationError({"currency": _("Give the currency as a three-letter code, e.g. EUR.")})
    lines = [(item.strip(), Decimal(cost)) for item, cost in breakdown if item.strip()]
    if not lines:
        raise ValidationError({"breakdown": _("Break the fee down into what it pays for.")})
    total = sum((cost for _item, cost in lines), Decimal(0))
    if total != amount:
        raise ValidationError(
            {"breakdown": _("The lines of the estimate add up to %(sum)s, not %(amount)s.")
             % {"sum": total, "amount": amount}}
        )  # fmt: skip
    rule = _guard(privacy_request, "fee")  # refuses a requester no law lets us charge at all
    if reason not in fee_rules.allowed_grounds(privacy_request.regimes):
        raise ValidationError(
            {"reason": _("The law does not allow a fee on this ground here (%(law)s).")
             % {"law": fee_rules.forbidding(privacy_request.regimes, reason)}}
        )  # fmt: skip
    now = timezone.now()
    old = _claim(
        privacy_request,
        allowed=rule.statuses,
        to=Status.FEE_PENDING,
        fee_amount=amount,
        fee_currency=currency,
        fee_reason=reason,
        fee_breakdown=[{"item": item, "amount": str(cost)} for item, cost in lines],
        fee_quoted_at=now,
        fee_accepted=None,
        paused_at=now,
        resume_status=privacy_request.status,
    )
    record_event(
        privacy_request,
        "fee_quoted",
        by=by,
        old_status=old,
        new_status=Status.FEE_PENDING,
        data={"amount": str(amount), "currency": currency, "reason": reason},
    )
    _email_requester(privacy_request, "fee-quoted")
    return privacy_request


@transaction.atomic
def accept_fee(privacy_request: PrivacyRequest) -> PrivacyRequest:
    """The requester accepts the quoted fee: the case carries on where it was, the clock restarts."""
    if privacy_request.status != Status.FEE_PENDING or privacy_request.paused_at is None:
        raise TransitionError(_("There is no fee waiting for your decision."))
    to = Status(privacy_request.resume_status or Status.OPEN)
    days, changes = _unpause(privacy_request)
    old = _claim(privacy_request, allowed={Status.FEE_PENDING}, to=to, fee_accepted=True, **changes)
    record_event(
        privacy_request,
        "fee_accepted",
        actor_kind=ActorKind.REQUESTER,
        old_status=old,
        new_status=to,
        data={"paused_days": days, "due": privacy_request.effective_due_at.isoformat()},
    )
    return privacy_request


@transaction.atomic
def decline_fee(privacy_request: PrivacyRequest) -> PrivacyRequest:
    """The requester declines the fee: we do not act on the request, and say so in a letter."""
    with translation.override(privacy_request.language):  # the note goes into their letter
        note = _("You declined the fee we quoted, so we have not acted on this request.")
    old = _claim(
        privacy_request,
        allowed={Status.FEE_PENDING},
        to=Status.DENIED,
        fee_accepted=False,
        denial_reason=DenialReason.FEE_DECLINED,
        outcome_note=note,
    )
    record_event(
        privacy_request,
        "fee_declined",
        actor_kind=ActorKind.REQUESTER,
        old_status=old,
        new_status=Status.DENIED,
    )
    _email_requester(privacy_request, "fee-declined")
    return privacy_request
