from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _


class PlainForm(forms.Form):
    """Public forms: labels without Django's trailing colon (our labels are sentences or questions)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class CodeForm(PlainForm):
    code = forms.RegexField(
        label=_("6-digit code from the email"),
        regex=r"^\s*\d{6}\s*$",
        error_messages={"invalid": _("The code has 6 digits.")},
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "maxlength": 8}
        ),
    )


class SignInForm(PlainForm):
    email = forms.EmailField(
        label=_("The email address you used for your request"),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


CODE_FAILED = _(
    "That code is not right, has been used, or has expired. Check the latest email, or ask for a new code."
)
