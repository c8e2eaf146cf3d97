"""Messages on a case: the requester's replies and staff's messages."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext as _

from ..audit import record_event
from ..lifecycle import CLOSED_STATUSES, Status
from ..models import (
    ActorKind,
    Message,
    PrivacyRequest,
)
from .common import TransitionError, _email_requester, _require_text, _staff_message
from .rules import _guard
from .triage import resume


@transaction.atomic
def reply(privacy_request: PrivacyRequest, *, body: str, attachment: Any = None) -> Message:
    """The requester writes to staff; an answer while we wait for them restarts the clock."""
    body = _require_text(body, "body", _("Write your message."))
    if privacy_request.status in CLOSED_STATUSES:
        raise TransitionError(_("This request is closed. Please start a new request."))
    message = Message.objects.create(
        privacy_request=privacy_request, author_kind=ActorKind.REQUESTER, body=body, attachment=attachment
    )
    record_event(
        privacy_request, "message_received", actor_kind=ActorKind.REQUESTER, data={"message": message.pk}
    )
    if privacy_request.status == Status.AWAITING_REQUESTER:
        resume(privacy_request)
    return message


@transaction.atomic
def send_message(privacy_request: PrivacyRequest, *, by: AbstractBaseUser, body: str) -> Message:
    """Staff write to the requester; the requester is emailed that there is a message, never its content."""
    body = _require_text(body, "body", _("Write the message."))
    _guard(privacy_request, "message")
    message = _staff_message(privacy_request, by=by, body=body)
    record_event(privacy_request, "message_sent", by=by, data={"message": message.pk})
    _email_requester(privacy_request, "new-message")
    return message
