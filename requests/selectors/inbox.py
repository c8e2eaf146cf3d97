"""Reads of the inbox: how many mails wait for staff (the queue's link)."""

from __future__ import annotations

from ..models import InboxItem
from ..models.inbox import WAITING as INBOX_WAITING


def inbox_waiting() -> int:
    """Mails new or held, waiting for staff to make them a case or dismiss them."""
    return InboxItem.objects.filter(state__in=INBOX_WAITING).count()
