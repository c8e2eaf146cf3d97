"""Idempotent sweeps run by Celery beat (DESIGN §7).

Deadlines live on the rows; each sweep selects what is due with an index-backed query, claims each item
with a unique `Notice` row (or a conditional UPDATE through a service) and, in the same transaction, puts
the email in the outbox (`outbox.py`). A doubled beat, a re-run or a concurrent worker finds the claim taken
and sends nothing twice; a sweep after downtime sees everything still due and catches up once; a claim whose
message the broker lost is published again by the `redeliver` sweep. Cost grows with the due items, not the
table.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone, translation
from django.utils.translation import gettext

from identity.models import Evidence
from privacyportal import outbox
from privacyportal.mailbox import LocalMaildir, Mailbox, MessageGone

from . import services
from .lifecycle import OPEN_STATUSES, WORKING_STATUSES, Status
from .models import (
    DenialReason,
    Notice,
    OwnerTask,
    OwnerTaskStatus,
    Packet,
    PacketStatus,
    PrivacyRequest,
    StaffPreference,
    SweepClaim,
)
from .selectors import effective_due_by, local_date
from .services import inbox
from .services import retention as purges  # the sweep below is called retention
from .services.mailbox import take as take_mail

logger = logging.getLogger(__name__)

REMINDER_DAYS = (14, 7, 2, 1)  # before the effective due date
OWNER_REMINDER_DAYS = (7, 2)  # a system owner's open task, before the case's effective due date
VERIFY_REMINDER_AFTER = timedelta(hours=24)
EXTENSION_WARNING_DAYS = 3
# Sorted: SQLite matches a query to a partial index by the text of its IN list.
WORKING = sorted(s.value for s in WORKING_STATUSES)
SELF_SERVICE = ["web", "api"]


def claim(privacy_request_id: int, kind: str, *, sent: bool = True) -> bool:
    """Take the (case, kind) notice; False if someone already has."""
    try:
        with transaction.atomic():
            Notice.objects.create(privacy_request_id=privacy_request_id, kind=kind, sent=sent)
    except IntegrityError:
        return False
    return True


def claim_once(name: str) -> bool:
    try:
        with transaction.atomic():
            SweepClaim.objects.create(name=name)
    except IntegrityError:
        return False
    return True


def claim_and_send(privacy_request_id: int, kind: str, task: str, *args: Any) -> bool:
    """Claim the (case, kind) notice and put its task in the outbox, both or neither."""
    with transaction.atomic():
        if not claim(privacy_request_id, kind):
            return False
        outbox.enqueue(task, *args)
    return True


def claim_once_and_send(name: str, task: str, *args: Any) -> bool:
    with transaction.atomic():
        if not claim_once(name):
            return False
        outbox.enqueue(task, *args)
    return True


def _today(now: datetime | None) -> date:
    return local_date(now or timezone.now())


def verification(now: datetime | None = None) -> int:
    """Remind requesters who have not confirmed their email after 24 h; expire the request after N days."""

    now = now or timezone.now()
    done = 0
    expire_before = now - timedelta(days=settings.PRIVACY_VERIFY_EXPIRE_DAYS)
    # Only requests the requester sent themselves wait for their email; staff-logged letters do not.
    unconfirmed = PrivacyRequest.objects.filter(status=Status.NEW, channel__in=SELF_SERVICE)
    for privacy_request in unconfirmed.filter(received_at__lte=expire_before):
        try:
            with transaction.atomic():
                services.expire(privacy_request)
                outbox.enqueue(services.SEND_REQUESTER_EMAIL, privacy_request.pk, "request-expired")
        except services.TransitionError:
            continue  # confirmed or expired by someone else meanwhile
        done += 1
    remind_before = now - VERIFY_REMINDER_AFTER
    due = unconfirmed.filter(received_at__lte=remind_before).values_list("pk", flat=True)
    for pk in due:
        if claim_and_send(pk, "verify_reminder", services.SEND_VERIFICATION_EMAIL, pk, True):
            done += 1
    return done


def acknowledgements(now: datetime | None = None) -> int:
    """Acknowledge receipt where a regime requires it (CCPA) for cases staff logged from a letter or call.

    Web submissions are acknowledged by the verification email at once.
    """

    pending = PrivacyRequest.objects.filter(
        status__in=sorted(s.value for s in OPEN_STATUSES), acknowledge_by__isnull=False
    ).exclude(channel="web")  # the partial index pr_open_to_acknowledge
    # NOT EXISTS probes the (case, kind) unique index per candidate; NOT IN would hash every notice ever sent.
    acknowledged = Notice.objects.filter(privacy_request=OuterRef("pk"), kind="acknowledged")
    done = 0
    for pk in pending.filter(~Exists(acknowledged)).values_list("pk", flat=True):
        if claim_and_send(pk, "acknowledged", services.SEND_REQUESTER_EMAIL, pk, "request-acknowledged"):
            done += 1
    return done


def due_reminders(now: datetime | None = None) -> int:
    """Remind the assignee (or the DPOs) 14, 7, 2 and 1 days before the effective due date.

    After an outage only the nearest missed reminder is sent; the earlier ones are marked superseded.
    """

    today = _today(now)
    done = 0
    # Not the overdue or due today (the overdue sweep speaks for those): cost follows the reminders due,
    # not the backlog.
    window = effective_due_by(today + timedelta(days=max(REMINDER_DAYS))).filter(
        effective_due_at__gte=today + timedelta(days=min(REMINDER_DAYS))
    )
    for privacy_request in window.only("pk", "effective_due_at"):
        days_left = (privacy_request.effective_due_at - today).days
        crossed = [d for d in REMINDER_DAYS if d >= days_left]
        nearest = min(crossed)
        for days in crossed:
            if days != nearest:
                claim(privacy_request.pk, f"due_{days}", sent=False)
        kind = f"due_{nearest}"
        if claim_and_send(privacy_request.pk, kind, services.SEND_STAFF_NOTICE, privacy_request.pk, kind):
            done += 1
    return done


def extension_window(now: datetime | None = None) -> int:
    """Warn the DPOs when an extension would have to be sent within 3 days (only before the due date)."""

    today = _today(now)
    candidates = PrivacyRequest.objects.filter(
        status__in=WORKING,
        extended=False,
        due_at__gte=today,
        due_at__lte=today + timedelta(days=EXTENSION_WARNING_DAYS),
    )
    done = 0
    for privacy_request in candidates:
        if privacy_request.extended_due_at <= privacy_request.due_at:
            continue  # a governing law allows no extension: nothing to warn about
        kind = "extension_window"
        if claim_and_send(privacy_request.pk, kind, services.SEND_STAFF_NOTICE, privacy_request.pk, kind):
            done += 1
    return done


def overdue(now: datetime | None = None) -> int:
    """Once a day while anything is overdue: one email to the DPOs listing every overdue case."""

    today = _today(now)
    ids = list(
        effective_due_by(today - timedelta(days=1))
        .order_by("effective_due_at", "pk")
        .values_list("pk", flat=True)
    )
    if ids and claim_once_and_send(
        f"overdue:{today.isoformat()}", services.SEND_OVERDUE_DIGEST, today.isoformat()
    ):
        return len(ids)
    return 0


def fee_lapses(now: datetime | None = None) -> int:
    """Close cases whose quoted fee went unanswered for PRIVACY_FEE_LAPSE_DAYS, with a letter."""
    now = now or timezone.now()
    lapsed = PrivacyRequest.objects.filter(
        status=Status.FEE_PENDING, fee_quoted_at__lte=now - timedelta(days=settings.PRIVACY_FEE_LAPSE_DAYS)
    )
    done = 0
    for privacy_request in lapsed:
        try:
            with translation.override(privacy_request.language):  # the note goes into their letter
                explanation = gettext("The quoted fee was not accepted within the time allowed.")
            services.deny(
                privacy_request,
                by=None,
                reason=DenialReason.FEE_DECLINED,
                explanation=explanation,
                letter="fee-lapsed",
            )
        except services.TransitionError:
            continue
        done += 1
    return done


def evidence_purge(now: datetime | None = None) -> int:
    """Delete evidence N days after the identity decision (or the close), and files never attached to a case."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.PRIVACY_EVIDENCE_DAYS)
    # Proof of identity goes once identity is decided; extracts staff uploaded for the packet stay until the close.
    decided = (
        Evidence.objects.filter(purged_at__isnull=True, privacy_request__isnull=False)
        .filter(
            (Q(privacy_request__identity_verified_at__lte=cutoff) & ~Q(kind=Evidence.Kind.EXTRACT))
            | Q(privacy_request__closed_at__lte=cutoff)
        )
        .filter(
            # A file sent after that (a message on a closed case) is kept as long as the others were, from its arrival.
            uploaded_at__lte=cutoff
        )
    )
    done = 0
    for privacy_request_id in (
        decided.values_list("privacy_request_id", flat=True).distinct().order_by("privacy_request_id")
    ):
        done += purges.purge_evidence(
            privacy_request_id, decided.filter(privacy_request_id=privacy_request_id), now
        )
    return done + purges.purge_unattached_evidence(now - timedelta(days=1))


def retention(now: datetime | None = None) -> int:
    """Anonymise cases closed more than PRIVACY_RETENTION_MONTHS ago (statistics and the event chain stay); delete
    inbox items decided more than PRIVACY_INBOX_DAYS ago."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=round(settings.PRIVACY_RETENTION_MONTHS * 30.44))
    closed = [s.value for s in Status if s not in OPEN_STATUSES]
    due = PrivacyRequest.objects.filter(status__in=closed, closed_at__lte=cutoff, anonymised_at__isnull=True)
    # Not while a message the requester wrote after the close waits for our answer (it is in the staff queue).
    due = due.filter(written_after_closing_at__isnull=True)
    anonymised = sum(purges.anonymise(pk, now) for pk in due.values_list("pk", flat=True))
    # Mail to the privacy mailbox, once made a case, dismissed or ignored: its words are on the case, if anywhere.
    return anonymised + inbox.purge(now - timedelta(days=settings.PRIVACY_INBOX_DAYS))


def packet_purge(now: datetime | None = None) -> int:
    """Delete released packets once their download has expired, and packets never released of cases
    closed more than PRIVACY_PACKET_DAYS ago."""
    now = now or timezone.now()
    stale = Packet.objects.filter(purged_at__isnull=True).filter(
        Q(status=PacketStatus.RELEASED, expires_at__lte=now)
        | (
            ~Q(status=PacketStatus.RELEASED)
            & Q(privacy_request__closed_at__lte=now - timedelta(days=settings.PRIVACY_PACKET_DAYS))
        )
    )
    return sum(purges.purge_packet(packet, now) for packet in stale.select_related("privacy_request"))


def staff_digests(now: datetime | None = None) -> int:
    """Once a day, each member of staff who chose the digest gets one email listing their reminders."""

    today = _today(now)
    done = 0
    for pref in StaffPreference.objects.filter(daily_digest=True, user__is_active=True).exclude(
        user__email=""
    ):
        day = today.isoformat()
        if claim_once_and_send(f"digest:{pref.user_id}:{day}", services.SEND_STAFF_DIGEST, pref.user_id, day):
            done += 1
    return done


def owner_task_reminders(now: datetime | None = None) -> int:
    """Remind the owners of open tasks 7 and 2 days before the case's effective due date, once each.

    Each reminder is claimed by a conditional UPDATE of the task's count. A reminder whose day came before the
    last email to the owner (a task sent 5 days before the due date has no 7-day reminder) and, after an outage,
    all but the nearest missed one are taken without an email.
    """
    now = now or timezone.now()
    today = _today(now)
    window = effective_due_by(today + timedelta(days=max(OWNER_REMINDER_DAYS))).filter(
        effective_due_at__gte=today
    )
    waiting = OwnerTask.objects.filter(
        status=OwnerTaskStatus.OPEN, reminders__lt=len(OWNER_REMINDER_DAYS), privacy_request__in=window
    ).select_related("privacy_request")
    done = 0
    for task in waiting.order_by("pk"):
        due = task.privacy_request.effective_due_at
        crossed = [d for d in OWNER_REMINDER_DAYS if (due - today).days <= d]
        level = len(crossed)
        if level <= task.reminders:
            continue
        last_email = local_date(task.sent_at or task.created_at)
        send = last_email < due - timedelta(days=min(crossed))
        if services.claim_reminder(task, level=level, send=send):
            done += 1
    return done


def redeliver(now: datetime | None = None) -> int:
    """Publish again the tasks the broker lost (flushed, restarted, unreachable when they were sent)."""
    return outbox.redeliver(now)


def mailbox() -> int:
    """Take the privacy mailbox's new mail (DESIGN §14): each message is fetched, kept (on its case or in the
    inbox) and only then moved to the processed folder. A crash between the two leaves the message in the inbox,
    and the next sweep takes it again, which changes nothing it already did: nothing is lost, nothing doubled.
    Off while MAILBOX_HOST is empty, unless MAILBOX_MAILDIR names a Maildir on this machine (the demo's)."""
    if not (settings.MAILBOX_HOST or settings.MAILBOX_MAILDIR):
        return 0
    taken = 0
    with Mailbox() if settings.MAILBOX_HOST else LocalMaildir() as box:
        for uid in box.new_uids():
            try:
                mail = box.fetch(uid)
            except MessageGone:
                continue  # another sweep took and moved it meanwhile
            try:
                take_mail(mail, uidvalidity=box.uidvalidity)
            except Exception:
                # One mail that cannot be kept must not hold up the ones behind it: it stays in the inbox, to be
                # tried again next time (and read by staff in their mail client meanwhile). Its UID only: no
                # address or subject in the log.
                logger.exception("mailbox: message UID %s could not be kept; left in the inbox", uid)
                continue
            box.move(uid)
            taken += 1
    return taken
