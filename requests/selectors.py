"""Reads shared by services, views, admin and API: how a stored case maps onto the deadline engine."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from privacyportal.addresses import normalise_email

from . import deadlines
from .deadlines import Deadlines, Regime
from .models import PrivacyRequest, RequestEvent


def operator_zone() -> ZoneInfo:
    return ZoneInfo(settings.PRIVACY_OPERATOR_TIMEZONE)


def local_date(moment: datetime) -> date:
    """The calendar date of `moment` where the operator works: legal clocks count the operator's days."""
    return moment.astimezone(operator_zone()).date()


def local_today() -> date:
    return local_date(timezone.now())


def regime_objects(codes: list[str]) -> list[Regime]:
    """The stored regime codes as regimes, with the operator's configuration applied."""
    result = []
    for code in codes:
        if code == deadlines.POLICY:
            result.append(
                deadlines.policy(
                    days=settings.PRIVACY_POLICY_DAYS,
                    extended_days=settings.PRIVACY_POLICY_EXTENDED_DAYS or None,
                    pausable=settings.PRIVACY_POLICY_PAUSABLE,
                )
            )
        elif code == "eu_gdpr" and settings.PRIVACY_EU_HOLIDAY_COUNTRY:
            result.append(deadlines.resolve(code).with_calendar(settings.PRIVACY_EU_HOLIDAY_COUNTRY))
        else:
            result.append(deadlines.resolve(code))
    return result


def deadlines_of(
    privacy_request: PrivacyRequest, *, paused_days: int | None = None, extended: bool | None = None
) -> Deadlines:
    """The case's deadlines as the engine computes them (optionally with other pause/extension values)."""
    return deadlines.compute(
        regime_objects(privacy_request.regimes),
        local_date(privacy_request.received_at),
        paused_days=privacy_request.paused_days if paused_days is None else paused_days,
        extended=privacy_request.extended if extended is None else extended,
    )


REFERENCE = re.compile(r"PR-[0-9]{4}-[0-9]{6,}")


def search(cases: QuerySet[PrivacyRequest], term: str) -> QuerySet[PrivacyRequest]:
    """The staff search (admin queue and API alike): a reference when it is one; anything else (even
    "pr-office@…") is an email address, matched exactly on its normalised form."""
    term = term.strip()
    if REFERENCE.fullmatch(term.upper()):
        return cases.filter(reference=term.upper())
    return cases.filter(email_key=normalise_email(term))


def cases_of(email: str) -> QuerySet[PrivacyRequest]:
    """Every case a requester (by proved email address) may see on the status page, newest first."""
    return PrivacyRequest.objects.filter(email_key=normalise_email(email)).order_by("-received_at", "-id")


PUBLIC_VERBS = {
    "submitted", "email_confirmed", "honoured", "identity_verified", "assigned", "paused", "resumed",
    "extended", "completed", "denied", "withdrawn", "forwarded", "expired", "evidence_added", "message_received",
    "message_sent", "fee_quoted", "fee_accepted", "fee_declined", "packet_released", "packet_downloaded",
    "packet_purged",
}  # fmt: skip


def public_timeline(privacy_request: PrivacyRequest) -> QuerySet[RequestEvent]:
    """What the requester may see of the case's history (not who on staff looked at what)."""
    return privacy_request.events.filter(verb__in=PUBLIC_VERBS).order_by("seq")


# What a system's check says was done to the data there (the Art. 19 notices follow from these).
HOLDS_DATA = ("data_found", "exported", "erased", "rectified", "restricted")


def recipients_to_notify(privacy_request: PrivacyRequest) -> list[str]:
    """Art. 19: the recipients, by name, of data from the systems where this person's data was found."""
    from .models import ProcessingActivity

    activities = ProcessingActivity.objects.filter(
        systems__checks__request=privacy_request, systems__checks__state__in=HOLDS_DATA
    ).distinct()
    return sorted({name for activity in activities for name in activity.recipient_names})


def cases_for(user: Any, queryset: QuerySet[PrivacyRequest] | None = None) -> QuerySet[PrivacyRequest]:
    """The cases a member of staff may see (DESIGN §8): all of them with `view_all_cases`, otherwise the
    unassigned queue and their own. The admin, the dashboard, file downloads and the API all use this."""
    from django.db.models import Q

    cases = PrivacyRequest.objects.all() if queryset is None else queryset
    if not (getattr(user, "is_staff", False) and user.has_perm("requests.view_privacyrequest")):
        return cases.none()
    if user.has_perm("requests.view_all_cases"):
        return cases
    return cases.filter(Q(assignee=user) | Q(assignee__isnull=True))
