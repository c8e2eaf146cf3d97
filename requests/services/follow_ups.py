"""Appeals and complaints: a requester asks us to think again about a refusal (US state laws), or complains of
how we handled a request (UK, DPA 2018 s. 164A); staff decide. Each is a case that follows the earlier one
(`original`), with deadlines of its own (requests/deadlines.py, `right="appeal"` and `right="complaint"`).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from identity.tiers import Tier

from ..audit import record_event
from ..lifecycle import Status
from ..models import (
    OUTCOMES_OF,
    ActorKind,
    Channel,
    Kind,
    Notice,
    Outcome,
    PrivacyRequest,
)
from ..selectors import deadlines_of, local_date, local_today, may_appeal, verification_tier
from .common import TransitionError, _claim, _deadline_fields, _email_requester, _insert, _require_text
from .intake import _start_work
from .rules import RULES, _guard

# The one law each procedure is under: an appeal's period is the state's; a complaint is acknowledged under UK law
# and answered by the operator's policy (s. 164A(4) says "without undue delay" and sets no date).
REGIMES_OF = {Kind.APPEAL: ["us_state"], Kind.COMPLAINT: ["policy", "uk_gdpr"]}


@transaction.atomic
def appeal(
    original: PrivacyRequest,
    *,
    reasons: str,
    by: AbstractBaseUser | None = None,
    channel: str = Channel.WEB,
    received_at: datetime | None = None,
) -> PrivacyRequest:
    """The requester appeals a refusal, in whole or in part, from the status page (by=None), or staff log an
    appeal that came by email, post or phone. The appeal is a new case; its details are the requester's reasons."""
    reasons = _require_text(reasons, "reasons", _("Say why you think our decision is wrong."))
    _lock(original)
    reason = RULES["log_appeal"].why_not(original)
    if reason is None and by is None and may_appeal(original, today=local_today()) is None:
        # Staff judge whether a letter came in time; the status page takes an appeal only while the time runs.
        reason = _("The time to appeal %(reference)s has ended.") % {"reference": original.reference}
    if reason is not None:
        raise TransitionError(reason)
    return _follow(original, Kind.APPEAL, text=reasons, by=by, channel=channel, received_at=received_at)


@transaction.atomic
def complain(
    original: PrivacyRequest,
    *,
    complaint: str,
    by: AbstractBaseUser | None = None,
    channel: str = Channel.WEB,
    received_at: datetime | None = None,
) -> PrivacyRequest:
    """The requester complains of how we handled a UK request, from its status page (by=None), or staff log a
    complaint that came by email, post or phone. The complaint is acknowledged at once (s. 164A(3))."""
    complaint = _require_text(complaint, "complaint", _("Tell us what your complaint is."))
    _lock(original)
    reason = RULES["log_complaint"].why_not(original)
    if reason is not None:
        raise TransitionError(reason)
    return _follow(original, Kind.COMPLAINT, text=complaint, by=by, channel=channel, received_at=received_at)


def _lock(original: PrivacyRequest) -> None:
    """Hold the original's row until this transaction ends: a double click or a second tab then finds the first
    appeal or complaint made, and is refused, instead of making a second one."""
    PrivacyRequest.objects.select_for_update().filter(pk=original.pk).first()


def _follow(
    original: PrivacyRequest,
    kind: Kind,
    *,
    text: str,
    by: AbstractBaseUser | None,
    channel: str,
    received_at: datetime | None,
) -> PrivacyRequest:
    """Open the appeal or complaint as a case of its own, acknowledge it, and return it."""
    if channel not in Channel.values:
        raise ValidationError({"channel": _("Unknown channel.")})
    now = timezone.now()
    received_at = received_at or now
    if received_at > now:
        raise ValidationError({"received_at": _("The date received cannot be in the future.")})
    if (
        kind == Kind.APPEAL
        and original.closed_at
        and local_date(received_at) < local_date(original.closed_at)
    ):
        raise ValidationError({"received_at": _("An appeal cannot arrive before the answer it appeals.")})
    follow_up = PrivacyRequest(
        reference=f"TMP-{uuid.uuid4().hex[:16]}",
        kind=kind,
        original=original,
        channel=channel,
        received_at=received_at,
        requester_name=original.requester_name,
        requester_email=original.requester_email,
        email_key=original.email_key,
        postal_address=original.postal_address,
        relationship=original.relationship,
        subject_name=original.subject_name,
        subject_email=original.subject_email,
        country=original.country,
        subdivision=original.subdivision,
        language=original.language,
        details=text,
        regimes=REGIMES_OF[kind],
        # The requester of the original case: signed in to its status page with an emailed code, or known to the
        # staff who logged the letter. Nothing more is asked of them (selectors.verification_tier: email).
        email_verified_at=now,
        identity_verified_at=now,
        status=Status.OPEN,
        status_changed_at=now,
    )
    _insert(follow_up)
    record_event(
        follow_up,
        "appeal_received" if kind == Kind.APPEAL else "complaint_received",
        by=by,
        actor_kind=ActorKind.STAFF if by else ActorKind.REQUESTER,
        new_status=Status.OPEN,
        data={
            "kind": kind.value,
            "channel": channel,
            "original": original.reference,
            "regimes": follow_up.regimes,
            "governing": follow_up.governing_regime,
            "due": follow_up.due_at.isoformat(),
        },
    )
    # Acknowledged now, by the email below: the acknowledgements sweep, which catches up on staff-logged cases
    # with an acknowledgement date (a complaint's 30 days), finds it claimed and sends nothing twice.
    Notice.objects.create(privacy_request=follow_up, kind="acknowledged")
    _email_requester(follow_up, "appeal-received" if kind == Kind.APPEAL else "complaint-received")
    return follow_up


@transaction.atomic
def decide(
    privacy_request: PrivacyRequest, *, by: AbstractBaseUser, outcome: str, reasons: str
) -> PrivacyRequest:
    """Decide an appeal (grant it or refuse it) or answer a complaint (upheld or not), with reasons.

    The requester gets a letter; a refused appeal's letter names the state's Attorney General, as every state law
    with an appeal requires. Granting an appeal reverses the refusal: the request is opened again as a new case
    (`reopen`), which the letter names.
    """
    rule = _guard(privacy_request, "decide")
    if outcome not in OUTCOMES_OF[privacy_request.kind]:
        raise ValidationError({"outcome": _("Choose the decision.")})
    reasons = _require_text(
        reasons, "reasons", _("Give the reasons for the decision: the requester receives them in the letter.")
    )
    old = _claim(
        privacy_request, allowed=rule.statuses, to=Status.COMPLETED, outcome=outcome, outcome_note=reasons
    )
    is_appeal = privacy_request.kind == Kind.APPEAL
    record_event(
        privacy_request,
        "appeal_decided" if is_appeal else "complaint_answered",
        by=by,
        old_status=old,
        new_status=Status.COMPLETED,
        data={"outcome": outcome},
    )
    if outcome == Outcome.APPEAL_GRANTED:
        reopen(privacy_request, by=by)
    _email_requester(privacy_request, "appeal-decided" if is_appeal else "complaint-answered")
    return privacy_request


def reopen(appeal: PrivacyRequest, *, by: AbstractBaseUser) -> PrivacyRequest:
    """The granted appeal's request, opened again as a new case that follows the appeal.

    A closed case stays closed (lifecycle.py): the refusal is reversed by acting on the request anew. It counts
    from now, under the original's laws; identity proved on the original stands.
    """
    original = appeal.original
    if original is None:
        raise TransitionError(_("%(reference)s follows no request.") % {"reference": appeal.reference})
    now = timezone.now()
    request = PrivacyRequest(
        reference=f"TMP-{uuid.uuid4().hex[:16]}",
        kind=original.kind,
        original=appeal,
        channel=original.channel,
        received_at=now,
        requester_name=original.requester_name,
        requester_email=original.requester_email,
        email_key=original.email_key,
        postal_address=original.postal_address,
        relationship=original.relationship,
        subject_name=original.subject_name,
        subject_email=original.subject_email,
        subject_answer=original.subject_answer,
        subject_answered_at=original.subject_answered_at,
        country=original.country,
        subdivision=original.subdivision,
        language=original.language,
        details=original.details,
        rectification_current=original.rectification_current,
        rectification_wanted=original.rectification_wanted,
        objection_grounds=original.objection_grounds,
        marketing_only=original.marketing_only,
        period=original.period,
        period_since=original.period_since,
        customer_name=original.customer_name,
        processor_request=original.processor_request,
        data_points=original.data_points,
        declaration_name=original.declaration_name,
        declared_at=original.declared_at,
        regimes=original.regimes,
        email_verified_at=original.email_verified_at or now,
        status_changed_at=now,
    )
    # Identity proved on the original stands; a request that needs no more than the address is open at once
    # (the requester signed in to appeal). Otherwise staff verify it first, as on any request.
    proved = original.identity_verified_at is not None or verification_tier(request) in (
        Tier.NONE,
        Tier.EMAIL,
    )
    request.status = Status.OPEN if proved else Status.VERIFYING
    request.identity_verified_at = (original.identity_verified_at or now) if proved else None
    for name, value in _deadline_fields(deadlines_of(request)).items():
        setattr(request, name, value)
    request.save(force_insert=True)
    request.reference = f"PR-{local_date(now).year}-{request.pk:06d}"
    PrivacyRequest.objects.filter(pk=request.pk).update(reference=request.reference)
    record_event(
        request,
        "reopened",
        by=by,
        new_status=request.status,
        data={
            "kind": request.kind,
            "original": original.reference,
            "appeal": appeal.reference,
            "regimes": request.regimes,
            "governing": request.governing_regime,
            "due": request.due_at.isoformat(),
        },
    )
    record_event(
        original,
        "refusal_reversed",
        by=by,
        old_status=original.status,
        new_status=original.status,
        data={"appeal": appeal.reference, "reopened_as": request.reference},
    )
    if request.acknowledge_by is not None:
        Notice.objects.create(privacy_request=request, kind="acknowledged")  # the decision letter says it all
    if request.status == Status.OPEN:
        _start_work(request, by=by)
    return request
