"""The API's OpenAPI document (/api/schema/) and its human page (/api/docs/), built from the API's own URLs."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.shortcuts import render
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.schemas.openapi import SchemaGenerator
from rest_framework.views import APIView

from requests.api.urls import urlpatterns


def openapi_schema(request: HttpRequest | None = None) -> dict[str, Any]:
    """The OpenAPI 3 document, from DRF's own generator over the API's URLs."""
    generator = SchemaGenerator(
        title="Privacy Portal API",
        version="1",
        description=(
            "Staff endpoints mirror the case page: authenticate with `Authorization: Bearer pp_…` (a personal "
            "token from /admin/tokens/) or an OTP-verified staff session. Public intake takes the web form's "
            "fields. Every error is JSON with `detail` and, for invalid input, `errors` by field."
        ),
        patterns=urlpatterns,
        url="/api/v1/",
    )
    schema: dict[str, Any] = generator.get_schema(request=None, public=True)
    schema.setdefault("components", {}).setdefault("securitySchemes", {})["token"] = {
        "type": "http",
        "scheme": "bearer",
        "description": "A personal API token, pp_<prefix>_<secret>.",
    }
    for path, operations in schema.get("paths", {}).items():
        for operation in operations.values():
            if "/public/" not in path:
                operation["security"] = [{"token": []}]
    return schema


class SchemaView(APIView):
    """GET /api/schema/: the OpenAPI 3 document as JSON."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    schema = None

    def get(self, request: Request) -> Response:
        return Response(openapi_schema())


def api_docs(request: HttpRequest) -> Any:
    """GET /api/docs/: the schema as a page, drawn on the server (no scripts, works offline)."""
    schema = openapi_schema()
    operations = []
    for path, methods in schema["paths"].items():
        for method, op in methods.items():
            body = (op.get("requestBody") or {}).get("content", {}).get("application/json", {}).get("schema")
            operations.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("description", ""),
                    "parameters": op.get("parameters", []),
                    "body": _resolve(schema, body),
                    "responses": sorted(op.get("responses", {})),
                    "public": "/public/" in path,
                }
            )
    return render(request, "requests/api_docs.html", {"schema": schema, "operations": operations})


def _resolve(schema: dict[str, Any], node: Any) -> Any:
    if isinstance(node, dict) and "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        return schema["components"]["schemas"].get(name, {})
    return node
