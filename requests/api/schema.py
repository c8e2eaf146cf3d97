"""The OpenAPI description of each endpoint: operation ids, bodies generated from the forms, error responses."""

from __future__ import annotations

from types import UnionType
from typing import Any, Union, get_args, get_origin, get_type_hints

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from rest_framework import serializers
from rest_framework.fields import _UnvalidatedField
from rest_framework.schemas.openapi import AutoSchema

from requests.admin.forms import ACTIONS, LogRequestForm
from requests.api.fields import serializer_for
from requests.api.serializers import (
    PAGE_PARAMETERS,
    ActionResultSerializer,
    CaseDetailSerializer,
    CaseFilters,
    CaseSearch,
    MessageSerializer,
    PacketSerializer,
)
from requests.forms import DATA_POINTS

# A case reference in a URL (the case endpoints' lookup, and its parameter in the schema).
REFERENCE_PATTERN = r"PR-[0-9]{4}-[0-9]{6,}"


def _json_schema_of(hint: Any) -> dict[str, Any]:
    """The JSON schema of a Python return type (what a SerializerMethodField's method says it returns)."""
    args = get_args(hint)
    if get_origin(hint) in (Union, UnionType):
        rest = [arg for arg in args if arg is not type(None)]
        schema = _json_schema_of(rest[0]) if len(rest) == 1 else {}
        return {**schema, "nullable": True} if type(None) in args else schema
    if get_origin(hint) is list:
        return {"type": "array", "items": _json_schema_of(args[0]) if args else {}}
    if get_origin(hint) is dict:
        return {"type": "object", "additionalProperties": _json_schema_of(args[1]) if args else {}}
    types = {bool: "boolean", int: "integer", float: "number", str: "string"}
    return {"type": types[hint]} if hint in types else {}


def _error_responses(*codes: str) -> dict[str, Any]:
    error = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    return {code: {**error, "description": ERROR_DESCRIPTIONS[code]} for code in codes}


ERROR_DESCRIPTIONS = {
    "400": "Invalid input: `errors` names each field",
    "401": "No token, or an unknown, expired or revoked one",
    "403": "Not allowed for this member of staff",
    "404": "No such case (or packet, or page cursor)",
    "409": "Not possible in the case's status",
    "415": "The body is not JSON",
    "429": "Too many requests from this address",
}


def _may_be_blank(field: Any) -> bool:
    """Whether a text field can be "": DRF drops `allow_blank` from read-only model fields, so ask the model."""
    if getattr(field, "allow_blank", False):
        return True
    model = getattr(getattr(field.parent, "Meta", None), "model", None)
    try:
        model_field = model._meta.get_field(field.source) if model is not None else None
    except FieldDoesNotExist:
        return False
    return isinstance(model_field, models.CharField | models.TextField) and model_field.blank


class PortalSchema(AutoSchema):
    """DRF's generator, told what it cannot see for itself, so the document matches what the API sends:
    the types of method fields, the blank ("") and null values of choices and emails, JSON fields'
    shapes, and amounts as strings."""

    def map_field(self, field: Any) -> dict[str, Any]:
        if isinstance(field, serializers.SerializerMethodField):
            method = getattr(field.parent, field.method_name)
            return _json_schema_of(get_type_hints(method).get("return", Any))
        if isinstance(field, serializers.DecimalField):
            return {"type": "string", "format": "decimal"}  # a pattern follows from the validators, if any
        if isinstance(field, serializers.BooleanField):
            return {"type": "boolean"}  # DRF knows BooleanField itself, not the strict ones built on it
        if isinstance(field, serializers.JSONField):
            return {}  # any JSON; fields whose shape is known are declared with it
        if isinstance(field, serializers.DictField):
            if isinstance(field.child, _UnvalidatedField):
                return {"type": "object"}
            return {"type": "object", "additionalProperties": self.map_field(field.child)}
        schema: dict[str, Any] = super().map_field(field)
        if isinstance(field, serializers.ChoiceField) and not isinstance(
            field, serializers.MultipleChoiceField
        ):
            extra = ([""] if _may_be_blank(field) else []) + ([None] if field.allow_null else [])
            schema["enum"] = [*schema["enum"], *(value for value in extra if value not in schema["enum"])]
        return schema

    def map_field_validators(self, field: Any, schema: dict[str, Any]) -> None:
        super().map_field_validators(field, schema)
        if schema.get("format") == "email" and _may_be_blank(field):
            # An optional address is "" when not given: an email, or nothing.
            del schema["format"]
            schema["anyOf"] = [{"format": "email"}, {"maxLength": 0}]

    def get_components(self, path: str, method: str) -> dict[str, Any]:
        components: dict[str, Any] = super().get_components(path, method)
        components["Error"] = ERROR_SCHEMA
        return components

    def get_request_body(self, path: str, method: str) -> dict[str, Any]:
        body: dict[str, Any] = super().get_request_body(path, method)
        serializer = self.get_request_serializer(path, method)
        if body and isinstance(serializer, serializers.Serializer):
            # A body with required fields must be sent; one without any may be left out.
            body["required"] = any(field.required for field in serializer.fields.values())
        example = BODY_EXAMPLES.get(self.example_name(path, method))
        for media in body.get("content", {}).values() if example else ():
            media["example"] = example
        return body

    def example_name(self, path: str, method: str) -> str:
        name: str = self.get_operation_id(path, method)
        return name

    def ok(self, path: str, method: str, code: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
        """DRF's success response (201 for every POST), under the status code the view really answers."""
        (response,) = super().get_responses(path, method).values()
        if schema is not None:
            response["content"] = {"application/json": {"schema": schema}}
        return {code: response}


class CaseSchema(PortalSchema):
    """Request bodies and responses per operation (DRF's generator cannot see the form behind an action)."""

    NAMES = {"list": "listCases", "search": "searchCases", "retrieve": "getCase", "create": "logCase", "packet": "getPacket",
             "build_packet": "buildPacket", "release_packet": "releasePacket", "check": "recordSystemCheck",
             "fee": "quoteFee", "recipients": "recordRecipientNotice", "lift": "liftRestriction",
             "log_appeal": "logAppeal", "log_complaint": "logComplaint"}  # fmt: skip

    def get_operation_id(self, path: str, method: str) -> str:
        action_name: str = self.view.action
        if action_name == "messages":
            return "sendMessage" if method == "POST" else "listMessages"
        if action_name in self.NAMES:
            return str(self.NAMES[action_name])
        head, *rest = action_name.split("_")
        return head + "".join(part.title() for part in rest) + "Case"

    def map_serializer(self, serializer: Any) -> dict[str, Any]:
        schema: dict[str, Any] = super().map_serializer(serializer)
        if isinstance(serializer, CaseSearch):
            schema["additionalProperties"] = False  # an unknown field is a 400, not a filter silently dropped
        return schema

    def get_path_parameters(self, path: str, method: str) -> list[dict[str, Any]]:
        parameters: list[dict[str, Any]] = super().get_path_parameters(path, method)
        for parameter in parameters:
            if parameter["name"] == "reference":
                parameter["schema"]["pattern"] = f"^{REFERENCE_PATTERN}$"
                parameter["description"] = "The case's reference, e.g. PR-2026-000123"
        return parameters

    def get_pagination_parameters(self, path: str, method: str) -> list[dict[str, Any]]:
        return []  # `cursor` and `page_size` are among the list's filters, with their limits

    def get_filter_parameters(self, path: str, method: str) -> list[dict[str, Any]]:
        if self.view.action not in ("list", "search"):
            return []
        parameters = []
        for name, field in CaseFilters().fields.items():
            if self.view.action == "search" and name not in PAGE_PARAMETERS:
                continue  # the search's criteria are in its body
            schema = self.map_field(field)
            self.map_field_validators(field, schema)
            if field.default not in (None, serializers.empty):
                schema["default"] = field.default
            parameter = {"name": name, "in": "query", "required": False, "schema": schema}
            if field.help_text:
                parameter["description"] = str(field.help_text)
            parameters.append(parameter)
        return parameters

    def get_request_body(self, path: str, method: str) -> dict[str, Any]:
        if self.view.action in ("build_packet", "release_packet"):
            return {}  # no body: the case's state says it all
        return super().get_request_body(path, method)

    def get_request_serializer(self, path: str, method: str) -> Any:
        view = self.view
        if view.action in ACTION_BODIES:
            return ACTION_BODIES[view.action]()
        if view.action == "create":
            return LogBody()
        if view.action == "search":
            return CaseSearch()
        if view.action == "messages" and method == "POST":
            return ACTION_BODIES["message"]()
        return super().get_request_serializer(path, method)

    def get_response_serializer(self, path: str, method: str) -> Any:
        view = self.view
        if view.action in ACTION_BODIES or view.action in ("build_packet", "release_packet"):
            return ActionResultSerializer()
        if view.action == "messages" and method == "POST":
            return ActionResultSerializer()
        if view.action == "messages":
            return MessageSerializer()
        if view.action == "packet":
            return PacketSerializer()
        if view.action in ("retrieve", "create"):
            return CaseDetailSerializer()
        return super().get_response_serializer(path, method)

    def get_responses(self, path: str, method: str) -> dict[str, Any]:
        action_name = self.view.action
        if action_name in ("list", "search"):
            # A page of the list; for the search too (DRF pages only a GET's responses itself).
            rows = {"type": "array", "items": {"$ref": "#/components/schemas/Case"}}
            page = self.ok(path, method, "200", self.view.paginator.get_paginated_response_schema(rows))
            page["200"]["description"] = "A page of cases, by due date"
            errors = ("400", "401", "403", "404") + (("415",) if action_name == "search" else ())
            return {**page, **_error_responses(*errors)}
        if method == "GET":
            many = None
            if action_name == "messages":
                many = {"type": "array", "items": {"$ref": "#/components/schemas/Message"}}
            return {**self.ok(path, method, "200", many), **_error_responses("401", "403", "404")}
        if action_name == "create":
            return {**self.ok(path, method, "201"), **_error_responses("400", "401", "403", "415")}
        return {**self.ok(path, method, "200"), **_error_responses("400", "401", "403", "404", "409", "415")}


# A body each operation accepts, for the docs (and for the fuzzer's first, valid, requests).
BODY_EXAMPLES: dict[str, dict[str, Any]] = {
    "searchCases": {"q": "ada@example.org", "queue": "all"},
    "logCase": {"channel": "post", "received_on": "2026-01-05", "kind": "access", "requester_name": "Ada Lovelace",
                "requester_email": "ada@example.org", "relationship": "self", "country": "GB", "language": "en",
                "details": "A letter asking for a copy of everything we hold."},
    "assignCase": {"assignee": 1},
    "verifyCase": {"data_points": ["postal_address", "phone"]},
    "pauseCase": {"reason": "Which of your two accounts do you mean?"},
    "extendCase": {"reason": "Five systems hold data about you; searching them takes more time."},
    "quoteFee": {"amount": "40.00", "currency": "GBP", "reason": "repetitive",
                 "breakdown": "Copying 400 pages: 30.00\nPostage: 10.00"},
    "completeCase": {"outcome": "no_data", "note": "We hold no data about you."},
    "decideCase": {"outcome": "appeal_refused",
                   "reasons": "We looked again: the law requires us to keep these invoices for six years."},
    "denyCase": {"reason": "manifestly_unfounded", "explanation": "We have already answered this request twice."},
    "forwardCase": {"controller": "Acme Ltd"},
    "withdrawCase": {"note": "By phone on 3 March"},
    "logAppeal": {"channel": "post", "received_on": "2026-01-05", "text": "You should have deleted my order history."},
    "logComplaint": {"channel": "email", "received_on": "2026-01-05", "text": "You took two months to answer me."},
    "sendMessage": {"body": "Could you tell us the order number?"},
    "recordSystemCheck": {"system": 1, "state": "data_found", "notes": "Two contacts and a deal"},
    "liftRestriction": {"reason": "We have checked that your address is accurate."},
    "recordRecipientNotice": {"recipient": "Acme Couriers Ltd", "told": "yes", "method": "email",
                              "told_on": "2026-03-02"},
    "createPublicRequest": {"kind": "rectification", "requester_name": "Ada Lovelace",
                            "requester_email": "ada@example.org", "relationship": "self", "country": "GB",
                            "language": "en", "rectification_current": "1 Old Road",
                            "rectification_wanted": "2 New Street"},
    "createPublicVerification": {"reference": "PR-2026-000123", "code": "123456"},
}  # fmt: skip

ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "detail": {"type": "string"},
        "errors": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
    },
    "required": ["detail"],
}

LogBody = serializer_for(LogRequestForm, "LogRequestBody")
# The details staff may tick as matched (VerifyForm sets these choices when it is made, with their values).
VERIFY_POINTS = [*DATA_POINTS, "other_record"]
ACTION_BODIES: dict[str, type[serializers.Serializer]] = {
    name: serializer_for(act.form, f"{name.title()}Body", choices={"data_points": VERIFY_POINTS})
    for name, act in ACTIONS.items()
    if name not in ("packet", "release")
}
