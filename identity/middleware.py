"""Staff sessions end after STAFF_IDLE_TIMEOUT_MINUTES without a request, and SESSION_COOKIE_AGE after sign-in.

An unattended, signed-in admin tab opens every case to whoever sits down at it (issue 15). Recording the last
request in the session saves the session on every staff request, and Django would then push its expiry
SESSION_COOKIE_AGE past each save: the 8 hours would slide for as long as someone keeps clicking. So the expiry
is pinned to sign-in time plus SESSION_COOKIE_AGE, once, and every later save keeps it.

Requesters' sessions (no signed-in user) and API token requests (no session sign-in) are left alone.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.contrib import auth, messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import ngettext

from privacyportal.middleware import is_api

LAST_SEEN = "staff_last_seen"  # epoch seconds of the last request
SIGNED_IN = "staff_signed_in"  # epoch seconds of sign-in (first request seen signed in)


def _staff_session(request: HttpRequest) -> bool:
    """Signed in through this session (not a token on this one request) as a member of staff."""
    user = getattr(request, "user", None)
    return bool(
        auth.SESSION_KEY in request.session and user is not None and user.is_authenticated and user.is_staff
    )


class StaffIdleTimeoutMiddleware:
    """After sessions, authentication and messages: it signs out, and leaves a message for the sign-in page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        now = timezone.now().timestamp()
        if _staff_session(request):
            last_seen = request.session.get(LAST_SEEN)
            if last_seen is not None and now - last_seen > settings.STAFF_IDLE_TIMEOUT_MINUTES * 60:
                return self._sign_out(request)
        response = self.get_response(request)
        # After the view, so the sign-in request itself starts both clocks.
        if _staff_session(request):
            if SIGNED_IN not in request.session:
                request.session[SIGNED_IN] = now
                request.session.set_expiry(datetime.fromtimestamp(now, tz=UTC) + _lifetime())
            request.session[LAST_SEEN] = now
        return response

    def _sign_out(self, request: HttpRequest) -> HttpResponse:
        auth.logout(request)  # flushes the session: a new key, nothing of the old one kept
        minutes = settings.STAFF_IDLE_TIMEOUT_MINUTES
        if is_api(request) or not request.path.startswith(reverse("admin:index")):
            # As anonymous: the API answers 401/403 in JSON; a public page is simply shown to a visitor.
            return self.get_response(request)
        messages.warning(
            request,
            ngettext(
                "You were signed out after %(minutes)d minute without activity. Please sign in again.",
                "You were signed out after %(minutes)d minutes without activity. Please sign in again.",
                minutes,
            )
            % {"minutes": minutes},
        )
        return redirect(f"{reverse('admin:login')}?{urlencode({'next': request.get_full_path()})}")


def _lifetime() -> timedelta:
    return timedelta(seconds=settings.SESSION_COOKIE_AGE)
