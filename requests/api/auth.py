"""Who may call the API and how its errors look: token or OTP-verified session, staff only, JSON errors."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, SessionAuthentication, get_authorization_header
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import exception_handler

from identity import tokens

# --- Authentication and permission ---------------------------------------------------------------------------


class TokenAuthentication(BaseAuthentication):
    """`Authorization: Bearer pp_<prefix>_<secret>`: a personal token of an active member of staff."""

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        header = get_authorization_header(request).decode("latin-1")
        scheme, _sep, raw = header.partition(" ")
        if scheme.lower() != "bearer":
            return None
        token = tokens.authenticate(raw.strip())
        if token is None:
            raise exceptions.AuthenticationFailed(_("The token is unknown, expired or revoked."))
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class VerifiedSessionAuthentication(SessionAuthentication):
    """A staff session counts only once a second factor has verified it (as for the admin)."""

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        result = super().authenticate(request)
        if result is None:
            return None
        user = result[0]
        return result if getattr(user, "is_verified", lambda: False)() else None


class IsCaseStaff(BasePermission):
    message = _("Only staff who handle privacy requests may use this API.")

    def has_permission(self, request: Any, view: Any) -> bool:
        user = request.user
        return bool(
            user and user.is_authenticated and user.is_staff and user.has_perm("requests.view_privacyrequest")
        )


def json_errors(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Every error as `{"detail": ..., "errors": {...}}`: a client always finds the message in one place."""
    response = exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if isinstance(data, dict) and set(data) - {"detail"}:
        errors = {str(field): _messages(value) for field, value in data.items()}
        response.data = {"detail": _("The request is not valid."), "errors": errors}
    elif isinstance(data, list):
        response.data = {
            "detail": _("The request is not valid."),
            "errors": {"non_field_errors": _messages(data)},
        }
    return response


def _messages(value: Any) -> list[str]:
    """A field's messages as a flat list, whatever their nesting (a list's item, a nested object's field)."""
    if isinstance(value, dict):
        return [message for item in value.values() for message in _messages(item)]
    if isinstance(value, list | tuple):
        return [message for item in value for message in _messages(item)]
    return [str(value)]


@csrf_exempt  # an unknown address answers 404 whatever the method, never Django's HTML CSRF page
def api_not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    return JsonResponse({"detail": _("No such API endpoint.")}, status=404)
