"""The queue's own writes: saved views, and what staff do to many cases at once (remind the requester, export).

Assigning many cases is `triage.assign` once per case (one event each), called by the admin action.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import timedelta
from urllib.parse import parse_qsl, urlencode

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..audit import record_event
from ..lifecycle import Status
from ..models import PrivacyRequest, RequestEvent, SavedView
from ..selectors import local_date, local_today
from .common import TransitionError, _claim, _email_requester

# Query parameters a saved view keeps: the queue's filters and its sort. A search term (`q`, or the token that
# stands for one) may be a name or an address, so it is never stored.
NOT_SAVED = frozenset({"q", "s", "p", "e"})

# Only a case waiting on the requester has something to remind them of.
REMINDABLE = frozenset({Status.AWAITING_REQUESTER, Status.FEE_PENDING})
REMIND_EVERY = timedelta(days=1)


def view_query(query_string: str) -> str:
    """The part of a queue URL's query string a saved view keeps (filters and order, no search, no page)."""
    pairs = [(k, v) for k, v in parse_qsl(query_string, keep_blank_values=True) if k not in NOT_SAVED]
    return urlencode(pairs)


def save_view(*, owner: User, name: str, query_string: str) -> SavedView:
    """Name the queue's current filters for this member of staff; a name they already use is refused."""
    name = " ".join(name.split())
    if not name:
        raise ValidationError({"name": _("Give the view a name.")})
    try:
        with transaction.atomic():
            return SavedView.objects.create(owner=owner, name=name[:80], query=view_query(query_string)[:500])
    except IntegrityError:
        raise ValidationError(
            {"name": _("You already have a view called “%(name)s”.") % {"name": name}}
        ) from None


def delete_view(saved_view_id: int, *, owner: User) -> bool:
    """Delete one of the owner's views (another person's is left alone); True if one was deleted."""
    deleted, _count = SavedView.objects.filter(pk=saved_view_id, owner=owner).delete()
    return bool(deleted)


@transaction.atomic
def remind_requester(privacy_request: PrivacyRequest, *, by: AbstractBaseUser) -> PrivacyRequest:
    """Email the requester that we still wait for them (identity, details or a fee decision), at most once a day."""
    if privacy_request.status not in REMINDABLE:
        raise TransitionError(
            _("%(reference)s is not waiting for the requester.") % {"reference": privacy_request.reference}
        )
    # Claiming the row (status unchanged) makes two reminders at once wait for each other, so one is refused.
    _claim(privacy_request, allowed=REMINDABLE)
    since = timezone.now() - REMIND_EVERY
    if RequestEvent.objects.filter(privacy_request=privacy_request, verb="reminded", at__gte=since).exists():
        raise TransitionError(
            _("%(reference)s: the requester was reminded less than a day ago.")
            % {"reference": privacy_request.reference}
        )
    record_event(privacy_request, "reminded", by=by)
    _email_requester(privacy_request, "request-reminder")
    return privacy_request


# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


@transaction.atomic
def export_csv(cases: Iterable[PrivacyRequest], *, by: AbstractBaseUser) -> str:
    """The chosen cases as CSV for a spreadsheet, every cell safe to open; one "exported" event per case."""
    ids = [c.pk for c in cases]
    # Locked in one order: the events append to each case's chain while we hold its row.
    rows = list(
        PrivacyRequest.objects.select_for_update(of=("self",))
        .select_related("assignee")
        .filter(pk__in=ids)
        .order_by("effective_due_at", "pk")
    )
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [_("Reference"), _("Requester"), _("Email"), _("Right"), _("Received"), _("Due"), _("Days left"),
         _("Status"), _("Assignee")]
    )  # fmt: skip
    today = local_today()
    for case in rows:
        writer.writerow(
            _cell(value)
            for value in (
                case.reference,
                case.requester_name,
                case.requester_email,
                case.get_kind_display(),
                local_date(case.received_at).isoformat(),
                case.effective_due_at.isoformat(),
                (case.effective_due_at - today).days if case.is_open else "",
                case.get_status_display(),
                case.assignee.get_username() if case.assignee else "",
            )
        )
        record_event(case, "exported", by=by)
    return out.getvalue()
