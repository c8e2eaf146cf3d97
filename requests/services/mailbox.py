"""Mail from the privacy mailbox on its case: a requester's reply joins the thread, a bounce marks our email
undelivered (DESIGN §14). Which case a mail names is the selector's (selectors.mailbox.case_for)."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext as _

from identity.models import Evidence
from identity.services import attach_evidence, check_upload_quota, keep_upload
from privacyportal import outbox
from privacyportal.mailbox import IncomingMail
from privacyportal.uploads import check_upload

from ..audit import record_event
from ..models import ActorKind, Message, PrivacyRequest, SentEmail
from ..selectors.mailbox import case_for, from_requester
from . import inbox
from .common import SEND_STAFF_NOTICE, TransitionError
from .thread import reply

# Where the quoted history of a reply starts, in the clients people use, in English and Russian: everything from
# the first such line down is what we (or they) wrote before, already on the case.
_QUOTE_STARTS = re.compile(
    r"^\s*(?:"
    r"On\b.*\bwrote:\s*$"  # Gmail, Apple Mail, Thunderbird: "On Mon, 4 Dec 2026 at 10:00, Name <a@b> wrote:"
    r"|.*(?:на)?писал(?:\(а\)|а)?:\s*$"  # "4 дек. 2026 г., в 10:00, Имя <a@b> писал(а):", Yandex, Mail.ru
    r"|-{2,}\s*(?:Original Message|Исходное сообщение)\s*-{2,}"  # Outlook and friends
    r"|_{20,}\s*$"  # Outlook's line above its "From: / Sent:" block
    r")",
    re.IGNORECASE,
)
# Gmail wraps a long attribution line: "On ..., Name <a@b>" then "wrote:" on the next line.
_WROTE_ALONE = re.compile(r"^\s*(?:wrote|(?:на)?писал(?:\(а\)|а)?):\s*$", re.IGNORECASE)


def strip_quoted(text: str) -> str:
    """The new text of a reply: what comes before its quoted history, without lines quoted with ">"."""
    lines = text.replace("\r\n", "\n").split("\n")
    kept: list[str] = []
    for index, line in enumerate(lines):
        following = lines[index + 1] if index + 1 < len(lines) else ""
        if _QUOTE_STARTS.match(line) or (line.lstrip().startswith("On ") and _WROTE_ALONE.match(following)):
            break
        if not line.lstrip().startswith(">"):
            kept.append(line)
    return "\n".join(kept).strip()


def _attach(privacy_request: PrivacyRequest, mail: IncomingMail) -> tuple[Evidence | None, list[str]]:
    """The mail's first acceptable file, checked, within the case's quota and stored encrypted as the requester's
    evidence (exactly as a file sent on the status page is), and the names of the others, which are not kept."""
    kept: Evidence | None = None
    left: list[str] = []
    for item in mail.attachments:
        if kept is not None:
            left.append(item.filename)
            continue
        upload = SimpleUploadedFile(item.filename or "attachment", item.data, item.content_type)
        try:
            checked = check_upload(upload)
            check_upload_quota(privacy_request, len(checked.data))
        except ValidationError:
            left.append(item.filename)
            continue
        kept = attach_evidence(privacy_request, keep_upload(checked, kind=Evidence.Kind.ATTACHMENT))
    return kept, left


def _body(privacy_request: PrivacyRequest, mail: IncomingMail, left: list[str], attached: bool) -> str:
    body = strip_quoted(mail.text) or mail.text.strip()
    with translation.override(privacy_request.language):  # the thread is read by the requester too
        if not body:
            body = _("(An email with no text.)") if not attached else _("(An email with a file and no text.)")
        if left:
            names = ", ".join(name or "?" for name in left)
            body += "\n\n" + _(
                "Files in the email that were not kept (one file per message, a PDF, JPEG or PNG of at most "
                "10 MB): %(names)s"
            ) % {"names": names}
    return body


def join_thread(privacy_request: PrivacyRequest, mail: IncomingMail) -> Message:
    """The requester's email becomes their message on the case, as a reply on the status page would: a clock
    paused for them restarts, a closed case is flagged "written to after closing".

    Once per Message-ID: the same mail fetched again returns the message it made and changes nothing.
    """
    if mail.automatic or mail.is_bounce:
        # An out-of-office or a bounce is no answer: it must not restart a clock or draw a reply (no mail loops).
        raise TransitionError(_("An automatic email does not join a case's messages."))
    if not from_requester(privacy_request, mail):
        raise TransitionError(
            _("This email is not from the requester's address: staff decide where it goes.")
        )
    message_id = mail.message_id or None
    if message_id is not None:
        existing = Message.objects.filter(email_message_id=message_id).first()
        if existing is not None:
            return existing
    try:
        with transaction.atomic():
            attachment, left = _attach(privacy_request, mail)
            body = _body(privacy_request, mail, left, attachment is not None)
            return reply(privacy_request, body=body, attachment=attachment, email_message_id=message_id)
    except IntegrityError:
        # A second worker joined the same mail meanwhile: its message stands (our file, if any, stays unlinked).
        if message_id is None:
            raise
        return Message.objects.get(email_message_id=message_id)


@transaction.atomic
def mark_undelivered(mail: IncomingMail) -> SentEmail | None:
    """A bounce of one of our emails to a requester: the email is marked undelivered on its case and whoever
    answers for the case is told at once. Once: a bounce fetched again changes nothing."""
    if not mail.bounce_of:
        return None
    sent = SentEmail.objects.select_related("privacy_request").filter(message_id=mail.bounce_of).first()
    if sent is None:
        return None
    if not SentEmail.objects.filter(pk=sent.pk, undelivered_at__isnull=True).update(
        undelivered_at=mail.received_at
    ):
        return sent
    sent.refresh_from_db()
    privacy_request = sent.privacy_request
    record_event(
        privacy_request, "email_undelivered", actor_kind=ActorKind.SYSTEM, data={"sent_email": sent.pk}
    )
    outbox.enqueue(SEND_STAFF_NOTICE, privacy_request.pk, "undelivered")
    return sent


def take(mail: IncomingMail, *, uidvalidity: int = 0) -> str:
    """Where one mail from the privacy mailbox goes, kept before the sweep moves it out of the inbox.

    A bounce marks our email undelivered; an automatic reply is kept as ignored (neither answers back); the
    requester's reply naming their case joins its thread; one naming a case from another address is held; the
    rest waits in the inbox. Each step is once per Message-ID (or per UID when a mail has none), so the same
    mail taken again after a crash before its move changes nothing. Returns which of these it was.
    """
    if mail.is_bounce or mail.automatic:
        mark_undelivered(mail)
        inbox.store(mail, uidvalidity=uidvalidity)
        return "undelivered" if mail.is_bounce else "ignored"
    privacy_request, how = case_for(mail)
    if privacy_request is not None and how in ("header", "subject"):
        try:
            join_thread(privacy_request, mail)
        except TransitionError:
            pass  # a case that takes no message now: staff decide, from the inbox
        else:
            return "joined"
    if privacy_request is not None and how == "held":
        inbox.store(mail, uidvalidity=uidvalidity, held_for=privacy_request)
        return "held"
    inbox.store(mail, uidvalidity=uidvalidity)
    return "inbox"
