"""Error pages: the API answers every error in JSON, as its clients expect; pages are the portal's own
(templates/<status>.html), in the visitor's language, drawn without the database."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

from privacyportal.middleware import error_page, is_api


def bad_request(request: HttpRequest, exception: Exception, **kwargs: Any) -> HttpResponse:
    if is_api(request):
        return JsonResponse({"detail": _("Bad request.")}, status=400)
    return error_page(request, "400.html", status=400)


def permission_denied(request: HttpRequest, exception: Exception, **kwargs: Any) -> HttpResponse:
    if is_api(request):
        return JsonResponse({"detail": _("You do not have permission to do this.")}, status=403)
    return error_page(request, "403.html", status=403)


def page_not_found(request: HttpRequest, exception: Exception, **kwargs: Any) -> HttpResponse:
    if is_api(request):
        return JsonResponse({"detail": _("Not found.")}, status=404)
    return error_page(request, "404.html", status=404)


def server_error(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    if is_api(request):
        return JsonResponse(
            {"detail": _("Something went wrong on our side; it has been logged.")}, status=500
        )
    return error_page(request, "500.html", status=500)
