"""Appeals and complaints: which a case allows, by when, and what follows a case (docs/deadlines.md)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext

from .. import deadlines
from ..deadlines import StateAppeal
from ..lifecycle import OPEN_STATUSES, Status
from ..models import RIGHTS, Kind, Outcome, PrivacyRequest
from .clock import local_date, us_state_of

# A follow-up that ended so will not stop another: the requester withdrew it, or never confirmed it.
_LAPSED = [Status.WITHDRAWN, Status.EXPIRED]


@dataclass(frozen=True)
class AppealTerms:
    """How the requester may appeal a case's answer: under which state's law, and by which day."""

    rule: StateAppeal
    by: date  # the last day the status page takes the appeal


def refused(privacy_request: PrivacyRequest) -> bool:
    """Refused in whole (denied) or in part (done in part): what a US state law lets the consumer appeal."""
    return privacy_request.status == Status.DENIED or (
        privacy_request.status == Status.COMPLETED and privacy_request.outcome == Outcome.PARTIALLY_FULFILLED
    )


def appeal_rule(privacy_request: PrivacyRequest) -> StateAppeal | None:
    """The appeal the requester's state law gives, if they are under one that has it.

    The CCPA has none (a Californian is pointed to the CPPA and the Attorney General instead), nor has Utah's Act.
    """
    if privacy_request.kind not in RIGHTS or "us_state" not in privacy_request.regimes:
        return None
    rule = deadlines.state_appeal(us_state_of(privacy_request))
    # The state's and its authority's names in the active language (a Russian letter to a Virginian).
    return replace(rule, state=gettext(rule.state), authority=gettext(rule.authority)) if rule else None


def appeal_terms(privacy_request: PrivacyRequest) -> AppealTerms | None:
    """What the letter answering a refusal says of appealing it, or None where the requester may not appeal.

    The laws give "a reasonable period of time after the consumer's receipt of the decision" and no number:
    PRIVACY_APPEAL_WINDOW_DAYS from the day the answer was sent.
    """
    rule = appeal_rule(privacy_request)
    if rule is None or not refused(privacy_request) or privacy_request.closed_at is None:
        return None
    sent = local_date(privacy_request.closed_at)
    return AppealTerms(rule, sent + timedelta(days=settings.PRIVACY_APPEAL_WINDOW_DAYS))


def appeals_of(privacy_request: PrivacyRequest) -> QuerySet[PrivacyRequest]:
    """The appeals made against the case that still stand (not withdrawn, not lapsed)."""
    return privacy_request.follow_ups.filter(kind=Kind.APPEAL).exclude(status__in=_LAPSED)


def open_complaints(privacy_request: PrivacyRequest) -> QuerySet[PrivacyRequest]:
    return privacy_request.follow_ups.filter(
        kind=Kind.COMPLAINT, status__in=sorted(s.value for s in OPEN_STATUSES)
    )


def may_appeal(privacy_request: PrivacyRequest, *, today: date) -> AppealTerms | None:
    """The appeal the status page offers now: the terms, while the time to appeal runs and none was made yet."""
    terms = appeal_terms(privacy_request)
    if terms is None or today > terms.by or privacy_request.anonymised_at is not None:
        return None
    return None if appeals_of(privacy_request).exists() else terms


def under_uk_complaints(privacy_request: PrivacyRequest) -> bool:
    """A request under UK GDPR: DPA 2018 s. 164A lets its requester complain to us of how it was handled."""
    return privacy_request.kind in RIGHTS and "uk_gdpr" in privacy_request.regimes


def may_complain(privacy_request: PrivacyRequest) -> bool:
    """The status page offers a complaint: a UK request, not anonymised, with no complaint about it still open."""
    return (
        under_uk_complaints(privacy_request)
        and privacy_request.anonymised_at is None
        and not open_complaints(privacy_request).exists()
    )


def follow_up_context(privacy_request: PrivacyRequest) -> dict[str, Any]:
    """What letters and emails say of appeals and complaints: how to appeal this answer; for an appeal or a
    complaint, the case it is about, the state's authority, and the request a granted appeal reopened."""
    original = privacy_request.original
    is_appeal = privacy_request.kind == Kind.APPEAL
    return {
        "appeal": appeal_terms(privacy_request),
        "original": original,
        "state_appeal": appeal_rule(original) if is_appeal and original is not None else None,
        "reopened": privacy_request.follow_ups.order_by("pk").first() if is_appeal else None,
    }
