from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from privacyportal.uploads import check_upload


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


class EvidenceField(forms.FileField):
    """A file a requester sends: cleaned into a checked, neutralised copy (`privacyportal.uploads.check_upload`)."""

    ACCEPT = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.ClearableFileInput(attrs={"accept": self.ACCEPT}))
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:

        upload = super().clean(data, initial)
        return check_upload(upload) if upload else None
