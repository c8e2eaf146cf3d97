"""Dates in the operator's time zone, and a case's deadlines as the engine computes them."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from .. import deadlines, lookback
from ..deadlines import Deadlines, Regime
from ..models import PrivacyRequest


def operator_zone() -> ZoneInfo:
    return ZoneInfo(settings.PRIVACY_OPERATOR_TIMEZONE)


def local_date(moment: datetime) -> date:
    """The calendar date of `moment` where the operator works: legal clocks count the operator's days."""
    return moment.astimezone(operator_zone()).date()


def local_today() -> date:
    return local_date(timezone.now())


def applicable_regimes(country: str, subdivision: str | None = None) -> list[str]:
    """The regimes a new request from `country`/`subdivision` falls under, the operator's establishment included.

    Cases store these at intake; a change of PRIVACY_ESTABLISHMENT leaves existing cases as they were.
    """
    return deadlines.regimes_for(country, subdivision, establishment=settings.PRIVACY_ESTABLISHMENT)


# Places whose name reads wrongly in "established in ..." as django-countries gives it, or that it does not name.
PLACE_NAMES = {"GB": _("the UK"), "NL": _("the Netherlands"), "CA-QC": _("Quebec")}


def establishment_laws() -> list[tuple[str, str]]:
    """(place name, regime code) for each place in PRIVACY_ESTABLISHMENT whose law applies to every request."""
    return [
        (str(PLACE_NAMES.get(place) or PLACE_NAMES.get(place[:2]) or countries.name(place[:2])), code)
        for place, code in deadlines.establishment_regimes(settings.PRIVACY_ESTABLISHMENT)
    ]


def regime_objects(codes: list[str], *, state: str = "") -> list[Regime]:
    """The stored regime codes as regimes, with the operator's configuration applied; `us_state` as the law of
    `state` (its appeal period is the state's own)."""
    result: list[Regime] = []
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
            result.append(deadlines.resolve(code).in_state(state))
    return result


def us_state_of(privacy_request: PrivacyRequest) -> str:
    """The US state whose law the case is under ("" outside the US)."""
    return privacy_request.subdivision if privacy_request.country == "US" else ""


def deadlines_of(
    privacy_request: PrivacyRequest, *, paused_days: int | None = None, extended: bool | None = None
) -> Deadlines:
    """The case's deadlines as the engine computes them (optionally with other pause/extension values)."""
    return deadlines.compute(
        regime_objects(privacy_request.regimes, state=us_state_of(privacy_request)),
        local_date(privacy_request.received_at),
        right=privacy_request.kind,
        paused_days=privacy_request.paused_days if paused_days is None else paused_days,
        extended=privacy_request.extended if extended is None else extended,
    )


def period_covered(privacy_request: PrivacyRequest) -> tuple[date | None, date]:
    """The data an access request covers, by law and by what the requester asked (`lookback`): from the first
    day (None: everything held) to the day of receipt."""
    received = local_date(privacy_request.received_at)
    start = lookback.period_start(
        privacy_request.regimes, received, privacy_request.period, privacy_request.period_since
    )
    return start, received
