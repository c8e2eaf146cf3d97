"""The REST API under /api/v1/ (DESIGN §10): staff endpoints mirroring the case page, and public intake.

Writes go through the same forms and services as the admin and the public pages, so the rules, events and
emails are the same whichever door a change comes in by: each action's request body is described by a
serializer generated from the action's form (for the schema and for types), then validated by the form
itself (for the rules), then carried out by the form's service call.

Authentication: a personal token (`Authorization: Bearer pp_…`, identity/tokens.py) or a staff session
that a second factor has verified. Every error is JSON: `{"detail": "...", "errors": {field: [...]}}`.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django_ratelimit.core import is_ratelimited
from rest_framework import exceptions, serializers, status
from rest_framework.authentication import BaseAuthentication, SessionAuthentication, get_authorization_header
from rest_framework.decorators import action
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.schemas.openapi import AutoSchema
from rest_framework.views import APIView, exception_handler
from rest_framework.viewsets import GenericViewSet

from identity import tokens
from identity.forms import CODE_FAILED

from . import services
from .admin_forms import ACTIONS, LogRequestForm
from .explain import explain, regime_name
from .forms import PrivacyRequestForm
from .lifecycle import OPEN_STATUSES, Status
from .models import Kind, Message, Packet, PrivacyRequest
from .selectors import cases_for, deadlines_of, local_today

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
        response.data = {"detail": _("The request is not valid."), "errors": data}
    elif isinstance(data, list):
        response.data = {"detail": _("The request is not valid."), "errors": {"non_field_errors": data}}
    return response


def api_not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    return JsonResponse({"detail": _("No such API endpoint.")}, status=404)


# --- Serializers generated from forms --------------------------------------------------------------------------


def _drf_field(field: forms.Field, *, required: bool | None = None) -> serializers.Field | None:
    options: dict[str, Any] = {
        "required": field.required if required is None else required,
        "help_text": str(field.help_text) if field.help_text else None,
        "label": str(field.label) if field.label else None,
    }
    if isinstance(field, forms.FileField):
        return None  # files are uploaded on the web pages; the API carries JSON only
    if isinstance(field, forms.ModelChoiceField):
        return serializers.IntegerField(**options)
    if isinstance(field, forms.MultipleChoiceField):
        return serializers.ListField(child=serializers.CharField(max_length=100), **options)
    if isinstance(field, forms.ChoiceField):
        choices = [str(value) for value, _label in list(field.choices) if value != ""]  # type: ignore[arg-type]
        if choices:
            return serializers.ChoiceField(choices=choices, **options)
        return serializers.CharField(allow_blank=not options["required"], max_length=100, **options)
    if isinstance(field, forms.BooleanField):
        return serializers.BooleanField(**{**options, "required": False})
    if isinstance(field, forms.DecimalField):
        return serializers.DecimalField(
            max_digits=field.max_digits or 12, decimal_places=field.decimal_places or 2, **options
        )
    if isinstance(field, forms.DateField):
        return serializers.DateField(**options)
    if isinstance(field, forms.EmailField):
        return serializers.EmailField(allow_blank=not options["required"], max_length=254, **options)
    max_length = getattr(field, "max_length", None) or 10000
    return serializers.CharField(allow_blank=not options["required"], max_length=max_length, **options)


def serializer_for(
    form_class: type[forms.Form], name: str, *, exclude: frozenset[str] = frozenset(), optional: bool = False
) -> type[serializers.Serializer]:
    """A serializer with the form's fields, for the schema and for the types; the form keeps the rules."""
    fields: dict[str, Any] = {}
    for field_name, field in form_class.base_fields.items():
        if field_name in exclude:
            continue
        drf = _drf_field(field, required=False if optional else None)
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


class CaseDetailSerializer(CaseSerializer):
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
        return str(services.verification_tier(obj).value)

    def get_actions(self, obj: PrivacyRequest) -> list[str]:
        """What this caller may do to the case now (the case page shows the same)."""
        user = self.context["request"].user
        return [name for name, act in ACTIONS.items() if act.offered(obj, user)]


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


class PacketSerializer(serializers.ModelSerializer):
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


class CaseFilters(serializers.Serializer):
    """The list's query parameters; a bad value is a 400 naming it, never a 500."""

    queue = serializers.ChoiceField(choices=["open", "closed", "all"], default="open")
    status = serializers.ChoiceField(choices=Status.values, required=False)
    kind = serializers.ChoiceField(choices=Kind.values, required=False)
    regime = serializers.CharField(max_length=20, required=False)
    overdue = serializers.BooleanField(required=False, allow_null=True, default=None)
    due_before = serializers.DateField(required=False)
    assignee = serializers.RegexField(r"^(me|none|\d{1,10})$", required=False)
    repetitive = serializers.BooleanField(required=False, allow_null=True, default=None)
    processor_request = serializers.BooleanField(required=False, allow_null=True, default=None)
    q = serializers.CharField(max_length=254, required=False)


class DueOrder(CursorPagination):
    ordering = ("effective_due_at", "id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


# --- Staff endpoints ------------------------------------------------------------------------------------------


class CaseSchema(AutoSchema):
    """Request bodies and responses per operation (DRF's generator cannot see the form behind an action)."""

    NAMES = {"list": "listCases", "retrieve": "getCase", "create": "logCase", "packet": "getPacket",
             "build_packet": "buildPacket", "release_packet": "releasePacket", "check": "recordSystemCheck",
             "fee": "quoteFee"}  # fmt: skip

    def get_operation_id(self, path: str, method: str) -> str:
        action_name = self.view.action
        if action_name == "messages":
            return "sendMessage" if method == "POST" else "listMessages"
        if action_name in self.NAMES:
            return self.NAMES[action_name]
        head, *rest = action_name.split("_")
        return head + "".join(part.title() for part in rest) + "Case"

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
        if view.action == "messages":
            return MessageSerializer()
        if view.action == "packet":
            return PacketSerializer()
        if view.action in ("retrieve", "create"):
            return CaseDetailSerializer()
        return super().get_response_serializer(path, method)

    def get_responses(self, path: str, method: str) -> dict[str, Any]:
        responses: dict[str, Any] = super().get_responses(path, method)
        error = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        for code, words in (("400", "Invalid input"), ("401", "Not signed in"), ("403", "Not allowed"),
                            ("404", "Not found"), ("409", "Not possible in the case's status")):  # fmt: skip
            responses[code] = {**error, "description": words}
        return responses

    def get_components(self, path: str, method: str) -> dict[str, Any]:
        components: dict[str, Any] = super().get_components(path, method)
        components["Error"] = ERROR_SCHEMA
        return components


ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "detail": {"type": "string"},
        "errors": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
    },
    "required": ["detail"],
}

LogBody = serializer_for(LogRequestForm, "LogRequestBody")
ACTION_BODIES: dict[str, type[serializers.Serializer]] = {
    name: serializer_for(act.form, f"{name.title()}Body")
    for name, act in ACTIONS.items()
    if name not in ("packet", "release")
}


class CaseViewSet(GenericViewSet):
    """Cases: list (filters, cursor pagination, by due date), detail, log a request, and one POST per action."""

    lookup_field = "reference"
    lookup_value_regex = r"PR-\d{4}-\d{6}"
    serializer_class = CaseSerializer
    pagination_class = DueOrder
    schema = CaseSchema(tags=["cases"])
    authentication_classes = [TokenAuthentication, VerifiedSessionAuthentication]
    permission_classes = [IsCaseStaff]

    def get_queryset(self) -> Any:
        return cases_for(self.request.user).select_related("assignee")

    def filtered(self) -> Any:
        params = CaseFilters(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        f = params.validated_data
        cases = self.get_queryset()
        open_values = sorted(s.value for s in OPEN_STATUSES)
        if f["queue"] == "open":
            cases = cases.filter(status__in=open_values)
        elif f["queue"] == "closed":
            cases = cases.exclude(status__in=open_values)
        for key, lookup in (("status", "status"), ("kind", "kind"), ("regime", "governing_regime")):
            if f.get(key):
                cases = cases.filter(**{lookup: f[key]})
        today = local_today()
        if f.get("overdue") is not None:
            cases = (cases.filter if f["overdue"] else cases.exclude)(effective_due_at__lt=today)
        if f.get("due_before"):
            cases = cases.filter(effective_due_at__lt=f["due_before"])
        if f.get("assignee") == "me":
            cases = cases.filter(assignee=self.request.user)
        elif f.get("assignee") == "none":
            cases = cases.filter(assignee__isnull=True)
        elif f.get("assignee"):
            cases = cases.filter(assignee_id=int(f["assignee"]))
        for flag in ("repetitive", "processor_request"):
            if f.get(flag) is not None:
                cases = cases.filter(**{flag: f[flag]})
        if f.get("q"):
            term = f["q"].strip()
            cases = (
                cases.filter(reference=term.upper())
                if term.upper().startswith("PR-")
                else cases.filter(requester_email__iexact=term)
            )
        return cases

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
        act = ACTIONS[name]
        if not request.user.has_perm(act.permission):
            raise exceptions.PermissionDenied()
        body_class = ACTION_BODIES.get(name)
        data: dict[str, Any] = {}
        if body_class is not None:
            body = body_class(data=request.data)
            body.is_valid(raise_exception=True)
            data = as_form_data(body.validated_data)
        if not act.offered(case, request.user):
            return Response(
                {"detail": _("%(reference)s is %(status)s; that cannot be done now.")
                 % {"reference": case.reference, "status": case.get_status_display()}},
                status=status.HTTP_409_CONFLICT,
            )  # fmt: skip
        form = act.form(data=data, case=case, user=request.user)
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


def _action_endpoint(name: str) -> Any:
    def endpoint(self: CaseViewSet, request: Request, reference: str) -> Response:
        return self.act(request, name)

    endpoint.__name__ = name.replace("-", "_")
    endpoint.__doc__ = f"{ACTIONS[name].label}: the case page's “{ACTIONS[name].label}” action."
    return action(detail=True, methods=["post"], url_path=API_PATHS.get(name, name))(endpoint)


# The API's names for the case page's actions.
API_PATHS = {"fee": "quote-fee", "check": "system-check"}
for _name in ACTIONS:
    if _name not in ("message", "packet", "release"):
        setattr(CaseViewSet, _name.replace("-", "_"), _action_endpoint(_name))


# --- Public intake --------------------------------------------------------------------------------------------

PUBLIC_FIELDS_EXCLUDED = frozenset({"permission", "website"})
IntakeBody = type(
    "IntakeBody",
    (serializer_for(PrivacyRequestForm, "IntakeFields", exclude=PUBLIC_FIELDS_EXCLUDED, optional=True),),
    {"kind": serializers.ChoiceField(choices=Kind.values)},
)


class EmailCodeBody(serializers.Serializer):
    reference = serializers.RegexField(r"^PR-\d{4}-\d{6}$")
    code = serializers.CharField(max_length=20)


class IntakeResult(serializers.Serializer):
    reference = serializers.CharField()
    status = serializers.CharField()
    detail = serializers.CharField()


class PublicSchema(AutoSchema):
    def get_request_serializer(self, path: str, method: str) -> Any:
        return EmailCodeBody() if "verify" in path else IntakeBody()

    def get_response_serializer(self, path: str, method: str) -> Any:
        return IntakeResult()

    def get_responses(self, path: str, method: str) -> dict[str, Any]:
        responses: dict[str, Any] = super().get_responses(path, method)
        error = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        responses["400"] = {**error, "description": "Invalid input"}
        responses["429"] = {**error, "description": "Too many requests from this address"}
        return responses

    def get_components(self, path: str, method: str) -> dict[str, Any]:
        components: dict[str, Any] = super().get_components(path, method)
        components["Error"] = ERROR_SCHEMA
        return components


class PublicAPIView(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    def limited(self, request: Request, group: str, rate: str) -> None:
        if is_ratelimited(request._request, group=group, key="ip", rate=rate, method="POST", increment=True):
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
        from identity.services import ChallengeFailed, check_code

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


# --- Schema and docs ------------------------------------------------------------------------------------------


def openapi_schema(request: HttpRequest | None = None) -> dict[str, Any]:
    """The OpenAPI 3 document, from DRF's own generator over the API's URLs."""
    from rest_framework.schemas.openapi import SchemaGenerator

    from .api_urls import urlpatterns

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
    from django.shortcuts import render

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
