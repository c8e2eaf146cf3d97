"""The portal's URLs plus the intake benchmark's yardstick: a bare view that does one INSERT.

The bare view goes through the same middleware (sessions, CSRF, locale, auth, OTP, CSP, axes…), reads the
same multipart POST, and answers with the same redirect, so the only difference from the real form is our
code: the form, the rate limit, the case and its event, the session and the task.
"""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path

from bench.common import BARE_TABLE
from privacyportal.urls import urlpatterns as portal_urlpatterns

# Raw SQL into a table of three columns that bench_intake.py creates, rather than a model: a bench-only model
# would need an app in INSTALLED_APPS and a migration (changing the settings under test), and an existing
# table (cases, sessions) carries indexes, constraints or triggers that are part of our code's cost.


def bare_insert(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {BARE_TABLE} (email, created_at) VALUES (%s, now())",  # noqa: S608 (a constant)
            [request.POST.get("requester_email", "")],
        )
    return HttpResponseRedirect("/requests/submitted/")


# Last, so every portal URL resolves exactly as in production.
urlpatterns = [*portal_urlpatterns, path("bench/bare-insert/", bare_insert, name="bench_bare_insert")]
