"""What may be done now.

One table says, for every staff action, the permission it needs, the statuses it starts from and the further
conditions it has, each with the reason given when it is refused. The services check it before they change
anything, the case page offers what `available()` says, and the API refuses with the same reason, so the
three cannot disagree. Conditions that depend on what staff typed (an assignee, an outcome) stay in the
services as validation of that input.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from django.utils import formats
from django.utils.translation import gettext as _

from .. import fee_rules
from ..lifecycle import OPEN_STATUSES, WORKING_STATUSES, Status
from ..models import (
    FOLLOW_UPS,
    Kind,
    Outcome,
    Packet,
    PacketStatus,
    PrivacyRequest,
)
from ..selectors import (
    appeal_rule,
    appeals_of,
    connector_systems,
    deadlines_of,
    local_today,
    open_complaints,
    owner_systems,
    recipients_to_notify,
    unchecked_systems,
    under_uk_complaints,
)
from .common import TransitionError

WORKING = WORKING_STATUSES


PAUSABLE_FROM = frozenset({Status.VERIFYING, Status.OPEN, Status.IN_PROGRESS})


FEE_QUOTABLE_FROM = frozenset({Status.OPEN, Status.IN_PROGRESS})


CHECKABLE_FROM = WORKING


PACKET_KINDS = frozenset({Kind.ACCESS, Kind.PORTABILITY})


PACKET_FROM = frozenset({Status.IN_PROGRESS, Status.COMPLETED})


# A refusal (denied), or an answer done only in part (completed): what a US state law lets a consumer appeal.
APPEALABLE_FROM = frozenset({Status.DENIED, Status.COMPLETED})


CHANGE_CASE = "requests.change_privacyrequest"


# A condition of an action: None when the case meets it, else the reason, for staff and API clients.
Condition = Callable[[PrivacyRequest], str | None]


def _cannot_now(privacy_request: PrivacyRequest) -> str:
    return _("%(reference)s is %(status)s; that cannot be done now.") % {
        "reference": privacy_request.reference,
        "status": privacy_request.get_status_display(),
    }


def _not_started(privacy_request: PrivacyRequest) -> str:
    # An open case waits only for someone to take it: the page says so instead of a bare "not now".
    if privacy_request.status == Status.OPEN:
        return _(
            "%(reference)s is %(status)s: assign the case first; it is answered once someone works on it."
        ) % {
            "reference": privacy_request.reference,
            "status": privacy_request.get_status_display(),
        }
    return _cannot_now(privacy_request)


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
            "due": formats.date_format(privacy_request.due_at)
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


def _has_owner_systems(privacy_request: PrivacyRequest) -> str | None:
    if not owner_systems(privacy_request).exists():
        return _("No active system without a connector has an owner's email address to send a task to.")
    return None


def _has_address_to_look_up(privacy_request: PrivacyRequest) -> str | None:
    # Connectors and owners find the person by email address; a requester by post may have given none.
    if not (privacy_request.subject_email or privacy_request.requester_email):
        return _("No email address to look the person up by: check each system by hand.")
    return None


def _has_connector_systems(privacy_request: PrivacyRequest) -> str | None:
    if not connector_systems(privacy_request).exists():
        return _("No active company system has a connector.")
    return None


def _has_details(privacy_request: PrivacyRequest) -> str | None:
    if not any((privacy_request.data_points or {}).values()):
        return _("The requester gave no details to compare with what we hold.")
    return None


def _not_checking_identity(privacy_request: PrivacyRequest) -> str:
    return _(
        "%(reference)s is %(status)s: details are compared with what we hold only while identity is checked."
    ) % {"reference": privacy_request.reference, "status": privacy_request.get_status_display()}


def _has_recipients(privacy_request: PrivacyRequest) -> str | None:
    if privacy_request.kind not in (Kind.ERASURE, Kind.RECTIFICATION, Kind.RESTRICTION):
        return _("Only an erasure, a correction or a restriction is passed on to recipients (Art. 19).")
    if not recipients_to_notify(privacy_request):
        return _(
            "No recipient in the register received data from a system where this person's data was found."
        )
    return None


def _restricted_and_not_lifted(privacy_request: PrivacyRequest) -> str | None:
    if privacy_request.kind != Kind.RESTRICTION or privacy_request.outcome not in (
        "fulfilled",
        "partially_fulfilled",
    ):
        return _("Only a restriction that was carried out can be lifted.")
    if privacy_request.restriction_lifted_at is not None:
        return _("The restriction was lifted already; the requester was told.")
    return None


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
    released = Packet.objects.filter(privacy_request=privacy_request, status=PacketStatus.RELEASED)
    return _packet_released() if released.exists() else None


def _no_packet_ready(privacy_request: PrivacyRequest) -> str:
    return _("There is no built packet waiting for release (or it was built again meanwhile).")


def _packet_ready(privacy_request: PrivacyRequest) -> str | None:
    ready = Packet.objects.filter(
        privacy_request=privacy_request, status=PacketStatus.READY, purged_at__isnull=True
    )
    return None if ready.exists() else _no_packet_ready(privacy_request)


def _every_system_checked(privacy_request: PrivacyRequest) -> str | None:
    # A packet built before every system was looked at would tell the requester "this is all we hold" untruly.
    names = unchecked_systems(privacy_request)
    if names:
        return _(
            "Record what every system holds, or skip it with a reason, first. Not checked yet: %(systems)s."
        ) % {"systems": ", ".join(names)}
    return None


def _law_allows_a_fee(privacy_request: PrivacyRequest) -> str | None:
    if fee_rules.allowed_grounds(privacy_request.regimes):
        return None
    return _("No fee may be asked of this requester: %(law)s.") % {
        "law": fee_rules.forbidding(privacy_request.regimes)
    }


def _a_request(privacy_request: PrivacyRequest) -> str | None:
    # An appeal or a complaint has no checklist, packet, fee or refusal of its own: staff decide it.
    if privacy_request.kind in FOLLOW_UPS:
        return _("%(reference)s is an appeal or a complaint: answer it with “Decide”.") % {
            "reference": privacy_request.reference
        }
    return None


def _a_follow_up(privacy_request: PrivacyRequest) -> str | None:
    if privacy_request.kind not in FOLLOW_UPS:
        return _("Only an appeal or a complaint is decided; %(reference)s is a request.") % {
            "reference": privacy_request.reference
        }
    return None


def _not_refused(privacy_request: PrivacyRequest) -> str:
    return _(
        "Only an answer refusing the request, in whole or in part, can be appealed; %(reference)s is %(status)s."
    ) % {
        "reference": privacy_request.reference,
        "status": privacy_request.get_status_display(),
    }


def _refused_in_part(privacy_request: PrivacyRequest) -> str | None:
    # Completed is appealable only when done in part; a refusal (denied) always is.
    if privacy_request.status == Status.COMPLETED and privacy_request.outcome != Outcome.PARTIALLY_FULFILLED:
        return _not_refused(privacy_request)
    return None


def _law_gives_an_appeal(privacy_request: PrivacyRequest) -> str | None:
    if appeal_rule(privacy_request) is None:
        return _(
            "The requester's law gives no appeal: only the US state privacy laws do (not the CCPA, nor Utah's)."
        )
    return None


def _not_appealed(privacy_request: PrivacyRequest) -> str | None:
    appeal = appeals_of(privacy_request).first()
    if appeal is not None:
        return _("%(reference)s has been appealed already: %(appeal)s.") % {
            "reference": privacy_request.reference,
            "appeal": appeal.reference,
        }
    return None


def _under_uk_law(privacy_request: PrivacyRequest) -> str | None:
    if not under_uk_complaints(privacy_request):
        return _(
            "Complaints to us about a request are a procedure of UK law (DPA 2018 s. 164A); "
            "this request is not under UK GDPR."
        )
    return None


def _no_open_complaint(privacy_request: PrivacyRequest) -> str | None:
    complaint = open_complaints(privacy_request).first()
    if complaint is not None:
        return _("A complaint about %(reference)s is open already: %(complaint)s.") % {
            "reference": privacy_request.reference,
            "complaint": complaint.reference,
        }
    return None


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
    # Looks the person up before identity is proved, as the only way to prove it from what we hold; keeps verdicts.
    "compare": Rule(
        CHANGE_CASE,
        frozenset({Status.VERIFYING}),
        (_has_details, _has_connector_systems),
        _not_checking_identity,
    ),
    "pause": Rule(CHANGE_CASE, PAUSABLE_FROM),
    "resume": Rule(CHANGE_CASE, frozenset({Status.AWAITING_REQUESTER}), (_paused,), _not_waiting),
    "extend": Rule(
        "requests.extend_case", WORKING, (_not_yet_extended, _due_date_not_passed, _regime_allows_extension)
    ),
    "fee": Rule("requests.quote_fee", FEE_QUOTABLE_FROM, (_a_request, _law_allows_a_fee)),
    "complete": Rule(CHANGE_CASE, frozenset({Status.IN_PROGRESS}), (_a_request,), _not_started),
    # An appeal or a complaint is decided, once someone works on it, by whoever may refuse a request: the decision
    # may be a refusal.
    "decide": Rule("requests.deny_case", frozenset({Status.IN_PROGRESS}), (_a_follow_up,), _not_started),
    "deny": Rule("requests.deny_case", OPEN_STATUSES, (_a_request,)),
    "forward": Rule("requests.forward_case", OPEN_STATUSES, (_a_request,)),
    "withdraw": Rule(CHANGE_CASE, OPEN_STATUSES),
    # Received by email, post or phone. Staff judge whether an appeal came in time (the status page takes it
    # only within PRIVACY_APPEAL_WINDOW_DAYS).
    "log_appeal": Rule(
        CHANGE_CASE,
        APPEALABLE_FROM,
        (_not_anonymised, _a_request, _refused_in_part, _law_gives_an_appeal, _not_appealed),
        _not_refused,
    ),
    "log_complaint": Rule(
        CHANGE_CASE, frozenset(Status), (_not_anonymised, _under_uk_law, _no_open_complaint)
    ),
    "message": Rule("requests.add_message", frozenset(Status), (_not_anonymised,)),
    "check": Rule(
        "requests.change_systemcheck", CHECKABLE_FROM, (_a_request, _identity_verified), _checklist_closed
    ),
    "owner_tasks": Rule(
        CHANGE_CASE,
        CHECKABLE_FROM,
        (_a_request, _identity_verified, _has_address_to_look_up, _has_owner_systems),
        _checklist_closed,
    ),
    "connectors": Rule(
        CHANGE_CASE,
        CHECKABLE_FROM,
        (_a_request, _identity_verified, _has_address_to_look_up, _has_connector_systems),
        _checklist_closed,
    ),
    "recipients": Rule(CHANGE_CASE, CHECKABLE_FROM, (_has_recipients,), _checklist_closed),
    "lift": Rule("requests.deny_case", frozenset({Status.COMPLETED}), (_restricted_and_not_lifted,)),
    "packet": Rule(
        CHANGE_CASE, PACKET_FROM, (_has_packet, _packet_not_released, _every_system_checked), _no_packet_now
    ),
    "release": Rule(
        "requests.release_packet", PACKET_FROM, (_packet_ready, _every_system_checked), _no_packet_ready
    ),
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
