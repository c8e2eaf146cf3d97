"""What every service shares: the refusal, the tasks a change may promise, the claim of a row, the requester's email."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from privacyportal import outbox

from .. import deadlines
from ..letters import letter_for
from ..lifecycle import CLOSED_STATUSES, TRANSITIONS, Status
from ..models import (
    ActorKind,
    Message,
    OwnerTask,
    OwnerTaskStatus,
    PrivacyRequest,
)
from ..selectors import deadlines_of, local_date


class TransitionError(Exception):
    """The case cannot make this move now: wrong status, a rule of the move, or someone acted first."""


# The tasks a change promises, by their Celery names (outbox.enqueue): tasks.py calls into services, so services
# name its tasks rather than import them.
SEND_REQUESTER_EMAIL = "requests.tasks.send_requester_email"


SEND_STAFF_NOTICE = "requests.tasks.send_staff_notice"
SEND_STAFF_NOTICE_TO = "requests.tasks.send_staff_notice_to"


SEND_STAFF_DIGEST = "requests.tasks.send_staff_digest"


SEND_OVERDUE_DIGEST = "requests.tasks.send_overdue_digest"
SEND_OVERDUE_DIGEST_TO = "requests.tasks.send_overdue_digest_to"


BUILD_PACKET = "requests.tasks.build_packet"
RUN_CONNECTOR = "requests.tasks.run_connector"


SEND_OWNER_TASK = "requests.tasks.send_owner_task"
SEND_THIRD_PARTY_NOTICE = "requests.tasks.send_third_party_notice"


SEND_VERIFICATION_EMAIL = "identity.tasks.send_verification_email"


SEND_SUBJECT_CONFIRMATION = "identity.tasks.send_subject_confirmation"


def _deadline_fields(d: deadlines.Deadlines) -> dict[str, Any]:
    return {
        "due_at": d.due,
        "extended_due_at": d.extended_due,
        "effective_due_at": d.effective,
        "acknowledge_by": d.acknowledge_by,
        "governing_regime": d.governing,
    }


def _insert(privacy_request: PrivacyRequest) -> PrivacyRequest:
    """Store a new case with its deadlines. Its public reference follows the row id, so it needs the id first."""
    for name, value in _deadline_fields(deadlines_of(privacy_request)).items():
        setattr(privacy_request, name, value)
    privacy_request.save(force_insert=True)
    year = local_date(privacy_request.received_at).year
    privacy_request.reference = f"PR-{year}-{privacy_request.pk:06d}"
    PrivacyRequest.objects.filter(pk=privacy_request.pk).update(reference=privacy_request.reference)
    return privacy_request


def _claim(
    privacy_request: PrivacyRequest,
    *,
    allowed: frozenset[Status] | set[Status],
    to: Status | None = None,
    conditions: dict[str, Any] | None = None,
    **changes: Any,
) -> Status:
    """Change the row only if it is still as we read it; return the status it was claimed from.

    The conditional UPDATE takes the row lock on PostgreSQL, so a concurrent claim waits for us,
    then finds the status changed and matches nothing.
    """
    old = Status(privacy_request.status)
    if old not in allowed or (to is not None and to != old and to not in TRANSITIONS[old]):
        raise TransitionError(
            _("%(reference)s is %(status)s; that cannot be done now.")
            % {"reference": privacy_request.reference, "status": old.label}
        )
    now = timezone.now()
    values: dict[str, Any] = {"updated_at": now, **changes}
    if to is not None and to != old:
        values.update(status=to, status_changed_at=now)
        if to in CLOSED_STATUSES:
            values["closed_at"] = now
    claimed = PrivacyRequest.objects.filter(pk=privacy_request.pk, status=old, **(conditions or {})).update(
        **values
    )
    if claimed != 1:
        raise TransitionError(
            _("%(reference)s was changed by someone else meanwhile. Reload it and try again.")
            % {"reference": privacy_request.reference}
        )
    if to is not None and to != old and to in CLOSED_STATUSES:
        _cancel_owner_tasks(privacy_request, now)
    privacy_request.refresh_from_db()
    return old


def _cancel_owner_tasks(privacy_request: PrivacyRequest, now: Any) -> list[int]:
    """The tasks still open for systems' owners stop: their links say so. Returns their ids."""
    open_tasks = OwnerTask.objects.filter(privacy_request=privacy_request, status=OwnerTaskStatus.OPEN)
    ids = list(open_tasks.values_list("pk", flat=True))
    if ids:
        OwnerTask.objects.filter(pk__in=ids, status=OwnerTaskStatus.OPEN).update(
            status=OwnerTaskStatus.CANCELLED, done_at=now
        )
    return ids


def _require_text(value: str, field_name: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field_name: message})
    return value


def _staff_message(privacy_request: PrivacyRequest, *, by: AbstractBaseUser, body: str) -> Message:
    """A message from staff in the requester's thread (the caller records the event and emails them)."""
    return Message.objects.create(
        privacy_request=privacy_request,
        author_kind=ActorKind.STAFF,
        author=by,  # type: ignore[misc]
        body=body,
    )


def _email_requester(privacy_request: PrivacyRequest, template: str) -> None:
    """Send the requester one of the case emails once the change is committed.

    Emails that carry a PDF letter go to the `pdf` queue (PDF work never runs in a web request); the
    letter is tied to the event just written, so a retried task sends the same letter, not a new one.
    """

    pk = privacy_request.pk
    seq = privacy_request.events.order_by("-seq").values_list("seq", flat=True).first() or 0
    queue = outbox.PDF_QUEUE if letter_for(privacy_request, template) else outbox.DEFAULT_QUEUE
    outbox.enqueue(SEND_REQUESTER_EMAIL, pk, template, seq, queue=queue)
