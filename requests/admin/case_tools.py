"""The case page's working tools: internal notes, reply templates and the keyboard's "next case".

Kept beside the case page (requests/admin/cases.py), which adds `case_tools()` to its context; the note form
posts to `add_note`, a page of its own (privacyportal/urls.py).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.filters import FieldListFilter
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import get_fields_from_path
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, QueryDict
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .. import selectors, services
from ..models import PrivacyRequest

FILTERS = "_changelist_filters"  # how the admin carries the queue view's filters to the case page and back


class NoteForm(forms.Form):
    text = forms.CharField(
        label=_("Add an internal note"),
        max_length=services.notes.NOTE_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Only staff see notes: never the requester, in no page, email, letter or packet."),
    )


def case_url(privacy_request_id: int, filters: str = "", **more: str) -> str:
    """The case page, keeping the queue view staff came from (the admin's preserved filters)."""
    url = reverse("admin:requests_privacyrequest_change", args=[privacy_request_id])
    query = {**({FILTERS: filters} if filters else {}), **more}
    return f"{url}?{urlencode(query)}" if query else url


def back_to_case(request: HttpRequest) -> str:
    """Where the case page goes after an action: itself, still in its queue view, without a template picked."""
    match = request.resolver_match
    pk = int(match.kwargs["object_id"]) if match and "object_id" in match.kwargs else 0
    return case_url(pk, request.GET.get(FILTERS, "")) if pk else request.path


def add_note(request: HttpRequest, pk: int) -> HttpResponse:
    """Write an internal note on a case the member of staff may see; back to the case page."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    model_admin = admin.site.get_model_admin(PrivacyRequest)
    privacy_request = get_object_or_404(model_admin.get_queryset(request), pk=pk)
    if not services.may_add_note(request.user):
        raise PermissionDenied
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            services.add_note(privacy_request, by=request.user, text=form.cleaned_data["text"])
        except (ValidationError, services.TransitionError) as error:
            messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
        else:
            messages.success(request, gettext("Note added; only staff can read it."))
    else:
        messages.error(request, " ".join(str(e) for e in form.errors.get("text", [])))
    return redirect(case_url(pk, request.POST.get(FILTERS, "")) + "#notes-h")


def queue_view(model_admin: Any, request: HttpRequest, filters: str) -> QuerySet[PrivacyRequest]:
    """The cases of the queue view staff opened the case from: the list's own filters and search, applied as the
    list applies them (each filter calls its queue selector), so "next" never strays out of the view.

    Ordering and paging are left out: the queue's order is the selector's. A value the list would refuse gives
    the default queue.
    """
    params: dict[str, Any] = dict(QueryDict(filters).lists())
    term = params.pop("q", [""])[-1]
    cases = model_admin.get_queryset(request)
    try:
        for list_filter in model_admin.get_list_filter(request):
            if callable(list_filter):
                spec = list_filter(request, params, PrivacyRequest, model_admin)
            else:
                field = get_fields_from_path(PrivacyRequest, list_filter)[-1]
                spec = FieldListFilter.create(
                    field, request, params, PrivacyRequest, model_admin, field_path=list_filter
                )
            cases = spec.queryset(request, cases)
    except (IncorrectLookupParameters, ValidationError, ValueError):
        return queue_view(model_admin, request, "") if filters else cases
    if term.strip():
        cases, _duplicates = model_admin.get_search_results(request, cases, term)
    return cases  # type: ignore[no-any-return]


def case_tools(
    model_admin: Any, request: HttpRequest, privacy_request: PrivacyRequest, actions: list[dict[str, Any]]
) -> dict[str, Any]:
    """What the case page needs for notes, reply templates and its keyboard shortcuts."""
    filters = request.GET.get(FILTERS, "")
    offered = {item["action"].name: item["form"] for item in actions}
    message_form = offered.get("message")
    replies = selectors.replies_for(privacy_request) if message_form is not None else []
    picked = request.GET.get("reply_template", "")
    chosen = next((r for r in replies if str(r.template.pk) == picked), None)
    if chosen is not None and message_form is not None and not message_form.is_bound:
        # Without JavaScript the picker reloads the page: the box starts from the filled-in template.
        message_form.initial["body"] = chosen.text
    may_read_notes = request.user.has_perm("requests.view_casenote")
    following = selectors.next_case(queue_view(model_admin, request, filters), privacy_request)
    return {
        "note_form": NoteForm() if services.may_add_note(request.user) else None,
        "notes": selectors.notes_of(privacy_request) if may_read_notes else [],
        "changelist_filters": filters,
        "replies": replies,
        "reply_chosen": chosen,
        "reply_texts": {str(r.template.pk): r.text for r in replies},
        "next_case": following,
        "next_case_url": case_url(following.pk, filters) if following else "",
        # "a" assigns to me: only where assigning is offered and the case is not mine already.
        "assign_to_me": "assign" in offered and privacy_request.assignee_id != request.user.pk,
    }
