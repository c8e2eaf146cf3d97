"""Request bodies from forms: strict DRF fields, a serializer generated from each form, form errors as JSON."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext as _
from rest_framework import serializers, status
from rest_framework.response import Response

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
