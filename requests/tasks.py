"""Celery tasks: thin, take ids or nothing, call one function, own their retry policy (DESIGN §7)."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings

from .audit import check_and_alert
from .emails import EMAIL_TASK, make_message
from .models import PrivacyRequest

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


REQUESTER_EMAILS = frozenset({"request-honoured"})


@shared_task(**EMAIL_TASK)
def send_requester_email(privacy_request_id: int, name: str) -> None:
    """Email the requester about their case, in their language."""
    if name not in REQUESTER_EMAILS:
        raise ValueError(f"unknown requester email {name!r}")
    privacy_request = PrivacyRequest.objects.get(pk=privacy_request_id)
    make_message(
        name,
        {"privacy_request": privacy_request, "base_url": settings.PORTAL_BASE_URL},
        to=[privacy_request.requester_email],
        language=privacy_request.language,
    ).send()
