"""What the API answers with: cases, events, messages, packets; the list's filters and its cursor pagination."""

from __future__ import annotations

import binascii
import re
from base64 import b64decode, b64encode
from datetime import date
from typing import Any

from django.core.validators import RegexValidator
from django.db.models import Q
from django.utils.translation import gettext as _
from rest_framework import exceptions, serializers
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.utils.urls import replace_query_param

from requests import selectors, services
from requests.api.fields import (
    StrictBooleanField,
    StrictCharField,
    StrictChoiceField,
    StrictDateField,
)
from requests.deadlines import REGIMES
from requests.explain import explain, regime_name
from requests.lifecycle import Status
from requests.models import Kind, Message, Packet, PrivacyRequest
from requests.selectors import DEFAULT_QUEUE, MIN_TEXT_SEARCH, deadlines_of, local_today

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
    # What the case follows (an appeal's or complaint's request, a reopened request's appeal) and what follows it.
    original = serializers.CharField(
        source="original.reference", default=None, allow_null=True, read_only=True
    )
    follow_ups = serializers.SerializerMethodField()

    class Meta(CaseSerializer.Meta):
        fields = [
            *CaseSerializer.Meta.fields,
            "requester_name", "requester_email", "relationship", "subject_name", "subject_email", "subject_answer",
            "country", "subdivision", "language", "details", "rectification_current", "rectification_wanted",
            "objection_grounds", "marketing_only", "period", "period_since", "customer_name", "data_points", "regimes",
            "acknowledge_by", "paused_days", "extension_reason", "fee_amount", "fee_currency", "fee_reason",
            "fee_breakdown", "fee_accepted", "outcome", "denial_reason", "outcome_note", "forwarded_to",
            "closed_at", "due_sentence", "tier", "actions", "timeline", "original", "follow_ups",
        ]  # fmt: skip
        read_only_fields = fields

    def get_due_sentence(self, obj: PrivacyRequest) -> str:
        return str(explain(deadlines_of(obj)))

    def get_tier(self, obj: PrivacyRequest) -> str:
        return str(selectors.verification_tier(obj).value)

    def get_follow_ups(self, obj: PrivacyRequest) -> list[str]:
        """The references of the appeals, complaints and reopened requests that follow this case, oldest first."""
        return list(obj.follow_ups.order_by("received_at", "pk").values_list("reference", flat=True))

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
    """The list's query parameters; a bad value is a 400 naming it, never a 500 nor silently ignored.

    No search term: a URL's query string is kept by proxies, browsers and the logs of whatever sits in between,
    and a search term is an email address or a name. The search is `POST /search/cases/` (CaseSearch).
    """

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
    page_size = QueryIntegerField(min_value=1, max_value=200, required=False, help_text="Cases per page")
    cursor = serializers.CharField(
        required=False,
        allow_blank=True,
        validators=[RegexValidator(r"^[^\x00]*$")],
        help_text="From the `next` link; an unknown one is a 404",
    )


# What the search's query string may hold: its pages, never its criteria.
PAGE_PARAMETERS = ("page_size", "cursor")


class CaseSearch(serializers.Serializer):
    """`POST /search/cases/`'s body: a search term and the list's filters, as JSON. The page size and the
    cursor stay in the query string, so that the `next` link is the next page: POST the same body to it."""

    q = StrictCharField(
        min_length=1,
        max_length=254,
        validators=[RegexValidator(r"^[^\x00]*$")],  # documents DRF's refusal of NUL characters
        help_text=(
            "A reference (PR-2026-000123), an email address (exact, normalised), or part of a name or of what was "
            "asked (3 letters or more)"
        ),
    )
    queue = StrictChoiceField(choices=["open", "closed", "all"], default=DEFAULT_QUEUE)
    status = StrictChoiceField(choices=Status.values, required=False)
    kind = StrictChoiceField(choices=Kind.values, required=False)
    regime = StrictChoiceField(choices=sorted(REGIMES), required=False)
    overdue = StrictBooleanField(required=False, allow_null=True, default=None)
    due_before = StrictDateField(required=False)
    assignee = StrictCharField(
        required=False,
        validators=[RegexValidator(r"^(me|none|[0-9]{1,10})$")],
        help_text="me, none or a user id",
    )
    repetitive = StrictBooleanField(required=False, allow_null=True, default=None)
    processor_request = StrictBooleanField(required=False, allow_null=True, default=None)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # A misspelt filter would widen the search without a word: refused, like the list's unknown parameters.
        unknown = sorted(set(self.initial_data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError({name: [_("Not a field of this body.")] for name in unknown})
        return attrs

    def validate_q(self, value: str) -> str:
        if not selectors.searchable(value):
            raise serializers.ValidationError(
                _(
                    "A reference, an email address, or at least %(count)d letters of a name or of what was asked."
                )
                % {"count": MIN_TEXT_SEARCH}
            )
        return value


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

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "object",
            "required": ["results"],
            "properties": {
                "next": {
                    "type": "string",
                    "nullable": True,
                    "format": "uri",
                    "description": "The next page (null on the last): GET it, or for a search POST the same body to it",
                    "example": "https://portal.example.org/api/v1/cases/?cursor=MjAyNi0xMi0wNHwxMjM%3D",
                },
                "previous": {
                    "type": "string",
                    "nullable": True,
                    "format": "uri",
                    "description": "Always null: pages go forward only",
                },
                "results": schema,
            },
        }
