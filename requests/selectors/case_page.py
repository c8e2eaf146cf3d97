"""What the case page reads beyond the case itself: the identity tier reached, the details compared with what we
hold, the recipients to tell."""

from __future__ import annotations

from dataclasses import dataclass

from identity.tiers import Tier, tier_for, wants_specific_pieces

from ..connectors.base import DETAILS
from ..models import (
    FOLLOW_UPS,
    CheckState,
    CompanySystem,
    ConnectorAction,
    ConnectorRun,
    DetailVerdict,
    Kind,
    PrivacyRequest,
    ProcessingActivity,
    RecipientNotice,
    RunStatus,
    SystemCheck,
)

# What a system's check says was done to the data there (the Art. 19 notices follow from these).
HOLDS_DATA = ("data_found", "exported", "erased", "rectified", "restricted", "opted_out")


def unchecked_systems(privacy_request: PrivacyRequest) -> list[str]:
    """The names of the active systems the checklist has no answer for yet: neither what they hold nor a reason
    to skip them."""
    answered = SystemCheck.objects.filter(privacy_request=privacy_request).exclude(
        state=CheckState.NOT_CHECKED
    )
    systems = CompanySystem.objects.filter(active=True).exclude(pk__in=answered.values("system_id"))
    return list(systems.order_by("name").values_list("name", flat=True))


def recipient_choices(privacy_request: PrivacyRequest) -> list[tuple[str, str]]:
    """Art. 19: the recipients of data from the systems where this person's data was found, each as (the name its
    notice is recorded under, its name in the active language), in the order of the latter."""

    activities = ProcessingActivity.objects.filter(
        systems__checks__privacy_request=privacy_request, systems__checks__state__in=HOLDS_DATA
    ).distinct()
    named = {key: name for activity in activities for key, name in activity.recipients_keyed}
    return sorted(named.items(), key=lambda pair: (pair[1].casefold(), pair[0]))


def recipients_to_notify(privacy_request: PrivacyRequest) -> list[str]:
    """Art. 19: the recipients, by name in the active language, of data from the systems where this person's data
    was found."""
    return [name for _key, name in recipient_choices(privacy_request)]


def recipient_rows(privacy_request: PrivacyRequest) -> list[tuple[str, RecipientNotice | None]]:
    """Art. 19: each recipient to tell, by name in the active language, with what staff recorded of it (told how
    and when, or why not), or None."""
    notices = {n.recipient: n for n in privacy_request.recipient_notices.all()}
    return [(name, notices.get(key)) for key, name in recipient_choices(privacy_request)]


def verification_tier(privacy_request: PrivacyRequest) -> Tier:
    """What proof of identity the case's right needs under its laws (identity/tiers.py), raised by a reasonable
    doubt staff recorded.

    An appeal or a complaint comes from the requester of the case it follows, signed in to its status page with
    an emailed code (or known to the staff who logged it): control of the address, nothing more to prove.
    """
    if privacy_request.kind in FOLLOW_UPS:
        return Tier.EMAIL
    return tier_for(
        privacy_request.kind,
        privacy_request.regimes,
        marketing_only=privacy_request.marketing_only,
        specific_pieces=asks_specific_pieces(privacy_request),
        doubt=privacy_request.identity_doubt_at is not None,
    )


def asks_specific_pieces(privacy_request: PrivacyRequest) -> bool:
    """A Californian request to know the specific pieces of information: asked for, or a copy in a portable format
    (CCPA §1798.130(a)(3)(B)(iii)), which is the specific pieces."""
    return wants_specific_pieces(
        privacy_request.kind, privacy_request.regimes, asked=privacy_request.specific_pieces
    )


def categories_tier(privacy_request: PrivacyRequest) -> Tier | None:
    """What a Californian request for the specific pieces needs to be answered with the categories instead
    (CCPA §7024(a)): None for any other case, which has no such fallback."""
    if not asks_specific_pieces(privacy_request):
        return None
    return tier_for(
        Kind.ACCESS,
        privacy_request.regimes,
        doubt=privacy_request.identity_doubt_at is not None,
    )


def identity_reached(privacy_request: PrivacyRequest) -> Tier | None:
    """How far the requester's identity was checked, once verified (None before)."""
    if privacy_request.identity_verified_at is None:
        return None
    if privacy_request.identity_tier:
        return Tier(privacy_request.identity_tier)
    # Verified before the tier was kept: to the full tier the case needed, but "high" only with the declaration.
    needed = verification_tier(privacy_request)
    if needed is Tier.HIGH and privacy_request.declared_at is None:
        return Tier.MATCHED
    return needed


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


@dataclass(frozen=True)
class Verdict:
    """One detail in one system: "" while it has not been compared there."""

    verdict: str
    label: str
    records: int = 0


@dataclass(frozen=True)
class DetailRow:
    detail: str
    given: str
    verdicts: list[Verdict]  # in the order of `Comparisons.runs`


@dataclass(frozen=True)
class Comparisons:
    """The requester's details against each system's records: one column per system, one row per detail given."""

    runs: list[ConnectorRun]
    rows: list[DetailRow]

    def matched(self) -> dict[str, list[str]]:
        """Per detail, the systems where it matched (what the verify form pre-ticks)."""
        return {
            row.detail: [run.system.name for run, v in zip(self.runs, row.verdicts, strict=True)
                         if v.verdict == DetailVerdict.MATCHES]
            for row in self.rows
            if any(v.verdict == DetailVerdict.MATCHES for v in row.verdicts)
        }  # fmt: skip


def detail_comparisons(privacy_request: PrivacyRequest) -> Comparisons:
    """What comparing the details found, per system (the latest comparison of each; a run queued again shows as
    not compared until it is done)."""
    runs = list(
        ConnectorRun.objects.filter(privacy_request=privacy_request, action=ConnectorAction.COMPARE)
        .select_related("system")
        .order_by("system__name", "pk")
    )
    given = privacy_request.data_points or {}
    rows = []
    for detail in DETAILS:
        if not str(given.get(detail) or "").strip():
            continue
        verdicts = []
        for run in runs:
            found = (
                ((run.result or {}).get("details") or {}).get(detail)
                if run.status == RunStatus.DONE
                else None
            )
            if found and found.get("verdict") in DetailVerdict.values:
                verdict = DetailVerdict(found["verdict"])
                verdicts.append(Verdict(verdict.value, str(verdict.label), int(found.get("records") or 0)))
            else:
                verdicts.append(Verdict("", ""))
        rows.append(DetailRow(detail, str(given[detail]), verdicts))
    return Comparisons(runs, rows)
