"""Celery tasks: thin, take ids or nothing, call one function, own their retry policy (DESIGN §7)."""

from __future__ import annotations

import logging

from celery import shared_task

from .audit import check_and_alert

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
