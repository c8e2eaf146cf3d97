"""The API's URLs (/api/v1/…), also what the OpenAPI generator reads."""

from __future__ import annotations

from django.urls import path
from rest_framework.routers import SimpleRouter

from requests.api.cases import CaseViewSet
from requests.api.public import IntakeView, VerifyView
from requests.api.suppression import SuppressionCheckView

router = SimpleRouter()
router.register("cases", CaseViewSet, basename="case")

urlpatterns = [
    *router.urls,
    path("search/cases/", CaseViewSet.as_view({"post": "search"}), name="api_case_search"),
    path("public/requests/", IntakeView.as_view(), name="api_intake"),
    path("public/verify/", VerifyView.as_view(), name="api_verify"),
    path("suppression/check/", SuppressionCheckView.as_view(), name="api_suppression_check"),
]
