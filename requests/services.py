"""Every change of a case is one function here (DESIGN §4).

Each service is atomic, guarded by the transition table, claims the row with a conditional UPDATE
(so a double click or a doubled worker loses cleanly), recomputes the deadlines it affects and writes
exactly one audit event. Views, admin actions, API endpoints and tasks call these; none of them
assigns `status`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from identity.tiers import POINTS_NEEDED, Tier, tier_for
from privacyportal import outbox
from privacyportal.addresses import normalise_email

from . import deadlines
from .audit import record_event
from .letters import letter_for
from .lifecycle import CLOSED_STATUSES, OPEN_STATUSES, TRANSITIONS, WORKING_STATUSES, Status, packet_sources
from .models import (
    ActorKind,
    Channel,
    CheckState,
    CompanySystem,
    DenialReason,
    FeeReason,
    Kind,
    Message,
    Notice,
    Outcome,
    Packet,
    PacketStatus,
    PrivacyRequest,
    Relationship,
    SystemCheck,
)
from .selectors import deadlines_of, local_date, local_today, verification_tier


class TransitionError(Exception):
    """The case cannot make this move now: wrong status, a rule of the move, or someone acted first."""


# --- What may be done now ---------------------------------------------------------------------------------
#
# One table says, for every staff action, the permission it needs, the statuses it starts from and the further
# conditions it has, each with the reason given when it is refused. The services check it before they change
# anything, the case page offers what `available()` says, and the API refuses with the same reason, so the
# three cannot disagree. Conditions that depend on what staff typed (an assignee, an outcome) stay in the
# services as validation of that input.

# The tasks a change promises, by their Celery names (outbox.enqueue): tasks.py calls into services, so services
# name its tasks rather than import them.
SEND_REQUESTER_EMAIL = "requests.tasks.send_requester_email"
SEND_STAFF_NOTICE = "requests.tasks.send_staff_notice"
SEND_STAFF_DIGEST = "requests.tasks.send_staff_digest"
SEND_OVERDUE_DIGEST = "requests.tasks.send_overdue_digest"
BUILD_PACKET = "requests.tasks.build_packet"
SEND_VERIFICATION_EMAIL = "identity.tasks.send_verification_email"
SEND_SUBJECT_CONFIRMATION = "identity.tasks.send_subject_confirmation"

WORKING = WORKING_STATUSES
PAUSABLE_FROM = frozenset({Status.VERIFYING, Status.OPEN, Status.IN_PROGRESS})
FEE_QUOTABLE_FROM = frozenset({Status.OPEN, Status.IN_PROGRESS})
CHECKABLE_FROM = WORKING
PACKET_KINDS = frozenset({Kind.ACCESS, Kind.PORTABILITY})
PACKET_FROM = frozenset({Status.IN_PROGRESS, Status.COMPLETED})
CHANGE_CASE = "requests.change_privacyrequest"

# A condition of an action: None when the case meets it, else the reason, for staff and API clients.
Condition = Callable[[PrivacyRequest], str | None]


def _cannot_now(privacy_request: PrivacyRequest) -> str:
    return _("%(reference)s is %(status)s; that cannot be done now.") % {
        "reference": privacy_request.reference,
        "status": privacy_request.get_status_display(),
    }


def _not_waiting(privacy_request: PrivacyRequest) -> str:
    return _("%(reference)s is not waiting for the requester.") % {"reference": privacy_request.reference}


def _paused(privacy_request: PrivacyRequest) -> str | None:
    return _not_waiting(privacy_request) if privacy_request.paused_at is None else None


def _not_yet_extended(privacy_request: PrivacyRequest) -> str | None:
    if privacy_request.extended:
        return _("%(reference)s has already been extended once.") % {"reference": privacy_request.reference}
    return None


def _due_date_not_passed(privacy_request: PrivacyRequest) -> str | None:
    if local_today() > privacy_request.due_at:
        return _("An extension must be sent before the original due date (%(due)s).") % {
            "due": privacy_request.due_at.isoformat()
        }
    return None


def _regime_allows_extension(privacy_request: PrivacyRequest) -> str | None:
    d = deadlines_of(privacy_request, extended=True)
    if d.extended_due <= d.due:
        return _("No extension is possible: %(regime)s allows none.") % {
            "regime": d.governing_deadline.regime.name
        }
    return None


def _not_anonymised(privacy_request: PrivacyRequest) -> str | None:
    if privacy_request.anonymised_at is not None:
        return _("This case has been anonymised; there is nobody to write to.")
    return None


def _checklist_closed(privacy_request: PrivacyRequest) -> str:
    return _("%(reference)s is %(status)s; its checklist cannot change now.") % {
        "reference": privacy_request.reference,
        "status": privacy_request.get_status_display(),
    }


def _identity_verified(privacy_request: PrivacyRequest) -> str | None:
    # Nothing is looked up in company systems for a person whose identity is not yet proved.
    return _checklist_closed(privacy_request) if privacy_request.identity_verified_at is None else None


def _has_packet(privacy_request: PrivacyRequest) -> str | None:
    if privacy_request.kind not in PACKET_KINDS:
        return _("Only access and portability requests have a packet.")
    return None


def _no_packet_now(privacy_request: PrivacyRequest) -> str:
    # A right without a packet says so, rather than suggest that a later status would allow one.
    return _has_packet(privacy_request) or (
        _("%(reference)s is %(status)s; a packet is built while it is in progress or once completed.")
        % {"reference": privacy_request.reference, "status": privacy_request.get_status_display()}
    )


def _packet_released() -> str:
    return _("This packet has been released to the requester; it can no longer change.")


def _packet_not_released(privacy_request: PrivacyRequest) -> str | None:
    released = Packet.objects.filter(request=privacy_request, status=PacketStatus.RELEASED)
    return _packet_released() if released.exists() else None


def _no_packet_ready(privacy_request: PrivacyRequest) -> str:
    return _("There is no built packet waiting for release (or it was built again meanwhile).")


def _packet_ready(privacy_request: PrivacyRequest) -> str | None:
    ready = Packet.objects.filter(request=privacy_request, status=PacketStatus.READY, purged_at__isnull=True)
    return None if ready.exists() else _no_packet_ready(privacy_request)


@dataclass(frozen=True)
class Rule:
    """When a staff action may be taken: who may take it, from which statuses, and on what further conditions."""

    permission: str
    statuses: frozenset[Status]
    conditions: tuple[Condition, ...] = ()
    # The reason when the status is not one of them.
    wrong_status: Callable[[PrivacyRequest], str] = _cannot_now

    def why_not(self, privacy_request: PrivacyRequest) -> str | None:
        """The reason the case's state refuses the action now (the first that applies), or None."""
        if Status(privacy_request.status) not in self.statuses:
            return self.wrong_status(privacy_request)
        for condition in self.conditions:
            if (reason := condition(privacy_request)) is not None:
                return reason
        return None


# In the order the case page and the API list them.
RULES: dict[str, Rule] = {
    "assign": Rule(CHANGE_CASE, WORKING),
    "verify": Rule(CHANGE_CASE, frozenset({Status.VERIFYING})),
    "pause": Rule(CHANGE_CASE, PAUSABLE_FROM),
    "resume": Rule(CHANGE_CASE, frozenset({Status.AWAITING_REQUESTER}), (_paused,), _not_waiting),
    "extend": Rule(
        "requests.extend_case", WORKING, (_not_yet_extended, _due_date_not_passed, _regime_allows_extension)
    ),
    "fee": Rule("requests.quote_fee", FEE_QUOTABLE_FROM),
    "complete": Rule(CHANGE_CASE, frozenset({Status.IN_PROGRESS})),
    "deny": Rule("requests.deny_case", OPEN_STATUSES),
    "forward": Rule("requests.forward_case", OPEN_STATUSES),
    "withdraw": Rule(CHANGE_CASE, OPEN_STATUSES),
    "message": Rule("requests.add_message", frozenset(Status), (_not_anonymised,)),
    "check": Rule("requests.change_systemcheck", CHECKABLE_FROM, (_identity_verified,), _checklist_closed),
    "packet": Rule(CHANGE_CASE, PACKET_FROM, (_has_packet, _packet_not_released), _no_packet_now),
    "release": Rule("requests.release_packet", PACKET_FROM, (_packet_ready,), _no_packet_ready),
}


class Actor(Protocol):
    def has_perm(self, perm: str) -> bool: ...


@dataclass(frozen=True)
class Availability:
    """Whether an actor may take an action on a case now, and if not, why."""

    action: str
    permitted: bool  # their role allows the action at all (if not, it is forbidden, whatever the case)
    reason: str | None  # why the case's state refuses it now; None when it may be done

    @property
    def offered(self) -> bool:
        return self.permitted and self.reason is None


def availability(privacy_request: PrivacyRequest, actor: Actor, action: str) -> Availability:
    """Whether `actor` may take `action` (a key of RULES) on the case now and, if not, why."""
    rule = RULES[action]
    return Availability(action, actor.has_perm(rule.permission), rule.why_not(privacy_request))


def available(privacy_request: PrivacyRequest, actor: Actor) -> dict[str, Availability]:
    """Every staff action, in RULES' order: whether `actor` may take it on the case now and, if not, why."""
    return {action: availability(privacy_request, actor, action) for action in RULES}


def _guard(privacy_request: PrivacyRequest, action: str) -> Rule:
    """Refuse an action the case's state does not allow, with `available()`'s reason; return its rule."""
    rule = RULES[action]
    reason = rule.why_not(privacy_request)
    if reason is not None:
        raise TransitionError(reason)
    return rule


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
    period_since: date | None = None
    customer_name: str = ""
    data_points: dict[str, str] = field(default_factory=dict)
    declaration_name: str = ""  # typed name of a declaration under penalty of perjury, if one was signed


REPETITION_WINDOW = timedelta(days=365)


def _deadline_fields(d: deadlines.Deadlines) -> dict[str, Any]:
    return {
        "due_at": d.due,
        "extended_due_at": d.extended_due,
        "effective_due_at": d.effective,
        "acknowledge_by": d.acknowledge_by,
        "governing_regime": d.governing,
    }


def _claim(
    privacy_request: PrivacyRequest,
    *,
    allowed: frozenset[Status] | set[Status],
    to: Status | None = None,
    conditions: dict[str, Any] | None = None,
    **changes: Any,
) -> Status:
    """Change the row only if it is still as we read it; return the status it was claimed from.

    The conditional UPDATE takes the row lock on PostgreSQL, so a concurrent claim waits for us,
    then finds the status changed and matches nothing.
    """
    old = Status(privacy_request.status)
    if old not in allowed or (to is not None and to != old and to not in TRANSITIONS[old]):
        raise TransitionError(
            _("%(reference)s is %(status)s; that cannot be done now.")
            % {"reference": privacy_request.reference, "status": old.label}
        )
    now = timezone.now()
    values: dict[str, Any] = {"updated_at": now, **changes}
    if to is not None and to != old:
        values.update(status=to, status_changed_at=now)
        if to in CLOSED_STATUSES:
            values["closed_at"] = now
    claimed = PrivacyRequest.objects.filter(pk=privacy_request.pk, status=old, **(conditions or {})).update(
        **values
    )
    if claimed != 1:
        raise TransitionError(
            _("%(reference)s was changed by someone else meanwhile. Reload it and try again.")
            % {"reference": privacy_request.reference}
        )
    privacy_request.refresh_from_db()
    return old


def _require_text(value: str, field_name: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field_name: message})
    return value


def _staff_message(privacy_request: PrivacyRequest, *, by: AbstractBaseUser, body: str) -> Message:
    """A message from staff in the requester's thread (the caller records the event and emails them)."""
    return Message.objects.create(
        request=privacy_request,
        author_kind=ActorKind.STAFF,
        author=by,  # type: ignore[misc]
        body=body,
    )


def _email_requester(privacy_request: PrivacyRequest, template: str) -> None:
    """Send the requester one of the case emails once the change is committed.

    Emails that carry a PDF letter go to the `pdf` queue (PDF work never runs in a web request); the
    letter is tied to the event just written, so a retried task sends the same letter, not a new one.
    """

    pk = privacy_request.pk
    seq = privacy_request.events.order_by("-seq").values_list("seq", flat=True).first() or 0
    queue = "pdf" if letter_for(privacy_request, template) else "default"
    outbox.enqueue(SEND_REQUESTER_EMAIL, pk, template, seq, queue=queue)


@transaction.atomic
def submit(new: NewRequest, *, by: AbstractBaseUser | None = None) -> PrivacyRequest:
    """Log a new request, compute its deadlines, and honour it at once if it needs no verification."""
    if new.kind not in Kind.values:
        raise ValidationError({"kind": _("Unknown right.")})
    now = timezone.now()
    received_at = new.received_at or now
    if received_at > now:
        raise ValidationError({"received_at": _("The date received cannot be in the future.")})
    email = new.requester_email.strip()
    country = new.country.strip().upper()
    # ISO 3166-2 codes may come whole ("US-CA"); the case keeps the part after the country.
    subdivision = new.subdivision.strip().upper().removeprefix(f"{country}-")
    regimes = deadlines.regimes_for(country, subdivision)
    tier = tier_for(new.kind, regimes, marketing_only=new.marketing_only)
    # A letter, email or call logged by staff skips the emailed code: staff check identity themselves
    # (by the sender's address, the details given, or by asking), so the case waits for them, not the requester.
    initial = Status.VERIFYING if by is not None and tier is not Tier.NONE else Status.NEW
    email_key = normalise_email(email)
    repetitive = PrivacyRequest.objects.filter(
        email_key=email_key, kind=new.kind, received_at__gte=received_at - REPETITION_WINDOW
    ).exists()
    privacy_request = PrivacyRequest(
        reference=f"TMP-{uuid.uuid4().hex[:16]}",
        kind=new.kind,
        channel=new.channel,
        received_at=received_at,
        requester_name=new.requester_name.strip(),
        requester_email=email,
        email_key=email_key,
        relationship=new.relationship,
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
        period_since=new.period_since,
        customer_name=new.customer_name.strip(),
        processor_request=bool(new.customer_name.strip()),
        repetitive=repetitive,
        data_points={k: v.strip() for k, v in new.data_points.items() if v and v.strip()},
        declaration_name=new.declaration_name.strip(),
        declared_at=now if new.declaration_name.strip() else None,
        regimes=regimes,
        status=initial,
        status_changed_at=now,
    )
    for name, value in _deadline_fields(deadlines_of(privacy_request)).items():
        setattr(privacy_request, name, value)
    privacy_request.save(force_insert=True)
    # The public reference follows the row id, so it needs the id first.
    privacy_request.reference = f"PR-{local_date(received_at).year}-{privacy_request.pk:06d}"
    PrivacyRequest.objects.filter(pk=privacy_request.pk).update(reference=privacy_request.reference)
    record_event(
        privacy_request,
        "submitted",
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
        },
    )
    if tier is Tier.NONE:
        honour(privacy_request)
    elif by is not None:
        # The acknowledgement of receipt (CCPA §7021 asks for one within 10 business days): claimed now,
        # so the acknowledgements sweep, which catches up on cases logged without it, sends nothing twice.
        Notice.objects.create(request=privacy_request, kind="acknowledged")
        _email_requester(privacy_request, "request-received")
    else:
        # The requester asked in person: prove control of the email (staff logging a letter verify otherwise).

        outbox.enqueue(SEND_VERIFICATION_EMAIL, privacy_request.pk)
    return privacy_request


@transaction.atomic
def honour(privacy_request: PrivacyRequest) -> PrivacyRequest:
    """Honour at once a request that needs no verification (opt-out, limit, marketing objection)."""
    if verification_tier(privacy_request) is not Tier.NONE:
        raise TransitionError(_("This request needs the requester's identity verified first."))
    old = _claim(
        privacy_request,
        allowed={Status.NEW},
        to=Status.COMPLETED,
        outcome=Outcome.FULFILLED,
    )
    record_event(privacy_request, "honoured", old_status=old, new_status=Status.COMPLETED)
    _email_requester(privacy_request, "request-honoured")
    return privacy_request


@transaction.atomic
def confirm_email(privacy_request: PrivacyRequest) -> PrivacyRequest:
    """The requester proved control of the email: open the case, or hand it to staff to check identity."""
    tier = verification_tier(privacy_request)
    to = Status.OPEN if tier in (Tier.NONE, Tier.EMAIL) else Status.VERIFYING
    now = timezone.now()
    changes: dict[str, Any] = {"email_verified_at": now}
    if to is Status.OPEN:
        changes["identity_verified_at"] = now
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
    return privacy_request


def needs_subject_confirmation(privacy_request: PrivacyRequest) -> bool:
    """Agent requests ask the person themselves to confirm, where we can reach them and the operator wants it.

    CCPA §7063 allows requiring it; elsewhere it is a reasonable check of the agent's mandate. A child
    in a parent's request is not asked.
    """
    return (
        settings.PRIVACY_CONFIRM_AGENTS_WITH_SUBJECT
        and privacy_request.relationship == Relationship.AGENT
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

    `data_points` names which points matched (e.g. "postal_address"), never their values.
    """
    tier = verification_tier(privacy_request)
    points = sorted({p.strip() for p in data_points if p and p.strip()})
    needed = POINTS_NEEDED[tier]
    if len(points) < needed:
        raise ValidationError(
            {
                "data_points": _("This request needs %(needed)d matching details; %(count)d ticked.")
                % {"needed": needed, "count": len(points)}
            }
        )
    rule = _guard(privacy_request, "verify")
    old = _claim(privacy_request, allowed=rule.statuses, to=Status.OPEN, identity_verified_at=timezone.now())
    record_event(
        privacy_request,
        "identity_verified",
        by=by,
        old_status=old,
        new_status=Status.OPEN,
        data={"tier": tier.value, "data_points": points},
    )
    return privacy_request


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
def pause(privacy_request: PrivacyRequest, *, by: AbstractBaseUser, reason: str) -> PrivacyRequest:
    """Wait for the requester (identity, clarification). The clock stops only where the regime allows."""
    reason = _require_text(reason, "reason", _("Say what you need from the requester."))
    rule = _guard(privacy_request, "pause")
    old = _claim(
        privacy_request,
        allowed=rule.statuses,
        to=Status.AWAITING_REQUESTER,
        paused_at=timezone.now(),
        resume_status=privacy_request.status,
    )
    # The reason goes to the requester in a message; the event keeps no free text.
    message = _staff_message(privacy_request, by=by, body=reason)
    record_event(
        privacy_request,
        "paused",
        by=by,
        old_status=old,
        new_status=Status.AWAITING_REQUESTER,
        data={"message": message.pk},
    )
    _email_requester(privacy_request, "new-message")
    return privacy_request


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
        and not Packet.objects.filter(request=privacy_request, status=PacketStatus.RELEASED).exists()
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


@transaction.atomic
def reply(privacy_request: PrivacyRequest, *, body: str, attachment: Any = None) -> Message:
    """The requester writes to staff; an answer while we wait for them restarts the clock."""
    body = _require_text(body, "body", _("Write your message."))
    if privacy_request.status in CLOSED_STATUSES:
        raise TransitionError(_("This request is closed. Please start a new request."))
    message = Message.objects.create(
        request=privacy_request, author_kind=ActorKind.REQUESTER, body=body, attachment=attachment
    )
    record_event(
        privacy_request, "message_received", actor_kind=ActorKind.REQUESTER, data={"message": message.pk}
    )
    if privacy_request.status == Status.AWAITING_REQUESTER:
        resume(privacy_request)
    return message


@transaction.atomic
def send_message(privacy_request: PrivacyRequest, *, by: AbstractBaseUser, body: str) -> Message:
    """Staff write to the requester; the requester is emailed that there is a message, never its content."""
    body = _require_text(body, "body", _("Write the message."))
    _guard(privacy_request, "message")
    message = _staff_message(privacy_request, by=by, body=body)
    record_event(privacy_request, "message_sent", by=by, data={"message": message.pk})
    _email_requester(privacy_request, "new-message")
    return message


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
    rule = _guard(privacy_request, "fee")
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


@transaction.atomic
def record_system_check(
    privacy_request: PrivacyRequest,
    *,
    by: AbstractBaseUser,
    system: CompanySystem,
    state: str,
    notes: str = "",
) -> SystemCheck:
    """Record what one company system holds for the case (the systems checklist)."""
    if state not in CheckState.values:
        raise ValidationError({"state": _("Choose what the system holds.")})
    _guard(privacy_request, "check")
    check, _created = SystemCheck.objects.update_or_create(
        request=privacy_request,
        system=system,
        defaults={
            "state": state,
            "notes": (notes or "").strip(),
            "checked_by": by,
            "checked_at": timezone.now(),
        },
    )
    record_event(privacy_request, "system_checked", by=by, data={"system": system.pk, "state": state})
    return check


@transaction.atomic
def request_packet(privacy_request: PrivacyRequest, *, by: AbstractBaseUser) -> Packet:
    """Ask for the packet to be (re)built by the pdf worker; a newer request supersedes a running build."""
    _guard(privacy_request, "packet")
    packet, created = Packet.objects.select_for_update().get_or_create(request=privacy_request)
    if not created:
        if packet.status not in packet_sources(
            PacketStatus.QUEUED
        ):  # released between the guard and the lock
            raise TransitionError(_packet_released())
        packet.build += 1
    packet.status = PacketStatus.QUEUED
    packet.step, packet.percent, packet.error = "queued", 0, ""
    packet.requested_at = timezone.now()
    if packet.purged_at is not None:
        # Built again after its download expired: a new packet in every respect (purgeable, checkable, unreleased).
        packet.purged_at = packet.released_at = packet.released_by = packet.expires_at = packet.built_at = (
            None
        )
        packet.stored_name, packet.sha256, packet.files, packet.size, packet.downloads = "", "", [], 0, 0
    packet.save()
    record_event(privacy_request, "packet_requested", by=by, data={"build": packet.build})

    outbox.enqueue(BUILD_PACKET, privacy_request.pk, packet.build, queue="pdf")
    return packet


@transaction.atomic
def release_packet(
    privacy_request: PrivacyRequest, *, by: AbstractBaseUser, build: int | None = None
) -> Packet:
    """A DPO releases a built packet: the requester is emailed and may download it until it expires.

    With `build`, only that build is released: a newer one finished meanwhile (unchecked) is refused.
    """
    rule = _guard(privacy_request, "release")
    now = timezone.now()
    expires = now + timedelta(days=settings.PRIVACY_PACKET_DAYS)
    # The same conditions again in the UPDATE: a build or a release that finished meanwhile loses cleanly.
    ready = Packet.objects.filter(
        request=privacy_request,
        status__in=packet_sources(PacketStatus.RELEASED),
        purged_at__isnull=True,
        request__status__in=sorted(s.value for s in rule.statuses),
    )
    if build is not None:
        ready = ready.filter(build=build)
    if not ready.update(status=PacketStatus.RELEASED, released_at=now, released_by=by, expires_at=expires):
        raise TransitionError(_no_packet_ready(privacy_request))
    packet = Packet.objects.get(request=privacy_request)
    record_event(
        privacy_request,
        "packet_released",
        by=by,
        data={"build": packet.build, "expires": expires.date().isoformat(), "sha256": packet.sha256},
    )
    _email_requester(privacy_request, "packet-ready")
    return packet


@transaction.atomic
def record_download(packet: Packet) -> None:
    """Every download by the requester is an event; refused once the link has expired."""
    now = timezone.now()
    if not Packet.objects.filter(pk=packet.pk, status=PacketStatus.RELEASED, expires_at__gt=now).update(
        downloads=models.F("downloads") + 1
    ):
        raise TransitionError(_("This download has expired."))
    record_event(
        packet.request, "packet_downloaded", actor_kind=ActorKind.REQUESTER, data={"build": packet.build}
    )
