"""The suppression list for marketing tools: is this address one that opted out? (Never which addresses did.)"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from requests.api.auth import TokenAuthentication, VerifiedSessionAuthentication
from requests.api.fields import StrictEmailField
from requests.api.schema import PortalSchema, _error_responses
from requests.services import suppression


class MayCheckSuppression(BasePermission):
    message = _("Only staff allowed to read the suppression list may check it.")

    def has_permission(self, request: Any, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.has_perm("requests.view_suppressedaddress"))


class SuppressionQuery(serializers.Serializer):
    email = StrictEmailField(max_length=254)


class SuppressionAnswer(serializers.Serializer):
    suppressed = serializers.BooleanField()


class SuppressionSchema(PortalSchema):
    """The body and the answers the view really gives (DRF's generator would document a 201 and no errors)."""

    def get_request_serializer(self, path: str, method: str) -> Any:
        return SuppressionQuery()

    def get_response_serializer(self, path: str, method: str) -> Any:
        return SuppressionAnswer()

    def get_responses(self, path: str, method: str) -> dict[str, Any]:
        return {**self.ok(path, method, "200"), **_error_responses("400", "401", "403", "415")}


class SuppressionCheckView(APIView):
    """POST an address (in the body, never the URL): `{"suppressed": true}` when it opted out of marketing, sale or
    sharing. Check before every campaign or list upload; the answer outlives an erasure of the request."""

    authentication_classes = [TokenAuthentication, VerifiedSessionAuthentication]
    permission_classes = [MayCheckSuppression]
    schema = SuppressionSchema(tags=["suppression"], operation_id_base="SuppressionCheck")

    def post(self, request: Request) -> Response:
        body = SuppressionQuery(data=request.data)
        body.is_valid(raise_exception=True)
        return Response({"suppressed": suppression.is_suppressed(body.validated_data["email"])})
