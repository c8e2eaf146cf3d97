"""What the case page reads beyond the case itself: the identity tier reached, the recipients to tell."""

from __future__ import annotations

from identity.tiers import Tier, tier_for

from ..models import ConnectorAction, ConnectorRun, PrivacyRequest, ProcessingActivity, RunStatus

# What a system's check says was done to the data there (the Art. 19 notices follow from these).
HOLDS_DATA = ("data_found", "exported", "erased", "rectified", "restricted")


def recipients_to_notify(privacy_request: PrivacyRequest) -> list[str]:
    """Art. 19: the recipients, by name, of data from the systems where this person's data was found."""

    activities = ProcessingActivity.objects.filter(
        systems__checks__privacy_request=privacy_request, systems__checks__state__in=HOLDS_DATA
    ).distinct()
    return sorted({name for activity in activities for name in activity.recipient_names})


def verification_tier(privacy_request: PrivacyRequest) -> Tier:
    """What proof of identity the case's right needs under its laws (identity/tiers.py)."""
    return tier_for(
        privacy_request.kind, privacy_request.regimes, marketing_only=privacy_request.marketing_only
    )


def connector_runs(privacy_request: PrivacyRequest) -> list[ConnectorRun]:
    """What the connectors did and are doing on the case, by system (the case page's progress)."""
    return list(
        ConnectorRun.objects.filter(privacy_request=privacy_request)
        .select_related("system", "approved_by")
        .order_by("system__name", "created_at")
    )


def certificates(privacy_request: PrivacyRequest) -> list[ConnectorRun]:
    """The finished erasures of the case, one per system: what was deleted, anonymised and kept, and when."""
    return [
        r
        for r in connector_runs(privacy_request)
        if r.action == ConnectorAction.ERASE and r.status == RunStatus.DONE
    ]
