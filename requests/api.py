"""The REST API under /api/v1/ (DESIGN §10): staff endpoints mirroring the case page, and public intake.

Writes go through the same forms and services as the admin and the public pages, so the rules, events and
emails are the same whichever door a change comes in by: each action's request body is described by a
serializer generated from the action's form (for the schema and for types), then validated by the form
itself (for the rules), then carried out by the form's service call.

Authentication: a personal token (`Authorization: Bearer pp_…`, identity/tokens.py) or a staff session
that a second factor has verified. Every error is JSON: `{"detail": "...", "errors": {field: [...]}}`.
"""

from __future__ import annotations

import binascii
import re
from base64 import b64decode, b64encode
from datetime import date
from decimal import Decimal
from types import UnionType
from typing import Any, Union, get_args, get_origin, get_type_hints

from django import forms
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import RegexValidator
from django.db import models, transaction
from django.db.models import Q
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, serializers, status
from rest_framework.authentication import BaseAuthentication, SessionAuthentication, get_authorization_header
from rest_framework.decorators import action
from rest_framework.fields import _UnvalidatedField
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.schemas.openapi import AutoSchema
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView, exception_handler
from rest_framework.viewsets import GenericViewSet

from identity import tokens
from identity.forms import CODE_FAILED
from identity.services import ChallengeFailed, check_code
from privacyportal.ratelimit import over_limit

from . import selectors, services
from .admin_forms import ACTIONS, LogRequestForm
from .deadlines import REGIMES
from .explain import explain, regime_name
from .forms import DATA_POINTS, DECLARATION, KIND_SPECIFIC, PrivacyRequestForm
from .lifecycle import Status
from .models import Kind, Message, Packet, PrivacyRequest
from .selectors import DEFAULT_QUEUE, QueueFilters, cases_for, deadlines_of, local_today, queue

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


# --- Serializers generated from forms --------------------------------------------------------------------------
#
# JSON has types, and the schema publishes them: a field documented as a string takes a string, not 12 (DRF would
# quietly turn it into "12"), a boolean takes true or false, not "yes" or 1, and a date is YYYY-MM-DD. The strict
# fields below refuse anything else with a 400, so what the API accepts is exactly what its schema says.

# DRF's own (translated) message for a blank field.
NOT_BLANK = RegexValidator(r"\S", serializers.CharField.default_error_messages["blank"], code="blank")
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class StrictCharField(serializers.CharField):
    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictEmailField(serializers.EmailField):
    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictChoiceField(serializers.ChoiceField):
    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str):
            self.fail("invalid_choice", input=data)
        return super().to_internal_value(data)


class StrictIntegerField(serializers.IntegerField):
    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class StrictDateField(serializers.DateField):
    """YYYY-MM-DD only (Python would also read 20260101 or 2026-W01-1, which the schema's `date` format is not)."""

    def to_internal_value(self, value: Any) -> Any:
        if not isinstance(value, str) or not ISO_DATE.fullmatch(value):
            self.fail("invalid", format="YYYY-MM-DD")
        return super().to_internal_value(value)


class StrictDecimalField(serializers.DecimalField):
    """An amount as a string ("25.00"), as the API returns amounts: no binary floats for money."""

    def __init__(self, *, max_digits: int, decimal_places: int, signed: bool, **kwargs: Any) -> None:
        whole = max_digits - decimal_places
        self.pattern = rf"^{'-?' if signed else ''}[0-9]{{1,{whole}}}(\.[0-9]{{1,{decimal_places}}})?$"
        super().__init__(max_digits=max_digits, decimal_places=decimal_places, **kwargs)
        self.validators.append(RegexValidator(self.pattern))

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str) or not re.match(self.pattern, data):
            self.fail("invalid")
        return super().to_internal_value(data)


def choice_values(choices: Any) -> list[str]:
    """The values of a form field's choices, option groups flattened, the empty "choose one" left out."""
    values: list[str] = []
    for value, label in choices:
        if isinstance(label, list | tuple):
            values += [str(v) for v, _label in label if v != ""]
        elif value != "":
            values.append(str(value))
    return values


def _drf_field(
    field: forms.Field, *, required: bool | None = None, choices: list[str] | None = None
) -> serializers.Field | None:
    """The JSON field for a form field: the same name, type, choices and length, and required when the form is."""
    required = field.required if required is None else required
    options: dict[str, Any] = {
        "required": required,
        "help_text": str(field.help_text) if field.help_text else None,
        "label": str(field.label) if field.label else None,
    }
    # A required text is blank when it is only spaces, as for the form (DRF trims, then refuses it).
    text = {"allow_blank": not required, "validators": [] if not required else [NOT_BLANK]}
    if isinstance(field, forms.FileField):
        return None  # files are uploaded on the web pages; the API carries JSON only
    if isinstance(field, forms.ModelChoiceField):
        return StrictIntegerField(min_value=1, max_value=2**63 - 1, **options)
    if isinstance(field, forms.ChoiceField):
        values = choices or choice_values(field.choices)
        if isinstance(field, forms.MultipleChoiceField):
            child = StrictChoiceField(choices=values) if values else StrictCharField(max_length=100)
            return serializers.ListField(child=child, **options)
        if values:
            return StrictChoiceField(choices=values, allow_blank=not required, **options)
        return StrictCharField(max_length=100, **text, **options)
    if isinstance(field, forms.BooleanField):
        return StrictBooleanField(**{**options, "required": False})
    if isinstance(field, forms.DecimalField):
        signed = field.min_value is None or field.min_value < 0
        return StrictDecimalField(
            max_digits=field.max_digits or 12,
            decimal_places=field.decimal_places or 2,
            signed=signed,
            **options,
        )
    if isinstance(field, forms.DateField):
        return StrictDateField(**options)
    if isinstance(field, forms.EmailField):
        return StrictEmailField(max_length=254, **text, **options)
    max_length = getattr(field, "max_length", None) or 10000
    min_length = getattr(field, "min_length", None)
    return StrictCharField(max_length=max_length, min_length=min_length, **text, **options)


def serializer_for(
    form_class: type[forms.Form],
    name: str,
    *,
    exclude: frozenset[str] = frozenset(),
    optional: frozenset[str] = frozenset(),
    choices: dict[str, list[str]] | None = None,
) -> type[serializers.Serializer]:
    """A serializer with the form's fields, for the schema and for the types; the form keeps the rules.

    `optional` names fields the form may require or not depending on the case (the right asked for);
    `choices` gives the choices of fields whose form sets them only when it is made.
    """
    fields: dict[str, Any] = {}
    for field_name, field in form_class.base_fields.items():
        if field_name in exclude:
            continue
        drf = _drf_field(
            field,
            required=False if field_name in optional else None,
            choices=(choices or {}).get(field_name),
        )
        if drf is not None:
            fields[field_name] = drf
    return type(name, (serializers.Serializer,), fields)


def as_form_data(values: dict[str, Any]) -> dict[str, Any]:
    """Validated JSON values as a form would receive them from a page."""
    data: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, date | Decimal):
            data[key] = str(value) if isinstance(value, Decimal) else value.isoformat()
        elif value is None:
            continue
        else:
            data[key] = value
    return data


def form_errors(form: forms.Form) -> dict[str, list[str]]:
    return {
        field: [str(e["message"]) for e in errors] for field, errors in form.errors.get_json_data().items()
    }


def invalid(form: forms.Form) -> Response:
    return Response(
        {"detail": _("The request is not valid."), "errors": form_errors(form)},
        status=status.HTTP_400_BAD_REQUEST,
    )


# --- Read serializers ---------------------------------------------------------------------------------------


class StaffSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()


class CaseSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    governing_regime_name = serializers.SerializerMethodField()
    due = serializers.DateField(source="effective_due_at", read_only=True)
    days_left = serializers.SerializerMethodField()
    assignee = StaffSerializer(read_only=True, allow_null=True)

    class Meta:
        model = PrivacyRequest
        fields = [
            "reference", "kind", "kind_display", "status", "status_display", "channel", "received_at",
            "governing_regime", "governing_regime_name", "due", "due_at", "extended_due_at", "extended",
            "days_left", "assignee", "repetitive", "processor_request",
        ]  # fmt: skip
        read_only_fields = fields

    def get_governing_regime_name(self, obj: PrivacyRequest) -> str:
        return str(regime_name(obj.governing_regime))

    def get_days_left(self, obj: PrivacyRequest) -> int | None:
        return (obj.effective_due_at - local_today()).days if obj.is_open else None


class EventSerializer(serializers.Serializer):
    seq = serializers.IntegerField()
    at = serializers.DateTimeField()
    actor = serializers.CharField(source="actor.get_username", default=None, allow_null=True)
    actor_kind = serializers.CharField()
    verb = serializers.CharField()
    old_status = serializers.CharField()
    new_status = serializers.CharField()
    data = serializers.DictField()


class FeeLineSerializer(serializers.Serializer):
    item = serializers.CharField()
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)


class CaseDetailSerializer(CaseSerializer):
    regimes = serializers.ListField(child=serializers.CharField(), read_only=True)
    data_points = serializers.DictField(child=serializers.CharField(), read_only=True)
    fee_breakdown = FeeLineSerializer(many=True, read_only=True)
    due_sentence = serializers.SerializerMethodField()
    tier = serializers.SerializerMethodField()
    actions = serializers.SerializerMethodField()
    timeline = EventSerializer(source="events", many=True, read_only=True)

    class Meta(CaseSerializer.Meta):
        fields = [
            *CaseSerializer.Meta.fields,
            "requester_name", "requester_email", "relationship", "subject_name", "subject_email", "subject_answer",
            "country", "subdivision", "language", "details", "rectification_current", "rectification_wanted",
            "objection_grounds", "marketing_only", "period_since", "customer_name", "data_points", "regimes",
            "acknowledge_by", "paused_days", "extension_reason", "fee_amount", "fee_currency", "fee_reason",
            "fee_breakdown", "fee_accepted", "outcome", "denial_reason", "outcome_note", "forwarded_to",
            "closed_at", "due_sentence", "tier", "actions", "timeline",
        ]  # fmt: skip
        read_only_fields = fields

    def get_due_sentence(self, obj: PrivacyRequest) -> str:
        return str(explain(deadlines_of(obj)))

    def get_tier(self, obj: PrivacyRequest) -> str:
        return str(selectors.verification_tier(obj).value)

    def get_actions(self, obj: PrivacyRequest) -> list[str]:
        """What this caller may do to the case now (the case page shows the same)."""
        user = self.context["request"].user
        return [name for name, now in services.available(obj, user).items() if now.offered]


class MessageSerializer(serializers.ModelSerializer):
    author = serializers.CharField(
        source="author.get_username", default=None, allow_null=True, read_only=True
    )
    attachment = serializers.CharField(
        source="attachment.name", default=None, allow_null=True, read_only=True
    )

    class Meta:
        model = Message
        fields = ["id", "author_kind", "author", "body", "attachment", "created_at"]
        read_only_fields = fields


class PacketFileSerializer(serializers.Serializer):
    name = serializers.CharField()
    sha256 = serializers.CharField()
    size = serializers.IntegerField()


class PacketSerializer(serializers.ModelSerializer):
    files = PacketFileSerializer(many=True, read_only=True)

    class Meta:
        model = Packet
        fields = [
            "status", "build", "step", "percent", "error", "size", "sha256", "files", "requested_at", "built_at",
            "released_at", "expires_at", "downloads",
        ]  # fmt: skip
        read_only_fields = fields


class ActionResultSerializer(serializers.Serializer):
    message = serializers.CharField()
    case = CaseDetailSerializer()


class QueryBooleanField(serializers.BooleanField):
    """`true` or `false`, as OpenAPI writes a boolean in a query string (DRF would also read yes, on, 1...)."""

    def to_internal_value(self, data: Any) -> bool:
        if data not in ("true", "false"):
            self.fail("invalid", input=data)
        return bool(data == "true")


class QueryIntegerField(serializers.IntegerField):
    """Digits only (Python's int() would also read " 5", "+5" or "5_0")."""

    def to_internal_value(self, data: Any) -> int:
        if not isinstance(data, str) or not re.fullmatch(r"[0-9]{1,9}", data):
            self.fail("invalid")
        return int(super().to_internal_value(data))


class CaseFilters(serializers.Serializer):
    """The list's query parameters; a bad value is a 400 naming it, never a 500 nor silently ignored."""

    queue = serializers.ChoiceField(choices=["open", "closed", "all"], default=DEFAULT_QUEUE)
    status = serializers.ChoiceField(choices=Status.values, required=False)
    kind = serializers.ChoiceField(choices=Kind.values, required=False)
    regime = serializers.ChoiceField(choices=sorted(REGIMES), required=False)
    overdue = QueryBooleanField(required=False, allow_null=True, default=None)
    due_before = StrictDateField(required=False)
    assignee = serializers.RegexField(
        r"^(me|none|[0-9]{1,10})$", required=False, help_text="me, none or a user id"
    )
    repetitive = QueryBooleanField(required=False, allow_null=True, default=None)
    processor_request = QueryBooleanField(required=False, allow_null=True, default=None)
    q = serializers.CharField(
        max_length=254,
        required=False,
        allow_blank=True,
        validators=[RegexValidator(r"^[^\x00]*$")],  # documents DRF's refusal of NUL characters
        help_text="A reference (PR-2026-000123) or a requester's email address",
    )
    page_size = QueryIntegerField(min_value=1, max_value=200, required=False, help_text="Cases per page")
    cursor = serializers.CharField(
        required=False,
        allow_blank=True,
        validators=[RegexValidator(r"^[^\x00]*$")],
        help_text="From the `next` or `previous` link; an unknown one is a 404",
    )


class DueOrder(CursorPagination):
    """Keyset pages by (due date, id): a case added or closed meanwhile never repeats or skips another.

    DRF's cursor remembers only the first ordering field and counts its way through cases sharing a due
    date, so a new case due that day shifted the next page. This cursor carries the last case's due date
    and id, and the next page starts strictly after that pair. Pages go forward only (`previous` is null).
    """

    ordering = ("effective_due_at", "id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    _KEY = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2})\|([0-9]{1,18})")

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> list[Any] | None:
        self.request = request
        self.page_size = self.get_page_size(request)
        cases = queryset.order_by(*self.ordering)
        raw = request.query_params.get(self.cursor_query_param)
        if raw:
            due, pk = self._decode(raw)
            cases = cases.filter(Q(effective_due_at__gt=due) | Q(effective_due_at=due, id__gt=pk))
        rows = list(cases[: self.page_size + 1])
        self.has_next = len(rows) > self.page_size
        self.page = rows[: self.page_size]
        return self.page

    def _decode(self, raw: str) -> tuple[date, int]:
        try:
            found = self._KEY.fullmatch(b64decode(raw.encode("ascii"), validate=True).decode("ascii"))
            if found is None:
                raise ValueError(raw)
            return date.fromisoformat(found[1]), int(found[2])
        except (ValueError, UnicodeError, binascii.Error):
            raise exceptions.NotFound(self.invalid_cursor_message) from None

    def get_next_link(self) -> str | None:
        if not self.has_next or not self.page:
            return None
        last = self.page[-1]
        key = b64encode(f"{last.effective_due_at.isoformat()}|{last.pk}".encode("ascii")).decode("ascii")
        url: str = replace_query_param(self.request.build_absolute_uri(), self.cursor_query_param, key)
        return url

    def get_previous_link(self) -> str | None:
        return None


# --- Staff endpoints ------------------------------------------------------------------------------------------


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

    NAMES = {"list": "listCases", "retrieve": "getCase", "create": "logCase", "packet": "getPacket",
             "build_packet": "buildPacket", "release_packet": "releasePacket", "check": "recordSystemCheck",
             "fee": "quoteFee"}  # fmt: skip

    def get_operation_id(self, path: str, method: str) -> str:
        action_name: str = self.view.action
        if action_name == "messages":
            return "sendMessage" if method == "POST" else "listMessages"
        if action_name in self.NAMES:
            return str(self.NAMES[action_name])
        head, *rest = action_name.split("_")
        return head + "".join(part.title() for part in rest) + "Case"

    def get_path_parameters(self, path: str, method: str) -> list[dict[str, Any]]:
        parameters: list[dict[str, Any]] = super().get_path_parameters(path, method)
        for parameter in parameters:
            if parameter["name"] == "reference":
                parameter["schema"]["pattern"] = f"^{CaseViewSet.lookup_value_regex}$"
                parameter["description"] = "The case's reference, e.g. PR-2026-000123"
        return parameters

    def get_pagination_parameters(self, path: str, method: str) -> list[dict[str, Any]]:
        return []  # `cursor` and `page_size` are among the list's filters, with their limits

    def get_filter_parameters(self, path: str, method: str) -> list[dict[str, Any]]:
        if self.view.action != "list":
            return []
        parameters = []
        for name, field in CaseFilters().fields.items():
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
        if action_name == "list":
            return {**self.ok(path, method, "200"), **_error_responses("400", "401", "403", "404")}
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
    "denyCase": {"reason": "manifestly_unfounded", "explanation": "We have already answered this request twice."},
    "forwardCase": {"controller": "Acme Ltd"},
    "withdrawCase": {"note": "By phone on 3 March"},
    "sendMessage": {"body": "Could you tell us the order number?"},
    "recordSystemCheck": {"system": 1, "state": "data_found", "notes": "Two contacts and a deal"},
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


class CaseViewSet(GenericViewSet):
    """Cases: list (filters, cursor pagination, by due date), detail, log a request, and one POST per action."""

    lookup_field = "reference"
    lookup_value_regex = r"PR-[0-9]{4}-[0-9]{6,}"
    serializer_class = CaseSerializer
    pagination_class = DueOrder
    schema = CaseSchema(tags=["cases"])
    authentication_classes = [TokenAuthentication, VerifiedSessionAuthentication]
    permission_classes = [IsCaseStaff]

    def get_queryset(self) -> Any:
        return cases_for(self.request.user).select_related("assignee")

    def filtered(self) -> Any:
        # A plain dict: DRF would read a QueryDict as a web form, skipping a blank `due_before=` unchecked.
        params = CaseFilters(data=self.request.query_params.dict())
        params.is_valid(raise_exception=True)
        f = params.validated_data
        filters = QueueFilters(
            queue=f["queue"],
            status=f.get("status"),
            kind=f.get("kind"),
            regime=f.get("regime"),
            overdue=f.get("overdue"),
            due_before=f.get("due_before"),
            assignee=f.get("assignee"),
            repetitive=f.get("repetitive"),
            processor_request=f.get("processor_request"),
            search=f.get("q", ""),
        )
        return queue(self.request.user, filters).select_related("assignee")

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.filtered())
        return self.get_paginated_response(CaseSerializer(page, many=True).data)

    def retrieve(self, request: Request, reference: str) -> Response:
        return Response(self.detail_of(self.get_object()))

    def detail_of(self, case: PrivacyRequest) -> dict[str, Any]:
        case = PrivacyRequest.objects.select_related("assignee").get(pk=case.pk)
        return dict(CaseDetailSerializer(case, context={"request": self.request}).data)

    def create(self, request: Request) -> Response:
        """Log a request received by email, post or phone, with the day it really arrived."""
        if not request.user.has_perm("requests.add_privacyrequest"):
            raise exceptions.PermissionDenied(_("You may not log requests."))
        body = LogBody(data=request.data)
        body.is_valid(raise_exception=True)
        form = LogRequestForm(data=as_form_data(body.validated_data))
        if not form.is_valid():
            return invalid(form)
        try:
            case = services.submit(form.new_request(), by=request.user)
        except DjangoValidationError as error:
            raise exceptions.ValidationError(
                error.message_dict if hasattr(error, "error_dict") else error.messages
            ) from None
        return Response(self.detail_of(case), status=status.HTTP_201_CREATED)

    def act(self, request: Request, name: str) -> Response:
        """Carry out one case action, exactly as the case page would."""
        case = self.get_object()
        now = services.availability(case, request.user, name)
        if not now.permitted:
            raise exceptions.PermissionDenied()
        body_class = ACTION_BODIES.get(name)
        data: dict[str, Any] = {}
        if body_class is not None:
            body = body_class(data=request.data)
            body.is_valid(raise_exception=True)
            data = as_form_data(body.validated_data)
        if now.reason is not None:
            return Response({"detail": now.reason}, status=status.HTTP_409_CONFLICT)
        form = ACTIONS[name].form(data=data, case=case, user=request.user)
        if not form.is_valid():
            return invalid(form)
        try:
            done = form.run()
        except services.TransitionError as error:
            return Response({"detail": str(error)}, status=status.HTTP_409_CONFLICT)
        except DjangoValidationError as error:
            errors = (
                error.message_dict if hasattr(error, "error_dict") else {"non_field_errors": error.messages}
            )
            return Response({"detail": _("The request is not valid."), "errors": errors}, status=400)
        return Response({"message": done, "case": self.detail_of(case)})

    @action(detail=True, methods=["get", "post"])
    def messages(self, request: Request, reference: str) -> Response:
        """The thread with the requester; POST writes to them (they are emailed that a message is waiting)."""
        if request.method == "POST":
            return self.act(request, "message")
        thread = Message.objects.filter(request=self.get_object()).select_related("author", "attachment")
        return Response(MessageSerializer(thread, many=True).data)

    @action(detail=True, methods=["get"])
    def packet(self, request: Request, reference: str) -> Response:
        """The fulfilment packet's state: progress while it builds, files and expiry once built."""
        found = Packet.objects.filter(request=self.get_object()).first()
        if found is None:
            raise exceptions.NotFound(_("This case has no packet yet."))
        return Response(PacketSerializer(found).data)

    @action(detail=True, methods=["post"], url_path="packet/build")
    def build_packet(self, request: Request, reference: str) -> Response:
        return self.act(request, "packet")

    @action(detail=True, methods=["post"], url_path="packet/release")
    def release_packet(self, request: Request, reference: str) -> Response:
        return self.act(request, "release")

    # One POST per action of the case page; the docstrings are the operations' descriptions in the schema.

    @action(detail=True, methods=["post"])
    def assign(self, request: Request, reference: str) -> Response:
        """Assign: the case page's “Assign” action."""
        return self.act(request, "assign")

    @action(detail=True, methods=["post"])
    def verify(self, request: Request, reference: str) -> Response:
        """Verify identity: the case page's “Verify identity” action."""
        return self.act(request, "verify")

    @action(detail=True, methods=["post"])
    def pause(self, request: Request, reference: str) -> Response:
        """Ask the requester: the case page's “Ask the requester” action."""
        return self.act(request, "pause")

    @action(detail=True, methods=["post"])
    def resume(self, request: Request, reference: str) -> Response:
        """Carry on (the requester answered): the case page's “Carry on (the requester answered)” action."""
        return self.act(request, "resume")

    @action(detail=True, methods=["post"])
    def extend(self, request: Request, reference: str) -> Response:
        """Extend: the case page's “Extend” action."""
        return self.act(request, "extend")

    @action(detail=True, methods=["post"], url_path="quote-fee")
    def fee(self, request: Request, reference: str) -> Response:
        """Quote a fee: the case page's “Quote a fee” action."""
        return self.act(request, "fee")

    @action(detail=True, methods=["post"])
    def complete(self, request: Request, reference: str) -> Response:
        """Complete: the case page's “Complete” action."""
        return self.act(request, "complete")

    @action(detail=True, methods=["post"])
    def deny(self, request: Request, reference: str) -> Response:
        """Refuse: the case page's “Refuse” action."""
        return self.act(request, "deny")

    @action(detail=True, methods=["post"])
    def forward(self, request: Request, reference: str) -> Response:
        """Forward to the controller: the case page's “Forward to the controller” action."""
        return self.act(request, "forward")

    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, reference: str) -> Response:
        """Record a withdrawal: the case page's “Record a withdrawal” action."""
        return self.act(request, "withdraw")

    @action(detail=True, methods=["post"], url_path="system-check")
    def check(self, request: Request, reference: str) -> Response:
        """Systems checklist: the case page's “Systems checklist” action."""
        return self.act(request, "check")


# --- Public intake --------------------------------------------------------------------------------------------

PUBLIC_FIELDS_EXCLUDED = frozenset({"permission", "website"})
# What the right asked for decides whether these are needed (the form drops or requires them); the rest of the
# web form's fields are needed for every right.
INTAKE_OPTIONAL = frozenset(KIND_SPECIFIC | set(DATA_POINTS) | set(DECLARATION))
_intake_form = PrivacyRequestForm(kind=Kind.ACCESS)  # the choices its fields get when it is made
IntakeBody = type(
    "IntakeBody",
    (
        serializer_for(
            PrivacyRequestForm,
            "IntakeFields",
            exclude=PUBLIC_FIELDS_EXCLUDED,
            optional=INTAKE_OPTIONAL,
            choices={
                name: choice_values(_intake_form.fields[name].choices)  # type: ignore[attr-defined]
                for name in ("country", "subdivision")
            },
        ),
    ),
    {"kind": StrictChoiceField(choices=Kind.values)},
)


class EmailCodeBody(serializers.Serializer):
    reference = StrictCharField(validators=[RegexValidator(r"^PR-[0-9]{4}-[0-9]{6,}$")])
    code = StrictCharField(max_length=20, validators=[NOT_BLANK])


class IntakeResult(serializers.Serializer):
    reference = serializers.CharField()
    status = serializers.ChoiceField(choices=Status.values)
    detail = serializers.CharField()


class PublicSchema(PortalSchema):
    def get_request_serializer(self, path: str, method: str) -> Any:
        return EmailCodeBody() if "verify" in path else IntakeBody()

    def get_response_serializer(self, path: str, method: str) -> Any:
        return IntakeResult()

    def get_responses(self, path: str, method: str) -> dict[str, Any]:
        code = "200" if "verify" in path else "201"
        return {**self.ok(path, method, code), **_error_responses("400", "415", "429")}


class PublicAPIView(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    def limited(self, request: Request, group: str, rate: str) -> None:
        if over_limit(request._request, group, rate):
            raise exceptions.Throttled(detail=_("Too many requests from this address. Try again later."))


class IntakeView(PublicAPIView):
    """Submit a request as a data subject would on the web form: the same form, the same rules.

    The requester is emailed a 6-digit code to confirm the address; POST it to /api/v1/public/verify/.
    Requests for someone else need the signed permission, which only the web form can take.
    """

    schema = PublicSchema(tags=["public"], operation_id_base="PublicRequest")

    def post(self, request: Request) -> Response:
        self.limited(request, "submit", settings.RATELIMIT_SUBMIT)
        body = IntakeBody(data=request.data)
        body.is_valid(raise_exception=True)
        data = as_form_data(body.validated_data)
        form = PrivacyRequestForm(data=data, kind=data.pop("kind"))
        if not form.is_valid():
            return invalid(form)
        with transaction.atomic():
            case = services.submit(form.to_new_request(channel="api"))
        return Response(
            {"reference": case.reference, "status": case.status,
             "detail": _("We have emailed a 6-digit code to confirm the address.")},
            status=status.HTTP_201_CREATED,
        )  # fmt: skip


class VerifyView(PublicAPIView):
    """Confirm the requester's email address with the emailed code."""

    schema = PublicSchema(tags=["public"], operation_id_base="PublicVerification")

    def post(self, request: Request) -> Response:

        self.limited(request, "verify", settings.RATELIMIT_VERIFY)
        body = EmailCodeBody(data=request.data)
        body.is_valid(raise_exception=True)
        case = PrivacyRequest.objects.filter(reference=body.validated_data["reference"]).first()
        try:
            if case is None:
                raise ChallengeFailed
            case = check_code(case, body.validated_data["code"])
        except ChallengeFailed:
            # The same answer for an unknown reference and a wrong code: the API reveals nothing.
            return Response({"detail": str(CODE_FAILED), "errors": {"code": [str(CODE_FAILED)]}}, status=400)
        return Response({"reference": case.reference, "status": case.status,
                         "detail": _("Thank you: your email address is confirmed.")})  # fmt: skip
