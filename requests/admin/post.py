"""Requesters by post on the staff side: logging a letter with its scan, and the "Letters to post" section."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from identity.services import add_request_as_received

from .. import selectors, services
from ..downloads import attachment
from ..models import PostalLetter, PrivacyRequest
from .views import case_for_files

# What each email is, as a letter on the "Letters to post" list (services/notify.py REQUESTER_EMAILS).
LABELS = {
    "request-received": _("Acknowledgement of the request"),
    "request-acknowledged": _("Acknowledgement of the request"),
    "new-message": _("Our message (identity or details asked for)"),
    "request-extended": _("Extension notice"),
    "fee-quoted": _("Fee estimate"),
    "fee-declined": _("Refusal: fee declined"),
    "fee-lapsed": _("Refusal: fee not accepted in time"),
    "request-denied": _("Refusal with reasons"),
    "request-forwarded": _("Forward notice"),
    "request-completed": _("Our answer (completion)"),
    "request-honoured": _("Confirmation it is done"),
    "request-withdrawn": _("Withdrawal confirmed"),
    "restriction-lifted": _("Notice before lifting the restriction"),
    "packet-ready": _("Your data"),
    "appeal-received": _("Acknowledgement of the appeal"),
    "appeal-decided": _("Decision on the appeal"),
    "complaint-received": _("Acknowledgement of the complaint"),
    "complaint-answered": _("Outcome of the complaint"),
    "request-expired": _("Request closed unverified"),
}


def label(postal: PostalLetter) -> str:
    return str(LABELS.get(postal.template, postal.template))


def log_request(form: Any, *, by: AbstractBaseUser) -> PrivacyRequest:
    """The logged case and the scan of the letter as received, together or not at all."""
    with transaction.atomic():
        privacy_request = services.submit(form.new_request(), by=by)
        if form.cleaned_data.get("scan") is not None:
            add_request_as_received(privacy_request, form.cleaned_data["scan"], by=by)
    return privacy_request


def logged_message(privacy_request: PrivacyRequest) -> str:
    """What the member of staff is told: an acknowledgement is emailed, or waits for them to post it."""
    if services.post.by_post(privacy_request):
        return gettext("Logged as %(reference)s; print its acknowledgement under “Letters to post”.") % {
            "reference": privacy_request.reference
        }
    return gettext("Logged as %(reference)s; the requester has an acknowledgement.") % {
        "reference": privacy_request.reference
    }


# The case page's actions whose service writes to the requester (requests/services: `_email_requester`).
WRITES_TO_REQUESTER = frozenset(
    {"pause", "extend", "fee", "complete", "decide", "deny", "forward", "withdraw", "log_appeal", "log_complaint",
     "message", "lift", "release"}
)  # fmt: skip


def done_message(privacy_request: PrivacyRequest, action: str, done: str) -> str:
    """An action's message, unless it says the requester was emailed or told when the letter is still to post."""
    if action in WRITES_TO_REQUESTER and services.post.by_post(privacy_request):
        return gettext(
            "Done. The requester has no email: print the letter listed under “Letters to post” and post it."
        )
    return done


class PostedForm(forms.Form):
    posted_on = forms.DateField(label=_("Posted on"), widget=forms.DateInput(attrs={"type": "date"}))


def case_context(privacy_request: PrivacyRequest) -> dict[str, Any]:
    """The case page's "Letters to post" section: shown only for a requester by post."""
    if not services.post.by_post(privacy_request):
        return {"by_post": False}
    today = selectors.local_today()
    return {
        "by_post": True,
        "to_post": [
            {
                "item": item,
                "label": label(item),
                "form": PostedForm(initial={"posted_on": today}, prefix=f"p{item.pk}"),
            }
            for item in selectors.letters_to_post(privacy_request)
        ],
        "posted": [
            {"item": item, "label": label(item)} for item in selectors.letters_posted(privacy_request)
        ],
    }


def _postal_letter(request: HttpRequest, pk: int) -> PostalLetter:
    postal = PostalLetter.objects.filter(pk=pk).select_related("privacy_request", "letter").first()
    case_for_files(request, postal.privacy_request_id if postal else None)
    if postal is None:
        raise Http404
    if (postal.letter.purged_at is not None) if postal.letter is not None else not postal.stored_name:
        raise Http404  # purged with the case's other files
    return postal


def postal_letter_download(request: HttpRequest, pk: int) -> HttpResponse:
    """The letter as a PDF ready to print, the address where a window envelope shows it; each look an event."""
    postal = _postal_letter(request, pk)
    data = services.post.read_for_staff(postal, by=request.user)  # type: ignore[arg-type]
    return attachment(data, filename=postal.filename, content_type="application/pdf")


def postal_letter_posted(request: HttpRequest, pk: int) -> HttpResponse:
    """Record the day a letter was posted and who posted it; then back to the case page."""
    if request.method != "POST":
        raise Http404
    postal = _postal_letter(request, pk)
    if not request.user.has_perm("requests.change_privacyrequest"):
        raise PermissionDenied
    form = PostedForm(request.POST, prefix=f"p{postal.pk}")
    back = redirect("admin:requests_privacyrequest_change", postal.privacy_request_id)
    if not form.is_valid():
        messages.error(request, gettext("Enter the day the letter was posted."))
        return back
    try:
        services.post.record_posted(postal, by=request.user, posted_on=form.cleaned_data["posted_on"])  # type: ignore[arg-type]
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except services.TransitionError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, gettext("Recorded as posted: %(letter)s.") % {"letter": label(postal)})
    return back
