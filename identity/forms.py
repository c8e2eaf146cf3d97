from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class CodeForm(forms.Form):
    label_suffix = ""
    code = forms.RegexField(
        label=_("6-digit code from the email"),
        regex=r"^\s*\d{6}\s*$",
        error_messages={"invalid": _("The code has 6 digits.")},
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "maxlength": 8}
        ),
    )


class SignInForm(forms.Form):
    label_suffix = ""
    email = forms.EmailField(
        label=_("The email address you used for your request"),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
