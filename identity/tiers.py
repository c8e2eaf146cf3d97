"""How sure we must be of who asks, per right and regime (DESIGN §6).

`none`: opt-outs, limits and objections to direct marketing, honoured at once (regulators fine
businesses that make people verify them). `email`: control of the email address. `matched`: email
plus at least two data points matched against what we hold. `high`: at least three data points and a
signed declaration under penalty of perjury (CCPA, specific pieces of information).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Tier(models.TextChoices):
    NONE = "none", _("No verification")
    EMAIL = "email", _("Email confirmed")
    MATCHED = "matched", _("Email and two matching details")
    HIGH = "high", _("Email, three matching details and a signed declaration")


ORDER = [Tier.NONE, Tier.EMAIL, Tier.MATCHED, Tier.HIGH]
POINTS_NEEDED = {Tier.NONE: 0, Tier.EMAIL: 0, Tier.MATCHED: 2, Tier.HIGH: 3}

# The built-in matrix; PRIVACY_VERIFICATION_TIERS in settings overrides any cell.
DEFAULT_TIERS: dict[str, dict[str, str]] = {
    "default": {
        "access": "matched",
        "portability": "matched",
        "erasure": "matched",
        "rectification": "email",
        "restriction": "email",
        "objection": "email",
        "opt_out": "none",
        "limit_sensitive": "none",
    },
    # §7062: specific pieces of information need a reasonably high degree of certainty.
    "ccpa": {"access": "high", "portability": "high"},
}


def tier_for(
    kind: str,
    regimes: Iterable[str],
    *,
    marketing_only: bool = False,
    matrix: Mapping[str, Mapping[str, str]] | None = None,
) -> Tier:
    """The strictest tier any applicable regime asks for this right."""
    if kind == "objection" and marketing_only:
        return Tier.NONE  # the objection to direct marketing is absolute
    if matrix is None:
        matrix = _configured_matrix()
    tiers = [Tier(matrix["default"][kind])]
    for code in regimes:
        if kind in matrix.get(code, {}):
            tiers.append(Tier(matrix[code][kind]))
    return max(tiers, key=ORDER.index)


def _configured_matrix() -> dict[str, dict[str, str]]:
    merged = {regime: dict(cells) for regime, cells in DEFAULT_TIERS.items()}
    for regime, cells in getattr(settings, "PRIVACY_VERIFICATION_TIERS", {}).items():
        merged.setdefault(regime, {}).update(cells)
    return merged
