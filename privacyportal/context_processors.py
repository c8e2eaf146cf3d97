from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def operator(request: HttpRequest) -> dict[str, Any]:
    """Who runs this portal, for every page's header and footer."""
    return {
        "operator_name": settings.PRIVACY_OPERATOR_NAME,
        "operator_address": settings.PRIVACY_OPERATOR_ADDRESS,
        "dpo_email": settings.PRIVACY_DPO_EMAIL,
        "privacy_policy_url": settings.PRIVACY_POLICY_URL,
        "policy_days": settings.PRIVACY_POLICY_DAYS,
        "policy_extended_days": settings.PRIVACY_POLICY_EXTENDED_DAYS,
    }
