"""Celery tasks: thin, take ids or nothing, call one function, own their retry policy (DESIGN §7)."""

from __future__ import annotations

import logging
from datetime import date, timedelta

from celery import shared_task
from django.conf import settings

from . import sweeps
from .audit import check_and_alert
from .emails import EMAIL_TASK, dpo_addresses, make_message, record_sent
from .explain import explain
from .models import PrivacyRequest
from .selectors import deadlines_of

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, reject_on_worker_lost=True, time_limit=30 * 60, soft_time_limit=25 * 60)
def verify_audit_chain() -> int:
    """Nightly: verify every case's event chain and alert the DPOs on a break (ids only in the log)."""
    breaks = check_and_alert()
    for found in breaks:
        logger.error("Audit chain broken at %s", found)
    if not breaks:
        logger.info("Audit chain intact")
    return len(breaks)


REQUESTER_EMAILS = frozenset({"request-honoured", "request-expired", "request-acknowledged", "fee-lapsed"})
STAFF_NOTICES = frozenset({"due_14", "due_7", "due_2", "due_1", "extension_window"})
SWEEPS = frozenset(
    {"verification", "acknowledgements", "due_reminders", "extension_window", "overdue", "fee_lapses",
     "evidence_purge", "retention"}
)  # fmt: skip


@shared_task(acks_late=True, reject_on_worker_lost=True, time_limit=15 * 60, soft_time_limit=14 * 60)
def sweep(name: str) -> int:
    """Run one sweep by name (beat schedules each); returns how many items it acted on."""
    if name not in SWEEPS:
        raise ValueError(f"unknown sweep {name!r}")
    count: int = getattr(sweeps, name)()
    logger.info("sweep %s acted on %d items", name, count)
    return count


@shared_task(**EMAIL_TASK)
def send_requester_email(privacy_request_id: int, name: str) -> None:
    """Email the requester about their case, in their language."""
    if name not in REQUESTER_EMAILS:
        raise ValueError(f"unknown requester email {name!r}")
    privacy_request = PrivacyRequest.objects.get(pk=privacy_request_id)
    make_message(
        name,
        {"privacy_request": privacy_request, "base_url": settings.PORTAL_BASE_URL.rstrip("/")},
        to=[privacy_request.requester_email],
        language=privacy_request.language,
    ).send()
    record_sent(privacy_request, name, "requester")


def _staff_recipients(privacy_request: PrivacyRequest) -> tuple[list[str], str]:
    """The assignee, or the DPOs while nobody is assigned; with the language to write in."""
    assignee = privacy_request.assignee
    if assignee is not None and assignee.is_active and assignee.email:
        return [assignee.email], "en"
    return dpo_addresses(), "en"


@shared_task(**EMAIL_TASK)
def send_staff_notice(privacy_request_id: int, kind: str) -> None:
    """A deadline reminder or extension warning to whoever answers for the case."""
    if kind not in STAFF_NOTICES:
        raise ValueError(f"unknown staff notice {kind!r}")
    privacy_request = PrivacyRequest.objects.select_related("assignee").get(pk=privacy_request_id)
    if not privacy_request.is_open:
        return  # closed meanwhile: nothing to remind anyone of
    to, language = _staff_recipients(privacy_request)
    days = int(kind.split("_")[1]) if kind.startswith("due_") else None
    template = "staff-due-reminder" if days else "staff-extension-window"
    context = {
        "privacy_request": privacy_request,
        "days": days,
        "due_sentence": explain(deadlines_of(privacy_request)),
        "case_url": f"{settings.PORTAL_BASE_URL.rstrip('/')}/admin/requests/privacyrequest/{privacy_request.pk}/change/",
    }
    make_message(template, context, to=to, language=language).send()
    record_sent(privacy_request, template, "staff")


@shared_task(**EMAIL_TASK)
def send_overdue_digest(day: str) -> None:
    """The daily list of overdue cases to the DPOs; an event on each case listed."""
    today = date.fromisoformat(day)
    cases = list(sweeps.effective_due_by(today - timedelta(days=1)).order_by("due_at", "pk"))
    if not cases:
        return
    rows = [{"case": c, "days_overdue": (today - c.effective_due).days} for c in cases]
    base = settings.PORTAL_BASE_URL.rstrip("/")
    make_message("staff-overdue", {"rows": rows, "base_url": base, "day": today}, to=dpo_addresses()).send()
    for case in cases:
        record_sent(case, "staff-overdue", "staff")
