"""Public intake: the web form's fields as JSON, and confirming the email with its code."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import RegexValidator
from django.utils.translation import gettext as _
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from identity.forms import CODE_FAILED
from identity.services import ChallengeFailed, check_code
from privacyportal.ratelimit import over_limit
from requests import services
from requests.api.fields import (
    NOT_BLANK,
    StrictCharField,
    StrictChoiceField,
    as_form_data,
    choice_values,
    invalid,
    serializer_for,
)
from requests.api.schema import PortalSchema, _error_responses
from requests.forms import DATA_POINTS, DECLARATION, KIND_SPECIFIC, PrivacyRequestForm
from requests.lifecycle import Status
from requests.models import RIGHTS, Kind, PrivacyRequest

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
    # Appeals and complaints are made from the status page of the case they follow, not as new requests.
    {"kind": StrictChoiceField(choices=[kind.value for kind in RIGHTS])},
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

    The requester is emailed a 6-digit code to confirm the address; POST it to /api/v1/public/verify/. A request
    that needs no proof (opt-out, limit, marketing objection) is sent no code: `detail` says so.
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
        privacy_request = services.submit(form.to_new_request(channel="api"))  # its own transaction
        # A request that needs no proof (an opt-out, a limit, a marketing objection) is sent no code: say what is true.
        detail = (
            _("We have emailed a 6-digit code to confirm the address.")
            if privacy_request.status == Status.NEW
            else _("We have recorded your request; it needs no code. We have emailed you its reference.")
        )
        return Response(
            {"reference": privacy_request.reference, "status": privacy_request.status, "detail": detail},
            status=status.HTTP_201_CREATED,
        )


class VerifyView(PublicAPIView):
    """Confirm the requester's email address with the emailed code."""

    schema = PublicSchema(tags=["public"], operation_id_base="PublicVerification")

    def post(self, request: Request) -> Response:

        self.limited(request, "verify", settings.RATELIMIT_VERIFY)
        body = EmailCodeBody(data=request.data)
        body.is_valid(raise_exception=True)
        privacy_request = PrivacyRequest.objects.filter(reference=body.validated_data["reference"]).first()
        try:
            if privacy_request is None:
                raise ChallengeFailed
            privacy_request = check_code(privacy_request, body.validated_data["code"])
        except ChallengeFailed:
            # The same answer for an unknown reference and a wrong code: the API reveals nothing.
            return Response({"detail": str(CODE_FAILED), "errors": {"code": [str(CODE_FAILED)]}}, status=400)
        return Response({"reference": privacy_request.reference, "status": privacy_request.status,
                         "detail": _("Thank you: your email address is confirmed.")})  # fmt: skip
