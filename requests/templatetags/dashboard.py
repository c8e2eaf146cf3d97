"""The dashboard's four numbers on the admin index (`{% dashboard_summary %}`)."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

from ..admin.views import may_see_cases, summary_figures

register = template.Library()


@register.inclusion_tag("admin/_dashboard_summary.html", takes_context=True)
def dashboard_summary(context: template.Context) -> dict[str, Any]:
    """Nothing for staff who may not see cases (the index must still open for them)."""
    request = context.get("request")
    if request is None or not may_see_cases(request):
        return {"figures": []}
    return {"figures": summary_figures(request), "dashboard_url": reverse("admin_dashboard")}
