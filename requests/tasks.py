"""Celery tasks: thin, take ids or nothing, call one function, own their retry policy (DESIGN §7)."""

from __future__ import annotations

import logging

from celery import shared_task

from privacyportal.emails import EMAIL_TASK
from privacyportal.outbox import OutboxTask

from . import health, packets, sweeps
from .audit import check_and_alert, headline
from .models import RequestEvent
from .services import carry_out, connectors, notify, owner_tasks
from .services.notify import REQUESTER_EMAILS, STAFF_NOTICES

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, reject_on_worker_lost=True, time_limit=30 * 60, soft_time_limit=25 * 60)
def verify_audit_chain() -> int:
    """Nightly: verify every case's event chain and alert the DPOs on a break (ids only in the log)."""
    breaks = check_and_alert()
    for found in breaks:
        logger.error("%s", headline(found))
    if not breaks:
        # The count in the log is a record outside the database: a trail that shrinks shows there.
        logger.info("Audit chain intact: %d events", RequestEvent.objects.count())
    return len(breaks)


SWEEPS = frozenset(
    {"verification", "acknowledgements", "due_reminders", "extension_window", "overdue", "fee_lapses",
     "evidence_purge", "retention", "staff_digests", "packet_purge", "redeliver", "owner_task_reminders",
     "mailbox"}
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
    """Email the requester about their case, with its PDF letter where it has one."""
    if name not in REQUESTER_EMAILS:
        raise ValueError(f"unknown requester email {name!r}")
    notify.email_requester(privacy_request_id, name, event_seq)


@shared_task(**EMAIL_TASK)
def send_staff_notice(privacy_request_id: int, kind: str) -> None:
    """A deadline reminder, extension warning or assignment to whoever answers for the case."""
    if kind not in STAFF_NOTICES:
        raise ValueError(f"unknown staff notice {kind!r}")
    notify.notify_staff(privacy_request_id, kind)


@shared_task(**EMAIL_TASK)
def send_staff_notice_to(privacy_request_id: int, kind: str, user_id: int | None) -> None:
    """One member of staff's (or, for None, the DPO mailbox's) email of a notice: one outbox row each."""
    if kind not in STAFF_NOTICES:
        raise ValueError(f"unknown staff notice {kind!r}")
    notify.notify_staff_member(privacy_request_id, kind, user_id)


@shared_task(**EMAIL_TASK)
def send_staff_digest(user_id: int, day: str) -> None:
    """One member of staff's daily list of the reminders claimed for their cases in the last day."""
    notify.send_staff_digest(user_id, day)


@shared_task(**EMAIL_TASK)
def send_overdue_digest(day: str) -> None:
    """The daily list of overdue cases to the DPOs, one outbox row each; an event on each case listed."""
    notify.send_overdue_digest(day)


@shared_task(**EMAIL_TASK)
def send_overdue_digest_to(day: str, user_id: int | None) -> None:
    """One DPO's (or, for None, the DPO mailbox's) copy of the day's overdue list."""
    notify.send_overdue_digest_to(day, user_id)


@shared_task(**EMAIL_TASK)
def send_owner_task(task_id: int, kind: str) -> None:
    """Email a system's owner their task ("task") or a reminder ("reminder"), with a fresh link."""
    if kind not in owner_tasks.OWNER_EMAILS:
        raise ValueError(f"unknown owner task email {kind!r}")
    owner_tasks.send_task_email(task_id, kind)


@shared_task(**EMAIL_TASK)
def send_third_party_notice(notice_id: int) -> None:
    """Tell one third party of an opt-out, a limit or a marketing objection."""
    carry_out.tell_third_party(notice_id)


@shared_task(
    base=OutboxTask, acks_late=True, reject_on_worker_lost=True, time_limit=15 * 60, soft_time_limit=14 * 60
)
def build_packet(privacy_request_id: int, build: int) -> bool:
    """Build one numbered packet of a case on the pdf queue; a superseded build stops quietly."""

    return packets.build(privacy_request_id, build)


@shared_task(
    base=OutboxTask,
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(connectors.TransientFailure,),
    retry_backoff=30,
    retry_backoff_max=30 * 60,
    max_retries=8,
    time_limit=15 * 60,
    soft_time_limit=14 * 60,
)
def run_connector(self: OutboxTask, run_id: int) -> None:
    """One connector action on one case in one system; a system that cannot be reached is retried, then fails."""
    try:
        connectors.run(run_id)
    except connectors.TransientFailure as error:
        if self.request.retries >= (self.max_retries or 0):
            connectors.give_up(run_id, str(error))
            return
        raise
