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
    return _send_new_code(request, privacy_request)


def _send_new_code(request: HttpRequest, privacy_request: PrivacyRequest) -> HttpResponse:
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
    return _answer_link(request, services.link_key(token))


def verify_link_confirm(request: HttpRequest) -> HttpResponse:
    # The handle stays after the click, so pressing again (the back button, a second tab) says "already confirmed".
    return _answer_link(request, request.session.get(SESSION_LINKS, {}).get(request.GET.get("link", ""), ""))


def _answer_link(request: HttpRequest, key: str) -> HttpResponse:
    """The page a link opens: the button while it works, else where the requester stands and the way on."""
    # Every press counts, whatever the link; asking for a new code counts against that limit.
    if request.method == "POST":
        group, rate = (
            ("resend", settings.RATELIMIT_RESEND)
            if "resend" in request.POST
            else ("verify", settings.RATELIMIT_VERIFY)
        )
        if rate_limited(request, group, rate):
            return too_many(request)
    link = services.verification_link(key)
    if not link.live or link.confirmed:
        return _spent_link(request, link)
    if request.method != "POST":  # GET only shows a button: mail scanners that open links must not use it up
        return render(request, "identity/verify_link.html")
    try:
        privacy_request = services.check_link(key)
    except (services.ChallengeFailed, TransitionError):
        # Used or lapsed between the page and the click (another tab, the code): say which, as on opening it.
        return _spent_link(request, services.verification_link(key))
    request.session[SESSION_CASE] = privacy_request.pk
    return redirect("verified")


def _spent_link(request: HttpRequest, link: services.VerificationLink) -> HttpResponse:
    """A link that no longer confirms: opened again after the address was confirmed, expired, or never ours.

    A confirmed address is no error: the page says so and leads to the status page. Otherwise the requester may
    ask for a new code, sent to the case's own address (never shown here), for the link's case or, for a link we
    do not know, this browser's own unconfirmed request; with neither, the page leads home and to the status page.
    """
    if link.confirmed:
        return render(request, "identity/verify_link.html", {"confirmed": link.privacy_request})
    candidates = (link.privacy_request, session_case(request))
    waiting = next((case for case in candidates if case and case.status == Status.NEW), None)
    if waiting is not None and request.method == "POST" and "resend" in request.POST:
        request.session[SESSION_CASE] = waiting.pk  # the code page that follows is for this case
        return _send_new_code(request, waiting)
    minutes = int(services.VALID_FOR.total_seconds() // 60)
    return render(
        request,
        "identity/verify_link.html",
        {"spent": True, "may_resend": waiting is not None, "minutes": minutes},
        status=400,
    )


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
