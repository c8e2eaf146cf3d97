"""Middleware of the project as a whole."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)


class DatabaseUnavailableMiddleware:
    """The database unreachable: a plain 503 page (no traceback, no database needed to draw it), not a 500.

    Outermost but for the security headers, so it also catches what the session and authentication
    middleware raise. Each request tries the database afresh, so pages recover by themselves.
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
        response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = "30"
    return response


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
