"""Inbox items: mail to the privacy mailbox kept for staff, who make it a case in one step or dismiss it.

`store` runs in the mailbox intake before the mail leaves the IMAP inbox, so it must be harmless twice: a mail
fetched again after a crash finds its row by Message-ID. Automatic replies and bounces are kept as ignored, never
a case and never answered. Audit payloads name ids and counts only; the mail's words stay on the item and the case.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from identity.models import Evidence
from privacyportal import files
from privacyportal.addresses import normalise_email
from privacyportal.mailbox import IncomingMail
from privacyportal.uploads import check_upload

from .. import inbox_rules
from ..audit import record_event
from ..models import Channel, InboxAttachment, InboxItem, InboxState, PrivacyRequest
from ..models.inbox import WAITING as INBOX_WAITING
from .common import TransitionError
from .intake import NewRequest, submit


def store(mail: IncomingMail, *, uidvalidity: int = 0, held_for: PrivacyRequest | None = None) -> InboxItem:
    """Keep a mail as an inbox item (once per Message-ID); automatic replies and bounces are kept as ignored.

    `held_for`: the case the mail names, when it comes from an address other than the requester's: it is held
    for staff to decide, linked to that case (whose timeline then shows a look at its files or its dismissal).
    """
    if mail.message_id:
        existing = InboxItem.objects.filter(message_id=mail.message_id).first()
    else:
        # No Message-ID to know it by (rare, but allowed): the same UID of the same folder is the same mail.
        existing = (
            InboxItem.objects.filter(message_id="", uid=mail.uid, uidvalidity=uidvalidity).first()
            if mail.uid and uidvalidity
            else None
        )
    if existing is not None:
        return existing
    ignored = mail.automatic or mail.is_bounce
    now = timezone.now()
    state = InboxState.IGNORED if ignored else InboxState.HELD if held_for else InboxState.NEW
    checked = [
        _check(attachment.filename, attachment.content_type, attachment.data)
        for attachment in mail.attachments
    ]
    written: list[str] = []
    try:
        with transaction.atomic():
            item = InboxItem.objects.create(
                message_id=mail.message_id[:300],
                uid=mail.uid,
                uidvalidity=uidvalidity,
                sender=mail.sender.strip()[:254],
                sender_name=mail.sender_name.strip()[:200],
                sender_key=normalise_email(mail.sender)[:254],
                subject=mail.subject[:500],
                text=mail.text,
                received_at=mail.received_at,
                size=mail.size,
                automatic=mail.automatic,
                is_bounce=mail.is_bounce,
                suggested_kind=inbox_rules.suggest_right(mail.subject, mail.text),
                suggested_language=inbox_rules.suggest_language(mail.subject, mail.text),
                state=state,
                privacy_request=held_for,
                decided_at=now if ignored else None,
                stored_at=now,
            )
            for name, content_type, data, refused in checked:
                stored_name, digest = ("", "") if refused else files.store_bytes(data)
                written += [stored_name] if stored_name else []
                InboxAttachment.objects.create(
                    item=item,
                    name=name[:100],
                    content_type=content_type[:40],
                    size=len(data),
                    sha256=digest,
                    stored_name=stored_name,
                    refused=refused[:300],
                )
    except IntegrityError:
        # The same mail stored at once by another worker: theirs stands (files written here are dropped).
        for name in written:
            files.remove(name)
        return InboxItem.objects.get(message_id=mail.message_id)
    return item


def _check(filename: str, content_type: str, data: bytes) -> tuple[str, str, bytes, str]:
    """An attachment as kept: (name, type, bytes, "") once it passes the upload check, or with why it did not."""
    try:
        clean = check_upload(SimpleUploadedFile(filename or "file", data, content_type=content_type))
    except ValidationError as error:
        return filename or "file", content_type, data, " ".join(str(m) for m in error.messages)
    return clean.name, clean.content_type, clean.data, ""


def _claim(item: InboxItem, **changes: object) -> None:
    """Decide a waiting item once: a second click, or two members of staff at once, change nothing."""
    if not InboxItem.objects.filter(pk=item.pk, state__in=INBOX_WAITING).update(**changes):
        raise TransitionError(_("This mail was already dealt with."))


@transaction.atomic
def turn_into_case(
    item: InboxItem,
    *,
    by: AbstractBaseUser,
    kind: str,
    requester_name: str,
    country: str,
    language: str = "en",
    subdivision: str = "",
    details: str | None = None,
) -> PrivacyRequest:
    """Make the mail a case in one step: received when it reached the mailbox (the clock starts then), from the
    sender's address, with the mail's words and files; the sender gets the acknowledgement, as for a letter staff
    log (staff check identity themselves, so no emailed code is asked for)."""
    _claim(item, state=InboxState.TURNED, decided_by=by, decided_at=timezone.now())
    privacy_request = submit(
        NewRequest(
            kind=kind,
            requester_name=requester_name,
            requester_email=item.sender,
            country=country,
            subdivision=subdivision,
            language=language,
            channel=Channel.EMAIL,
            received_at=item.received_at,
            details=item.text if details is None else details,
        ),
        by=by,
    )
    InboxItem.objects.filter(pk=item.pk).update(privacy_request=privacy_request)
    evidence = []
    for attachment in item.attachments.exclude(stored_name=""):
        # The file moves to the case (one encrypted copy, purged with the case's other evidence).
        evidence.append(
            Evidence.objects.create(
                privacy_request=privacy_request,
                kind=Evidence.Kind.ATTACHMENT,
                name=attachment.name,
                content_type=attachment.content_type,
                size=attachment.size,
                sha256=attachment.sha256,
                stored_name=attachment.stored_name,
                uploaded_at=item.received_at,
            ).pk
        )
    item.attachments.exclude(stored_name="").update(stored_name="")
    record_event(
        privacy_request,
        "inbox_turned",
        by=by,
        data={
            "inbox_item": item.pk,
            "evidence": evidence,
            "refused_attachments": item.attachments.exclude(refused="").count(),
        },
    )
    item.refresh_from_db()
    return privacy_request


@transaction.atomic
def dismiss(item: InboxItem, *, by: AbstractBaseUser, reason: str) -> InboxItem:
    """Not a request (spam, a question for another team...): dismissed with the reason staff give."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say why this mail is dismissed.")})
    _claim(
        item, state=InboxState.DISMISSED, dismissal_reason=reason, decided_by=by, decided_at=timezone.now()
    )
    item.refresh_from_db()
    if item.privacy_request is not None:
        record_event(item.privacy_request, "inbox_dismissed", by=by, data={"inbox_item": item.pk})
    return item


def read_attachment(attachment: InboxAttachment, *, by: AbstractBaseUser) -> bytes:
    """Decrypt a file of the mail for a member of staff; a look is an event on the case once there is one."""
    data = files.load(attachment.stored_name)
    if attachment.item.privacy_request is not None:
        with transaction.atomic():
            record_event(
                attachment.item.privacy_request,
                "inbox_file_viewed",
                by=by,
                data={"inbox_attachment": attachment.pk},
            )
    return data


def purge(decided_before: datetime) -> int:
    """Delete items (with their files) decided before the cutoff; what waits for staff stays. Returns how many."""
    due = InboxItem.objects.exclude(state__in=INBOX_WAITING).filter(
        Q(decided_at__lte=decided_before) | Q(decided_at__isnull=True, stored_at__lte=decided_before)
    )
    done = 0
    for item in due:
        with transaction.atomic():
            names = list(item.attachments.exclude(stored_name="").values_list("stored_name", flat=True))
            if not InboxItem.objects.filter(pk=item.pk).delete()[0]:
                continue  # another sweep got there first
        for name in names:
            files.remove(name)
        done += 1
    return done
