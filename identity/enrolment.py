"""One-time enrolment links for staff two-factor devices: issue, send, redeem (DESIGN §8).

The penetration test enrolled its own authenticator for a member of staff who had none, with the password alone.
Now a device is only ever set up through a link a DPO sent (or `reset_otp` printed) *and* the password.
"""

from __future__ import annotations

import hashlib
import secrets
import smtplib
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from privacyportal.emails import make_message
from requests.selectors import staff_language

from .models import StaffEnrolment

BACKUP_CODES = 10


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue(user: Any, *, by: Any = None) -> tuple[StaffEnrolment, str]:
    """A fresh link for `user`; any earlier unused link of theirs stops working. Returns the row and the URL."""
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        StaffEnrolment.objects.filter(user=user, used_at=None, expires_at__gt=now).update(expires_at=now)
        enrolment = StaffEnrolment.objects.create(
            user=user,
            token_hash=_hash(token),
            created_by=by,
            expires_at=now + timedelta(hours=settings.STAFF_ENROLMENT_LINK_HOURS),
        )
    return enrolment, f"{settings.PORTAL_BASE_URL.rstrip('/')}/admin/enrol/{token}/"


class NotSent(Exception):
    """The mail server would not take the enrolment email; the link was retired unsent."""


def send(user: Any, *, by: Any) -> StaffEnrolment:
    """Issue a link and email it to the member of staff's own address, in their language.

    If the mail server refuses, the link is retired at once (nobody holds it) and NotSent says so.
    """
    if not user.email:
        raise ValidationError(
            _("%(username)s has no email address. Add one first, or run `manage.py reset_otp %(username)s`.")
            % {"username": user.username}
        )
    enrolment, link = issue(user, by=by)
    message = make_message(
        "staff-enrolment",
        {
            "name": user.get_full_name() or user.username,
            "username": user.username,
            "link": link,
            "hours": settings.STAFF_ENROLMENT_LINK_HOURS,
            "sent_by": by.get_full_name() or by.username,
        },
        to=[user.email],
        language=staff_language(user),
    )
    try:
        message.send()
    except (OSError, smtplib.SMTPException) as error:
        StaffEnrolment.objects.filter(pk=enrolment.pk).update(expires_at=timezone.now())
        raise NotSent(type(error).__name__) from None  # smtplib's text carries the address
    return enrolment


def find(token: str) -> StaffEnrolment | None:
    """The live link with this token, for an active member of staff; None for anything else."""
    if not token or len(token) > 100:
        return None
    return _live(StaffEnrolment.objects.filter(token_hash=_hash(token)).select_related("user").first())


def get(pk: object) -> StaffEnrolment | None:
    if not isinstance(pk, int):
        return None
    return _live(StaffEnrolment.objects.filter(pk=pk).select_related("user").first())


def _live(enrolment: StaffEnrolment | None) -> StaffEnrolment | None:
    if enrolment is None or not enrolment.live:
        return None
    if not (enrolment.user.is_active and enrolment.user.is_staff):
        return None
    return enrolment


def new_device(enrolment: StaffEnrolment) -> TOTPDevice:
    """A fresh, unconfirmed device whose secret nobody has seen before this page."""
    TOTPDevice.objects.filter(user=enrolment.user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=enrolment.user, name="Authenticator app", confirmed=False)


def complete(enrolment: StaffEnrolment, device: TOTPDevice) -> list[str] | None:
    """Confirm the device and make ten backup codes; the link is used up. None if it was used meanwhile.

    The new device replaces every earlier one (a lost phone stops working) and the old backup codes with it.
    """
    now = timezone.now()
    with transaction.atomic():
        claimed = StaffEnrolment.objects.filter(pk=enrolment.pk, used_at=None, expires_at__gt=now).update(
            used_at=now
        )
        if not claimed:
            return None
        TOTPDevice.objects.filter(user=enrolment.user).exclude(pk=device.pk).delete()
        StaticDevice.objects.filter(user=enrolment.user).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        backup = StaticDevice.objects.create(user=enrolment.user, name="Backup codes", confirmed=True)
        codes = [StaticToken.random_token() for _ in range(BACKUP_CODES)]
        StaticToken.objects.bulk_create(StaticToken(device=backup, token=code) for code in codes)
    return codes
