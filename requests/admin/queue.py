"""The queue as a workspace: its columns, a search that keeps the term out of the URL, saved views, bulk actions.

Mixed into PrivacyRequestAdmin (cases.py). A search is POSTed, kept in the session and named in the URL by an
opaque token (`?s=`): a requester's name or address never reaches a URL, a browser history or an access log.
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlencode

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import formats
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from .. import services
from ..models import PrivacyRequest
from ..selectors import local_date, saved_views_of
from .forms import active_staff

# The query parameter naming a search kept in the session (an opaque token, not the term).
SEARCH_TOKEN = "s"  # noqa: S105 (a parameter name, not a secret)
SESSION_KEY = "queue_searches"
KEPT_SEARCHES = 20

# Ready-made views everyone has: (label, query string).
BUILT_IN_VIEWS = [
    (_("My overdue"), "who=mine&due=overdue"),
    (_("Unassigned California"), "who=unassigned&governing_regime__exact=ccpa"),
    (_("Waiting for the requester"), "status=awaiting_requester"),
    (_("Due within 7 days"), "due=7"),
]


def remember_search(request: HttpRequest, term: str) -> str:
    """Keep the term in the session; return the token the URL carries instead."""
    kept: dict[str, str] = dict(request.session.get(SESSION_KEY, {}))
    token = secrets.token_urlsafe(6)
    kept[token] = term[:200]
    request.session[SESSION_KEY] = dict(list(kept.items())[-KEPT_SEARCHES:])
    return token


def searched_term(request: HttpRequest) -> str:
    token = request.GET.get(SEARCH_TOKEN, "")
    return str(request.session.get(SESSION_KEY, {}).get(token, "")) if token else ""


def without(query: Any, *names: str) -> str:
    """A query string of `query` (a QueryDict or dict of lists) without the named parameters."""
    return urlencode([(k, v) for k, values in query.lists() for v in values if k not in names])


class QueueChangeList(ChangeList):
    """Django's change list, with the search term read from the session through the URL's token."""

    def get_filters_params(self, params: Any = None) -> Any:
        lookup = super().get_filters_params(params)
        lookup.pop(SEARCH_TOKEN, None)
        return lookup

    def get_queryset(self, request: HttpRequest, exclude_parameters: Any = None) -> QuerySet[Any]:
        self.query = searched_term(request)
        return super().get_queryset(request, exclude_parameters)

    @property
    def filters_query(self) -> str:
        """The current filters and order, which a search and a saved view keep."""
        return urlencode(
            [(k, v) for k, values in self.filter_params.items() for v in values if k != SEARCH_TOKEN]
        )


class QueueWorkspace(admin.ModelAdmin[PrivacyRequest]):
    """What PrivacyRequestAdmin adds to Django's change list to make it the staff queue."""

    search_help_text = _(
        "Search by reference (PR-2026-000123), email address, name, or words from the request (3 letters or more)."
    )

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return QueueChangeList

    def get_urls(self) -> list[URLPattern]:
        name = f"{self.opts.app_label}_{self.opts.model_name}"
        wrap = self.admin_site.admin_view
        return [
            path("search/", wrap(self.search_view), name=f"{name}_search"),
            path("views/save/", wrap(self.save_view_view), name=f"{name}_save_view"),
            path("views/<int:view_id>/delete/", wrap(self.delete_view_view), name=f"{name}_delete_view"),
            *super().get_urls(),
        ]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        term = request.GET.get("q", "")
        if term.strip():
            # An old bookmark or a hand-typed ?q=: searched, but the address bar is cleaned at once.
            rest = without(request.GET, "q", SEARCH_TOKEN)
            token = remember_search(request, term.strip())
            return HttpResponseRedirect(f"{request.path}?{rest + '&' if rest else ''}{SEARCH_TOKEN}={token}")
        context = {
            "saved_views": saved_views_of(request.user),
            "built_in_views": BUILT_IN_VIEWS,
            "title": gettext(
                "Privacy requests"
            ),  # not "Select privacy request to change": this is a worklist
            **(extra_context or {}),
        }
        return super().changelist_view(request, context)

    def _to_queue(self, query: str) -> HttpResponseRedirect:
        url = reverse(f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}_changelist")
        return HttpResponseRedirect(f"{url}?{query}" if query else url)

    def search_view(self, request: HttpRequest) -> HttpResponse:
        if request.method != "POST":
            return self._to_queue("")
        if not self.has_view_permission(request):
            raise PermissionDenied
        term = " ".join(request.POST.get("term", "").split())
        filters = services.workspace.view_query(request.POST.get("filters", ""))
        if not term:
            return self._to_queue(filters)
        token = remember_search(request, term)
        return self._to_queue(f"{filters}&{SEARCH_TOKEN}={token}" if filters else f"{SEARCH_TOKEN}={token}")

    @staticmethod
    def _save_view(request: HttpRequest) -> None:
        try:
            saved = services.workspace.save_view(
                owner=request.user,  # type: ignore[arg-type]
                name=request.POST.get("name", ""),
                query_string=request.POST.get("filters", ""),
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, gettext("View “%(name)s” saved.") % {"name": saved.name})

    def save_view_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        if request.method == "POST":
            self._save_view(request)
        return self._to_queue(services.workspace.view_query(request.POST.get("filters", "")))

    def delete_view_view(self, request: HttpRequest, view_id: int) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        if request.method == "POST" and services.workspace.delete_view(view_id, owner=request.user):  # type: ignore[arg-type]
            messages.success(request, gettext("View deleted."))
        return self._to_queue("")

    # Columns.

    @admin.display(description=_("requester"), ordering="requester_name")
    def requester(self, obj: PrivacyRequest) -> str:
        return obj.requester_name

    @admin.display(description=_("right"), ordering="kind")
    def right(self, obj: PrivacyRequest) -> str:
        return obj.get_kind_display()

    @admin.display(description=_("received"), ordering="received_at")
    def received(self, obj: PrivacyRequest) -> str:
        # The staff pages' one date format (privacyportal/formats): day, month in letters, year, since 03/04 reads
        # as March or April depending on who reads it.
        return formats.date_format(local_date(obj.received_at), "DATE_FORMAT")

    # Bulk actions: each case goes through its service, which records its own event.

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # cases are never deleted, only closed and later anonymised
        return actions

    @admin.action(description=_("Assign to…"), permissions=["change"])
    def assign_to(self, request: HttpRequest, queryset: QuerySet[PrivacyRequest]) -> HttpResponse | None:
        # Handlers take cases for themselves; only those who see every case hand them to others (as on the case page).
        if request.user.has_perm("requests.view_all_cases"):
            people = active_staff()
        else:
            people = get_user_model().objects.filter(pk=request.user.pk or 0, is_active=True, is_staff=True)
        chosen = request.POST.get("assignee", "")
        if "apply" not in request.POST:
            context = {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": gettext("Assign %(count)d cases") % {"count": queryset.count()},
                "cases": queryset.select_related("assignee"),
                "people": people,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(request, "admin/requests/privacyrequest/assign_to.html", context)
        to = people.filter(pk=int(chosen)).first() if chosen.isdigit() else None
        if to is None:
            messages.error(request, gettext("Choose someone to assign the cases to."))
            return None
        done = self._each(request, queryset, lambda case: services.assign(case, to=to, by=request.user))  # type: ignore[arg-type]
        name = to.get_full_name() or to.get_username()
        if done:
            messages.success(
                request,
                ngettext(
                    "%(count)d case assigned to %(name)s.", "%(count)d cases assigned to %(name)s.", done
                )
                % {"count": done, "name": name},
            )
        return None

    @admin.action(description=_("Remind the requester"), permissions=["change"])
    def remind_requester(self, request: HttpRequest, queryset: QuerySet[PrivacyRequest]) -> None:
        done = self._each(
            request,
            queryset,
            lambda case: services.workspace.remind_requester(case, by=request.user),  # type: ignore[arg-type]
        )
        if done:
            messages.success(
                request,
                ngettext("%(count)d requester reminded.", "%(count)d requesters reminded.", done)
                % {"count": done},
            )

    @admin.action(description=_("Export to CSV"), permissions=["view"])
    def export_csv(self, request: HttpRequest, queryset: QuerySet[PrivacyRequest]) -> HttpResponse:
        text = services.workspace.export_csv(queryset, by=request.user)  # type: ignore[arg-type]
        response = HttpResponse(text, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="cases.csv"'
        return response

    @staticmethod
    def _each(request: HttpRequest, queryset: QuerySet[PrivacyRequest], act: Any) -> int:
        """Act on every chosen case; a case the service refuses is reported with its reason, the rest go on."""
        done = 0
        for case in queryset.order_by("effective_due_at", "pk"):
            try:
                act(case)
            except (services.TransitionError, ValidationError) as error:
                messages.warning(request, " ".join(getattr(error, "messages", [str(error)])))
            else:
                done += 1
        return done
