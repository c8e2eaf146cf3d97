"""A request arrives and its requester is confirmed and verified: submit, honour, confirm_email, verify."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from identity.tiers import POINTS_NEEDED, Tier, at_least, reached, tier_for, wants_specific_pieces
from privacyportal import outbox
from privacyportal.addresses import normalise_email

from .. import repetition
from ..audit import record_event
from ..lifecycle import OPEN_STATUSES, Status
from ..models import (
    RIGHTS,
    ActorKind,
    Channel,
    Kind,
    Notice,
    Outcome,
    PrivacyRequest,
    Relationship,
)
from ..selectors import (
    applicable_regimes,
    categories_tier,
    confirmed_requests_from,
    connector_systems,
    local_date,
    owner_systems,
    verification_tier,
)
from . import carry_out, connectors, owner_tasks, suppression
from .common import (
    SEND_STAFF_NOTICE,
    SEND_SUBJECT_CONFIRMATION,
    SEND_VERIFICATION_EMAIL,
    TransitionError,
    _claim,
    _email_requester,
    _insert,
)
from .rules import RULES, _guard


@dataclass(frozen=True)
class NewRequest:
    """What a requester (or staff logging a letter or call) tells us. Forms and the API build this."""

    kind: str
    requester_name: str
    requester_email: str
    country: str
    subdivision: str = ""
    language: str = "en"
    channel: str = Channel.WEB
    received_at: datetime | None = None  # staff logging a letter enter the real date; web: now
    relationship: str = Relationship.SELF
    subject_name: str = ""
    subject_email: str = ""
    details: str = ""
    rectification_current: str = ""
    rectification_wanted: str = ""
    objection_grounds: str = ""
    marketing_only: bool = False
    period: str = (
        ""  # "" as the law says; "all", "12_months" or "since" (with period_since): requests/lookback.py
    )
    period_since: date | None = None
    customer_name: str = ""
    data_points: dict[str, str] = field(default_factory=dict)
    declaration_name: str = ""  # typed name of a declaration under penalty of perjury, if one was signed
    specific_pieces: bool = False  # a Californian asks for the specific pieces, not only the categories
    power_of_attorney: bool = False  # an agent's permission is a power of attorney (CCPA §7063(b))
    postal_address: str = ""  # where letters go when the requester gave no email (staff logging a letter)


# How far back intake looks for earlier requests (requests/repetition.py decides which count).
REPETITION_WINDOW = timedelta(days=365)


@transaction.atomic
def submit(new: NewRequest, *, by: AbstractBaseUser | None = None) -> PrivacyRequest:
    """Log a new request, compute its deadlines, and honour it at once if it needs no verification."""
    if new.kind not in RIGHTS:  # an appeal or a complaint follows a case: services.appeal, services.complain
        raise ValidationError({"kind": _("Unknown right.")})
    now = timezone.now()
    received_at = new.received_at or now
    if received_at > now:
        raise ValidationError({"received_at": _("The date received cannot be in the future.")})
    email = new.requester_email.strip()
    postal_address = "\n".join(
        line.strip() for line in new.postal_address.strip().splitlines() if line.strip()
    )
    if not email and not postal_address:
        raise ValidationError({"requester_email": _("Give an email address or a postal address.")})
    country = new.country.strip().upper()
    # ISO 3166-2 codes may come whole ("US-CA"); the case keeps the part after the country.
    subdivision = new.subdivision.strip().upper().removeprefix(f"{country}-")
    # The laws of where the requester lives and of where the operator is established (PRIVACY_ESTABLISHMENT),
    # fixed on the case now: a later change of establishment leaves this case's deadlines as they are.
    regimes = applicable_regimes(country, subdivision)
    specific = wants_specific_pieces(new.kind, regimes, asked=new.specific_pieces)
    tier = tier_for(new.kind, regimes, marketing_only=new.marketing_only, specific_pieces=specific)
    # A letter, email or call logged by staff skips the emailed code: staff check identity themselves
    # (by the sender's address, the details given, or by asking), so the case waits for them, not the requester.
    initial = Status.VERIFYING if by is not None and tier is not Tier.NONE else Status.NEW
    email_key = normalise_email(email)
    # Without an address there is nothing to recognise earlier requests by (staff judge those by name).
    earlier = confirmed_requests_from(email_key, since=received_at - REPETITION_WINDOW) if email_key else None
    repetitive = repetition.is_repetitive(
        regimes,
        new.kind,
        local_date(received_at),
        [(kind, local_date(at)) for kind, at in earlier.values_list("kind", "received_at")]
        if earlier
        else [],
    )
    privacy_request = PrivacyRequest(
        reference=f"TMP-{uuid.uuid4().hex[:16]}",
        kind=new.kind,
        channel=new.channel,
        received_at=received_at,
        requester_name=new.requester_name.strip(),
        requester_email=email,
        email_key=email_key,
        postal_address=postal_address,
        relationship=new.relationship,
        power_of_attorney=new.power_of_attorney and new.relationship == Relationship.AGENT,
        subject_name=new.subject_name.strip(),
        subject_email=new.subject_email.strip(),
        country=country,
        subdivision=subdivision,
        language=new.language,
        details=new.details,
        rectification_current=new.rectification_current,
        rectification_wanted=new.rectification_wanted,
        objection_grounds=new.objection_grounds,
        marketing_only=new.marketing_only,
        period=new.period,
        period_since=new.period_since,
        customer_name=new.customer_name.strip(),
        processor_request=bool(new.customer_name.strip()),
        repetitive=repetitive,
        data_points={k: v.strip() for k, v in new.data_points.items() if v and v.strip()},
        declaration_name=new.declaration_name.strip(),
        declared_at=now if new.declaration_name.strip() else None,
        specific_pieces=specific and new.kind == Kind.ACCESS,
        regimes=regimes,
        status=initial,
        status_changed_at=now,
    )
    _insert(privacy_request)
    record_event(
        privacy_request,
        "submitted",
        new_case=True,
        by=by,
        actor_kind=ActorKind.STAFF if by else ActorKind.REQUESTER,
        new_status=initial,
        data={
            "kind": new.kind,
            "channel": new.channel,
            "regimes": regimes,
            "governing": privacy_request.governing_regime,
            "due": privacy_request.due_at.isoformat(),
            "repetitive": repetitive,
            "processor_request": privacy_request.processor_request,
            "data_points": sorted(privacy_request.data_points),
            "declared": privacy_request.declared_at is not None,
            "specific_pieces": specific,
            "power_of_attorney": privacy_request.power_of_attorney,
        },
    )
    if tier is Tier.NONE:
        honour(privacy_request)
    elif by is not None:
        # The acknowledgement of receipt (CCPA §7021 asks for one within 10 business days): claimed now,
        # so the acknowledgements sweep, which catches up on cases logged without it, sends nothing twice.
        Notice.objects.create(privacy_request=privacy_request, kind="acknowledged")
        _email_requester(privacy_request, "request-received")
        if privacy_request.relationship == Relationship.PARENT:
            _child_data_reported(privacy_request)  # a letter staff logged is as good as a confirmed address
    elif email:
        # The requester asked in person: prove control of the email (staff logging a letter verify otherwise).
        outbox.enqueue(SEND_VERIFICATION_EMAIL, privacy_request.pk)
    return privacy_request


@transaction.atomic
def honour(privacy_request: PrivacyRequest) -> PrivacyRequest:
    """A request that needs no proof of identity (opt-out, limit, marketing objection): acted on at once.

    The address goes on the suppression list now. Where a company system can act on it (a connector, an owner
    with a task), the case opens and goes into progress, the work starts in every such system, and
    `carry_out.complete_if_carried_out` tells the third parties once a system held the person, then closes the
    case when all are done; only then is the requester told it is done. With nothing to act in, the portal's own
    list is the whole of the work, and the case completes at once.
    """
    if verification_tier(privacy_request) is not Tier.NONE:
        raise TransitionError(_("This request needs the requester's identity verified first."))
    if not _has_systems_to_act_in(privacy_request):
        old = _claim(privacy_request, allowed={Status.NEW}, to=Status.COMPLETED, outcome=Outcome.FULFILLED)
        record_event(privacy_request, "honoured", old_status=old, new_status=Status.COMPLETED)
        if privacy_request.kind in suppression.SUPPRESSING:  # an objection honoured at once is to marketing
            suppression.suppress(privacy_request)
        _email_requester(privacy_request, "request-honoured")
        return privacy_request
    old = _claim(
        privacy_request,
        allowed={Status.NEW},
        to=Status.OPEN,
        identity_verified_at=timezone.now(),
        identity_tier=Tier.NONE,
    )
    record_event(privacy_request, "accepted_without_proof", old_status=old, new_status=Status.OPEN)
    _claim(privacy_request, allowed={Status.OPEN}, to=Status.IN_PROGRESS)
    record_event(privacy_request, "carrying_out", old_status=Status.OPEN, new_status=Status.IN_PROGRESS)
    if privacy_request.kind in suppression.SUPPRESSING:
        suppression.suppress(privacy_request)
    _email_requester(privacy_request, "request-received")
    _start_work(privacy_request)
    carry_out.complete_if_carried_out(privacy_request)  # nothing to wait for (no system declares the action)
    return privacy_request


def _has_systems_to_act_in(privacy_request: PrivacyRequest) -> bool:
    """An active system with a connector, or one whose owner can be sent a task, that takes part in the work."""
    return connector_systems(privacy_request).exists() or owner_systems(privacy_request).exists()


@transaction.atomic
def confirm_email(privacy_request: PrivacyRequest) -> PrivacyRequest:
    """The requester proved control of the email: open the case, or hand it to staff to check identity."""
    tier = verification_tier(privacy_request)
    to = Status.OPEN if tier in (Tier.NONE, Tier.EMAIL) else Status.VERIFYING
    if _authority_to_check(privacy_request):
        to = Status.VERIFYING  # a parent's authority, or an agent's power of attorney: staff check it first
    now = timezone.now()
    changes: dict[str, Any] = {"email_verified_at": now}
    if to is Status.OPEN:
        changes.update(identity_verified_at=now, identity_tier=tier)
    old = _claim(privacy_request, allowed={Status.NEW}, to=to, **changes)
    record_event(
        privacy_request,
        "email_confirmed",
        actor_kind=ActorKind.REQUESTER,
        old_status=old,
        new_status=to,
        data={"tier": tier.value},
    )
    if needs_subject_confirmation(privacy_request):
        outbox.enqueue(SEND_SUBJECT_CONFIRMATION, privacy_request.pk)
    if privacy_request.relationship == Relationship.PARENT:
        _child_data_reported(privacy_request)
    if to is Status.OPEN:
        _start_work(privacy_request)
    return privacy_request


def _authority_to_check(privacy_request: PrivacyRequest) -> bool:
    """Someone acting for another whom no one else confirms: a parent (the child is not asked), or an agent with
    a power of attorney (CCPA §7063(b): the person is not asked). Staff check the document before work starts."""
    return privacy_request.relationship == Relationship.PARENT or (
        privacy_request.relationship == Relationship.AGENT and privacy_request.power_of_attorney
    )


def _child_data_reported(privacy_request: PrivacyRequest) -> None:
    """A parent's confirmed request tells us we may hold a child's data, which the operator's policy says it never
    knowingly holds: with that knowledge the data must go. The DPO is told at once, and the erasure of the child's
    data is opened (the request itself, if it is one), waiting for staff to check the parent's authority."""
    erasure = privacy_request
    if privacy_request.kind != Kind.ERASURE:
        erasure = submit(
            NewRequest(
                kind=Kind.ERASURE,
                requester_name=privacy_request.requester_name,
                requester_email=privacy_request.requester_email,
                postal_address=privacy_request.postal_address,
                country=privacy_request.country,
                subdivision=privacy_request.subdivision,
                language=privacy_request.language,
                channel=privacy_request.channel,
                relationship=Relationship.PARENT,
                subject_name=privacy_request.subject_name,
                subject_email=privacy_request.subject_email,
                details=_("Opened by us: the parent's request %(reference)s tells us we may hold the data of a "
                          "child under 16, which we do not knowingly keep.") % {"reference": privacy_request.reference},
            )
        )  # fmt: skip
        # The parent proved this address moments ago; the erasure waits for staff, not for another code.
        old = _claim(erasure, allowed={Status.NEW}, to=Status.VERIFYING, email_verified_at=timezone.now())
        record_event(
            erasure,
            "email_confirmed",
            old_status=old,
            new_status=Status.VERIFYING,
            data={"tier": verification_tier(erasure).value, "opened_for": privacy_request.reference},
        )
    record_event(privacy_request, "child_data_reported", data={"erasure": erasure.reference})
    outbox.enqueue(SEND_STAFF_NOTICE, erasure.pk, "child_data")


def needs_subject_confirmation(privacy_request: PrivacyRequest) -> bool:
    """Agent requests ask the person themselves to confirm, where we can reach them and the operator wants it.

    CCPA §7063(a) allows requiring it; elsewhere it is a reasonable check of the agent's mandate. An agent with a
    power of attorney is not second-guessed: §7063(b) forbids it in California, and everywhere the power is the
    mandate itself, often held because the person cannot act for themselves. A child in a parent's request is not
    asked.
    """
    return (
        settings.PRIVACY_CONFIRM_AGENTS_WITH_SUBJECT
        and privacy_request.relationship == Relationship.AGENT
        and not privacy_request.power_of_attorney
        and bool(privacy_request.subject_email)
    )


@transaction.atomic
def record_subject_answer(privacy_request: PrivacyRequest, *, confirmed: bool) -> PrivacyRequest:
    """The person an agent acts for answered: they authorised the agent, or they did not (staff decide)."""
    answer = "confirmed" if confirmed else "refused"
    _claim(
        privacy_request,
        allowed=OPEN_STATUSES,
        conditions={"subject_answer": ""},
        subject_answer=answer,
        subject_answered_at=timezone.now(),
    )
    record_event(
        privacy_request,
        "subject_confirmed" if confirmed else "subject_refused",
        actor_kind=ActorKind.REQUESTER,
        old_status=privacy_request.status,
        new_status=privacy_request.status,
    )
    return privacy_request


@transaction.atomic
def verify(
    privacy_request: PrivacyRequest, *, by: AbstractBaseUser, data_points: list[str]
) -> PrivacyRequest:
    """Staff confirm the requester's identity from the data points that matched what we hold.

    `data_points` names which points matched (e.g. "postal_address"), never their values. A Californian asking
    for the specific pieces who reaches only what the categories need is verified for the categories, and the
    answer gives those alone (CCPA §7024(a)); below that, staff refuse (§7024(b), the letter says what follows).
    """
    tier = verification_tier(privacy_request)
    points = sorted({p.strip() for p in data_points if p and p.strip()})
    got = reached(len(points), declared=privacy_request.declared_at is not None)
    fallback = categories_tier(privacy_request)
    if not at_least(got, tier) and not (fallback is not None and at_least(got, fallback)):
        raise ValidationError({"data_points": _shortfall(privacy_request, tier, fallback, len(points))})
    rule = _guard(privacy_request, "verify")
    old = _claim(
        privacy_request,
        allowed=rule.statuses,
        to=Status.OPEN,
        identity_verified_at=timezone.now(),
        identity_tier=got,
    )
    record_event(
        privacy_request,
        "identity_verified",
        by=by,
        old_status=old,
        new_status=Status.OPEN,
        data={"tier": tier.value, "reached": got.value, "data_points": points},
    )
    _start_work(privacy_request, by=by)
    return privacy_request


def _shortfall(privacy_request: PrivacyRequest, tier: Tier, fallback: Tier | None, count: int) -> str:
    """Why the details ticked do not verify the requester, and what would."""
    needed = POINTS_NEEDED[tier]
    if fallback is not None:
        return _(
            "The specific pieces need %(needed)d matching details and the signed declaration; the categories "
            "alone need %(fallback)d. %(count)d ticked: ask the requester for more, or refuse as not verified."
        ) % {"needed": needed, "fallback": POINTS_NEEDED[fallback], "count": count}
    if tier is Tier.HIGH and count >= needed and privacy_request.declared_at is None:
        return _("This request needs the requester's signed declaration as well as %(needed)d details.") % {
            "needed": needed
        }
    return _("This request needs %(needed)d matching details; %(count)d ticked.") % {
        "needed": needed,
        "count": count,
    }


def _start_work(privacy_request: PrivacyRequest, *, by: AbstractBaseUser | None = None) -> None:
    """Identity is proved: the connectors start, and the owners of systems no connector reaches get their tasks."""
    if RULES["connectors"].why_not(privacy_request) is None:
        connectors.start(privacy_request, by=by)
    if RULES["owner_tasks"].why_not(privacy_request) is None:
        owner_tasks.open_tasks(privacy_request, by=by)
