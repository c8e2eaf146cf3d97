"""Celery tasks: thin, take ids or nothing, call one function, own their retry policy (DESIGN §7)."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from typing import Any

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import translation

from . import health, letters, sweeps
from .audit import check_and_alert
from .emails import EMAIL_TASK, dpo_addresses, dpo_users, make_message, record_sent
from .explain import explain
from .models import PrivacyRequest, RequestEvent, StaffPreference
from .outbox import OutboxTask
from .selectors import deadlines_of

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, reject_on_worker_lost=True, time_limit=30 * 60, soft_time_limit=25 * 60)
def verify_audit_chain() -> int:
    """Nightly: verify every case's event chain and alert the DPOs on a break (ids only in the log)."""
    breaks = check_and_alert()
    for found in breaks:
        logger.error("Audit chain broken at %s", found)
    if not breaks:
        # The count in the log is a record outside the database: a trail that shrinks shows there.
        logger.info("Audit chain intact: %d events", RequestEvent.objects.count())
    return len(breaks)


REQUESTER_EMAILS = frozenset(
    {"packet-ready", "request-honoured", "request-expired", "request-acknowledged", "fee-lapsed", "request-received",
     "new-message", "request-extended", "fee-quoted", "fee-declined", "request-completed", "request-denied",
     "request-forwarded", "request-withdrawn"}
)  # fmt: skip
STAFF_NOTICES = frozenset({"due_14", "due_7", "due_2", "due_1", "extension_window", "assigned"})
SWEEPS = frozenset(
    {"verification", "acknowledgements", "due_reminders", "extension_window", "overdue", "fee_lapses",
     "evidence_purge", "retention", "staff_digests", "packet_purge", "redeliver"}
)  # fmt: skip


@shared_task(acks_late=True, reject_on_worker_lost=True, time_limit=15 * 60, soft_time_limit=14 * 60)
def sweep(name: str) -> int:
    """Run one sweep by name (beat schedules each); returns how many items it acted on."""
    if name not in SWEEPS:
        raise ValueError(f"unknown sweep {name!r}")
    count: int = getattr(sweeps, name)()
    health.beat(f"sweep:{name}")
    logger.info("sweep %s acted on %d items", name, count)
    return count


@shared_task(acks_late=True, time_limit=30, soft_time_limit=25, ignore_result=True)
def heartbeat() -> None:
    """Every minute (beat): proves to /healthz that a worker is consuming the queue."""
    health.beat("worker")


@shared_task(**EMAIL_TASK)
def send_requester_email(privacy_request_id: int, name: str, event_seq: int = 0) -> None:
    """Email the requester about their case, in their language, with its PDF letter where it has one."""
    if name not in REQUESTER_EMAILS:
        raise ValueError(f"unknown requester email {name!r}")
    privacy_request = PrivacyRequest.objects.get(pk=privacy_request_id)
    message = make_message(
        name,
        {
            "privacy_request": privacy_request,
            "base_url": settings.PORTAL_BASE_URL.rstrip("/"),
            "supervisory_authority": settings.PRIVACY_SUPERVISORY_AUTHORITY,
        },
        to=[privacy_request.requester_email],
        language=privacy_request.language,
    )
    kind = letters.letter_for(privacy_request, name)
    if kind is not None:
        letter = letters.issue(privacy_request, kind, for_event=event_seq)
        message.attach(letter.filename, letters.read(letter), "application/pdf")
    message.send()
    record_sent(privacy_request, name, "requester")


def _staff_recipients(privacy_request: PrivacyRequest) -> list[tuple[str, str]]:
    """(address, language) of whoever answers for the case: the assignee, or the DPOs while unassigned.

    Staff who chose the daily digest are left out: the digest sweep lists the claimed notice for them.
    """
    assignee = privacy_request.assignee
    if assignee is not None and assignee.is_active and assignee.email:
        users = [assignee]
        addresses = []
    else:
        users = list(dpo_users())
        addresses = [a for a in dpo_addresses() if a not in {u.email for u in users}]
    prefs = {p.user_id: p for p in StaffPreference.objects.filter(user__in=users)}
    recipients = [(address, "en") for address in addresses]
    for user in users:
        pref = prefs.get(user.pk)
        if pref is None or not pref.daily_digest:
            recipients.append((user.email, pref.language if pref else "en"))
    return recipients


@shared_task(**EMAIL_TASK)
def send_staff_notice(privacy_request_id: int, kind: str) -> None:
    """A deadline reminder or extension warning to whoever answers for the case."""
    if kind not in STAFF_NOTICES:
        raise ValueError(f"unknown staff notice {kind!r}")
    privacy_request = PrivacyRequest.objects.select_related("assignee").get(pk=privacy_request_id)
    if not privacy_request.is_open:
        return  # closed meanwhile: nothing to remind anyone of
    days = int(kind.split("_")[1]) if kind.startswith("due_") else None
    template = {"extension_window": "staff-extension-window", "assigned": "staff-assigned"}.get(
        kind, "staff-due-reminder"
    )
    context = {
        "privacy_request": privacy_request,
        "days": days,
        "due_sentence": explain(deadlines_of(privacy_request)),
        "case_url": f"{settings.PORTAL_BASE_URL.rstrip('/')}/admin/requests/privacyrequest/{privacy_request.pk}/change/",
    }
    if kind == "assigned":
        # Only the new assignee hears of an assignment, at once (not in a digest).
        assignee = privacy_request.assignee
        pref = StaffPreference.objects.filter(user=assignee).first()
        recipients = (
            [(assignee.email, pref.language if pref else "en")] if assignee and assignee.email else []
        )
    else:
        recipients = _staff_recipients(privacy_request)
    for address, language in recipients:
        context["due_sentence"] = _in(language, lambda: explain(deadlines_of(privacy_request)))
        make_message(template, context, to=[address], language=language).send()
    if recipients:
        record_sent(privacy_request, template, "staff")


def _in(language: str, make: Any) -> Any:
    with translation.override(language):
        return make()


@shared_task(**EMAIL_TASK)
def send_staff_digest(user_id: int, day: str) -> None:
    """One member of staff's daily list of the reminders claimed for their cases in the last day."""
    user = get_user_model().objects.get(pk=user_id)
    pref = StaffPreference.objects.get(user=user)
    until = datetime.combine(date.fromisoformat(day), datetime.min.time(), tzinfo=UTC)
    notices = sweeps.digest_notices(user, since=until - timedelta(days=1), until=until)
    if not notices:
        return
    with translation.override(pref.language):
        rows = [
            {"notice": n, "case": n.request, "due_sentence": explain(deadlines_of(n.request))}
            for n in notices
        ]
    base = settings.PORTAL_BASE_URL.rstrip("/")
    make_message(
        "staff-digest",
        {"rows": rows, "base_url": base, "user": user},
        to=[user.email],
        language=pref.language,
    ).send()
    for case in {n.request for n in notices}:
        record_sent(case, "staff-digest", "staff")


@shared_task(**EMAIL_TASK)
def send_overdue_digest(day: str) -> None:
    """The daily list of overdue cases to the DPOs; an event on each case listed."""
    today = date.fromisoformat(day)
    cases = list(sweeps.effective_due_by(today - timedelta(days=1)).order_by("effective_due_at", "pk"))
    if not cases:
        return
    rows = [{"case": c, "days_overdue": (today - c.effective_due_at).days} for c in cases]
    base = settings.PORTAL_BASE_URL.rstrip("/")
    make_message("staff-overdue", {"rows": rows, "base_url": base, "day": today}, to=dpo_addresses()).send()
    for case in cases:
        record_sent(case, "staff-overdue", "staff")


@shared_task(
    base=OutboxTask, acks_late=True, reject_on_worker_lost=True, time_limit=15 * 60, soft_time_limit=14 * 60
)
def build_packet(privacy_request_id: int, build: int) -> bool:
    """Build one numbered packet of a case on the pdf queue; a superseded build stops quietly."""
    from . import packets

    return packets.build(privacy_request_id, build)
