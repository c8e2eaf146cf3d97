"""What a requester may see: their own cases, and the public part of each timeline."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q, QuerySet

from privacyportal.addresses import normalise_email

from ..models import Channel, Packet, PrivacyRequest, RequestEvent


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
    interval" by on the case page."""
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
