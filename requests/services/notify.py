"""Who is told what, and the telling: the requester's emails (with their letter) and the staff's notices and
digests (DESIGN §7). The Celery tasks in tasks.py only check their arguments and call one function here.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import translation

from privacyportal import outbox
from privacyportal.emails import make_message

from .. import letters
from ..audit import record_sent
from ..explain import explain
from ..models import PrivacyRequest, StaffPreference
from ..roles import dpo_users
from ..selectors import (
    authority_line,
    deadlines_of,
    digest_notices,
    effective_due_by,
    follow_up_context,
    staff_language,
)
from . import connectors, post
from .common import SEND_OVERDUE_DIGEST_TO, SEND_STAFF_NOTICE_TO

logger = logging.getLogger(__name__)

REQUESTER_EMAILS = frozenset(
    {"packet-ready", "request-honoured", "request-expired", "request-acknowledged", "fee-lapsed", "request-received",
     "new-message", "request-extended", "fee-quoted", "fee-declined", "request-completed", "request-denied",
     "request-forwarded", "request-withdrawn", "restriction-lifted", "appeal-received", "complaint-received",
     "appeal-decided", "complaint-answered", "request-reminder"}
)  # fmt: skip
STAFF_NOTICES = frozenset(
    {
        "due_14",
        "due_7",
        "due_2",
        "due_1",
        "extension_window",
        "assigned",
        "child_data",
        "closed_reply",
        "undelivered",
    }
)


def email_requester(privacy_request_id: int, name: str, event_seq: int = 0) -> None:
    """Email the requester about their case, in their language, with its PDF letter where it has one."""
    privacy_request = PrivacyRequest.objects.get(pk=privacy_request_id)
    if post.by_post(privacy_request):
        # No email to send to: the same words go on the "Letters to post" list, and no email is recorded as sent.
        post.prepare(privacy_request, name, for_event=event_seq)
        return
    message = requester_message(privacy_request, name)
    kind = letters.letter_for(privacy_request, name)
    if kind is not None:
        letter = letters.issue(privacy_request, kind, for_event=event_seq)
        message.attach(letter.filename, letters.read(letter), "application/pdf")
    message.send()
    record_sent(privacy_request, name, "requester", message_id=message.extra_headers["Message-ID"])
    if name == "restriction-lifted":
        connectors.start_unrestrict(privacy_request)  # Art. 18(3): only now that the requester has been told


def requester_message(privacy_request: PrivacyRequest, name: str) -> EmailMultiAlternatives:
    """One of the requester's emails about their case, in their language, without its letter."""
    with translation.override(privacy_request.language):  # regulators' and states' names are translated
        authority = authority_line(privacy_request)
        follow_ups = follow_up_context(privacy_request)
    return make_message(
        name,
        {
            "privacy_request": privacy_request,
            "base_url": settings.PORTAL_BASE_URL.rstrip("/"),
            # The regulator of each law the case is under (the ICO, the CNIL, Roskomnadzor...), not one for all.
            "supervisory_authority": authority,
            "expire_days": settings.PRIVACY_VERIFY_EXPIRE_DAYS,
            **follow_ups,
        },
        to=[privacy_request.requester_email],
        language=privacy_request.language,
        to_requester=True,
    )


# A recipient of a staff notice by id (never an address: task arguments carry no personal data): a member of
# staff's user id, or None for the DPO mailbox (PRIVACY_DPO_EMAIL), which is no user.
Recipient = int | None


def _by_address(users: list[Any], *, mailbox: bool) -> list[Recipient]:
    """One recipient per address, in a fixed order: the DPO mailbox first (unless a user has its address)."""
    seen: set[str] = set()
    recipients: list[Recipient] = []
    if mailbox and settings.PRIVACY_DPO_EMAIL and settings.PRIVACY_DPO_EMAIL not in {u.email for u in users}:
        recipients.append(None)
        seen.add(settings.PRIVACY_DPO_EMAIL)
    for user in sorted(users, key=lambda u: u.pk):
        if user.email and user.email not in seen:
            recipients.append(user.pk)
            seen.add(user.email)
    return recipients


def dpo_recipients() -> list[Recipient]:
    """Who hears about problems with the whole system: the DPO mailbox and every DPO (roles.dpo_addresses)."""
    return _by_address(list(dpo_users()), mailbox=True)


def staff_recipients(privacy_request: PrivacyRequest) -> list[Recipient]:
    """Whoever answers for the case: the assignee, or the DPOs while unassigned.

    Staff who chose the daily digest are left out: the digest sweep lists the claimed notice for them.
    """
    assignee = privacy_request.assignee
    if assignee is not None and assignee.is_active and assignee.email:
        users, mailbox = [assignee], False
    else:
        users = list(dpo_users())
        # A DPO who has the mailbox's address and reads the digest keeps the mailbox's notices for the digest.
        mailbox = settings.PRIVACY_DPO_EMAIL not in {u.email for u in users}
    digest = set(
        StaffPreference.objects.filter(user__in=users, daily_digest=True).values_list("user_id", flat=True)
    )
    return _by_address([u for u in users if u.pk not in digest], mailbox=mailbox)


def assignee_recipient(privacy_request: PrivacyRequest) -> list[Recipient]:
    """Only the new assignee hears of an assignment, at once (not in a digest)."""
    assignee = privacy_request.assignee
    if assignee is None or not assignee.email:
        return []
    return [assignee.pk]


def closed_reply_recipients(privacy_request: PrivacyRequest) -> list[Recipient]:
    """A message on a closed case is in no queue: its assignee hears at once, whatever their digest preference, or
    the DPOs when nobody is assigned (or the assignee has left)."""
    assignee = privacy_request.assignee
    if assignee is not None and assignee.is_active and assignee.email:
        return [assignee.pk]
    return dpo_recipients()


def _address(recipient: Recipient) -> tuple[str, str]:
    """(address, language) of a recipient, looked up when its email is sent; no address for one who has left.

    The email goes minutes or hours after it was queued: a user deactivated since must not get case details,
    and one deleted since is no error to retry (the row would be republished until given up), just nobody.
    """
    if recipient is None:
        return settings.PRIVACY_DPO_EMAIL, "en"
    user = get_user_model().objects.filter(pk=recipient, is_active=True).first()
    if user is None:
        logger.info("staff user %s is inactive or gone; their email is not sent", recipient)
        return "", "en"
    return user.email, staff_language(user)


STAFF_TEMPLATES = {
    "extension_window": "staff-extension-window", "assigned": "staff-assigned", "child_data": "staff-child-data",
    "closed_reply": "staff-closed-reply", "undelivered": "staff-undelivered",
}  # fmt: skip


def notify_staff(privacy_request_id: int, kind: str) -> None:
    """A deadline reminder, extension warning or assignment to whoever answers for the case; or the news that the
    requester wrote on a closed case.

    One outbox row per recipient (`notify_staff_member`), so a worker killed halfway through sends again only to
    those not yet sent to; each row records its email as sent once the mail server took it, so the case never
    says a notice went out that failed or was given up.
    """
    privacy_request = PrivacyRequest.objects.select_related("assignee").get(pk=privacy_request_id)
    if not privacy_request.is_open and kind not in ("closed_reply", "undelivered"):
        return  # closed meanwhile: nothing to remind anyone of
    if kind == "assigned":
        recipients = assignee_recipient(privacy_request)
    elif kind in ("closed_reply", "undelivered"):
        # Open or closed, whoever answers for the case hears at once: the requester did not get our email.
        recipients = closed_reply_recipients(privacy_request)
    elif kind == "child_data":
        # The DPO must know at once, whoever handles the case and whatever their digest preference.
        recipients = dpo_recipients()
    else:
        recipients = staff_recipients(privacy_request)
    with transaction.atomic():
        for recipient in recipients:
            outbox.enqueue_once(SEND_STAFF_NOTICE_TO, privacy_request.pk, kind, recipient)


def notify_staff_member(privacy_request_id: int, kind: str, recipient: Recipient) -> None:
    """One recipient's email of a staff notice (`notify_staff`)."""
    privacy_request = PrivacyRequest.objects.select_related("assignee").get(pk=privacy_request_id)
    address, language = _address(recipient)
    if not address:
        return  # the address was removed since: nobody to send to
    days = int(kind.split("_")[1]) if kind.startswith("due_") else None
    case_url = (
        f"{settings.PORTAL_BASE_URL.rstrip('/')}/admin/requests/privacyrequest/{privacy_request.pk}/change/"
    )
    with translation.override(language):
        due_sentence = explain(deadlines_of(privacy_request))
    context = {
        "privacy_request": privacy_request,
        "days": days,
        "case_url": case_url,
        "due_sentence": due_sentence,
    }
    template = STAFF_TEMPLATES.get(kind, "staff-due-reminder")
    message = make_message(template, context, to=[address], language=language)
    message.send()
    # After the send, not when the row was promised; by Message-ID, so a copy run again records it once.
    record_sent(privacy_request, template, "staff", message_id=message.extra_headers["Message-ID"])


def send_staff_digest(user_id: int, day: str) -> None:
    """One member of staff's daily list of the reminders claimed for their cases in the last day."""
    user = get_user_model().objects.get(pk=user_id)
    pref = StaffPreference.objects.get(user=user)
    until = datetime.combine(date.fromisoformat(day), datetime.min.time(), tzinfo=UTC)
    notices = digest_notices(user, since=until - timedelta(days=1), until=until)
    if not notices:
        return
    with translation.override(pref.language):
        rows: list[dict[str, Any]] = [
            {"notice": n, "case": n.privacy_request, "due_sentence": explain(deadlines_of(n.privacy_request))}
            for n in notices
        ]
    base = settings.PORTAL_BASE_URL.rstrip("/")
    message = make_message(
        "staff-digest",
        {"rows": rows, "base_url": base, "user": user},
        to=[user.email],
        language=pref.language,
    )
    message.send()
    # By its Message-ID: a copy of this task, run after a kill, records nothing a second time.
    for privacy_request in {n.privacy_request for n in notices}:
        record_sent(privacy_request, "staff-digest", "staff", message_id=message.extra_headers["Message-ID"])


def send_overdue_digest(day: str) -> None:
    """The daily list of overdue cases to the DPOs; an event on each case listed, as each copy is sent."""
    today = date.fromisoformat(day)
    cases = list(effective_due_by(today - timedelta(days=1)).order_by("effective_due_at", "pk"))
    if not cases:
        return
    # One row per DPO (as `notify_staff`); each lists, and records on, the cases overdue when it is sent.
    with transaction.atomic():
        for recipient in dpo_recipients():
            outbox.enqueue_once(SEND_OVERDUE_DIGEST_TO, day, recipient)


def send_overdue_digest_to(day: str, recipient: Recipient) -> None:
    """One DPO's copy of the day's overdue list (`send_overdue_digest`)."""
    today = date.fromisoformat(day)
    cases = list(effective_due_by(today - timedelta(days=1)).order_by("effective_due_at", "pk"))
    address, _language = _address(recipient)  # in English, as the list always was
    if not cases or not address:
        return
    rows = [{"case": c, "days_overdue": (today - c.effective_due_at).days} for c in cases]
    base = settings.PORTAL_BASE_URL.rstrip("/")
    message = make_message("staff-overdue", {"rows": rows, "base_url": base, "day": today}, to=[address])
    message.send()
    for privacy_request in cases:
        record_sent(privacy_request, "staff-overdue", "staff", message_id=message.extra_headers["Message-ID"])
