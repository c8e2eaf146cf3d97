"""Staff sign-in: password + TOTP for every admin page, and first-time enrolment (DESIGN §8).

A member of staff with no confirmed device signs in with the password alone only to reach the enrolment
page: scan a QR code, confirm with a first code, receive ten single-use backup codes shown once. Nothing
else in the admin opens until a device has verified the session.
"""

from __future__ import annotations

from typing import Any

import segno
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import get_user_model
from django.contrib.auth import login as auth_login
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp import devices_for_user
from django_otp import login as otp_login
from django_otp.admin import OTPAdminSite
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from privacyportal.ratelimit import over_limit

from . import tokens
from .models import ApiToken

BACKUP_CODES = 10
SESSION_BACKUP_CODES = "otp_backup_codes_once"


def has_confirmed_device(user: Any) -> bool:
    return any(True for _ in devices_for_user(user, confirmed=True))


class PortalAdminSite(OTPAdminSite):
    """django-otp's admin site, plus a way in for staff who have no device yet: the enrolment page."""

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        # Lockouts are per username; one address trying many usernames meets this limit.
        if request.method == "POST" and over_limit(request, "staff_login", settings.RATELIMIT_STAFF_LOGIN):
            return render(request, "requests/too_many.html", status=429)
        if request.method == "POST" and _without_device(request.POST.get("username", "")):
            # The password alone is checked here, and it opens only the enrolment page.
            form = AdminAuthenticationForm(request, data=request.POST)
            if form.is_valid():
                auth_login(request, form.get_user())
                return redirect("staff_enrol")
        return super().login(request, extra_context)


def _without_device(username: str) -> bool:
    user = get_user_model().objects.filter(username=username, is_active=True, is_staff=True).first()
    return user is not None and not has_confirmed_device(user)


class ConfirmDeviceForm(forms.Form):
    token = forms.RegexField(
        label=_("The 6-digit code your app shows"),
        regex=r"^\s*\d{6}\s*$",
        error_messages={"invalid": _("The code has 6 digits.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


@login_required(login_url="admin:login")
def enrol(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user.is_staff:
        raise Http404
    # The admin's own header, title and links on these two pages.
    # No app list or sidebar: nothing else opens before a device is confirmed.
    context: dict[str, Any] = {
        **admin.site.each_context(request),
        "available_apps": [],
        "is_nav_sidebar_enabled": False,
        "admin_url": reverse("admin:index"),
    }
    codes = request.session.pop(SESSION_BACKUP_CODES, None)
    if codes:
        return render(request, "identity/staff_backup_codes.html", {**context, "codes": codes})
    if has_confirmed_device(user):
        raise Http404  # a device can only be replaced by a DPO with `manage.py reset_otp`
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first() or TOTPDevice.objects.create(
        user=user, name="Authenticator app", confirmed=False
    )
    form = ConfirmDeviceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"].strip()):
            with transaction.atomic():
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                backup = StaticDevice.objects.create(user=user, name="Backup codes", confirmed=True)
                codes = [StaticToken.random_token() for _ in range(BACKUP_CODES)]
                for code in codes:
                    backup.token_set.create(token=code)
            otp_login(request, device)
            request.session[SESSION_BACKUP_CODES] = codes
            return redirect("staff_enrol")
        form.add_error(
            "token", _("That code does not match. Check the time on your phone and try the current code.")
        )
    qr = segno.make(device.config_url, micro=False).svg_inline(
        scale=5, title=str(_("QR code for your authenticator app"))
    )
    return render(
        request,
        "identity/staff_enrol.html",
        {**context, "form": form, "qr": qr, "secret": device.config_url.split("secret=")[1].split("&")[0]},
        status=400 if form.errors else 200,
    )


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("What will use it"), max_length=100, help_text=_("E.g. “Zoho CRM sync”. Only you see it.")
    )
    days = forms.TypedChoiceField(
        label=_("Valid for"),
        coerce=int,
        choices=[(days, _("%(days)d days") % {"days": days}) for days in tokens.LIFETIMES],
        initial=90,
    )


def api_tokens(request: HttpRequest) -> HttpResponse:
    """A member of staff's own API tokens: create one (shown once), see when each was last used, revoke."""
    user: Any = request.user
    if not user.has_perm("requests.view_privacyrequest"):
        raise Http404
    form = TokenForm(request.POST if "create" in request.POST else None)
    new_token = None
    if request.method == "POST":
        if "revoke" in request.POST:
            revoke = request.POST.get("revoke", "")
            valid = (
                revoke.isascii() and revoke.isdigit() and len(revoke) <= 18
            )  # "²" is a digit; 30 digits overflow
            token = ApiToken.objects.filter(user=user, pk=int(revoke)).first() if valid else None
            if token is not None:
                tokens.revoke(token)
                messages.success(request, _("Token “%(name)s” revoked.") % {"name": token.name})
            return redirect("api_tokens")
        if form.is_valid():
            _token, new_token = tokens.create_token(
                user, name=form.cleaned_data["name"], days=form.cleaned_data["days"]
            )
            # Shown in this response only: the plaintext never reaches the session store or the database.
            form = TokenForm()
    response = render(
        request,
        "identity/api_tokens.html",
        {
            **admin.site.each_context(request),
            "title": _("Your API tokens"),
            "form": form,
            "tokens": ApiToken.objects.filter(user=user),
            "new_token": new_token,
            "now": timezone.now(),
        },
        status=400 if form.errors else 200,
    )
    response["Cache-Control"] = "no-store"  # a page with a fresh token is never kept by a cache
    return response
