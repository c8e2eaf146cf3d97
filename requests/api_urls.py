"""The API's URLs (/api/v1/…), also what the OpenAPI generator reads."""

from __future__ import annotations

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("cases", api.CaseViewSet, basename="case")

urlpatterns = [
    *router.urls,
    path("public/requests/", api.IntakeView.as_view(), name="api_intake"),
    path("public/verify/", api.VerifyView.as_view(), name="api_verify"),
]
