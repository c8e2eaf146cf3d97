"""Deleting personal data on schedule: evidence, packets, and a closed case's own words (DESIGN §9).

Each function is the one write for its purge, and each records an event on the case's audit chain saying what
went (counts and ids, never content), so the trail shows when the data left. The sweeps only choose what is due.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import QuerySet

from identity.models import Evidence
from privacyportal import files

from ..audit import record_event
from ..lifecycle import packet_sources
from ..models import CaseNote, Letter, Message, OwnerTask, Packet, PacketStatus, PostalLetter, PrivacyRequest

ANONYMISED = "(anonymised)"


def purge_evidence(privacy_request_id: int, items: QuerySet[Evidence], now: datetime) -> int:
    """Delete these evidence files of one case; one event names how many went. Returns that number."""
    purged = []
    for item in items.filter(privacy_request_id=privacy_request_id, purged_at__isnull=True):
        # Claimed row by row: a second sweep running at once deletes nothing twice.
        if Evidence.objects.filter(pk=item.pk, purged_at__isnull=True).update(purged_at=now):
            files.remove(item.stored_name)
            purged.append(item.pk)
    if purged:
        with transaction.atomic():
            record_event(
                PrivacyRequest(pk=privacy_request_id), "evidence_purged", data={"evidence": sorted(purged)}
            )
    return len(purged)


def purge_unattached_evidence(uploaded_before: datetime) -> int:
    """Files kept for a form that was never completed: no case, so no event (nothing was ever recorded)."""
    done = 0
    for item in Evidence.objects.filter(privacy_request__isnull=True, uploaded_at__lte=uploaded_before):
        # The row first, then its file, as in every purge: a backup between the two must not name a lost file.
        # Still unattached, or a form completed meanwhile keeps it; claimed, so a second sweep deletes nothing twice.
        if Evidence.objects.filter(pk=item.pk, privacy_request__isnull=True).delete()[0]:
            files.remove(item.stored_name)
            done += 1
    return done


def purge_packet(packet: Packet, now: datetime) -> bool:
    """Delete a packet's file, mark it expired and record it; False if someone else did first."""
    with transaction.atomic():
        expirable = packet_sources(PacketStatus.EXPIRED)
        if not Packet.objects.filter(pk=packet.pk, purged_at__isnull=True, status__in=expirable).update(
            purged_at=now, status=PacketStatus.EXPIRED, step="", percent=0
        ):
            return False
        record_event(packet.privacy_request, "packet_purged", data={"build": packet.build})
    if packet.stored_name:
        files.remove(packet.stored_name, "packets")
    return True


def anonymise(privacy_request_id: int, now: datetime) -> bool:
    """Blank a closed case's personal details, messages, notes and files; kind, status, dates and outcome stay
    for the statistics and the event chain stays whole. One event records it. False if it was done already."""
    with transaction.atomic():
        updated = PrivacyRequest.objects.filter(pk=privacy_request_id, anonymised_at__isnull=True).update(
            requester_name=ANONYMISED, requester_email="anonymised@invalid", email_key="anonymised@invalid",
            postal_address="", subject_name="", subject_email="",
            details="", rectification_current="", rectification_wanted="", objection_grounds="",
            data_points={}, declaration_name="", customer_name="", outcome_note="", extension_reason="",
            restriction_lift_reason="", written_after_closing_at=None,
            anonymised_at=now,
        )  # fmt: skip
        if not updated:
            return False
        # An emailed message's Message-ID often carries the sender's host or name: it goes with the text.
        messages = Message.objects.filter(privacy_request_id=privacy_request_id).update(
            body=ANONYMISED, attachment=None, email_message_id=None
        )
        # What systems' owners wrote (a reason, a note) may name the person.
        OwnerTask.objects.filter(privacy_request_id=privacy_request_id).update(answer="")
        # Staff's internal notes are about the person too.
        CaseNote.objects.filter(privacy_request_id=privacy_request_id).update(text=ANONYMISED)
        record_event(PrivacyRequest(pk=privacy_request_id), "anonymised", data={"messages": messages})
    _remove_case_files(privacy_request_id, now)
    return True


def _remove_case_files(privacy_request_id: int, now: datetime) -> None:
    items = Evidence.objects.filter(privacy_request_id=privacy_request_id)
    purge_evidence(privacy_request_id, items, now)
    Evidence.objects.filter(privacy_request_id=privacy_request_id).update(name=ANONYMISED)
    for letter in Letter.objects.filter(privacy_request_id=privacy_request_id, purged_at__isnull=True):
        if Letter.objects.filter(pk=letter.pk, purged_at__isnull=True).update(purged_at=now):
            files.remove(letter.stored_name, "letters")
    # Notices printed for a requester by post (their formal letters went with the letters above).
    for postal in PostalLetter.objects.filter(privacy_request_id=privacy_request_id).exclude(stored_name=""):
        if PostalLetter.objects.filter(pk=postal.pk, stored_name=postal.stored_name).update(stored_name=""):
            files.remove(postal.stored_name, "letters")
    for packet in Packet.objects.filter(
        privacy_request_id=privacy_request_id, purged_at__isnull=True
    ).select_related("privacy_request"):
        purge_packet(packet, now)
