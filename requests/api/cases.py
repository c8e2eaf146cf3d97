"""The staff endpoints: the case list and detail, logging a request, and one POST per action (DESIGN §10)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.viewsets import GenericViewSet

from requests import services
from requests.admin.forms import ACTIONS, LogRequestForm
from requests.api.auth import IsCaseStaff, TokenAuthentication, VerifiedSessionAuthentication
from requests.api.fields import as_form_data, invalid
from requests.api.schema import ACTION_BODIES, REFERENCE_PATTERN, CaseSchema, LogBody
from requests.api.serializers import (
    PAGE_PARAMETERS,
    CaseDetailSerializer,
    CaseFilters,
    CaseSearch,
    CaseSerializer,
    DueOrder,
    MessageSerializer,
    PacketSerializer,
)
from requests.models import Message, Packet, PrivacyRequest
from requests.selectors import QueueFilters, cases_for, queue


class CaseViewSet(GenericViewSet):
    """Cases: list (filters, cursor pagination, by due date), detail, log a request, and one POST per action."""

    lookup_field = "reference"
    lookup_value_regex = REFERENCE_PATTERN
    serializer_class = CaseSerializer
    pagination_class = DueOrder
    schema = CaseSchema(tags=["cases"])
    authentication_classes = [TokenAuthentication, VerifiedSessionAuthentication]
    permission_classes = [IsCaseStaff]

    def get_queryset(self) -> Any:
        return cases_for(self.request.user).select_related("assignee")

    def filtered(self, criteria: dict[str, Any], search: str = "") -> Any:
        filters = QueueFilters(
            queue=criteria["queue"],
            status=criteria.get("status"),
            kind=criteria.get("kind"),
            regime=criteria.get("regime"),
            overdue=criteria.get("overdue"),
            due_before=criteria.get("due_before"),
            assignee=criteria.get("assignee"),
            repetitive=criteria.get("repetitive"),
            processor_request=criteria.get("processor_request"),
            search=search,
        )
        return queue(self.request.user, filters).select_related("assignee")

    def query(self, names: tuple[str, ...] | None = None) -> dict[str, Any]:
        """The query string's parameters, checked: only `names` (the list's filters if None), each once.

        A parameter we do not read is refused rather than ignored: the `next` link repeats the query string, so an
        address put there by mistake (a search term, above all) would travel on to every page's request.
        """
        given = self.request.query_params
        # DRF's own `format` (json, the only one) is read by DRF, before this view.
        allowed = {*(CaseFilters().fields if names is None else names), "format"}
        errors: dict[str, list[str]] = {}
        for name in given:
            if name == "q":
                errors[name] = [
                    _("Search with POST /api/v1/search/cases/ and the term in the body, not in the URL.")
                ]
            elif name not in allowed:
                errors[name] = [_("Not a parameter of this endpoint.")]
            elif len(given.getlist(name)) > 1:
                errors[name] = [_("Given more than once.")]
        if errors:
            raise exceptions.ValidationError(errors)
        # A plain dict: DRF would read a QueryDict as a web form, skipping a blank `due_before=` unchecked.
        params = CaseFilters(data=given.dict())
        params.is_valid(raise_exception=True)
        return dict(params.validated_data)

    def page_of(self, cases: Any) -> Response:
        page = self.paginate_queryset(cases)
        return self.get_paginated_response(CaseSerializer(page, many=True).data)

    def list(self, request: Request) -> Response:
        return self.page_of(self.filtered(self.query()))

    # Routed at /search/cases/ (urls.py), not under /cases/: a client matching paths to templates would read
    # /cases/search/ as the case whose reference is "search" (schemathesis did, from the `next` link).
    def search(self, request: Request) -> Response:
        """Search the queue: the term (a reference, an email address, a name, words from what was asked) and the
        list's filters in the JSON body, never in the URL; `page_size` and `cursor` in the query string. For the
        next page, POST the same body to the `next` link."""
        self.query(PAGE_PARAMETERS)
        body = CaseSearch(data=request.data)
        body.is_valid(raise_exception=True)
        return self.page_of(self.filtered(body.validated_data, search=body.validated_data["q"]))

    def retrieve(self, request: Request, reference: str) -> Response:
        return Response(self.detail_of(self.get_object()))

    def detail_of(self, privacy_request: PrivacyRequest) -> dict[str, Any]:
        privacy_request = PrivacyRequest.objects.select_related("assignee").get(pk=privacy_request.pk)
        return dict(CaseDetailSerializer(privacy_request, context={"request": self.request}).data)

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
            privacy_request = services.submit(form.new_request(), by=request.user)
        except DjangoValidationError as error:
            raise exceptions.ValidationError(
                error.message_dict if hasattr(error, "error_dict") else error.messages
            ) from None
        return Response(self.detail_of(privacy_request), status=status.HTTP_201_CREATED)

    def act(self, request: Request, name: str) -> Response:
        """Carry out one case action, exactly as the case page would."""
        privacy_request = self.get_object()
        now = services.availability(privacy_request, request.user, name)
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
        form = ACTIONS[name].form(data=data, privacy_request=privacy_request, user=request.user)
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
        return Response({"message": done, "case": self.detail_of(privacy_request)})

    @action(detail=True, methods=["get", "post"])
    def messages(self, request: Request, reference: str) -> Response:
        """The thread with the requester; POST writes to them (they are emailed that a message is waiting)."""
        if request.method == "POST":
            return self.act(request, "message")
        thread = Message.objects.filter(privacy_request=self.get_object()).select_related(
            "author", "attachment"
        )
        return Response(MessageSerializer(thread, many=True).data)

    @action(detail=True, methods=["get"])
    def packet(self, request: Request, reference: str) -> Response:
        """The fulfilment packet's state: progress while it builds, files and expiry once built."""
        found = Packet.objects.filter(privacy_request=self.get_object()).first()
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
    def compare(self, request: Request, reference: str) -> Response:
        """Compare details with our systems: the case page's “Compare details with our systems” action."""
        return self.act(request, "compare")

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
    def decide(self, request: Request, reference: str) -> Response:
        """Decide: the case page's “Decide” action (an appeal granted or refused, a complaint upheld or not)."""
        return self.act(request, "decide")

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

    @action(detail=True, methods=["post"], url_path="appeal")
    def log_appeal(self, request: Request, reference: str) -> Response:
        """Log an appeal against this case's answer that came by email, post or phone (a new case follows it)."""
        return self.act(request, "log_appeal")

    @action(detail=True, methods=["post"], url_path="complaint")
    def log_complaint(self, request: Request, reference: str) -> Response:
        """Log a complaint about how this case was handled that came by email, post or phone (a new case follows it)."""
        return self.act(request, "log_complaint")

    @action(detail=True, methods=["post"], url_path="system-check")
    def check(self, request: Request, reference: str) -> Response:
        """Systems checklist: the case page's “Systems checklist” action."""
        return self.act(request, "check")

    @action(detail=True, methods=["post"], url_path="owner-tasks")
    def owner_tasks(self, request: Request, reference: str) -> Response:
        """Send tasks to system owners: the case page's “Send tasks to system owners” action."""
        return self.act(request, "owner_tasks")

    @action(detail=True, methods=["post"])
    def connectors(self, request: Request, reference: str) -> Response:
        """Run connectors now: the case page's “Run connectors now” action."""
        return self.act(request, "connectors")

    @action(detail=True, methods=["post"], url_path="lift-restriction")
    def lift(self, request: Request, reference: str) -> Response:
        """Lift a restriction, telling the requester first and why (Art. 18(3))."""
        return self.act(request, "lift")

    @action(detail=True, methods=["post"], url_path="recipient-notice")
    def recipients(self, request: Request, reference: str) -> Response:
        """Record a recipient told of an erasure, correction or restriction, or not told and why (Art. 19)."""
        return self.act(request, "recipients")
