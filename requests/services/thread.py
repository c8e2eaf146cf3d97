"""Messages on a case: the requester's replies and staff's messages."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext as _

from privacyportal import outbox

from ..audit import record_event
from ..lifecycle import CLOSED_STATUSES, Status
from ..models import (
    ActorKind,
    Message,
    PrivacyRequest,
)
from ..selectors import takes_messages
from .common import SEND_STAFF_NOTICE, TransitionError, _email_requester, _require_text, _staff_message
from .rules import _guard
from .triage import resume


@transaction.atomic
def reply(
    privacy_request: PrivacyRequest, *, body: str, attachment: Any = None, email_message_id: str | None = None
) -> Message:
    """The requester writes to staff; an answer while we wait for them restarts the clock.

    A closed case takes a message too (a question about our answer, something we missed): it reopens nothing, and
    as a closed case is in no open queue, whoever answers for it is emailed at once to read it on the case page,
    and the queue flags it ("written to after closing", with a filter of its own) until staff write back.
    """
    body = _require_text(body, "body", _("Write your message."))
    if not takes_messages(privacy_request):
        raise TransitionError(_("This request is closed. Please start a new request."))
    message = Message.objects.create(
        privacy_request=privacy_request,
        author_kind=ActorKind.REQUESTER,
        body=body,
        attachment=attachment,
        email_message_id=email_message_id,
    )
    record_event(
        privacy_request, "message_received", actor_kind=ActorKind.REQUESTER, data={"message": message.pk}
    )
    if privacy_request.status == Status.AWAITING_REQUESTER:
        resume(privacy_request)
    elif privacy_request.status in CLOSED_STATUSES:
        if privacy_request.written_after_closing_at is None:
            privacy_request.written_after_closing_at = message.created_at
            privacy_request.save(update_fields=["written_after_closing_at"])
        outbox.enqueue(SEND_STAFF_NOTICE, privacy_request.pk, "closed_reply")
    return message


@transaction.atomic
def send_message(privacy_request: PrivacyRequest, *, by: AbstractBaseUser, body: str) -> Message:
    """Staff write to the requester; the requester is emailed that there is a message, never its content."""
    body = _require_text(body, "body", _("Write the message."))
    _guard(privacy_request, "message")
    message = _staff_message(privacy_request, by=by, body=body)
    if privacy_request.written_after_closing_at is not None:  # answered: off the queue's "written to" list
        privacy_request.written_after_closing_at = None
        privacy_request.save(update_fields=["written_after_closing_at"])
    record_event(privacy_request, "message_sent", by=by, data={"message": message.pk})
    _email_requester(privacy_request, "new-message")
    return message
