"""What a requester may see: their own cases, the public part of each timeline, and how the status page tells
the story of a case."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext, pgettext
from django.utils.translation import gettext_lazy as _

from identity.tiers import Tier
from privacyportal.addresses import normalise_email

from ..lifecycle import CLOSED_STATUSES, Status
from ..models import (
    FOLLOW_UPS,
    RIGHTS,
    Channel,
    DenialReason,
    Letter,
    LetterKind,
    Packet,
    PrivacyRequest,
    RequestEvent,
)
from .case_page import verification_tier


def cases_of(email: str) -> QuerySet[PrivacyRequest]:
    """Every case a requester (by proved email address) may see on the status page, newest first."""
    return PrivacyRequest.objects.filter(email_key=normalise_email(email)).order_by("-received_at", "-id")


# Requests whose sender proved the address, or that staff logged from a letter, email or call.
CONFIRMED = Q(email_verified_at__isnull=False) | Q(channel__in=[Channel.EMAIL, Channel.POST, Channel.PHONE])


def confirmed_requests_from(email_key: str, *, since: datetime) -> QuerySet[PrivacyRequest]:
    """The earlier requests from this (normalised) address that count towards repetition: confirmed ones only,
    so a stranger submitting with someone's address cannot use up that person's requests."""
    return PrivacyRequest.objects.filter(CONFIRMED, email_key=email_key, received_at__gte=since)


def earlier_requests(privacy_request: PrivacyRequest) -> QuerySet[PrivacyRequest]:
    """The person's other requests (by the normalised address), newest first: what staff judge a "reasonable
    interval" by on the case page. A requester who wrote by post without an email has none found this way."""
    if not privacy_request.email_key:
        return PrivacyRequest.objects.none()
    return (
        PrivacyRequest.objects.filter(email_key=privacy_request.email_key)
        .exclude(pk=privacy_request.pk)
        .order_by("-received_at", "-id")
    )


PUBLIC_VERBS = {
    "submitted", "email_confirmed", "honoured", "identity_verified", "assigned", "paused", "resumed",
    "extended", "completed", "denied", "withdrawn", "forwarded", "expired", "evidence_added", "message_received",
    "message_sent", "fee_quoted", "fee_accepted", "fee_declined", "packet_released", "packet_downloaded",
    "packet_purged", "accepted_without_proof", "carried_out", "appeal_received", "complaint_received",
    "appeal_decided", "complaint_answered", "refusal_reversed", "reopened",
}  # fmt: skip


def public_timeline(privacy_request: PrivacyRequest) -> QuerySet[RequestEvent]:
    """What the requester may see of the case's history (not who on staff looked at what)."""
    return privacy_request.events.filter(verb__in=PUBLIC_VERBS).order_by("seq")


# --- How the requester's pages tell the story of a case (issue 21) ---------------------------------------------


@dataclass(frozen=True)
class Standing:
    """The state of a case as the requester reads it: words for its tag, and a tone that only repeats them."""

    label: str
    tone: str  # "open", "waiting" (on the requester), "done", "refused" or "closed" (neutral)


# The lifecycle's names are staff's ("Waiting for the requester"); these speak to the requester.
_WORDS: dict[Status, Any] = {
    Status.AWAITING_REQUESTER: _("Waiting for your answer"),
    Status.FEE_PENDING: _("Waiting for your decision on the fee"),
}
_TONES: dict[Status, str] = {
    Status.NEW: "waiting", Status.AWAITING_REQUESTER: "waiting", Status.FEE_PENDING: "waiting",
    Status.COMPLETED: "done", Status.DENIED: "refused",
    Status.WITHDRAWN: "closed", Status.FORWARDED: "closed", Status.EXPIRED: "closed",
}  # fmt: skip


def ending(privacy_request: PrivacyRequest) -> str | None:
    """How a closed case ended, as the requester's pages tell it; None while it is open.

    "answered", "refused", "fee_declined" (their choice), "fee_lapsed" (they let the time to accept run out),
    "withdrawn", "forwarded" or "expired". The lifecycle records a fee not taken as a refusal
    (DenialReason.FEE_DECLINED): the requester's pages do not call it one.
    """
    status = Status(privacy_request.status)
    if status not in CLOSED_STATUSES:
        return None
    if status == Status.DENIED and privacy_request.denial_reason == DenialReason.FEE_DECLINED:
        # decline_fee records the requester's "no"; the fee-lapse sweep leaves fee_accepted unset.
        return "fee_declined" if privacy_request.fee_accepted is False else "fee_lapsed"
    return {
        Status.COMPLETED: "answered", Status.DENIED: "refused", Status.WITHDRAWN: "withdrawn",
        Status.FORWARDED: "forwarded", Status.EXPIRED: "expired",
    }[status]  # fmt: skip


def standing(privacy_request: PrivacyRequest) -> Standing:
    """The tag the status list and the status page show for the case."""
    status = Status(privacy_request.status)
    end = ending(privacy_request)
    if end == "fee_declined":
        return Standing(gettext("Closed: you declined the fee"), "closed")
    if end == "fee_lapsed":
        return Standing(gettext("Closed: the fee was not accepted in time"), "closed")
    return Standing(str(_WORDS.get(status, status.label)), _TONES.get(status, "open"))


@dataclass(frozen=True)
class Step:
    """One step of the indicator on the status page."""

    name: str
    # "done", "current", "waiting" (current, and waiting for the requester), "todo", "not_needed", or "ended" (the
    # last step of a closed case, where it now is).
    state: str

    @property
    def is_current(self) -> bool:
        return self.state in ("current", "waiting", "ended")


def _no_check_needed(privacy_request: PrivacyRequest) -> bool:
    """Nothing to prove: an opt-out or a limit (honoured at once), or an appeal or complaint from a signed-in
    requester."""
    return privacy_request.kind in FOLLOW_UPS or verification_tier(privacy_request) is Tier.NONE


def _last_step(end: str | None) -> str:
    """The name of the last step: how a closed case ended, "Answered" while it is to come.

    The steps' names are stages of a request (Russian names them as nouns: "Получение", "Ответ"), hence their
    context: not the words of the same spelling elsewhere (the queue's "Closed" cases, an owner task "Answered").
    """
    if end == "withdrawn":
        return gettext("Withdrawn")
    if end == "forwarded":
        return gettext("Passed to the company responsible")
    if end in ("expired", "fee_declined", "fee_lapsed"):
        return pgettext("a step of a request", "Closed")
    return pgettext("a step of a request", "Answered")


def progress(privacy_request: PrivacyRequest) -> list[Step]:
    """Received → confirming who you are → working on it → answered, with the step the case is at.

    An open case shows the four steps; a closed one the steps it went through, then how it ended (a request
    withdrawn before anything was checked went from received to withdrawn, and says no more).
    """
    status = Status(privacy_request.status)
    received, identity = pgettext("a step of a request", "Received"), gettext("Confirming who you are")
    working = gettext("Working on it")
    no_check = _no_check_needed(privacy_request)
    if status in CLOSED_STATUSES:
        steps = [Step(received, "done")]
        if no_check:
            steps.append(Step(identity, "not_needed"))
        elif privacy_request.identity_verified_at is not None:
            steps.append(Step(identity, "done"))
        if no_check or privacy_request.identity_verified_at is not None:
            steps.append(Step(working, "done"))
        return [*steps, Step(_last_step(ending(privacy_request)), "ended")]
    # Where an open case is: confirming the address or who the person is, or the work itself (a pause returns
    # to where it was, so it waits at that step).
    paused_at_identity = (
        status == Status.AWAITING_REQUESTER and privacy_request.resume_status == Status.VERIFYING
    )
    at = 1 if status in (Status.NEW, Status.VERIFYING) or paused_at_identity else 2
    waiting = status in (Status.NEW, Status.AWAITING_REQUESTER, Status.FEE_PENDING)
    names = [received, identity, working, _last_step(None)]
    steps = []
    for index, name in enumerate(names):
        if index == 1 and no_check and status != Status.NEW:
            state = "not_needed"
        elif index < at:
            state = "done"
        elif index == at:
            state = "waiting" if waiting else "current"
        else:
            state = "todo"
        steps.append(Step(name, state))
    return steps


# The letters that answer a case, as opposed to those sent on the way (an extension notice, a fee estimate).
ANSWER_LETTERS = (
    LetterKind.ACCESS, LetterKind.CCPA_KNOW, LetterKind.CONFIRMATION, LetterKind.COMPLETION, LetterKind.REFUSAL,
    LetterKind.FORWARD, LetterKind.APPEAL_DECISION, LetterKind.COMPLAINT_OUTCOME,
)  # fmt: skip


def answer_letter(privacy_request: PrivacyRequest) -> Letter | None:
    """The letter that closed the case, while we still keep it (None before the email task has written it)."""
    if privacy_request.is_open:
        return None
    letters = privacy_request.letters.filter(kind__in=ANSWER_LETTERS, purged_at__isnull=True)
    return letters.order_by("-created_at", "-id").first()


def may_withdraw(privacy_request: PrivacyRequest) -> bool:
    """The status page offers to withdraw an open request. Not an appeal or a complaint: withdrawing one would
    only free the way to make it again, so the requester writes to us instead."""
    return (
        privacy_request.is_open and privacy_request.kind in RIGHTS and privacy_request.anonymised_at is None
    )


def takes_messages(privacy_request: PrivacyRequest) -> bool:
    """The requester may write on the case: any case we worked on, open or closed (a question about the answer).
    Not one that lapsed unconfirmed (never worked on: a new request is the way), nor one anonymised."""
    return privacy_request.status != Status.EXPIRED and privacy_request.anonymised_at is None


def last_download(packet: Packet) -> datetime | None:
    """When the requester last downloaded this build of the packet (a rebuilt packet starts afresh)."""
    return (
        RequestEvent.objects.filter(
            privacy_request_id=packet.privacy_request_id, verb="packet_downloaded", data__build=packet.build
        )
        .order_by("-seq")
        .values_list("at", flat=True)
        .first()
    )
