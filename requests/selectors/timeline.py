"""The case timeline in plain words: each audit event as a sentence in the reader's language, with who and when.

The audit rows keep codes and ids (no personal data, a stable hash); staff read "Assigned to Maria Petrova", not
"assignee=1". Every verb any `record_event(...)` writes has its wording in WORDING, one line each; a test finds
the verbs in the source and fails on one without.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from identity.tiers import Tier

from ..explain import regime_name
from ..lifecycle import Status
from ..models import (
    ActorKind,
    Channel,
    CheckState,
    CompanySystem,
    ConnectorAction,
    DenialReason,
    LetterKind,
    Outcome,
    PrivacyRequest,
    RequestEvent,
)


def _label(choices: Any, value: Any) -> str:
    """A code's label in the active language; the code itself if it is not (or no longer) one of the choices."""
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


@dataclass
class Said:
    """One event's data, with the names its ids and codes stand for."""

    data: dict[str, Any]
    users: dict[int, str]
    systems: dict[int, str]

    def __getitem__(self, key: str) -> Any:
        return self.data.get(key, "")

    def user(self, key: str) -> str:
        return self.users.get(self.data.get(key) or 0, _("a former member of staff"))

    def system(self, key: str = "system") -> str:
        return self.systems.get(self.data.get(key) or 0, _("a removed system"))

    def systems_named(self, key: str = "systems") -> str:
        return ", ".join(self.systems.get(pk, "?") for pk in self.data.get(key) or [])

    def laws(self) -> str:
        return ", ".join(regime_name(code) for code in self.data.get("regimes") or [])

    def day(self, key: str) -> str:
        try:
            return formats.date_format(date.fromisoformat(str(self.data.get(key))[:10]))
        except ValueError:
            return ""

    def action(self) -> str:
        return _label(ConnectorAction, self["action"])

    def count(self, key: str) -> int:
        value = self.data.get(key)
        return len(value) if isinstance(value, list) else int(value or 0)


Words = Callable[[Said], str]

# Every audit verb in plain words. A new verb needs one line here (tests/requests/test_timeline.py finds the verbs).
# fmt: off
WORDING: dict[str, Words] = {
    "submitted": lambda s: _("Request received (%(channel)s)") % {"channel": _label(Channel, s["channel"])},
    "email_confirmed": lambda s: _("The requester confirmed their email address"),
    "email_withheld": lambda s: _("An email was held back: too many sent to that address recently"),
    "subject_confirmed": lambda s: _("The data subject confirmed that the agent acts for them"),
    "subject_refused": lambda s: _("The data subject said that the agent does not act for them"),
    "identity_verified": lambda s: _("Identity verified: %(tier)s") % {"tier": _label(Tier, s["reached"] or s["tier"])},
    "accepted_without_proof": lambda s: _("Accepted without proof of identity: this right needs none"),
    "carrying_out": lambda s: _("Being carried out in every system"),
    "honoured": lambda s: _("Carried out in every system; the request is complete"),
    "carried_out": lambda s: _("Carried out in the company systems"),
    "child_data_reported": lambda s: _("Reported as a child's data: erasure opened as %(reference)s") % {"reference": s["erasure"]},
    "assigned": lambda s: _("Assigned to %(name)s") % {"name": s.user("assignee")},
    "paused": lambda s: _("Asked the requester; the case waits for their answer"),
    "resumed": lambda s: _("The requester answered; work carries on, due %(date)s") % {"date": s.day("due")},
    "extended": lambda s: _("Deadline extended to %(date)s") % {"date": s.day("extended_due")},
    "fee_quoted": lambda s: _("Fee quoted: %(amount)s %(currency)s") % {"amount": s["amount"], "currency": s["currency"]},
    "fee_accepted": lambda s: _("The requester accepted the fee"),
    "fee_declined": lambda s: _("The requester declined the fee"),
    "forwarded": lambda s: _("Forwarded to the controller"),
    "expired": lambda s: _("Closed: the email address was never confirmed"),
    "completed": lambda s: _("Completed: %(outcome)s") % {"outcome": _label(Outcome, s["outcome"])},
    "denied": lambda s: _("Refused: %(reason)s") % {"reason": _label(DenialReason, s["reason"])},
    "withdrawn": lambda s: _("Withdrawn"),
    "restriction_lifted": lambda s: _("Restriction lifted; the requester was told why"),
    "system_checked": lambda s: _("%(system)s: %(state)s") % {"system": s.system(), "state": _label(CheckState, s["state"])},
    "extract_added": lambda s: _("Extract added for %(system)s") % {"system": s.system()},
    "owner_tasks_opened": lambda s: _("Tasks sent to the owners of %(systems)s") % {"systems": s.systems_named()},
    "owner_task_answered": lambda s: _("The owner of %(system)s answered their task") % {"system": s.system()},
    "owner_tasks_cancelled": lambda s: _("Open tasks for system owners cancelled"),
    "connectors_queued": lambda s: ngettext("%(n)d connector run started", "%(n)d connector runs started", s.count("runs")) % {"n": s.count("runs")},
    "comparison_queued": lambda s: _("Comparing the requester's details with our systems"),
    "details_compared": lambda s: _("Details compared in %(system)s") % {"system": s.system()},
    "connector_done": lambda s: _("%(system)s: %(action)s done") % {"system": s.system(), "action": s.action()},
    "connector_failed": lambda s: _("%(system)s: %(action)s failed") % {"system": s.system(), "action": s.action()},
    "connector_retried": lambda s: _("%(system)s: %(action)s tried again") % {"system": s.system(), "action": s.action()},
    "erasure_planned": lambda s: _("%(system)s: erasure planned, waiting for approval") % {"system": s.system()},
    "erasure_approved": lambda s: _("%(system)s: erasure approved") % {"system": s.system()},
    "message_received": lambda s: _("Message from the requester"),
    "message_sent": lambda s: _("Message sent to the requester"),
    "third_parties_to_tell": lambda s: _("Third parties to tell listed"),
    "third_party_told": lambda s: _("A third party was told"),
    "recipient_notice_recorded": lambda s: (_("Recorded that %(recipient)s was told") if s["told"] else _("Recorded why %(recipient)s was not told")) % {"recipient": s["recipient"]},
    "appeal_received": lambda s: _("Appeal received against the answer to %(reference)s") % {"reference": s["original"]},
    "complaint_received": lambda s: _("Complaint received about %(reference)s") % {"reference": s["original"]},
    "appeal_decided": lambda s: _("Appeal decided: %(outcome)s") % {"outcome": _label(Outcome, s["outcome"])},
    "complaint_answered": lambda s: _("Complaint answered: %(outcome)s") % {"outcome": _label(Outcome, s["outcome"])},
    "reopened": lambda s: _("Opened again: the appeal %(appeal)s was granted") % {"appeal": s["appeal"]},
    "refusal_reversed": lambda s: _("Refusal reversed on appeal; opened again as %(reference)s") % {"reference": s["reopened_as"]},
    "packet_requested": lambda s: _("Packet requested"),
    "packet_built": lambda s: ngettext("Packet built: %(n)d file", "Packet built: %(n)d files", s.count("files")) % {"n": s.count("files")},
    "packet_failed": lambda s: _("Packet could not be built"),
    "packet_viewed": lambda s: _("Packet downloaded by staff to check it"),
    "packet_released": lambda s: _("Packet released to the requester, downloadable until %(date)s") % {"date": s.day("expires")},
    "packet_downloaded": lambda s: _("The requester downloaded the packet"),
    "packet_purged": lambda s: _("Packet deleted: its download period is over"),
    "evidence_added": lambda s: _("The requester sent a file"),
    "evidence_viewed": lambda s: _("A file of evidence was opened"),
    "evidence_purged": lambda s: _("Files of evidence deleted: kept no longer than needed"),
    "letter_issued": lambda s: _("Letter written: %(kind)s") % {"kind": _label(LetterKind, s["kind"])},
    "letter_viewed": lambda s: _("A letter was opened by staff"),
    "email_sent": lambda s: _("Email sent to the requester") if s["to"] == "requester" else _("Email sent to staff"),
    "anonymised": lambda s: _("Personal data removed from the case: kept no longer than needed"),
    "suppressed": lambda s: _("Added to the suppression list: no more marketing, selling or sharing"),
    "reminded": lambda s: _("Reminder sent to the requester"),
    "exported": lambda s: _("Included in a CSV export of the queue"),
    "note_added": lambda s: _("Internal note added"),
    "letter_to_post": lambda s: _("Letter prepared for posting"),
    "letter_posted": lambda s: _("Letter recorded as posted"),
    "email_undelivered": lambda s: _("An email to the requester came back undelivered"),
    "inbox_turned": lambda s: _("Made a case from an email to the privacy mailbox"),
    "inbox_dismissed": lambda s: _("An email to the privacy mailbox was dismissed"),
    "inbox_file_viewed": lambda s: _("A file of the email was opened"),
}
# fmt: on


def _more(event: RequestEvent, said: Said) -> list[str]:
    """What a few events add below their sentence: the laws a new case is under, the change of status."""
    lines = []
    if event.data.get("regimes"):
        lines.append(_("Laws that apply: %(laws)s") % {"laws": said.laws()})
    if event.old_status and event.new_status and event.old_status != event.new_status:
        lines.append(
            _("Status changed from %(old)s to %(new)s")
            % {"old": _label(Status, event.old_status), "new": _label(Status, event.new_status)}
        )
    elif event.new_status and not event.old_status:
        lines.append(_("Status: %(new)s") % {"new": _label(Status, event.new_status)})
    return lines


@dataclass(frozen=True)
class TimelineEvent:
    """One line of the timeline as staff read it."""

    seq: int
    at: datetime
    actor: str
    sentence: str
    more: list[str] = field(default_factory=list)
    verb: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    # The internal note a `note_added` event names (selectors.with_notes), shown to staff only.
    note: Any = None


def _name(user: Any) -> str:
    return str(user.get_full_name() or user.get_username())


def _actor(event: RequestEvent) -> str:
    if event.actor is not None:
        return _name(event.actor)
    return {
        ActorKind.REQUESTER: _("The requester"),
        ActorKind.OWNER: _("A system's owner"),
        ActorKind.STAFF: _("A former member of staff"),
    }.get(ActorKind(event.actor_kind), _("The portal"))


def sentence(verb: str, said: Said) -> str:
    """The verb's wording; an unknown verb (a row older than its wording) still reads as words, not a code."""
    words = WORDING.get(verb)
    return words(said) if words is not None else verb.replace("_", " ").capitalize()


def timeline(privacy_request: PrivacyRequest) -> list[TimelineEvent]:
    """The case's events, oldest first, in plain words in the active language."""
    events = list(privacy_request.events.select_related("actor").order_by("seq"))
    user_ids = {e.data.get("assignee") for e in events if e.verb == "assigned"} - {None}
    system_ids: set[int] = set()
    for e in events:
        if isinstance(e.data.get("system"), int):
            system_ids.add(e.data["system"])
        system_ids.update(pk for pk in e.data.get("systems") or [] if isinstance(pk, int))
    users = {u.pk: _name(u) for u in get_user_model().objects.filter(pk__in=user_ids)}
    systems = dict(CompanySystem.objects.filter(pk__in=system_ids).values_list("pk", "name"))
    rows = []
    for event in events:
        said = Said(event.data or {}, users, systems)
        rows.append(
            TimelineEvent(
                seq=event.seq,
                at=event.at,
                actor=_actor(event),
                sentence=sentence(event.verb, said),
                more=_more(event, said),
                verb=event.verb,
                data=event.data or {},
            )
        )
    return rows
