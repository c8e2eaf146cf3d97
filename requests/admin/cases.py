"""The queue and the case page: list filters read the one queue selector; actions are offered as `available()` says."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from identity.models import Evidence
from identity.tiers import POINTS_NEEDED, Tier, at_least

from .. import deadlines, selectors, services
from ..explain import explain, regime_name
from ..lifecycle import WORKING_STATUSES
from ..models import (
    FOLLOW_UPS,
    CompanySystem,
    ConnectorRun,
    Message,
    Packet,
    PrivacyRequest,
)
from ..selectors import (
    DEFAULT_QUEUE,
    assigned,
    cases_for,
    clock_stopped,
    deadlines_of,
    due_within,
    governed_by,
    in_queue,
    local_date,
    local_today,
    overdue,
    recipients_to_notify,
    search,
    with_open_owner_tasks,
    written_after_closing,
)
from . import confirm, post
from .case_tools import back_to_case, case_tools
from .forms import ACTIONS, DATA_POINT_LABELS, CaseForm, LogRequestForm
from .queue import QueueWorkspace

# Connector buttons on the case page, and the permission each needs.
CONNECTOR_ACTIONS = {
    "connector_retry": "requests.change_privacyrequest",
    "connector_approve": "requests.approve_erasure",
}


# Each filter turns its URL parameter into a criterion of the queue and leaves its meaning to the selectors,
# which the API's list uses too.
class QueueFilter(admin.SimpleListFilter):
    """Open cases by default: the queue is what still needs an answer."""

    title = _("queue")
    parameter_name = "queue"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("open", _("Open")), ("closed", _("Closed")), ("all", _("All"))]

    def value(self) -> str:
        return super().value() or DEFAULT_QUEUE

    def choices(self, changelist: Any) -> Any:
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request: HttpRequest, queryset: QuerySet[PrivacyRequest]) -> QuerySet[PrivacyRequest]:
        return in_queue(queryset, self.value())


class DueFilter(admin.SimpleListFilter):
    title = _("due")
    parameter_name = "due"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("overdue", _("Overdue")), ("7", _("Due within 7 days")), ("14", _("Due within 14 days"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[PrivacyRequest]) -> QuerySet[PrivacyRequest]:
        if self.value() == "overdue":
            return overdue(queryset)
        if self.value() in ("7", "14"):
            return due_within(queryset, int(self.value() or 0))
        return queryset


class RegimeFilter(admin.SimpleListFilter):
    """The governing regime, from the known regimes: no DISTINCT over the whole table to build the list."""

    title = _("governing regime")
    parameter_name = "governing_regime__exact"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [(code, regime_name(code)) for code in deadlines.REGIMES]

    def queryset(self, request: HttpRequest, queryset: QuerySet[PrivacyRequest]) -> QuerySet[PrivacyRequest]:
        regime = self.value()
        return governed_by(queryset, regime) if regime else queryset


class AssigneeFilter(admin.SimpleListFilter):
    title = _("assignee")
    parameter_name = "who"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("mine", _("Mine")), ("unassigned", _("Unassigned"))]

    # The admin's words for the selector's "me" and "none" (the URLs staff have bookmarked keep working).
    WHO = {"mine": "me", "unassigned": "none"}

    def queryset(self, request: HttpRequest, queryset: QuerySet[PrivacyRequest]) -> QuerySet[PrivacyRequest]:
        who = self.WHO.get(self.value() or "")
        return assigned(queryset, who, actor=request.user) if who else queryset


class OwnerTasksFilter(admin.SimpleListFilter):
    """Cases where a system's owner still has a task to answer (requests/selectors/queue.py)."""

    title = _("owner tasks")
    parameter_name = "owner_tasks"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("open", _("Waiting for an owner")), ("none", _("None waiting"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[PrivacyRequest]) -> QuerySet[PrivacyRequest]:
        if self.value() in ("open", "none"):
            return with_open_owner_tasks(queryset, self.value() == "open")
        return queryset


class WrittenAfterClosingFilter(admin.SimpleListFilter):
    """Closed cases the requester has written on since, waiting for our reply (they are in no open queue)."""

    title = _("messages after closing")
    parameter_name = "written"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("Written to after closing, not answered"))]

    def choices(self, changelist: Any) -> Any:
        yield {
            "selected": self.value() is None,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": _("All"),
        }
        yield {
            "selected": self.value() == "yes",
            # These cases are closed: the link also leaves the default "open" queue, or it would show nothing.
            "query_string": changelist.get_query_string(
                {self.parameter_name: "yes", QueueFilter.parameter_name: "all"}
            ),
            "display": self.lookup_choices[0][1],
        }

    def queryset(self, request: HttpRequest, queryset: QuerySet[PrivacyRequest]) -> QuerySet[PrivacyRequest]:
        return written_after_closing(queryset) if self.value() == "yes" else queryset


@admin.register(PrivacyRequest)
class PrivacyRequestAdmin(QueueWorkspace):
    list_display = (
        "reference", "requester", "right", "received", "days_left", "status", "assignee", "flags",
    )  # fmt: skip
    actions = ["assign_to", "remind_requester", "export_csv"]
    list_filter = (
        QueueFilter, WrittenAfterClosingFilter, "status", "kind", RegimeFilter, DueFilter, AssigneeFilter,
        OwnerTasksFilter, "repetitive", "processor_request",
    )  # fmt: skip
    # Shows the search box; the search is selectors.search, its term kept out of the URL (queue.py).
    search_fields = ("reference", "requester_email")

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[PrivacyRequest], search_term: str
    ) -> tuple[QuerySet[PrivacyRequest], bool]:
        return (search(queryset, search_term) if search_term.strip() else queryset), False

    list_select_related = ("assignee",)
    ordering = ("effective_due_at", "id")
    show_full_result_count = False  # no COUNT(*) over the whole table
    list_per_page = 50

    def get_queryset(self, request: HttpRequest) -> QuerySet[PrivacyRequest]:
        # Handlers see the unassigned queue and their own cases (DESIGN §8).
        return cases_for(request.user, super().get_queryset(request))

    @admin.display(description=_("governing regime"), ordering="governing_regime")
    def regime(self, obj: PrivacyRequest) -> str:
        return regime_name(obj.governing_regime)

    @admin.display(description=_("days left"), ordering="effective_due_at")
    def days_left(self, obj: PrivacyRequest) -> str:
        if not obj.is_open:
            return "—"
        waiting = obj.get_status_display() if obj.paused_at else ""
        if clock_stopped(obj):
            # Days stand still while we wait: counted to the day the clock stopped, shown without colour.
            days = (obj.effective_due_at - local_date(obj.paused_at or obj.received_at)).days
            return format_html(
                '<span class="days-paused">{}</span><br><span class="quiet">{}</span>',
                _("Paused, %(n)d left") % {"n": days},
                waiting,
            )
        days = (obj.effective_due_at - local_today()).days
        if days < 0:
            level, text = "overdue", _("%(n)d overdue") % {"n": -days}
        elif days <= 7:
            level, text = "soon", str(days)
        else:
            level, text = "ok", str(days)
        # Colours in static/css/admin.css, one set for the light theme and one for the dark.
        if waiting:
            # Waiting under a law whose clock never stops (the CCPA): still counting down, and said so.
            return format_html(
                '<strong class="days-{}">{}</strong><br><span class="quiet">{}: {}</span>',
                level,
                text,
                waiting,
                _("the clock runs"),
            )
        return format_html('<strong class="days-{}">{}</strong>', level, text)

    @admin.display(description=_("flags"))
    def flags(self, obj: PrivacyRequest) -> str:
        marks = []
        if obj.extended:
            marks.append(_("extended"))
        if obj.repetitive:
            marks.append(_("repetitive"))
        if obj.processor_request:
            marks.append(_("about a customer's data"))
        if obj.relationship == "agent":
            marks.append(_("authorised agent"))
        elif obj.relationship == "parent":
            marks.append(_("parent or guardian"))
        if obj.written_after_closing_at is not None:
            marks.append(_("written to after closing"))
        return "; ".join(str(mark) for mark in marks)

    def get_readonly_fields(self, request: HttpRequest, obj: PrivacyRequest | None = None) -> list[str]:
        # Status, deadlines and outcomes change only through the services.
        return [f.name for f in PrivacyRequest._meta.fields]

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    # The case page: everything about one case, and the actions that can be taken on it now.

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        privacy_request = self.get_object(request, unquote(object_id))
        if privacy_request is None:
            missing: HttpResponse = self._get_obj_does_not_exist_redirect(request, self.opts, object_id)  # type: ignore[attr-defined]
            return missing
        if not self.has_view_or_change_permission(request, privacy_request):
            raise PermissionDenied
        bound: dict[str, CaseForm] = {}
        status = 200
        if request.method == "POST" and request.POST.get("action", "") in CONNECTOR_ACTIONS:
            return self.connector_action(request, privacy_request)
        if request.method == "POST":
            action = ACTIONS.get(request.POST.get("action", ""))
            if action is None:
                return HttpResponseBadRequest("Unknown action.")
            now = services.availability(privacy_request, request.user, action.name)
            if not now.permitted:
                raise PermissionDenied
            status = 400
            if now.reason is not None:
                # Allowed to this person, but not now: a second click, or a page older than the case.
                messages.error(request, now.reason)
            else:
                form = action.form(
                    request.POST,
                    request.FILES,
                    privacy_request=privacy_request,
                    user=request.user,
                    prefix=action.name,
                )
                back = request.POST.get(confirm.BACK) == "1"  # from the confirmation step, to change the form
                if not back and form.is_valid():
                    try:
                        if confirm.wanted(action.name, request.POST):
                            context = {**self.admin_site.each_context(request), "opts": self.opts}
                            return confirm.page(request, privacy_request, action, form, context)
                        done = form.run()
                    except services.TransitionError as error:
                        form.add_error(None, str(error))
                    except ValidationError as error:
                        _add_errors(form, error)
                    else:
                        messages.success(request, post.done_message(privacy_request, action.name, done))
                        return redirect(back_to_case(request))
                bound[action.name] = form
                status = 200 if back else status
        context = {
            **self.admin_site.each_context(request),
            **self.case_context(request, privacy_request, bound),
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/requests/privacyrequest/case.html", context, status=status)

    def connector_action(self, request: HttpRequest, privacy_request: PrivacyRequest) -> HttpResponse:
        """Retry a failed connector run, or approve an erasure plan (the DPO); then back to the page."""
        name = request.POST["action"]
        if not request.user.has_perm(CONNECTOR_ACTIONS[name]):
            raise PermissionDenied
        try:
            run = ConnectorRun.objects.filter(
                privacy_request=privacy_request, pk=request.POST.get("run", "").strip() or 0
            ).first()
            if run is None:
                return HttpResponseBadRequest("Unknown run.")
            if name == "connector_approve":
                services.connectors.approve_erasure(run, by=request.user)  # type: ignore[arg-type]
                messages.success(
                    request,
                    gettext("Erasure approved: it runs in %(system)s now.") % {"system": run.system.name},
                )
            else:
                services.connectors.retry(run, by=request.user)  # type: ignore[arg-type]
                messages.success(request, gettext("Queued again."))
        except services.TransitionError as error:
            messages.error(request, str(error))
        return redirect(request.path)

    def case_context(
        self, request: HttpRequest, privacy_request: PrivacyRequest, bound: dict[str, CaseForm]
    ) -> dict[str, Any]:
        user = request.user
        offered = {name for name, now in services.available(privacy_request, user).items() if now.offered}
        actions: list[dict[str, Any]] = []
        for action in ACTIONS.values():
            if action.name in offered:
                form = bound.get(action.name) or action.form(
                    privacy_request=privacy_request, user=user, prefix=action.name
                )
                actions.append({"action": action, "form": form})
        checks = {c.system_id: c for c in privacy_request.system_checks.select_related("checked_by")}
        extracts: dict[int, list[Evidence]] = {}
        for item in privacy_request.evidence.filter(kind=Evidence.Kind.EXTRACT).order_by("uploaded_at"):
            extracts.setdefault(item.system_id or 0, []).append(item)
        systems = CompanySystem.objects.filter(active=True).select_related("owner")
        check_action = ACTIONS["check"]
        tier = selectors.verification_tier(privacy_request)
        comparisons = selectors.detail_comparisons(privacy_request)
        return {
            "opts": self.opts,
            "title": f"{privacy_request.reference} · {privacy_request.get_kind_display()}",
            "case": privacy_request,
            "period_from": selectors.period_covered(privacy_request)[0],
            "earlier": selectors.earlier_requests(privacy_request)[:20],
            # Art. 18(3): once the requester was told, systems no connector reaches are unrestricted by hand.
            "lift_by_hand": list(
                privacy_request.system_checks.filter(state="restricted", system__connector="").values_list(
                    "system__name", flat=True
                )
            )
            if privacy_request.restriction_lifted_at
            else [],
            "repetition_note": _(
                "Flagged repetitive: the requester's law limits how often this right may be asked for "
                "(CCPA and US state laws: twice in 12 months; 152-FZ: once in 30 days)."
            ),
            "original": privacy_request,
            # What this case follows (an appeal's or complaint's request, a reopened request's appeal), and what
            # follows it.
            "follows": privacy_request.original,
            "follow_ups": privacy_request.follow_ups.order_by("received_at", "pk"),
            # An appeal or a complaint has no systems checklist of its own: the original's is where the work is.
            "is_follow_up": privacy_request.kind in FOLLOW_UPS,
            "due_sentence": explain(deadlines_of(privacy_request)),
            "regimes": [regime_name(code) for code in privacy_request.regimes],
            "days_left": self.days_left(privacy_request),
            "tier": tier,
            "points_needed": POINTS_NEEDED[tier],
            "categories_only": _categories_only(privacy_request, tier),
            "data_points": [
                (DATA_POINT_LABELS.get(k, k), v) for k, v in (privacy_request.data_points or {}).items()
            ],
            "comparisons": comparisons,
            "comparison_rows": [
                {
                    "label": DATA_POINT_LABELS.get(row.detail, row.detail),
                    "given": row.given,
                    "verdicts": row.verdicts,
                }
                for row in comparisons.rows
            ],
            "can_compare": "compare" in offered,
            "timeline": selectors.with_notes(selectors.timeline(privacy_request)),
            "thread": Message.objects.filter(privacy_request=privacy_request).select_related(
                "author", "attachment"
            ),
            "evidence": privacy_request.evidence.exclude(kind=Evidence.Kind.EXTRACT).order_by("uploaded_at"),
            "system_rows": [
                {
                    "system": system,
                    "check": checks.get(system.pk),
                    "extracts": extracts.get(system.pk, []),
                    "form": (
                        bound["check"]
                        if "check" in bound and bound["check"].data.get("check-system") == str(system.pk)
                        else check_action.form(
                            privacy_request=privacy_request,
                            user=user,
                            prefix="check",
                            # One form per system on one page: ids of their own, or every label and
                            # help text would point at the first row's fields.
                            auto_id=f"id_system{system.pk}_%s",
                            initial={
                                "system": system.pk,
                                "state": getattr(checks.get(system.pk), "state", "not_checked"),
                                "notes": getattr(checks.get(system.pk), "notes", ""),
                            },
                        )
                    ),
                }
                for system in systems
            ],
            "can_check": "check" in offered,
            "connector_runs": selectors.connector_runs(privacy_request),
            "can_retry_connectors": (
                privacy_request.status in WORKING_STATUSES and user.has_perm("requests.change_privacyrequest")
            ),
            "recipients": recipients_to_notify(privacy_request),
            "recipient_rows": selectors.recipient_rows(privacy_request),
            "actions": [
                a for a in actions if a["action"].name not in ("message", "check", "packet", "release")
            ],
            "packet_actions": [a for a in actions if a["action"].name in ("packet", "release")],
            "packet": (packet := Packet.objects.filter(privacy_request=privacy_request).first()),
            # Refresh while it builds, but never over a form being corrected (it would lose what was typed).
            "building": packet is not None and packet.status in ("queued", "building"),
            "bound": bool(bound),
            "letters": privacy_request.letters.order_by("created_at"),
            "message_form": next((a["form"] for a in actions if a["action"].name == "message"), None),
            "can_change": self.has_change_permission(request, privacy_request),
            "unavailable": confirm.unavailable(privacy_request, user),
            **case_tools(self, request, privacy_request, actions),
            **post.case_context(privacy_request),  # requesters by post: the letters to print and post
        }

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """Log a request that came by email, post or phone; the deadlines count from the day it arrived."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = LogRequestForm(
            request.POST or None,
            request.FILES or None,
            initial={"received_on": local_today(), "language": "en"},
        )
        if request.method == "POST" and form.is_valid():
            try:
                privacy_request = post.log_request(form, by=request.user)  # type: ignore[arg-type]
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, post.logged_message(privacy_request))
                return redirect("admin:requests_privacyrequest_change", privacy_request.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Log a request received by email, post or phone"),
            "form": form,
        }
        return TemplateResponse(
            request, "admin/requests/privacyrequest/log.html", context, status=400 if form.errors else 200
        )


def _categories_only(privacy_request: PrivacyRequest, tier: Tier) -> bool:
    """A Californian asking for the specific pieces, verified only for the categories (CCPA §7024(a))."""
    got = selectors.identity_reached(privacy_request)
    return got is not None and not at_least(got, tier)


def _add_errors(form: Any, error: ValidationError) -> None:
    """A service's ValidationError onto the form: on the field it names if the form has one."""
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)
