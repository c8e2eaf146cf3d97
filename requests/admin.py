"""The staff view of cases. Declarative first; every change goes through requests.services."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from identity.models import Evidence

from .models import PrivacyRequest, RequestEvent, StaffPreference


class RequestEventInline(admin.TabularInline):
    model = RequestEvent
    fields = ("seq", "at", "actor", "actor_kind", "verb", "old_status", "new_status", "data")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("seq",)

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class EvidenceInline(admin.TabularInline):
    model = Evidence
    fields = ("kind", "download", "content_type", "size", "uploaded_at", "purged_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    @admin.display(description="file")
    def download(self, obj: Evidence) -> str:
        if obj.purged_at:
            return "purged"
        return format_html('<a href="{}">{}</a>', reverse("evidence_download", args=[obj.pk]), obj.name)

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(PrivacyRequest)
class PrivacyRequestAdmin(admin.ModelAdmin):
    list_display = ("reference", "kind", "status", "governing_regime", "due_at", "extended", "assignee")
    list_filter = ("status", "kind", "governing_regime", "extended", "repetitive", "processor_request")
    search_fields = ("=reference", "=requester_email")
    list_select_related = ("assignee",)
    show_full_result_count = False
    inlines = [EvidenceInline, RequestEventInline]

    def get_readonly_fields(self, request: HttpRequest, obj: PrivacyRequest | None = None) -> list[str]:
        # Status, deadlines and outcomes change only through the services.
        return [f.name for f in PrivacyRequest._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(RequestEvent)
class RequestEventAdmin(admin.ModelAdmin):
    list_display = ("request", "seq", "at", "actor", "verb", "old_status", "new_status")
    list_select_related = ("request", "actor")
    readonly_fields = (
        "request",
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


@admin.register(StaffPreference)
class StaffPreferenceAdmin(admin.ModelAdmin):
    """Each member of staff sets their own; DPOs (superusers) see everyone's."""

    list_display = ("user", "language", "daily_digest")
    fields = ("user", "language", "daily_digest")

    def get_queryset(self, request: HttpRequest) -> QuerySet[StaffPreference]:
        queryset = super().get_queryset(request)
        return queryset if request.user.is_superuser else queryset.filter(user=request.user)

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
