"""Public pages. They hold no rules: forms validate, services decide, templates show."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django_ratelimit.core import is_ratelimited

from identity.forms import CodeForm

from .explain import explain
from .forms import PrivacyRequestForm
from .lifecycle import Status
from .models import Kind, PrivacyRequest
from .selectors import deadlines_of
from .services import submit

# What each right means, in plain words (the order of the home page).
RIGHT_DESCRIPTIONS = {
    Kind.ACCESS: _("Find out whether we hold data about you, get a copy, and learn how we use it."),
    Kind.RECTIFICATION: _("Have wrong or incomplete data about you corrected."),
    Kind.ERASURE: _("Have data about you deleted, when we no longer have a reason to keep it."),
    Kind.RESTRICTION: _("Have us keep your data but stop using it while a question is settled."),
    Kind.PORTABILITY: _("Receive the data you gave us in a machine-readable file to take elsewhere."),
    Kind.OBJECTION: _("Object to how we use your data, including for direct marketing."),
    Kind.OPT_OUT: _("Stop us selling or sharing your data, or sending you marketing. Honoured at once."),
    Kind.LIMIT_SENSITIVE: _(
        "Limit our use of sensitive data about you to what is strictly needed. Honoured at once."
    ),
}

SESSION_CASE = "pending_case"


def home(request: HttpRequest) -> HttpResponse:
    rights = [{"kind": kind, "label": kind.label, "description": RIGHT_DESCRIPTIONS[kind]} for kind in Kind]
    return render(request, "requests/home.html", {"rights": rights})


def rate_limited(request: HttpRequest, group: str, rate: str) -> bool:
    """Count this POST against the client's limit for `group`; True when over it."""
    return is_ratelimited(request, group=group, key="ip", rate=rate, method="POST", increment=True)


def too_many(request: HttpRequest) -> HttpResponse:
    return render(request, "requests/too_many.html", status=429)


def new_request(request: HttpRequest, kind: str) -> HttpResponse:
    if kind not in Kind.values:
        raise Http404
    form = PrivacyRequestForm(request.POST or None, kind=kind)
    if request.method == "POST":
        if rate_limited(request, "submit", settings.RATELIMIT_SUBMIT):
            return too_many(request)
        if form.is_valid():
            if form.is_spam:
                return redirect("submitted")
            with transaction.atomic():
                privacy_request = submit(form.to_new_request())
            # The case is remembered in the session, never in the URL (no personal data or ids in URLs).
            request.session[SESSION_CASE] = privacy_request.pk
            return redirect("submitted")
    return render(
        request,
        "requests/form.html",
        {"form": form, "kind": Kind(kind), "description": RIGHT_DESCRIPTIONS[Kind(kind)]},
        status=400 if form.is_bound and not form.is_valid() else 200,
    )


def session_case(request: HttpRequest) -> PrivacyRequest | None:
    pk = request.session.get(SESSION_CASE)
    return PrivacyRequest.objects.filter(pk=pk).first() if pk else None


def submitted(request: HttpRequest) -> HttpResponse:
    privacy_request = session_case(request)
    context: dict[str, object] = {"privacy_request": privacy_request}
    if privacy_request is not None:
        context["due_sentence"] = explain(deadlines_of(privacy_request))
        context["honoured"] = privacy_request.status == Status.COMPLETED
        if privacy_request.status != Status.NEW and not context["honoured"]:
            return redirect("verified")
        context["code_form"] = CodeForm()
    return render(request, "requests/submitted.html", context)
