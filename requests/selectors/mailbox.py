"""Which case a mail from the privacy mailbox is about (DESIGN §14)."""

from __future__ import annotations

import re

from privacyportal.addresses import normalise_email
from privacyportal.mailbox import IncomingMail

from ..models import PrivacyRequest, SentEmail

# A case's public reference as _insert writes it; mail clients and people may write it in lower case.
REFERENCE = re.compile(r"\bPR-\d{4}-\d{6}\b", re.IGNORECASE)

HEADER = "header"
SUBJECT = "subject"
HELD = "held"


def named_case(mail: IncomingMail) -> tuple[PrivacyRequest | None, str]:
    """The case the mail names, whoever sent it: by one of our Message-IDs it answers, else a reference in its
    subject; and which of the two named it ("" for neither)."""
    ids = [i for i in (mail.in_reply_to, *mail.references) if i]
    if ids:
        sent = SentEmail.objects.filter(message_id__in=ids).select_related("privacy_request").first()
        if sent is not None:
            return sent.privacy_request, HEADER
    for found in REFERENCE.finditer(mail.subject):
        privacy_request = PrivacyRequest.objects.filter(reference=found.group(0).upper()).first()
        if privacy_request is not None:
            return privacy_request, SUBJECT
    return None, ""


def from_requester(privacy_request: PrivacyRequest, mail: IncomingMail) -> bool:
    """The mail comes from the case's requester address, compared on the normalised form (never on the
    database's case folding). A case by post, with no address, matches no mail."""
    key = normalise_email(mail.sender) if mail.sender else ""
    return bool(key) and key == privacy_request.email_key


def case_for(mail: IncomingMail) -> tuple[PrivacyRequest | None, str]:
    """The case this mail belongs to and why: "header" or "subject" when the case's requester wrote it; "held"
    when it names a case but came from another address (staff decide); (None, "") when it names no case."""
    privacy_request, how = named_case(mail)
    if privacy_request is None:
        return None, ""
    if not from_requester(privacy_request, mail):
        return privacy_request, HELD
    return privacy_request, how
