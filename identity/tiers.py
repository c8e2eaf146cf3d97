"""How sure we must be of who asks, per right and regime (DESIGN §6; the table in docs/staff-guide.md).

`none`: opt-outs, limits and objections to direct marketing, honoured at once (regulators fine
businesses that make people verify them). `email`: control of the email address. `matched`: email
plus at least two data points matched against what we hold. `high`: at least three data points and a
signed declaration under penalty of perjury (CCPA, specific pieces of information).

The defaults ask no more than each law does. Under the GDPR a controller asks for more only when it has
reasonable doubts about who asks (Art. 12(6); EDPB Guidelines 01/2022 on the right of access, section 3.3):
control of the address the request came from is enough, and staff who doubt it record the doubt (`doubt`),
which raises the case to `matched`. The CCPA regulations set the standard themselves (§7062): a reasonable
degree of certainty (two data points) for the categories of information, deletion and correction, a reasonably
high one (three and a signed declaration) for the specific pieces.
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

# A cell of its own for a Californian's request to know the specific pieces of information (CCPA §7062(c)):
# "access" is then the request to know the categories (§7062(b)). A regime without this cell treats both alike.
SPECIFIC_PIECES = "access_specific"

# The built-in matrix; PRIVACY_VERIFICATION_TIERS in settings overrides any cell. "default" applies to every
# case; a regime's row only ever asks for more. Regimes without a row (EU and UK GDPR, LGPD, 152-FZ, Quebec,
# PIPEDA, FADP, KVKK, PIPA) ask for what "default" asks: none of them prescribes more than being reasonably
# sure, and the address the request came from, confirmed by a code, is that unless staff doubt it. The US state
# laws ask for "commercially reasonable" authentication (e.g. Va. Code §59.1-577(B)(4)), which the same
# confirmed address is for most data; an operator holding more sensitive data raises their cells.
DEFAULT_TIERS: dict[str, dict[str, str]] = {
    "default": {
        "access": "email",
        "portability": "email",
        "erasure": "email",
        "rectification": "email",
        "restriction": "email",
        "objection": "email",
        "opt_out": "none",
        "limit_sensitive": "none",
    },
    "ccpa": {
        # §7062(b): categories to a reasonable degree of certainty (two data points matched).
        "access": "matched",
        # §7062(c): specific pieces to a reasonably high degree (three and a signed declaration); a copy in a
        # portable format is the specific pieces (§1798.130(a)(3)(B)(iii)).
        SPECIFIC_PIECES: "high",
        "portability": "high",
        # §7062(d): by the sensitivity of the data and the harm of a wrong deletion or correction; "matched" by
        # default, "high" where the operator holds data such as family photographs.
        "erasure": "matched",
        "rectification": "matched",
    },
}


def wants_specific_pieces(kind: str, regimes: Iterable[str], *, asked: bool) -> bool:
    """A Californian's request to know the specific pieces of information: asked for on an access request, or a
    copy in a portable format, which is the specific pieces (CCPA §1798.130(a)(3)(B)(iii)). Only the CCPA tells
    them from the categories; everyone else's request for access gets a copy."""
    return "ccpa" in regimes and (kind == "portability" or (kind == "access" and asked))


def tier_for(
    kind: str,
    regimes: Iterable[str],
    *,
    marketing_only: bool = False,
    specific_pieces: bool = False,
    doubt: bool = False,
    matrix: Mapping[str, Mapping[str, str]] | None = None,
) -> Tier:
    """The strictest tier any applicable regime asks for this right.

    `specific_pieces`: the requester asks for the specific pieces of information (CCPA). `doubt`: staff recorded a
    reasonable doubt about who asks (GDPR Art. 12(6)), so email control is no longer enough.
    """
    if kind == "objection" and marketing_only:
        return Tier.NONE  # the objection to direct marketing is absolute
    if matrix is None:
        matrix = _configured_matrix()
    tiers = [_cell(matrix["default"], kind, specific_pieces)]
    for code in regimes:
        if (cell := _cell(matrix.get(code, {}), kind, specific_pieces)) is not None:
            tiers.append(cell)
    found = [tier for tier in tiers if tier is not None]
    strictest = max(found, key=ORDER.index) if found else Tier.EMAIL
    if doubt and strictest is not Tier.NONE:
        return max(strictest, Tier.MATCHED, key=ORDER.index)
    return strictest


def _cell(row: Mapping[str, str], kind: str, specific_pieces: bool) -> Tier | None:
    if kind == "access" and specific_pieces and SPECIFIC_PIECES in row:
        return Tier(row[SPECIFIC_PIECES])
    return Tier(row[kind]) if kind in row else None


def reached(points: int, *, declared: bool) -> Tier:
    """The tier a requester whose email is confirmed reaches with `points` details matched (and the declaration)."""
    if points >= POINTS_NEEDED[Tier.HIGH] and declared:
        return Tier.HIGH
    if points >= POINTS_NEEDED[Tier.MATCHED]:
        return Tier.MATCHED
    return Tier.EMAIL


def at_least(tier: Tier, needed: Tier) -> bool:
    return ORDER.index(tier) >= ORDER.index(needed)


def _configured_matrix() -> dict[str, dict[str, str]]:
    merged = {regime: dict(cells) for regime, cells in DEFAULT_TIERS.items()}
    for regime, cells in getattr(settings, "PRIVACY_VERIFICATION_TIERS", {}).items():
        merged.setdefault(regime, {}).update(cells)
    return merged
