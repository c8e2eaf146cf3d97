"""Middleware of the project as a whole."""

from __future__ import annotations

import logging
from collections.abc import Callable

from cryptography.fernet import InvalidToken
from django.conf import settings
from django.contrib.sessions import middleware as sessions
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)


class DatabaseUnavailableMiddleware:
    """The database unreachable: a plain 503 page (no traceback, no database needed to draw it), not a 500.

    Outermost but for the security headers. What a view raises reaches process_exception; what a middleware
    further in raises Django has already made a 500 by then, so the one that saves after the view (the session)
    answers it itself (SessionMiddleware below). Each request tries the database afresh, so pages recover by
    themselves.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            return self.get_response(request)
        except DATABASE_DOWN as error:  # raised by a middleware further in (sessions, authentication)
            return unavailable(request, error)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        """Raised by a view: Django turns it into a 500 before __call__ would see it, so catch it here."""
        return unavailable(request, exception) if isinstance(exception, DATABASE_DOWN) else None


DATABASE_DOWN = (OperationalError, InterfaceError)


class SessionMiddleware(sessions.SessionMiddleware):
    """Django's, but the database down when the session is saved after the view (a question page of the request
    form keeps its answers there) is the plain 503 too, not a 500."""

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        try:
            return super().process_response(request, response)
        except DATABASE_DOWN as error:
            return unavailable(request, error)


def is_api(request: HttpRequest) -> bool:
    """API clients read JSON, whatever went wrong."""
    return request.path_info.startswith("/api/")


def unavailable(request: HttpRequest, error: Exception) -> HttpResponse:
    # The type only: a driver's message can carry a user name or an address.
    logger.error("database unavailable: %s", type(error).__name__)
    if is_api(request):
        detail = _("Temporarily unavailable: what you just sent was not saved. Please send it again shortly.")
        response: HttpResponse = JsonResponse({"detail": detail}, status=503)
    else:
        response = error_page(request, "503.html", status=503)
    response["Retry-After"] = "30"
    return response


def error_page(request: HttpRequest, template: str, *, status: int) -> HttpResponse:
    """An error page in the visitor's language and the portal's look, drawn from settings alone: no database, no
    session, no context processor, since any of them may be what failed. The language comes from the request
    itself (cookie, Accept-Language), as LocaleMiddleware may not have run."""
    context = {
        "operator_name": settings.PRIVACY_OPERATOR_NAME,
        "operator_address": settings.PRIVACY_OPERATOR_ADDRESS,
        "dpo_email": settings.PRIVACY_DPO_EMAIL,
        "privacy_policy_url": settings.PRIVACY_POLICY_URL,
    }
    with translation.override(translation.get_language_from_request(request)):
        return HttpResponse(render_to_string(template, context), status=status)


class UndecryptableFileMiddleware:
    """A private file none of ENCRYPTION_KEYS decrypts (issue 24: a wrong key list): staff get a page saying so and
    what to check, not a bare 500; anyone else the usual error page. Logged by the view's name only."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, InvalidToken):
            return None
        view = request.resolver_match.view_name if request.resolver_match else "unknown"
        logger.error("a private file could not be decrypted with ENCRYPTION_KEYS (view %s)", view)
        user = getattr(request, "user", None)
        if user is not None and user.is_active and user.is_staff:
            return error_page(request, "errors/undecryptable.html", status=500)
        return error_page(request, "500.html", status=500)


# Powerful browser features this portal never uses, switched off for every page (and anything framed in one).
PERMISSIONS_POLICY = (
    "accelerometer=(), browsing-topics=(), camera=(), display-capture=(), geolocation=(), gyroscope=(), "
    "magnetometer=(), microphone=(), midi=(), payment=(), usb=()"
)


class PermissionsPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response
