"""The systems checklist: what each company system holds for the case."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

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
