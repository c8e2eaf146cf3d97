"""Tasks for the owners of systems no connector reaches (issue 17): sent by email, answered on a page of their own.

Each task is one action for one system on one case. Its owner (an address, not necessarily staff) gets an email
with a link scoped to that task; only a SHA-256 of the link's token is kept. The email task makes the token, so no
secret crosses the broker; every email (the first, each reminder) carries a fresh one and the previous link stops
working. A link lives PRIVACY_OWNER_TASK_DAYS days and ends when the task is answered or the case closes.
Events name tasks, systems, actions and outcomes by id and code: never the owner's address or what they wrote.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from datetime import timedelta
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from privacyportal import outbox
from privacyportal.emails import make_message
from privacyportal.uploads import CheckedFile

from ..audit import record_event, record_sent
from ..lifecycle import WORKING_STATUSES
from ..models import (
    ACTIONS_BY_KIND,
    ActorKind,
    CheckState,
    ConnectorAction,
    OwnerTask,
    OwnerTaskStatus,
    PrivacyRequest,
    SystemCheck,
)
from ..selectors import owner_language, owner_systems
from . import carry_out
from .checklist import store_extract
from .common import SEND_OWNER_TASK, _cancel_owner_tasks
from .rules import _guard

# A person does their own dry run: an owner is asked to erase, not to plan an erasure for approval.
OWNER_ACTION: dict[str, str] = {ConnectorAction.PLAN_ERASURE: ConnectorAction.ERASE}

# The emails a task sends, by the kind the Celery task is given.
OWNER_EMAILS = {"task": "owner-task", "reminder": "owner-task-reminder"}

# What an owner may answer, by action: "done" is the action itself (erased, rectified, restricted, opted out).
OUTCOMES: dict[str, tuple[str, ...]] = {
    ConnectorAction.EXPORT: (OwnerTaskStatus.NO_DATA, OwnerTaskStatus.EXPORTED, OwnerTaskStatus.COULD_NOT),
}
DEFAULT_OUTCOMES = (OwnerTaskStatus.NO_DATA, OwnerTaskStatus.DONE, OwnerTaskStatus.COULD_NOT)

# The systems checklist after a "done": what was done to the data there.
DONE_STATE = {
    ConnectorAction.ERASE: CheckState.ERASED,
    ConnectorAction.RECTIFY: CheckState.RECTIFIED,
    ConnectorAction.RESTRICT: CheckState.RESTRICTED,
    ConnectorAction.OPT_OUT: CheckState.OPTED_OUT,
}


class LinkState(StrEnum):
    """What a task's link opens: the task, or a page saying why not (with nothing of the case on it)."""

    OPEN = "open"
    ANSWERED = "answered"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


class TaskClosed(Exception):
    """The task can no longer be answered through its link; `state` says why."""

    def __init__(self, state: LinkState) -> None:
        super().__init__(state.value)
        self.state = state


def token_hash(token: str) -> str:
    """What a link's token is looked up by: its SHA-256 (the token itself is never stored)."""
    return hashlib.sha256((token or "").encode()).hexdigest()


def _new_token() -> tuple[str, str]:
    token = secrets.token_urlsafe(32)
    return token, token_hash(token)


def _link_token() -> tuple[str, str]:
    """The token of the link an email sends: fresh, but in an outbox task the same in every copy of its row
    (issue 24), so a copy run again after a kill sends the first email's link rather than one that makes it stop
    working. Derived from the row's task id with SECRET_KEY, as verification codes are (identity/services.py)."""
    run = outbox.running()
    if run is None:
        return _new_token()
    mac = salted_hmac("requests.owner-task-link", str(run.task_id), algorithm="sha256").digest()
    token = base64.urlsafe_b64encode(mac).rstrip(b"=").decode()
    return token, token_hash(token)


def owner_actions(kind: str) -> tuple[str, ...]:
    """What the owner of each system is asked to do for a request of this kind."""
    return tuple(OWNER_ACTION.get(action, action) for action in ACTIONS_BY_KIND.get(kind, ()))


def outcomes_for(action: str) -> tuple[str, ...]:
    return OUTCOMES.get(action, DEFAULT_OUTCOMES)


@transaction.atomic
def open_tasks(privacy_request: PrivacyRequest, *, by: AbstractBaseUser | None = None) -> list[OwnerTask]:
    """A task, by email, for the owner of every active system without a connector, one per action the request
    asks of it. Idempotent: a task already made (open, answered or cancelled) is not made or sent again, except
    one stopped by a doubt about the requester's identity (services.pause): identity is verified now, so it is
    opened again with a fresh link."""
    _guard(privacy_request, "owner_tasks")
    now = timezone.now()
    expires = now + timedelta(days=settings.PRIVACY_OWNER_TASK_DAYS)
    created: list[OwnerTask] = []
    for system in owner_systems(privacy_request).order_by("name"):
        for action in owner_actions(privacy_request.kind):
            task, new = OwnerTask.objects.get_or_create(
                privacy_request=privacy_request,
                system=system,
                action=action,
                # A token nobody is ever sent: the email's task makes the one the owner gets.
                defaults={
                    "owner_email": system.owner_email,
                    "token_hash": _new_token()[1],
                    "expires_at": expires,
                },
            )
            if not new and _stopped_by_doubt(task, privacy_request):
                new = bool(
                    OwnerTask.objects.filter(pk=task.pk, status=OwnerTaskStatus.CANCELLED).update(
                        status=OwnerTaskStatus.OPEN,
                        owner_email=system.owner_email,
                        token_hash=_new_token()[1],
                        expires_at=expires,
                        sent_at=None,
                        reminders=0,
                        reminded_at=None,
                        done_at=None,
                    )
                )
            if new:
                outbox.enqueue(SEND_OWNER_TASK, task.pk, "task")
                created.append(task)
    if created:
        record_event(
            privacy_request,
            "owner_tasks_opened",
            by=by,
            data={"tasks": [t.pk for t in created], "systems": sorted({t.system_id for t in created})},
        )
    return created


def _stopped_by_doubt(task: OwnerTask, privacy_request: PrivacyRequest) -> bool:
    """The task was cancelled when staff recorded a doubt about the requester's identity (services.pause)."""
    doubted = privacy_request.identity_doubt_at
    return (
        task.status == OwnerTaskStatus.CANCELLED
        and doubted is not None
        and task.done_at is not None
        and task.done_at >= doubted
    )


def send_task_email(task_id: int, kind: str) -> bool:
    """Email the owner their task (kind "task") or a reminder ("reminder") with a fresh link; the link of an
    earlier email stops working. Nothing is sent for a task answered, cancelled or of a case no longer worked on."""
    template = OWNER_EMAILS[kind]
    task = OwnerTask.objects.select_related("privacy_request", "system").filter(pk=task_id).first()
    if task is None or not task.is_open or task.privacy_request.status not in WORKING_STATUSES:
        return False
    token, digest = _link_token()
    now = timezone.now()
    expires = now + timedelta(days=settings.PRIVACY_OWNER_TASK_DAYS)
    if not OwnerTask.objects.filter(pk=task.pk, status=OwnerTaskStatus.OPEN).update(
        token_hash=digest, sent_at=now, expires_at=expires
    ):
        return False  # answered meanwhile
    privacy_request = task.privacy_request
    make_message(
        template,
        {
            "privacy_request": privacy_request,
            "task": task,
            "system": task.system.name,
            "action": task.action,
            "reference": privacy_request.reference,
            "due": privacy_request.effective_due_at,
            "expires": expires,
            "link": settings.PORTAL_BASE_URL.rstrip("/") + reverse("owner_task_link", args=[token]),
        },
        to=[task.owner_email],
        language=owner_language(task.owner_email),
    ).send()
    record_sent(privacy_request, template, "owner")
    return True


def find_task(token: str) -> OwnerTask | None:
    """The task a link's token opens, whatever its state; None for a token no task has now."""
    if not token:
        return None
    return (
        OwnerTask.objects.select_related("privacy_request", "system")
        .filter(token_hash=token_hash(token))
        .first()
    )


def find_task_by_hash(digest: str) -> OwnerTask | None:
    """As `find_task`, by the token's hash (what a page keeps between requests, never the token)."""
    if not digest:
        return None
    return OwnerTask.objects.select_related("privacy_request", "system").filter(token_hash=digest).first()


def link_state(task: OwnerTask) -> LinkState:
    """Whether the task's link still opens the task, and if not, why."""
    if task.status == OwnerTaskStatus.CANCELLED:
        return LinkState.CANCELLED
    if task.status != OwnerTaskStatus.OPEN:
        return LinkState.ANSWERED
    if task.privacy_request.status not in WORKING_STATUSES:
        return LinkState.CANCELLED
    if task.expires_at <= timezone.now():
        return LinkState.EXPIRED
    return LinkState.OPEN


def _checklist_note(outcome: str, reason: str) -> str:
    with translation.override(settings.LANGUAGE_CODE):  # read by staff, not in the owner's language
        said = _("Answered by the system's owner: %(outcome)s.") % {"outcome": OwnerTaskStatus(outcome).label}
    return f"{said}\n{reason}" if reason else said


def _record_in_checklist(task: OwnerTask, outcome: str, reason: str, now: Any) -> None:
    """The systems checklist row of the task's system says what its owner answered."""
    if outcome == OwnerTaskStatus.NO_DATA:
        state: str | None = CheckState.NO_DATA
    elif outcome == OwnerTaskStatus.EXPORTED:
        state = CheckState.EXPORTED
    elif outcome == OwnerTaskStatus.DONE:
        # Opted out: the data stays where it was, no longer sold, shared or used for marketing (its own state).
        state = DONE_STATE.get(ConnectorAction(task.action), CheckState.DATA_FOUND)
    else:
        state = None  # could not: the row keeps its state and says why
    values: dict[str, Any] = {
        "notes": _checklist_note(outcome, reason),
        "checked_by": None,
        "checked_at": now,
    }
    if state is not None:
        values["state"] = state
    SystemCheck.objects.update_or_create(
        privacy_request=task.privacy_request, system=task.system, defaults=values
    )


@transaction.atomic
def answer_task(
    task: OwnerTask, outcome: str, *, reason: str = "", upload: CheckedFile | None = None
) -> OwnerTask:
    """Record a system owner's answer to their task: the systems checklist says it, an export is kept for the
    packet, and the link stops working. Raises TaskClosed when the link no longer opens the task."""
    if outcome not in outcomes_for(task.action):
        raise ValidationError({"outcome": _("Choose what you did.")})
    reason = (reason or "").strip()
    if outcome == OwnerTaskStatus.COULD_NOT and not reason:
        raise ValidationError({"reason": _("Say why it could not be done.")})
    if outcome == OwnerTaskStatus.EXPORTED and upload is None:
        raise ValidationError({"upload": _("Upload the export.")})
    if outcome != OwnerTaskStatus.EXPORTED:
        upload = None  # a file goes with an export only
    # Hold the case: it cannot close (and cancel the task) while the answer is written.
    privacy_request = PrivacyRequest.objects.select_for_update().get(pk=task.privacy_request_id)
    task = OwnerTask.objects.select_related("system").get(pk=task.pk)
    task.privacy_request = privacy_request
    state = link_state(task)
    if state is not LinkState.OPEN:
        raise TaskClosed(state)
    now = timezone.now()
    if not OwnerTask.objects.filter(pk=task.pk, status=OwnerTaskStatus.OPEN).update(
        status=outcome, answer=reason, done_at=now
    ):
        raise TaskClosed(LinkState.ANSWERED)  # a second tab or a double submit
    data: dict[str, Any] = {
        "task": task.pk,
        "system": task.system_id,
        "action": task.action,
        "outcome": outcome,
    }
    if upload is not None:
        item, _new = store_extract(privacy_request, upload, system=task.system)
        OwnerTask.objects.filter(pk=task.pk).update(extract=item)
        data["evidence"] = item.pk
    _record_in_checklist(task, outcome, reason, now)
    record_event(privacy_request, "owner_task_answered", actor_kind=ActorKind.OWNER, data=data)
    carry_out.complete_if_carried_out(privacy_request)  # an opt-out closes when every system is done
    task.refresh_from_db()
    return task


@transaction.atomic
def cancel_tasks(privacy_request: PrivacyRequest, *, by: AbstractBaseUser | None = None) -> int:
    """Stop the case's open tasks (their links say the task is no longer needed); how many were open.

    Closing a case (complete, deny, withdraw, forward, expire) does this by itself, without an event of its own.
    """
    ids = _cancel_owner_tasks(privacy_request, timezone.now())
    if ids:
        record_event(privacy_request, "owner_tasks_cancelled", by=by, data={"tasks": ids})
    return len(ids)


@transaction.atomic
def claim_reminder(task: OwnerTask, *, level: int, send: bool) -> bool:
    """Take reminder number `level` of an open task (a conditional UPDATE: a doubled sweep sends nothing twice)
    and, if `send`, promise its email; a reminder too close to the last email is taken without one."""
    values: dict[str, Any] = {"reminders": level}
    if send:
        values["reminded_at"] = timezone.now()
    claimed = OwnerTask.objects.filter(
        pk=task.pk, status=OwnerTaskStatus.OPEN, reminders__lt=level, reminders=task.reminders
    ).update(**values)
    if claimed and send:
        outbox.enqueue(SEND_OWNER_TASK, task.pk, "reminder")
    return bool(claimed and send)
