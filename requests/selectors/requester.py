"""What a requester may see: their own cases, and the public part of each timeline."""

from __future__ import annotations

from django.db.models import QuerySet

from privacyportal.addresses import normalise_email

from ..models import PrivacyRequest, RequestEvent


def cases_of(email: str) -> QuerySet[PrivacyRequest]:
    """Every case a requester (by proved email address) may see on the status page, newest first."""
    return PrivacyRequest.objects.filter(email_key=normalise_email(email)).order_by("-received_at", "-id")


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
