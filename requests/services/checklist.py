"""The systems checklist: what each company system holds for the case."""

from __future__ import annotations

import hashlib
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from identity.models import Evidence
from privacyportal import files
from privacyportal.uploads import CheckedFile

from ..audit import record_event
from ..models import (
    CheckState,
    CompanySystem,
    PrivacyRequest,
    SystemCheck,
)
from .rules import _guard


@transaction.atomic
def record_system_check(
    privacy_request: PrivacyRequest,
    *,
    by: AbstractBaseUser,
    system: CompanySystem,
    state: str,
    notes: str = "",
) -> SystemCheck:
    """Record what one company system holds for the case (the systems checklist)."""
    if state not in CheckState.values:
        raise ValidationError({"state": _("Choose what the system holds.")})
    if state == CheckState.SKIPPED and not (notes or "").strip():
        raise ValidationError(
            {"notes": _("Say why this system is skipped: the packet is built without it on that ground.")}
        )
    _guard(privacy_request, "check")
    check, _created = SystemCheck.objects.update_or_create(
        privacy_request=privacy_request,
        system=system,
        defaults={
            "state": state,
            "notes": (notes or "").strip(),
            "checked_by": by,
            "checked_at": timezone.now(),
        },
    )
    record_event(privacy_request, "system_checked", by=by, data={"system": system.pk, "state": state})
    return check


def store_extract(
    privacy_request: PrivacyRequest, checked: CheckedFile, *, system: Any
) -> tuple[Evidence, bool]:
    """Keep, encrypted, a checked file of what a company system holds for the case; it goes into the packet.

    The same file for the same system twice (a double click, a re-upload) is kept once: (the extract, False).
    The caller records the event (staff: `identity.services.add_extract`; a system's owner: their answer).
    """
    digest = hashlib.sha256(checked.data).hexdigest()
    same = Evidence.objects.filter(
        privacy_request=privacy_request,
        system=system,
        sha256=digest,
        kind=Evidence.Kind.EXTRACT,
        purged_at__isnull=True,
    ).first()
    if same is not None:
        return same, False
    stored_name, digest = files.store(checked)
    item = Evidence.objects.create(
        privacy_request=privacy_request,
        system=system,
        kind=Evidence.Kind.EXTRACT,
        name=checked.name,
        content_type=checked.content_type,
        size=len(checked.data),
        sha256=digest,
        stored_name=stored_name,
    )
    return item, True
