"""The DPO's side of staff enrolment: send a member of staff a one-time link to set up two-factor sign-in."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _

from . import enrolment as enrolments
from .models import StaffEnrolment


class SendEnrolmentForm(forms.ModelForm[StaffEnrolment]):
    user = forms.ModelChoiceField(
        label=_("Member of staff"),
        queryset=get_user_model().objects.filter(is_active=True, is_staff=True).order_by("username"),
        help_text=_(
            "They receive an email with a link that works once, for a limited time. With it and their password "
            "they set up an authenticator app; a new app replaces any earlier one (a lost phone)."
        ),
    )

    class Meta:
        model = StaffEnrolment
        fields = ["user"]

    def clean_user(self) -> Any:
        user = self.cleaned_data["user"]
        if not user.email:
            raise ValidationError(_("This account has no email address. Add one first."))
        return user


@admin.register(StaffEnrolment)
class StaffEnrolmentAdmin(admin.ModelAdmin[StaffEnrolment]):
    form = SendEnrolmentForm
    list_display = ["user", "created_by", "created_at", "expires_at", "used_at"]
    list_select_related = ["user", "created_by"]
    list_filter = [("used_at", admin.EmptyFieldListFilter)]
    search_fields = ["user__username"]
    date_hierarchy = "created_at"

    def save_model(self, request: HttpRequest, obj: StaffEnrolment, form: Any, change: bool) -> None:
        # The row is made by the service together with its secret; the form only names the person.
        user = form.cleaned_data["user"]
        try:
            sent = enrolments.send(user, by=request.user)
        except enrolments.NotSent:
            retired = StaffEnrolment.objects.filter(user=user).first()
            obj.pk = retired.pk if retired else None
            request._enrolment_not_sent = True  # type: ignore[attr-defined]
            messages.error(
                request,
                _(
                    "The mail server would not take the email to %(username)s, so no link was sent (the one made "
                    "was retired). Check the address and the mail settings and try again, or run "
                    "`manage.py reset_otp %(username)s`."
                )
                % {"username": user},
            )
            return
        obj.pk, obj.user = sent.pk, sent.user
        messages.info(request, _("The enrolment link was emailed to %(username)s.") % {"username": sent.user})

    def response_add(self, request: HttpRequest, obj: StaffEnrolment, post_url_continue: Any = None) -> Any:
        if getattr(request, "_enrolment_not_sent", False):
            return redirect("admin:identity_staffenrolment_add")  # the error says what happened; no "added"
        return super().response_add(request, obj, post_url_continue)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a record of links sent; a link is never edited

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
