"""The fulfilment packet from staff's side: asked for, released to the requester, downloaded."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from privacyportal import outbox

from ..audit import record_event
from ..lifecycle import packet_sources
from ..models import (
    ActorKind,
    Packet,
    PacketStatus,
    PrivacyRequest,
)
from .common import BUILD_PACKET, TransitionError, _email_requester
from .rules import _guard, _no_packet_ready, _packet_released


@transaction.atomic
def request_packet(privacy_request: PrivacyRequest, *, by: AbstractBaseUser) -> Packet:
    """Ask for the packet to be (re)built by the pdf worker; a newer request supersedes a running build."""
    _guard(privacy_request, "packet")
    packet, created = Packet.objects.select_for_update().get_or_create(privacy_request=privacy_request)
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

    outbox.enqueue(BUILD_PACKET, privacy_request.pk, packet.build, queue=outbox.PDF_QUEUE)
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
        privacy_request=privacy_request,
        status__in=packet_sources(PacketStatus.RELEASED),
        purged_at__isnull=True,
        privacy_request__status__in=sorted(s.value for s in rule.statuses),
    )
    if build is not None:
        ready = ready.filter(build=build)
    if not ready.update(status=PacketStatus.RELEASED, released_at=now, released_by=by, expires_at=expires):
        raise TransitionError(_no_packet_ready(privacy_request))
    packet = Packet.objects.get(privacy_request=privacy_request)
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
        packet.privacy_request,
        "packet_downloaded",
        actor_kind=ActorKind.REQUESTER,
        data={"build": packet.build},
    )
