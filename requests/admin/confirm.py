"""The confirmation step of the case page's final actions, and the actions it does not offer now, with why.

A refusal, a completion, a forward, a withdrawal, a decision or a released packet cannot be taken back: the
requester has the email (and letter) at once. The first POST of such an action only shows what would be sent,
made from the case as the action would leave it (`services.preview`); the page's "Confirm and send" posts the
same fields again with `confirmed`, and only that POST acts.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, QueryDict
from django.template.response import TemplateResponse
from django.utils.translation import gettext

from .. import services
from ..lifecycle import Status
from ..models import FOLLOW_UPS, Packet, PrivacyRequest
from .forms import ACTIONS, Action, CaseForm

# What cannot be undone once done: each sends the requester its email, most with a letter.
FINAL_ACTIONS = frozenset({"complete", "decide", "deny", "forward", "withdraw", "release"})
CONFIRMED = "confirmed"
BACK = "back"

# The actions whose absence staff ask about, with why they are not offered now (the rest are offered when they
# apply, and listing every one of them on every case would bury these).
EXPLAINED_FOR_REQUESTS = ("extend", "fee", "complete", "deny", "forward")
EXPLAINED_FOR_PACKETS = ("packet", "release")
EXPLAINED_FOR_FOLLOW_UPS = ("decide",)


def wanted(action: str, post: QueryDict) -> bool:
    """Whether this POST of the action is the first one, which shows what would be sent instead of acting."""
    return action in FINAL_ACTIONS and post.get(CONFIRMED) != "1"


def page(
    request: HttpRequest,
    privacy_request: PrivacyRequest,
    action: Action,
    form: CaseForm,
    context: dict[str, Any],
) -> TemplateResponse:
    """What the action would send, and the button that sends it. Raises the service's own refusals."""
    outgoing = services.preview(privacy_request, form.run)
    fields = [
        (name, value)
        for name, values in request.POST.lists()
        if name not in ("csrfmiddlewaretoken", CONFIRMED, BACK)
        for value in values
    ]
    return TemplateResponse(
        request,
        "admin/requests/privacyrequest/confirm.html",
        {
            **context,
            "title": gettext("Check before you send: %(action)s") % {"action": action.label},
            "case": privacy_request,
            "action": action,
            "fields": fields,
            "outgoing": outgoing,
        },
    )


def unavailable(privacy_request: PrivacyRequest, user: Any) -> list[tuple[Any, str]]:
    """(label, reason) of each main action this person could take but not now, with `available()`'s reason."""
    if privacy_request.kind in FOLLOW_UPS:
        names: tuple[str, ...] = EXPLAINED_FOR_FOLLOW_UPS
    else:
        names = EXPLAINED_FOR_REQUESTS
        if privacy_request.kind in services.PACKET_KINDS:
            # "Release" says nothing useful before there is a packet: "Build" says why there is none.
            names += (
                EXPLAINED_FOR_PACKETS
                if Packet.objects.filter(privacy_request=privacy_request).exists()
                else ("packet",)
            )
    if not privacy_request.is_open:
        # "PR-… is Refused; that cannot be done now" for each action says what the status already says; only a
        # completed case's packet still has steps to take.
        completed = privacy_request.status == Status.COMPLETED
        names = tuple(name for name in names if completed and name in EXPLAINED_FOR_PACKETS)
    now = services.available(privacy_request, user)
    return [
        (ACTIONS[name].label, now[name].reason or "")
        for name in names
        if now[name].permitted and now[name].reason is not None
    ]
