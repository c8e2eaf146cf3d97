"""What a member of staff is told, and in which language."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Q

from ..models import Notice, StaffPreference

DIGEST_KINDS = ("due_14", "due_7", "due_2", "due_1", "extension_window")


def digest_notices(user: Any, *, since: datetime, until: datetime) -> list[Notice]:
    """Reminders claimed in [since, until) for this person's cases (and the unassigned ones, for a DPO)."""
    mine = Q(privacy_request__assignee=user)
    if user.is_superuser:
        mine |= Q(privacy_request__assignee__isnull=True)
    return list(
        Notice.objects.filter(
            mine, kind__in=DIGEST_KINDS, sent=True, created_at__gte=since, created_at__lt=until
        )
        .select_related("privacy_request")
        .order_by("privacy_request__effective_due_at", "privacy_request_id", "kind")
    )


def staff_language(user: Any) -> str:
    """The language a member of staff reads their emails in (their preference; English if they set none)."""
    language = StaffPreference.objects.filter(user=user).values_list("language", flat=True).first()
    return language or "en"
