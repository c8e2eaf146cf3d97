"""Public pages. They hold no rules: forms validate, services decide, templates show."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django_ratelimit.core import is_ratelimited

from identity.forms import CodeForm
from identity.models import Evidence
from identity.services import attach_evidence, keep_upload

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
SESSION_UPLOAD = "pending_upload"


def home(request: HttpRequest) -> HttpResponse:
    rights = [{"kind": kind, "label": kind.label, "description": RIGHT_DESCRIPTIONS[kind]} for kind in Kind]
    return render(request, "requests/home.html", {"rights": rights})


def rate_limited(request: HttpRequest, group: str, rate: str) -> bool:
    """Count this POST against the client's limit for `group`; True when over it."""
    return is_ratelimited(request, group=group, key="ip", rate=rate, method="POST", increment=True)


def too_many(request: HttpRequest) -> HttpResponse:
    return render(request, "requests/too_many.html", status=429)


def _kept_upload(request: HttpRequest) -> Evidence | None:
    pk = request.session.get(SESSION_UPLOAD)
    return Evidence.objects.filter(pk=pk, request__isnull=True).first() if pk else None


def new_request(request: HttpRequest, kind: str) -> HttpResponse:
    if kind not in Kind.values:
        raise Http404
    kept = _kept_upload(request)
    form = PrivacyRequestForm(
        request.POST or None, request.FILES or None, kind=kind, kept_file=kept.name if kept else None
    )
    if request.method == "POST":
        if rate_limited(request, "submit", settings.RATELIMIT_SUBMIT):
            return too_many(request)
        valid = form.is_valid()
        checked = form.cleaned_data.get("permission") if "permission" not in form.errors else None
        if checked is not None and not (valid and form.is_spam):
            # Keep a good file even if another field failed, so the requester need not send it again.
            evidence_kind = (
                "parent_authority"
                if form.cleaned_data.get("relationship") == "parent"
                else "agent_permission"
            )
            kept = keep_upload(checked, kind=evidence_kind, replacing=kept)
            request.session[SESSION_UPLOAD] = kept.pk
            form.kept_file = kept.name
        if valid:
            if form.is_spam:
                return redirect("submitted")
            with transaction.atomic():
                privacy_request = submit(form.to_new_request())
                if kept is not None and privacy_request.relationship != "self":
                    attach_evidence(privacy_request, kept)
                    request.session.pop(SESSION_UPLOAD, None)
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
