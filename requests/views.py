"""Public pages. They hold no rules: what a page shows comes from lifecycle, deadlines and settings."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from .models import Kind

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


def home(request: HttpRequest) -> HttpResponse:
    rights = [{"kind": kind, "label": kind.label, "description": RIGHT_DESCRIPTIONS[kind]} for kind in Kind]
    return render(request, "requests/home.html", {"rights": rights})
