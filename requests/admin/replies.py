"""Reply templates: the DPO keeps them; everyone who writes to requesters starts from them on the case page."""

from __future__ import annotations

from django.contrib import admin

from ..models import ReplyTemplate


@admin.register(ReplyTemplate)
class ReplyTemplateAdmin(admin.ModelAdmin[ReplyTemplate]):
    # Who may change them is the roles' say (requests/roles.py): the DPO; handlers may read them.
    list_display = ("name", "purpose", "language", "subject")
    list_filter = ("language", "purpose")
    search_fields = ("name", "subject")
    fields = ("name", "purpose", "language", "subject", "body")
