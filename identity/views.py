"""Proving control of the email: the code typed on the page, or the one-click link."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django_otp.decorators import otp_required

from privacyportal import outbox
from requests.admin.views import case_for_files
from requests.downloads import attachment
from requests.explain import explain
from requests.lifecycle import Status
from requests.models import PrivacyRequest
from requests.selectors import deadlines_of
from requests.services import TransitionError
from requests.views import SESSION_CASE, rate_limited, session_case, too_many

from . import services
from .forms import CODE_FAILED as FAILED
from .forms import CodeForm
from .models import Evidence
from .tasks import send_verification_email


def verify_code(request: HttpRequest) -> HttpResponse:
    privacy_request = session_case(request)
    if privacy_request is None:
        return redirect("submitted")
    form = CodeForm(request.POST or None)
    if request.method == "POST":
        if rate_limited(request, "verify", settings.RATELIMIT_VERIFY):
            return too_many(request)
        if form.is_valid():
            try:
                privacy_request = services.check_code(privacy_request, form.cleaned_data["code"])
            except (services.ChallengeFailed, TransitionError):
                form.add_error("code", FAILED)
            else:
                return redirect("verified")
    if privacy_request.status != Status.NEW:
        return redirect("verified")
    return render(
        request,
        "identity/verify_code.html",
        {"form": form, "privacy_request": privacy_request},
        status=400 if form.errors else 200,
    )


def resend(request: HttpRequest) -> HttpResponse:
    privacy_request = session_case(request)
    if request.method != "POST" or privacy_request is None:
        return redirect("submitted")
    if rate_limited(request, "resend", settings.RATELIMIT_RESEND):
        return too_many(request)
    if privacy_request.status == Status.NEW:
        outbox.send_now(send_verification_email, privacy_request.pk)
    return render(
        request,
        "identity/verify_code.html",
        {"form": CodeForm(), "privacy_request": privacy_request, "resent": True},
    )


# The links' tokens, as their HMACs (never the tokens themselves), between the emailed link and the button; by a
# handle of no value elsewhere, so two links opened in one browser (two cases) each confirm their own case.
SESSION_LINKS = "verify_links"
LINKS_KEPT = 10


def verify_link(request: HttpRequest, token: str) -> HttpResponse:
    """The emailed link: the token leaves the URL at once, so no log or browser history keeps it (issue 15).

    GET keeps the token's HMAC in the session and redirects to /verify/link/?link=<handle>, which asks for the
    click. POST still confirms here: a page opened from this URL before the change posts to it.
    """
    if request.method != "POST":
        links = dict(list(request.session.get(SESSION_LINKS, {}).items())[-(LINKS_KEPT - 1) :])
        handle = secrets.token_urlsafe(6)
        links[handle] = services.link_key(token)
        request.session[SESSION_LINKS] = links
        return redirect(f"{reverse('verify_link_confirm')}?link={handle}")
    return _confirm_link(request, services.link_key(token))


def verify_link_confirm(request: HttpRequest) -> HttpResponse:
    # GET only shows a button: mail scanners that open links must not use up the code.
    handle = request.GET.get("link", "")
    key = request.session.get(SESSION_LINKS, {}).get(handle)
    if not key:
        return render(request, "identity/verify_link.html", {"failed": FAILED}, status=400)
    if request.method != "POST":
        return render(request, "identity/verify_link.html")
    response = _confirm_link(request, key)
    if response.status_code == 302:
        links = request.session.get(SESSION_LINKS, {})
        links.pop(handle, None)
        request.session[SESSION_LINKS] = links
    return response


def _confirm_link(request: HttpRequest, key: str) -> HttpResponse:
    if rate_limited(request, "verify", settings.RATELIMIT_VERIFY):
        return too_many(request)
    try:
        privacy_request = services.check_link(key)
    except (services.ChallengeFailed, TransitionError):
        return render(request, "identity/verify_link.html", {"failed": FAILED}, status=400)
    request.session[SESSION_CASE] = privacy_request.pk
    return redirect("verified")


def verified(request: HttpRequest) -> HttpResponse:
    privacy_request: PrivacyRequest | None = session_case(request)
    if privacy_request is None or privacy_request.status == Status.NEW:
        return redirect("submitted")
    return render(
        request,
        "identity/verified.html",
        {"privacy_request": privacy_request, "due_sentence": explain(deadlines_of(privacy_request))},
    )


@otp_required(login_url="admin:login")
def evidence_download(request: HttpRequest, pk: int) -> HttpResponse:
    """Decrypt a file for staff who may open its case, always as a download, never rendered in the browser."""

    if not request.user.is_staff:
        raise Http404
    item = Evidence.objects.filter(pk=pk, purged_at__isnull=True).first()
    case_for_files(request, item.privacy_request_id if item else None)
    assert item is not None  # noqa: S101 (case_for_files raised otherwise)
    return attachment(
        services.read_evidence(item, by=request.user), filename=item.name, content_type=item.content_type
    )


def confirm_agent(request: HttpRequest, token: str) -> HttpResponse:
    """The person an agent acts for says yes or no. GET only shows the question (mail scanners)."""
    try:
        privacy_request = services.subject_challenge(token).privacy_request
    except services.ChallengeFailed:
        return render(request, "identity/confirm_agent.html", {"failed": FAILED}, status=400)
    if request.method == "POST":
        if rate_limited(request, "verify", settings.RATELIMIT_VERIFY):
            return too_many(request)
        answer = request.POST.get("answer")
        if answer in ("yes", "no"):
            try:
                privacy_request = services.answer_subject_challenge(token, confirmed=answer == "yes")
            except (services.ChallengeFailed, TransitionError):
                return render(request, "identity/confirm_agent.html", {"failed": FAILED}, status=400)
            return render(
                request,
                "identity/confirm_agent.html",
                {"answered": answer, "privacy_request": privacy_request},
            )
    return render(request, "identity/confirm_agent.html", {"privacy_request": privacy_request})
