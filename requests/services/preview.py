"""What a final action would send the requester, shown before it is sent (the case page's confirmation step).

The change is made for real inside a savepoint that is always rolled back: the emails it would queue are found
in the outbox and rendered, with their letters, from the case as it would then be. So the preview is the
letter itself, not a second template that could drift from it; nothing is kept, queued or sent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from privacyportal.models import QueuedTask

from .. import letters
from ..models import PrivacyRequest
from .common import SEND_REQUESTER_EMAIL
from .notify import requester_message
from .post import by_post


@dataclass(frozen=True)
class Outgoing:
    """One email the requester would receive: as they would read it, with its letter where it has one."""

    to: str
    subject: str
    body: str
    letter_title: str
    letter_html: str  # the HTML the letter's PDF is printed from; "" for an email without a letter
    # A requester by post has no email: the same words go on the case's "Letters to post" list instead.
    by_post: bool = False


def preview(privacy_request: PrivacyRequest, change: Callable[[], object]) -> list[Outgoing]:
    """Make `change` (a final action's service call), render what it would send the requester, then undo it.

    The service's own refusals (TransitionError, ValidationError) come out as they would on the real call.
    """
    try:
        with transaction.atomic():
            last = QueuedTask.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
            try:
                change()
                return [_rendered(args) for args in _queued_emails(after=last)]
            finally:
                transaction.set_rollback(True)
    finally:
        # The service refreshed the caller's copy of the case from the row now rolled back.
        privacy_request.refresh_from_db()


def _queued_emails(*, after: int) -> list[list[Any]]:
    """The (case, template, event) of each requester email queued since outbox row `after`."""
    queued = QueuedTask.objects.filter(pk__gt=after, name=SEND_REQUESTER_EMAIL).order_by("pk")
    return list(queued.values_list("args", flat=True))


def _rendered(args: list[Any]) -> Outgoing:
    case = PrivacyRequest.objects.get(pk=args[0])
    template = str(args[1])
    message = requester_message(case, template)
    kind = letters.letter_for(case, template)
    postal = by_post(case)
    return Outgoing(
        to=", ".join(case.postal_address.splitlines()) if postal else case.requester_email,
        by_post=postal,
        subject=str(message.subject),
        body=str(message.body),
        letter_title=str(kind.label) if kind else "",
        letter_html=letters.render_page(case, kind) if kind else "",
    )
