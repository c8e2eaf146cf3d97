"""The privacy mailbox: what the intake reads from it (a placeholder holding the shared interface only)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class IncomingMail:
    uid: int  # the IMAP UID in the inbox folder (0 when not from IMAP)
    message_id: str  # "<...@...>" as sent, "" if none
    in_reply_to: str  # "" if none
    references: tuple[str, ...]
    sender: str  # the From address, as written (normalise with privacyportal.addresses.normalise_email)
    sender_name: str
    subject: str
    text: (
        str  # plain text; for HTML-only mail, the HTML turned into plain text (no markup, no remote content)
    )
    received_at: datetime  # aware: when it reached the mailbox (IMAP INTERNALDATE)
    attachments: tuple[Attachment, ...]
    automatic: bool  # auto-reply / out-of-office / list / bulk: never creates a case or an answer
    bounce_of: (
        str  # for a delivery-status report: the Message-ID of OUR email it bounces ("" if not / unknown)
    )
    is_bounce: bool
    size: int  # raw size in bytes
