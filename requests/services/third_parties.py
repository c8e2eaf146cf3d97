"""Third parties told of an opt-out, a limit or a marketing objection (CCPA §1798.135(c)(6), regs §7026(f)(2),
§7027(g)(2)): every active third party in the register that receives the data for what the request stops gets an
email naming the person and what to stop, and the notice records when it went. They are told once every system
has answered and one held the person (`carry_out.complete_if_carried_out`): what we hold is what we passed on,
and an opt-out typed with a stranger's address discloses nothing. The case then waits for the notices as it
waited for its systems (`carry_out.pending`).

Recipients named in the register (Art. 19 GDPR) are told of an erasure, correction or restriction by staff, who
record each notice here; the confirmation letter states only what was recorded.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from privacyportal import outbox
from privacyportal.emails import make_message

from ..audit import record_event, record_sent
from ..models import (
    TOLD_FOR,
    ActorKind,
    NoticeMethod,
    PrivacyRequest,
    RecipientNotice,
    Relationship,
    ThirdParty,
    ThirdPartyNotice,
)
from ..selectors import local_date, local_today, recipient_choices
from ..selectors.owner_tasks import stops_marketing
from .common import SEND_THIRD_PARTY_NOTICE
from .rules import _guard


def to_tell(privacy_request: PrivacyRequest) -> QuerySet[ThirdParty]:
    """The active third parties that receive the person's data for what this request stops."""
    flags = TOLD_FOR.get(privacy_request.kind, ()) if stops_marketing(privacy_request) else ()
    if not flags:
        return ThirdParty.objects.none()
    receives = Q()
    for flag in flags:
        receives |= Q(**{flag: True})
    return ThirdParty.objects.filter(receives, active=True)


def tell(privacy_request: PrivacyRequest) -> list[ThirdPartyNotice]:
    """A notice for each third party to tell, sent through the outbox; a second call makes none again."""
    made = []
    for third_party in to_tell(privacy_request).order_by("name"):
        notice, new = ThirdPartyNotice.objects.get_or_create(
            privacy_request=privacy_request,
            third_party=third_party,
            defaults={"name": third_party.name, "email": third_party.email},
        )
        if new:
            outbox.enqueue(SEND_THIRD_PARTY_NOTICE, notice.pk)
            made.append(notice)
    if made:
        record_event(
            privacy_request,
            "third_parties_to_tell",
            actor_kind=ActorKind.SYSTEM,
            data={"third_parties": [n.third_party_id for n in made]},
        )
    return made


def send_notice(notice_id: int) -> PrivacyRequest | None:
    """Email one third party its notice, once; the case when this call sent it (`carry_out.tell_third_party`
    then sees whether the case is done), else None."""
    notice = ThirdPartyNotice.objects.select_related("privacy_request").filter(pk=notice_id).first()
    if notice is None or notice.sent_at is not None:
        return None
    privacy_request = notice.privacy_request
    make_message(
        "third-party-notice",
        {
            "privacy_request": privacy_request,
            "notice": notice,
            "reference": privacy_request.reference,
            # The person the opt-out is about: for an agent's request, the consumer, never the agent.
            "person_name": privacy_request.subject_name or privacy_request.requester_name,
            "person_email": privacy_request.subject_email
            or (privacy_request.requester_email if privacy_request.relationship == Relationship.SELF else ""),
        },
        to=[notice.email],
        # A company reads it: the operator's own language, not the requester's.
        language=settings.LANGUAGE_CODE,
    ).send()
    with transaction.atomic():
        if not ThirdPartyNotice.objects.filter(pk=notice.pk, sent_at=None).update(sent_at=timezone.now()):
            return None  # a second copy of the task sent it meanwhile
        record_event(
            privacy_request,
            "third_party_told",
            actor_kind=ActorKind.SYSTEM,
            data={"third_party": notice.third_party_id, "method": notice.method},
        )
        record_sent(privacy_request, "third-party-notice", "third_party")
    return privacy_request


@transaction.atomic
def record_recipient_notice(
    privacy_request: PrivacyRequest,
    *,
    by: AbstractBaseUser,
    recipient: str,
    method: str = "",
    told_on: date | None = None,
    not_told_reason: str = "",
) -> RecipientNotice:
    """Art. 19: record that a recipient in the register was told of the erasure, correction or restriction
    (how and on which day), or was not, and why. Recording again for the same recipient corrects the record."""
    _guard(privacy_request, "recipients")
    # By the name the register gives it in English, whatever the language of the page it was recorded on.
    if recipient not in {key for key, _name in recipient_choices(privacy_request)}:
        raise ValidationError(
            {"recipient": _("Choose a recipient the register names for this person's data.")}
        )
    not_told_reason = not_told_reason.strip()
    if told_on is None:
        if not not_told_reason:
            raise ValidationError(
                {"not_told_reason": _("Say why this recipient was not told (Art. 19: impossible, or a "
                                      "disproportionate effort).")}
            )  # fmt: skip
        method = ""
    else:
        if method not in NoticeMethod.values:
            raise ValidationError({"method": _("Say how the recipient was told.")})
        if told_on > local_today() or told_on < local_date(privacy_request.received_at):
            raise ValidationError(
                {"told_on": _("The day they were told is between the day the request came and today.")}
            )
        not_told_reason = ""
    notice, _created = RecipientNotice.objects.update_or_create(
        privacy_request=privacy_request,
        recipient=recipient,
        defaults={
            "method": method,
            "told_on": told_on,
            "not_told_reason": not_told_reason,
            "recorded_by": by,
            "recorded_at": timezone.now(),
        },
    )
    record_event(
        privacy_request,
        "recipient_notice_recorded",
        by=by,
        # A recipient is an organisation named in the register, not personal data.
        data={"recipient": recipient, "told": told_on is not None, "method": method or None},
    )
    return notice
