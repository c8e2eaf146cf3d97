"""The audit trail, read-only: events are appended by services and never edited."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from ..models import (
    RequestEvent,
)
from ..selectors import (
    cases_for,
)


@admin.register(RequestEvent)
class RequestEventAdmin(admin.ModelAdmin[RequestEvent]):
    list_display = ("privacy_request", "seq", "at", "actor", "verb", "old_status", "new_status")
    list_select_related = ("privacy_request", "actor")

    def get_queryset(self, request: HttpRequest) -> QuerySet[RequestEvent]:
        # The audit trail of a case is as private as the case: a handler reads only the cases they may open.
        return super().get_queryset(request).filter(privacy_request__in=cases_for(request.user).values("pk"))

    readonly_fields = (
        "privacy_request",
        "seq",
        "at",
        "actor",
        "actor_kind",
        "verb",
        "old_status",
        "new_status",
        "data",
        "prev_hash",
        "hash",
    )
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
