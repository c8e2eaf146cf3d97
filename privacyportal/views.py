"""Pages about the portal itself rather than about a request."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from identity.services import VALID_FOR


def accessibility(request: HttpRequest) -> HttpResponse:
    """The accessibility statement, on GOV.UK's model, dated by the operator's last review (never by today)."""
    return render(
        request,
        "accessibility.html",
        {
            "reviewed": settings.PRIVACY_ACCESSIBILITY_REVIEWED,
            "code_minutes": int(VALID_FOR.total_seconds() // 60),
        },
    )
