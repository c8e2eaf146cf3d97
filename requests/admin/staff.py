"""Each member of staff's own preferences: language and which notices they get."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from ..models import (
    StaffPreference,
)


@admin.register(StaffPreference)
class StaffPreferenceAdmin(admin.ModelAdmin[StaffPreference]):
    """Each member of staff sets their own; DPOs (superusers) see everyone's."""

    list_display = ("user", "language", "daily_digest")
    fields = ("user", "language", "daily_digest")

    def get_queryset(self, request: HttpRequest) -> QuerySet[StaffPreference]:
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(user__pk=request.user.pk or 0)  # the admin is only ever reached signed in

    def get_readonly_fields(
        self, request: HttpRequest, obj: StaffPreference | None = None
    ) -> tuple[str, ...]:
        return () if request.user.is_superuser else ("user",)

    def save_model(self, request: HttpRequest, obj: StaffPreference, form: Any, change: bool) -> None:
        if not request.user.is_superuser:
            obj.user = request.user  # type: ignore[assignment]
        super().save_model(request, obj, form, change)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and request.user.is_staff)

    def has_view_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        mine = StaffPreference.objects.filter(user=request.user).exists()  # type: ignore[misc]
        return self.has_module_permission(request) and (request.user.is_superuser or not mine)

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return self.has_module_permission(request)
