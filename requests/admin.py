"""The staff view of cases. Declarative first; every change goes through requests.services."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from identity.models import Evidence

from .explain import regime_name
from .lifecycle import OPEN_STATUSES
from .models import PrivacyRequest, RequestEvent, StaffPreference
from .selectors import local_today


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


class QueueFilter(admin.SimpleListFilter):
    """Open cases by default: the queue is what still needs an answer."""

    title = _("queue")
    parameter_name = "queue"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("open", _("Open")), ("closed", _("Closed")), ("all", _("All"))]

    def value(self) -> str:
        return super().value() or "open"

    def choices(self, changelist: Any) -> Any:
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request: HttpRequest, queryset: QuerySet[PrivacyRequest]) -> QuerySet[PrivacyRequest]:
        open_statuses = [s.value for s in OPEN_STATUSES]
        if self.value() == "open":
            return queryset.filter(status__in=open_statuses)
        if self.value() == "closed":
            return queryset.exclude(status__in=open_statuses)
        return queryset


class DueFilter(admin.SimpleListFilter):
    title = _("due")
    parameter_name = "due"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("overdue", _("Overdue")), ("7", _("Due within 7 days")), ("14", _("Due within 14 days"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[PrivacyRequest]) -> QuerySet[PrivacyRequest]:
        today = local_today()
        if self.value() == "overdue":
            return queryset.filter(effective_due_at__lt=today)
        if self.value() in ("7", "14"):
            return queryset.filter(effective_due_at__lte=today + timedelta(days=int(self.value() or 0)))
        return queryset


class AssigneeFilter(admin.SimpleListFilter):
    title = _("assignee")
    parameter_name = "who"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("mine", _("Mine")), ("unassigned", _("Unassigned"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[PrivacyRequest]) -> QuerySet[PrivacyRequest]:
        if self.value() == "mine":
            return queryset.filter(assignee=request.user)  # type: ignore[misc]
        if self.value() == "unassigned":
            return queryset.filter(assignee__isnull=True)
        return queryset


@admin.register(PrivacyRequest)
class PrivacyRequestAdmin(admin.ModelAdmin):
    list_display = (
        "reference", "kind", "status", "regime", "days_left", "effective_due_at", "assignee", "flags",
    )  # fmt: skip
    list_filter = (
        QueueFilter, "status", "kind", "governing_regime", DueFilter, AssigneeFilter, "repetitive", "processor_request",
    )  # fmt: skip
    search_fields = ("=reference", "=requester_email")
    list_select_related = ("assignee",)
    ordering = ("effective_due_at", "id")
    show_full_result_count = False  # no COUNT(*) over the whole table
    list_per_page = 50
    inlines = [EvidenceInline, RequestEventInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[PrivacyRequest]:
        queryset = super().get_queryset(request)
        if request.user.has_perm("requests.view_all_cases"):
            return queryset
        # Handlers see the unassigned queue and their own cases (DESIGN §8).
        return queryset.filter(Q(assignee=request.user) | Q(assignee__isnull=True))

    @admin.display(description=_("governing regime"), ordering="governing_regime")
    def regime(self, obj: PrivacyRequest) -> str:
        return regime_name(obj.governing_regime)

    @admin.display(description=_("days left"), ordering="effective_due_at")
    def days_left(self, obj: PrivacyRequest) -> str:
        if not obj.is_open:
            return "—"
        days = (obj.effective_due_at - local_today()).days
        if days < 0:
            colour, text = "#b91c1c", _("%(n)d overdue") % {"n": -days}
        elif days <= 7:
            colour, text = "#b45309", str(days)
        else:
            colour, text = "#15803d", str(days)
        return format_html('<strong style="color:{}">{}</strong>', colour, text)

    @admin.display(description=_("flags"))
    def flags(self, obj: PrivacyRequest) -> str:
        marks = []
        if obj.extended:
            marks.append(str(_("extended")))
        if obj.repetitive:
            marks.append(str(_("repetitive")))
        if obj.processor_request:
            marks.append(str(_("processor")))
        if obj.relationship != "self":
            marks.append(obj.get_relationship_display().split()[0].lower() if obj.relationship else "")
        return ", ".join(marks)

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
