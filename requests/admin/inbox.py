"""The inbox on the staff side: mail to the privacy mailbox waiting to be made a case or dismissed.

Thin: the list is declarative, the item page shows the mail as text (escaped by the template, never rendered as
HTML) and its two forms call requests/services/inbox.py. Who may act is the roles' say (requests/roles.py):
the DPO and handlers change items, auditors read them.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Case, IntegerField, Value, When
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from .. import services
from ..downloads import attachment as download
from ..models import RIGHTS, InboxAttachment, InboxItem, Kind
from ..models.inbox import WAITING as INBOX_WAITING
from ..services import inbox

CHANGE = "requests.change_inboxitem"


class TurnForm(forms.Form):
    """ "Make it a case": what the mail does not say for sure, pre-filled from it for staff to check."""

    kind = forms.ChoiceField(label=_("Right"), choices=[(kind.value, kind.label) for kind in RIGHTS])
    requester_name = forms.CharField(label=_("Requester's name"), max_length=200)
    country = forms.ChoiceField(
        label=_("Country where the person lives"), choices=[("", _("Choose a country")), *countries]
    )
    language = forms.ChoiceField(label=_("Language for letters"), choices=settings.LANGUAGES)
    details = forms.CharField(
        label=_("What they asked"), widget=forms.Textarea(attrs={"rows": 6}), required=False
    )


class DismissForm(forms.Form):
    reason = forms.CharField(label=_("Why it is dismissed"), widget=forms.Textarea(attrs={"rows": 2}))


def turn_form(item: InboxItem, data: Any = None) -> TurnForm:
    return TurnForm(
        data,
        prefix="turn",
        initial={
            "kind": item.suggested_kind or Kind.ACCESS,
            "requester_name": item.sender_name,
            "language": item.suggested_language,
            "details": item.text,
        },
    )


@admin.register(InboxItem)
class InboxItemAdmin(admin.ModelAdmin[InboxItem]):
    list_display = ("received_at", "sender_shown", "subject", "suggested", "state")
    list_display_links = ("received_at", "sender_shown", "subject")
    list_filter = ("state",)
    search_fields = ("sender_key", "subject")
    list_per_page = 50

    def get_ordering(self, request: HttpRequest) -> list[Any]:
        # What waits for staff first, newest first within each.
        waiting_first = Case(
            When(state__in=INBOX_WAITING, then=Value(0)), default=Value(1), output_field=IntegerField()
        )
        return [waiting_first.asc(), "-received_at", "-pk"]

    @admin.display(description=_("sender"), ordering="sender_key")
    def sender_shown(self, obj: InboxItem) -> str:
        return f"{obj.sender_name} <{obj.sender}>" if obj.sender_name else obj.sender

    @admin.display(description=_("suggested right"))
    def suggested(self, obj: InboxItem) -> str:
        return str(Kind(obj.suggested_kind).label) if obj.suggested_kind else "—"

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        return super().changelist_view(request, {"title": gettext("Inbox"), **(extra_context or {})})

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # items come from the mailbox only

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # the retention sweep deletes them

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/turn/", view(self.turn_view), name="requests_inboxitem_turn"),
            path("<int:pk>/dismiss/", view(self.dismiss_view), name="requests_inboxitem_dismiss"),
            path("file/<int:pk>/", view(self.file_view), name="requests_inboxitem_file"),
            *super().get_urls(),
        ]

    def _item(self, request: HttpRequest, pk: Any) -> InboxItem:
        if not self.has_view_permission(request):
            raise PermissionDenied
        item = InboxItem.objects.filter(pk=pk).select_related("privacy_request").first()
        if item is None:
            raise Http404
        return item

    def _page(
        self,
        request: HttpRequest,
        item: InboxItem,
        turn: TurnForm | None = None,
        dismiss: DismissForm | None = None,
    ) -> HttpResponse:
        can_act = request.user.has_perm(CHANGE) and item.state in INBOX_WAITING
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": item.subject or gettext("(no subject)"),
            "item": item,
            "attachments": list(item.attachments.all()),
            "can_act": can_act,
            "turn_form": turn or turn_form(item),
            "dismiss_form": dismiss or DismissForm(prefix="dismiss"),
        }
        return TemplateResponse(request, "admin/requests/inboxitem/item.html", context)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        return self._page(request, self._item(request, object_id))

    def turn_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        item = self._item(request, pk)
        if request.method != "POST":
            raise Http404
        if not request.user.has_perm(CHANGE):
            raise PermissionDenied
        form = turn_form(item, request.POST)
        if not form.is_valid():
            return self._page(request, item, turn=form)
        try:
            privacy_request = inbox.turn_into_case(item, by=request.user, **form.cleaned_data)  # type: ignore[arg-type]
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return self._page(request, item, turn=form)
        except services.TransitionError as error:
            messages.error(request, str(error))
            return redirect("admin:requests_inboxitem_change", item.pk)
        messages.success(
            request,
            gettext("Made case %(reference)s; the sender has an acknowledgement.")
            % {"reference": privacy_request.reference},
        )
        return redirect("admin:requests_privacyrequest_change", privacy_request.pk)

    def dismiss_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        item = self._item(request, pk)
        if request.method != "POST":
            raise Http404
        if not request.user.has_perm(CHANGE):
            raise PermissionDenied
        form = DismissForm(request.POST, prefix="dismiss")
        if not form.is_valid():
            return self._page(request, item, dismiss=form)
        try:
            inbox.dismiss(item, by=request.user, reason=form.cleaned_data["reason"])  # type: ignore[arg-type]
        except services.TransitionError as error:
            messages.error(request, str(error))
            return redirect("admin:requests_inboxitem_change", item.pk)
        messages.success(request, gettext("Dismissed."))
        return redirect("admin:requests_inboxitem_changelist")

    def file_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        found = InboxAttachment.objects.filter(pk=pk).select_related("item__privacy_request").first()
        if found is None or not found.stored_name:
            raise Http404  # refused, moved to its case, or purged
        self._item(request, found.item_id)
        data = inbox.read_attachment(found, by=request.user)  # type: ignore[arg-type]
        return download(data, filename=found.name, content_type=found.content_type)
