"""Staff pages beside the admin's own: the dashboard, the CCPA §7102 metrics as CSV (DESIGN §8), and the
downloads of a case's letters and packet.

`privacyportal/urls.py` wraps each view in `admin.site.admin_view`, so only active staff whose session a
device has verified get here; the views check the case permissions themselves. The figures come from
`requests.metrics`; this module only chooses whose cases to count and lays the figures out.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Min, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import letters, packets
from ..downloads import attachment
from ..models import DenialReason, Kind, Letter, Packet, PrivacyRequest
from ..selectors import local_date, local_today, metrics

VIEW_CASES = "requests.view_privacyrequest"
VIEW_ALL = "requests.view_all_cases"
FIRST_YEAR = 2000  # no case predates the portal; keeps a typed year away from datetime's limits
QUEUE = "admin:requests_privacyrequest_changelist"


def visible_cases(request: HttpRequest) -> QuerySet[PrivacyRequest]:
    """The cases this member of staff sees in the queue: the dashboard counts exactly those."""
    return admin.site.get_model_admin(PrivacyRequest).get_queryset(request)


def may_see_cases(request: HttpRequest) -> bool:
    return request.user.has_perm(VIEW_CASES)


def may_see_metrics(request: HttpRequest) -> bool:
    # The yearly metrics count every case, so they need the permission to see every case.
    return request.user.has_perm(VIEW_ALL)


# --- The four numbers, each a link to the same cases in the queue -----------------------------------------


@dataclass(frozen=True)
class Figure:
    label: str
    value: Any
    url: str


def figures(summary: metrics.Summary, today: date) -> list[Figure]:
    queue = reverse(QUEUE)
    # The queue's "due within 7 days" filter includes overdue cases; this asks for the same range we count.
    this_week = {
        "effective_due_at__gte": today.isoformat(),
        "effective_due_at__lte": summary.week_ends.isoformat(),
    }
    median = summary.median_days_to_close
    return [
        Figure(_("Open"), summary.open, f"{queue}?queue=open"),
        Figure(_("Overdue"), summary.overdue, f"{queue}?due=overdue"),
        Figure(_("Due this week"), summary.due_this_week, f"{queue}?{urlencode(this_week)}"),
        Figure(
            _("Median days to close (last 365 days)"),
            "—" if median is None else median,
            f"{queue}?queue=closed",
        ),
    ]


def summary_figures(request: HttpRequest) -> list[Figure]:
    """The four numbers for the dashboard and the admin index, over the cases this person sees."""
    today = local_today()
    return figures(metrics.summary(visible_cases(request), today), today)


# --- The chart: stacked bars, drawn on the server as SVG --------------------------------------------------

# Okabe & Ito's palette, told apart with the common colour-vision deficiencies; grey instead of black so the
# bars show on the admin's dark theme too.
COLOURS = {
    Kind.ACCESS: "#0072B2",
    Kind.RECTIFICATION: "#E69F00",
    Kind.ERASURE: "#D55E00",
    Kind.RESTRICTION: "#CC79A7",
    Kind.PORTABILITY: "#56B4E9",
    Kind.OBJECTION: "#F0E442",
    Kind.OPT_OUT: "#009E73",
    Kind.LIMIT_SENSITIVE: "#999999",
    # Appeals and complaints, from Paul Tol's palette (the eight above are all Okabe & Ito's).
    Kind.APPEAL: "#882255",
    Kind.COMPLAINT: "#44AA99",
}
WIDTH, HEIGHT = 720, 250
LEFT, RIGHT, TOP, BOTTOM = 40, 10, 12, 40  # room for the axis labels
PLOT_W, PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM


@dataclass(frozen=True)
class Segment:
    y: float
    height: float
    colour: str
    title: str


@dataclass(frozen=True)
class Bar:
    x: float
    width: float
    centre: float
    month: str
    year: str  # shown under January and the first bar only
    segments: list[Segment]


@dataclass(frozen=True)
class Tick:
    y: float
    value: int


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    left: int
    right: int
    baseline: float
    bars: list[Bar]
    ticks: list[Tick]
    legend: list[tuple[str, str]]
    description: str


def scale_top(largest: int) -> tuple[int, int]:
    """A round top for the axis at or above `largest`, and a step (1, 2, 5, 10, 20...) giving at most 5 gridlines."""
    if largest <= 0:
        return 1, 1
    step = 1
    while math.ceil(largest / step) > 5:
        step = step * 5 // 2 if str(step)[0] == "2" else step * 2
    return math.ceil(largest / step) * step, step


def bar_chart(months: list[metrics.Month]) -> Chart:
    top, step = scale_top(max((m.total for m in months), default=0))
    slot = PLOT_W / max(len(months), 1)
    bar_w = slot * 0.62
    baseline = TOP + PLOT_H
    bars = []
    for i, month in enumerate(months):
        x = LEFT + i * slot + (slot - bar_w) / 2
        y: float = baseline
        segments = []
        name = date_format(month.month, "M Y")
        for kind, count in month.counts.items():
            if not count:
                continue
            height = PLOT_H * count / top
            y -= height
            segments.append(
                Segment(
                    round(y, 1), round(height, 1), COLOURS[Kind(kind)], f"{Kind(kind).label}, {name}: {count}"
                )
            )
        bars.append(
            Bar(
                x=round(x, 1),
                width=round(bar_w, 1),
                centre=round(x + bar_w / 2, 1),
                month=date_format(month.month, "M"),
                year=str(month.month.year) if i == 0 or month.month.month == 1 else "",
                segments=segments,
            )
        )
    ticks = [Tick(round(baseline - PLOT_H * v / top, 1), v) for v in range(0, top + 1, step)]
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        right=WIDTH - RIGHT,
        baseline=baseline,
        bars=bars,
        ticks=ticks,
        legend=[(COLOURS[kind], str(kind.label)) for kind in Kind],
        description=chart_description(months),
    )


def chart_description(months: list[metrics.Month]) -> str:
    if not months:
        return ""
    busiest = max(months, key=lambda m: m.total)
    return _(
        "%(total)d requests received from %(first)s to %(last)s; the most, %(most)d, in %(busiest)s. "
        "The table below the chart gives every number."
    ) % {
        "total": sum(m.total for m in months),
        "first": date_format(months[0].month, "F Y"),
        "last": date_format(months[-1].month, "F Y"),
        "most": busiest.total,
        "busiest": date_format(busiest.month, "F Y"),
    }


# --- Which year and whom the CCPA metrics count ----------------------------------------------------------

SCOPES = [("all", gettext_lazy("All requesters")), ("ca", gettext_lazy("California residents only"))]


class MetricsForm(forms.Form):
    year = forms.TypedChoiceField(
        label=gettext_lazy("Year received"), coerce=int, required=False, empty_value=None
    )
    scope = forms.ChoiceField(label=gettext_lazy("Requesters"), choices=SCOPES, required=False)

    def __init__(self, *args: Any, years: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(y, str(y)) for y in years]  # type: ignore[attr-defined]


def metric_years(today: date) -> list[int]:
    """Every year with a case in it, newest first (uses the index on received_at)."""
    first = PrivacyRequest.objects.aggregate(first=Min("received_at"))["first"]
    start = max(FIRST_YEAR, min(local_date(first).year if first else today.year, today.year))
    return list(range(today.year, start - 1, -1))


@dataclass(frozen=True)
class Choice:
    form: MetricsForm  # unbound, showing what is counted
    year: int
    scope: str
    refused: bool  # what was asked for is not on offer, so this year for all requesters is shown


def chosen(request: HttpRequest, today: date) -> Choice:
    """The year and scope asked for, each defaulting to this year and all requesters."""
    years = metric_years(today)
    asked = MetricsForm(request.GET, years=years)
    valid = asked.is_valid()
    year = (asked.cleaned_data["year"] if valid else None) or today.year
    scope = (asked.cleaned_data["scope"] if valid else None) or "all"
    form = MetricsForm(initial={"year": year, "scope": scope}, years=years)
    return Choice(form, year, scope, refused=not valid)


def scope_label(scope: str) -> str:
    return str(dict(SCOPES)[scope])


def metric_columns() -> list[str]:
    """The figures §7102 asks for; the CSV adds the denials by reason (`reason_columns`) after them."""
    return [
        _("Request type"),
        _("Received"),
        _("Complied with in whole or in part"),
        _("Denied"),
        _("Not verifiable (refused or never confirmed)"),
        _("Median days to respond"),
        _("Mean days to respond"),
    ]


def reason_columns() -> list[str]:
    return [_("Denied: %(reason)s") % {"reason": label} for label in DenialReason.labels]


def metric_cells(row: metrics.CcpaRow) -> list[Any]:
    # None where no case was answered: the CSV writes it as an empty cell, the page as a dash.
    return [
        str(row.category.label), row.received, row.complied, row.denied, row.unverifiable, row.median_days,
        row.mean_days,
    ]  # fmt: skip


def reason_cells(row: metrics.CcpaRow) -> list[int]:
    return [row.denied_by_reason[reason] for reason in DenialReason.values]


def denials_by_reason(rows: list[metrics.CcpaRow]) -> list[tuple[str, list[int]]]:
    """The denials turned on their side for the page: one line per reason, one column per request type."""
    return [
        (str(label), [row.denied_by_reason[reason] for row in rows]) for reason, label in DenialReason.choices
    ]


# --- Views -------------------------------------------------------------------------------------------------


def dashboard(request: HttpRequest) -> TemplateResponse:
    """Open, overdue, due this week, median days to close; requests per month; the CCPA yearly metrics."""
    if not may_see_cases(request):
        raise PermissionDenied
    today = local_today()
    cases = visible_cases(request)
    months = metrics.per_month(cases, today=today)
    context: dict[str, Any] = {
        **admin.site.each_context(request),
        "title": _("Dashboard"),
        "figures": figures(metrics.summary(cases, today), today),
        "scoped": not may_see_metrics(request),
        "months": months,
        "kinds": [(kind.value, kind.label) for kind in Kind],
        "chart": bar_chart(months),
    }
    if may_see_metrics(request):
        choice = chosen(request, today)
        rows = metrics.ccpa_metrics(
            PrivacyRequest.objects.all(), choice.year, california_only=choice.scope == "ca"
        )
        context.update(
            choice=choice,
            scope_label=scope_label(choice.scope),
            columns=metric_columns(),
            rows=[metric_cells(row) for row in rows],
            categories=[str(row.category.label) for row in rows],
            denials=denials_by_reason(rows),
            csv_url=reverse("admin_ccpa_csv", args=[choice.year])
            + ("?scope=ca" if choice.scope == "ca" else ""),
        )
    return TemplateResponse(request, "admin/dashboard.html", context)


def ccpa_csv(request: HttpRequest, year: int) -> HttpResponse:
    """The CCPA §7102 metrics for `year` as CSV: what the table on the dashboard shows, for the privacy policy."""
    if not may_see_metrics(request):
        raise PermissionDenied
    if not FIRST_YEAR <= year <= local_today().year:
        raise Http404
    scope = "ca" if request.GET.get("scope") == "ca" else "all"
    rows = metrics.ccpa_metrics(PrivacyRequest.objects.all(), year, california_only=scope == "ca")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="ccpa-metrics-{year}-{scope}.csv"'
    writer = csv.writer(response)
    writer.writerow(
        [_("CCPA request metrics (Cal. Code Regs. tit. 11, § 7102)"), _("Year %(year)d") % {"year": year}]
    )
    writer.writerow([_("Requesters counted"), scope_label(scope)])
    writer.writerow([])
    writer.writerow(metric_columns() + reason_columns())
    writer.writerows(metric_cells(row) + reason_cells(row) for row in rows)
    return response


# --- Files of a case, decrypted for staff who may open the case ----------------------------------------------


def case_for_files(request: HttpRequest, privacy_request_id: int | None) -> PrivacyRequest:
    """The case, if this member of staff may open it and read its files; 404 otherwise (never 403)."""
    if privacy_request_id is None or not request.user.has_perm("identity.view_evidence"):
        raise Http404
    privacy_request = visible_cases(request).filter(pk=privacy_request_id).first()
    if privacy_request is None:
        raise Http404
    return privacy_request


def letter_download(request: HttpRequest, pk: int) -> HttpResponse:

    letter = Letter.objects.filter(pk=pk, purged_at__isnull=True).select_related("privacy_request").first()
    case_for_files(request, letter.privacy_request_id if letter else None)
    assert letter is not None  # noqa: S101 (case_for_files raised otherwise)
    data = letters.read_for_staff(letter, by=request.user)
    return attachment(data, filename=letter.filename, content_type="application/pdf")


def packet_download(request: HttpRequest, privacy_request_id: int) -> HttpResponse:
    """Staff check a built packet before releasing it (or after); each look is an event."""

    privacy_request = case_for_files(request, privacy_request_id)
    packet = (
        Packet.objects.filter(privacy_request=privacy_request, purged_at__isnull=True)
        .exclude(stored_name="")
        .first()
    )
    if packet is None:
        raise Http404
    data = packets.read_for_staff(packet, by=request.user)
    return attachment(data, filename=f"{privacy_request.reference}.zip", content_type="application/zip")
