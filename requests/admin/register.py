"""The register of processing activities and the company systems (DPO-maintained)."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from ..models import (
    CompanySystem,
    ProcessingActivity,
)


@admin.register(ProcessingActivity)
class ProcessingActivityAdmin(admin.ModelAdmin[ProcessingActivity]):
    """The record of processing (Art. 30): the access letter and the Art. 19 notices are built from it."""

    list_display = ("name", "legal_basis", "retention", "system_names")
    search_fields = ("name", "purposes", "data_categories")
    list_filter = ("legal_basis",)
    fieldsets = (
        (None, {"fields": ("name", "purposes", "legal_basis")}),
        (_("Data"), {"fields": ("data_categories", "sources", "retention")}),
        (_("Who else sees it"), {"fields": ("recipients", "transfers")}),
        (_("Automated decisions"), {"fields": ("automated_decisions",)}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[ProcessingActivity]:
        return super().get_queryset(request).prefetch_related("systems")

    @admin.display(description=_("systems"))
    def system_names(self, obj: ProcessingActivity) -> str:
        return ", ".join(s.name for s in obj.systems.all())


@admin.register(CompanySystem)
class CompanySystemAdmin(admin.ModelAdmin[CompanySystem]):
    list_display = ("name", "owner", "description", "active")
    list_filter = ("active",)
    list_select_related = ("owner",)
    search_fields = ("name", "description")
    filter_horizontal = ("activities",)
    fields = ("name", "description", "owner", "activities", "active")
