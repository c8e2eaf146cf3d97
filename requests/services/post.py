"""Requesters by post: what would be emailed to them is printed instead, and staff record when it was posted.

A requester who wrote by post and gave no email address is told everything on paper. `prepare` runs where the
email would have been sent (`notify.email_requester`, in a task: PDF work never runs in a web request), so every
letter and notice the case's services promise reaches the "Letters to post" list on the case page, and nothing
claims an email was sent. The deadlines are the case's as ever: posting is a record, not a step of the lifecycle.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from privacyportal import files
from privacyportal.emails import make_message
from privacyportal.pdf import render_pdf

from .. import letters
from ..audit import record_event
from ..models import ActorKind, Message, PostalLetter, PrivacyRequest
from ..selectors import authority_line, follow_up_context, local_date, local_today
from . import connectors
from .common import TransitionError


def by_post(privacy_request: PrivacyRequest) -> bool:
    """Whether the requester is written to on paper: they gave a postal address and no email."""
    return not privacy_request.requester_email and bool(privacy_request.postal_address)


def prepare(privacy_request: PrivacyRequest, template: str, *, for_event: int) -> PostalLetter:
    """The letter to post in place of the email `template`: the one already prepared for this event, or a new one.

    Where the email carries a formal letter (extension, refusal, answer...), that letter is what is posted; the
    other emails (acknowledgement, a message from staff...) become a notice with the email's words.
    """
    existing = PostalLetter.objects.filter(
        privacy_request=privacy_request, template=template, for_event=for_event
    ).first()
    if existing is not None:
        return existing
    kind = letters.letter_for(privacy_request, template)
    letter = letters.issue(privacy_request, kind, for_event=for_event) if kind is not None else None
    stored_name, size = "", letter.size if letter else 0
    if letter is None:
        data = render_notice(privacy_request, template)
        stored_name, _digest = files.store_bytes(data, "letters")
        size = len(data)
    try:
        with transaction.atomic():
            postal = PostalLetter.objects.create(
                privacy_request=privacy_request,
                template=template,
                for_event=for_event,
                letter=letter,
                stored_name=stored_name,
                size=size,
            )
            record_event(
                privacy_request,
                "letter_to_post",
                actor_kind=ActorKind.SYSTEM,
                data={"postal_letter": postal.pk, "template": template},
            )
    except IntegrityError:
        # A concurrent run of the same task prepared it first: keep theirs.
        if stored_name:
            files.remove(stored_name, "letters")
        return PostalLetter.objects.get(
            privacy_request=privacy_request, template=template, for_event=for_event
        )
    return postal


def _notice_paragraphs(privacy_request: PrivacyRequest, template: str) -> tuple[str, list[str]]:
    """The email's subject and its paragraphs, without its greeting and closing (the letter has its own)."""
    with translation.override(privacy_request.language):
        authority = authority_line(privacy_request)
        follow_ups = follow_up_context(privacy_request)
    message = make_message(
        template,
        {
            "privacy_request": privacy_request,
            "base_url": settings.PORTAL_BASE_URL.rstrip("/"),
            "supervisory_authority": authority,
            "expire_days": settings.PRIVACY_VERIFY_EXPIRE_DAYS,
            # The email's lines about signing in with this address are left out: there is no address.
            "postal": True,
            **follow_ups,
        },
        to=[],
        language=privacy_request.language,
    )
    paragraphs = [p.strip() for p in str(message.body).split("\n\n") if p.strip()]
    return str(message.subject), paragraphs[1:-1]


def render_notice(privacy_request: PrivacyRequest, template: str) -> bytes:
    """A notice on the letterhead, addressed for a window envelope, saying what the email would have said."""
    subject, paragraphs = _notice_paragraphs(privacy_request, template)
    staff_message = None
    if template == "new-message":
        # The email only says there is a message (to keep it out of inboxes); on paper the message is the letter.
        staff_message = (
            Message.objects.filter(privacy_request=privacy_request, author_kind=ActorKind.STAFF)
            .order_by("-created_at", "-pk")
            .first()
        )
    with translation.override(privacy_request.language):
        context: dict[str, Any] = {
            **letters.letter_context(privacy_request, "notice"),
            "subject": subject,
            "paragraphs": [] if staff_message else paragraphs,
            "staff_message": staff_message,
        }
    return render_pdf("letter-notice", context, language=privacy_request.language)


def read_for_staff(postal: PostalLetter, *, by: AbstractBaseUser) -> bytes:
    """The printable PDF; every look is an event on the case (as for letters and evidence)."""
    if postal.letter is not None:
        return letters.read_for_staff(postal.letter, by=by)
    data = files.load(postal.stored_name, "letters")  # first: a look that failed to decrypt showed nothing
    with transaction.atomic():
        record_event(postal.privacy_request, "letter_viewed", by=by, data={"postal_letter": postal.pk})
    return data


@transaction.atomic
def record_posted(
    postal: PostalLetter, *, by: AbstractBaseUser, posted_on: date | None = None
) -> PostalLetter:
    """Staff posted the letter: the day it went and who sent it. Recorded once; a second click changes nothing."""
    posted_on = posted_on or local_today()
    if posted_on > local_today():
        raise ValidationError({"posted_on": _("The day posted cannot be in the future.")})
    if posted_on < local_date(postal.created_at):
        raise ValidationError({"posted_on": _("The day posted cannot be before the letter was written.")})
    claimed = PostalLetter.objects.filter(pk=postal.pk, posted_at__isnull=True).update(
        posted_on=posted_on, posted_by=by, posted_at=timezone.now()
    )
    if claimed != 1:
        raise TransitionError(_("This letter was already recorded as posted."))
    postal.refresh_from_db()
    record_event(
        postal.privacy_request,
        "letter_posted",
        by=by,
        data={"postal_letter": postal.pk, "template": postal.template, "posted_on": posted_on.isoformat()},
    )
    if postal.template == "restriction-lifted":
        connectors.start_unrestrict(postal.privacy_request)  # Art. 18(3): only once the requester is told
    return postal
