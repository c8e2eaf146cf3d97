"""Staff sign-in: username, password and code on one screen, and enrolment by a one-time link (DESIGN §8).

Any wrong part gets one answer, and the work is the same whichever part was wrong (one password hash, the same
device queries, one code check), so neither the page nor its timing tells an attacker which part was right or
whether the account has a device. A password alone opens nothing: a first device (or a replacement) is set up
only through a link a DPO sent or `manage.py reset_otp` printed, plus the password, plus a first code.
"""

from __future__ import annotations

from typing import Any

import segno
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import authenticate
from django.contrib.auth import login as auth_login
from django.contrib.auth.signals import user_login_failed
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp import login as otp_login
from django_otp.admin import OTPAdminSite
from django_otp.models import Device
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from privacyportal.ratelimit import over_limit

from . import enrolment as enrolments
from . import tokens
from .models import ApiToken

SESSION_BACKUP_CODES = "otp_backup_codes_once"
SESSION_ENROLMENT = "staff_enrolment"
# After the password: {"enrolment": pk, "device": pk of the device whose secret this session was shown, "at": ts}.
SESSION_ENROLMENT_CHECKED = "staff_enrolment_checked"
# The QR code must be confirmed this soon after the password, or the password is asked again: a half-finished
# enrolment left open on a shared computer must not let the next person confirm a device and sign in.
ENROLMENT_STEP_MINUTES = 10
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
# A throwaway key: a sign-in for a name with no device checks the code against it, so it costs the same.
_NO_DEVICE = TOTP(b"\0" * 20)


def match_code(user: Any, code: str) -> Device | None:
    """The user's confirmed device that accepts this code, with the same queries and checks when there is none."""
    user_id = user.pk if user is not None else 0  # no account has pk 0
    totps = list(TOTPDevice.objects.filter(user_id=user_id, confirmed=True))
    statics = list(StaticDevice.objects.filter(user_id=user_id, confirmed=True))
    if not totps:
        _NO_DEVICE.verify(int(code) if code.isascii() and code.isdigit() else 0, tolerance=1)
    if not statics:
        StaticToken.objects.filter(device_id=0, token=code).exists()
    for device in [*totps, *statics]:
        if device.verify_is_allowed()[0] and device.verify_token(code):
            return device
    return None


class CodeInput(forms.TextInput):
    def format_value(self, value: Any) -> None:
        return None  # a code is never typed back into the page, right or wrong


class StaffSignInForm(AdminAuthenticationForm):
    """Username, password and the code from the authenticator app (or a backup code) together."""

    otp_token = forms.CharField(
        label=_("Code"),
        max_length=16,
        help_text=_("The 6-digit code your authenticator app shows, or one of your backup codes."),
        widget=CodeInput(attrs={"autocomplete": "one-time-code", "spellcheck": "false"}),
    )
    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "invalid_login": _(
            "Those details are not right. Check your username, password and code, and try again. "
            "Without a working authenticator app or backup code, ask your DPO for a new enrolment link."
        ),
    }

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        code = "".join((self.cleaned_data.get("otp_token") or "").split())
        if username is None or password is None or not code:
            return self.cleaned_data  # the missing field says so
        # One password check (Django hashes a dummy for an unknown name), then one code check either way.
        user = authenticate(self.request, username=username, password=password)
        device = match_code(user, code)
        if user is None or device is None or not user.is_staff:
            if user is not None:
                # The password was right but the rest was not: it counts towards the lockout all the same.
                user_login_failed.send(
                    sender=__name__, credentials={"username": username}, request=self.request
                )
            raise self.get_invalid_login_error()
        user.otp_device = device  # type: ignore[attr-defined]  # django-otp marks the session verified by this device at login
        self.user_cache = user
        return self.cleaned_data


class PortalAdminSite(OTPAdminSite):
    """django-otp's admin site (every page needs a verified device) with a one-screen sign-in."""

    login_form = StaffSignInForm
    login_template = "identity/staff_login.html"
    site_header = "Privacy Portal"
    site_title = "Privacy Portal staff"
    index_title = "Privacy requests"
    # The app list in a side column takes a quarter of a 1280 px screen from the queue; the index page lists apps.
    enable_nav_sidebar = False

    def __init__(self, name: str = "admin") -> None:
        # Django makes the default site with no name; django-otp's would be "otpadmin", moving every `admin:` URL.
        super().__init__(name)

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        # Lockouts are per username; one address trying many usernames meets this limit.
        if request.method == "POST" and over_limit(request, "staff_login", settings.RATELIMIT_STAFF_LOGIN):
            return render(request, "requests/too_many.html", status=429)
        response: HttpResponse = super().login(request, extra_context)
        return response


class ConfirmDeviceForm(forms.Form):
    token = forms.RegexField(
        label=_("The 6-digit code your app shows"),
        regex=r"^\s*\d{6}\s*$",
        error_messages={"invalid": _("The code has 6 digits.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


class EnrolPasswordForm(forms.Form):
    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


def _admin_context(request: HttpRequest) -> dict[str, Any]:
    # The admin's own header, title and links; no app list or sidebar: nothing opens before a device is confirmed.
    return {
        **admin.site.each_context(request),
        "available_apps": [],
        "is_nav_sidebar_enabled": False,
        "admin_url": reverse("admin:index"),
    }


def _private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"  # a TOTP secret or backup codes are never kept by a cache or Back
    return response


def enrol_link(request: HttpRequest, token: str) -> HttpResponse:
    """The link from the email: remember it in the session and move on, so the token leaves the address bar."""
    enrolment = enrolments.find(token)
    if enrolment is None:
        return _private(
            render(request, "identity/staff_enrol_expired.html", _admin_context(request), status=404)
        )
    request.session.cycle_key()  # a session planted before the link was opened learns nothing from it
    request.session[SESSION_ENROLMENT] = enrolment.pk
    request.session.pop(SESSION_ENROLMENT_CHECKED, None)
    return _private(redirect("staff_enrol"))


def enrol(request: HttpRequest) -> HttpResponse:
    return _private(_enrol(request))


def _checked_device(request: HttpRequest, enrolment: Any) -> TOTPDevice | None:
    """The unconfirmed device this session was shown, if the password was checked for this link minutes ago."""
    checked = request.session.get(SESSION_ENROLMENT_CHECKED)
    if not isinstance(checked, dict) or checked.get("enrolment") != enrolment.pk:
        return None
    if timezone.now().timestamp() - float(checked.get("at", 0)) > ENROLMENT_STEP_MINUTES * 60:
        request.session.pop(SESSION_ENROLMENT_CHECKED, None)
        return None
    return TOTPDevice.objects.filter(pk=checked.get("device"), user=enrolment.user, confirmed=False).first()


def _enrol(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator: the password first, then the QR code and a first code; backup codes once."""
    context = _admin_context(request)
    codes = request.session.pop(SESSION_BACKUP_CODES, None)
    if codes and request.user.is_authenticated:
        return render(request, "identity/staff_backup_codes.html", {**context, "codes": codes})
    enrolment = enrolments.get(request.session.get(SESSION_ENROLMENT))
    if enrolment is None:
        return render(request, "identity/staff_enrol_expired.html", context, status=404)
    user = enrolment.user
    context["enrol_username"] = user.username

    device = _checked_device(request, enrolment)
    if device is None:
        # Whoever holds the link must also know the password before any secret is shown.
        password_form = EnrolPasswordForm(request.POST if "password" in request.POST else None)
        if request.method == "POST" and password_form.is_bound:
            if over_limit(request, "staff_login", settings.RATELIMIT_STAFF_LOGIN):
                return render(request, "requests/too_many.html", status=429)
            if password_form.is_valid():
                password = password_form.cleaned_data["password"]
                if authenticate(request, username=user.username, password=password) is not None:
                    device = enrolments.new_device(enrolment)
                    request.session.cycle_key()
                    request.session[SESSION_ENROLMENT_CHECKED] = {
                        "enrolment": enrolment.pk,
                        "device": device.pk,
                        "at": timezone.now().timestamp(),
                    }
                    return redirect("staff_enrol")
                password_form.add_error("password", _("That password is not right."))
        elif request.method == "POST":
            messages.warning(
                request,
                _("More than %(minutes)d minutes passed since you entered your password: enter it again.")
                % {"minutes": ENROLMENT_STEP_MINUTES},
            )
        return render(
            request,
            "identity/staff_enrol_password.html",
            {**context, "form": password_form},
            status=400 if password_form.errors else 200,
        )

    form = ConfirmDeviceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"].strip()):
            codes = enrolments.complete(enrolment, device)
            if codes is None:
                return render(request, "identity/staff_enrol_expired.html", context, status=404)
            auth_login(request, user, backend=MODEL_BACKEND)
            otp_login(request, device)
            request.session.pop(SESSION_ENROLMENT, None)
            request.session.pop(SESSION_ENROLMENT_CHECKED, None)
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
