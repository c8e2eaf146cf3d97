"""The outbox in the admin, for the operator (superusers only)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .backlog import backlog, stale_after, sweep_period
from .models import QueuedTask
from .outbox import REDELIVER_AFTER


class DeliveredFilter(admin.SimpleListFilter):
    title = _("delivered")
    parameter_name = "delivered"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("no", _("Not yet")), ("yes", _("Yes"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[QueuedTask]) -> QuerySet[QueuedTask]:
        if self.value() in {"no", "yes"}:
            return queryset.filter(delivered_at__isnull=self.value() == "no")
        return queryset


@admin.register(QueuedTask)
class QueuedTaskAdmin(admin.ModelAdmin[QueuedTask]):
    """The outbox, for the operator: what was promised and whether it ran (ids only; read-only)."""

    # What fits a 1280 px screen beside the filters, in Russian too; the queue and the last publish are on each
    # task's own page.
    list_display = ("name", "args", "created_at", "publishes", "delivered_at")
    list_filter = (DeliveredFilter, "name")
    readonly_fields = (*list_display, "queue", "published_at", "task_id", "started_at")
    ordering = ("-created_at",)
    show_full_result_count = False
    change_list_template = "admin/privacyportal/queuedtask/change_list.html"

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """The backlog and its oldest age at the top: what /healthz reports, with what the numbers mean."""
        found = backlog(timezone.now())
        context = {
            # Not Django's "Select outbox task to view": a list to read, not to pick from.
            "title": _("Outbox tasks"),
            "backlog": found,
            "oldest_minutes": None if found.oldest_age_seconds is None else found.oldest_age_seconds // 60,
            "redeliver_minutes": int(REDELIVER_AFTER.total_seconds()) // 60,
            "redelivered_by": int((REDELIVER_AFTER + sweep_period()).total_seconds()) // 60,
            "stale_minutes": int(stale_after().total_seconds()) // 60,
        }
        return super().changelist_view(request, {**(extra_context or {}), **context})

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and request.user.is_superuser)

    def has_view_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
