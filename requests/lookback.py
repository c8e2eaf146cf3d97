"""How far back an access or portability answer reaches, by law (issue 19). Pure: no Django.

GDPR Art. 15, UK GDPR, LGPD art. 18-19, 152-FZ art. 14, Quebec's Law 25 (s. 27) and the other laws the engine
knows set no look-back: the answer covers everything held. CCPA §1798.130(a)(2)(B) covers the 12 months before
receipt, and more on request, but never data collected before 1 January 2022 (§1798.130(a)(2)(B), regs
§7024(h)). Only where no such law applies does the operator's own promise (the last 12 months unless asked for
more) decide. A requester may always ask for less: "only the last 12 months", "only since a date".
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

# Regimes that limit how far back an answer must reach; every other regime reaches back to everything held.
LIMITED = frozenset({"policy", "ccpa"})
CCPA_FLOOR = date(2022, 1, 1)

# What the requester asked for: "" when they did not say (the law's own reach), or one of these.
ALL = "all"
TWELVE_MONTHS = "12_months"
SINCE = "since"


def months_before(day: date, months: int) -> date:
    """The same-dated day `months` earlier, or that month's last day."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month, candidate)
        except ValueError:
            continue
    return date(year, month, 28)  # pragma: no cover (28 always exists)


def period_start(
    regimes: Iterable[str], received: date, period: str = "", since: date | None = None
) -> date | None:
    """The first day the answer covers, or None for everything held (the data's whole history)."""
    codes = set(regimes)
    ccpa = "ccpa" in codes
    unlimited = bool(codes - LIMITED)
    if period == SINCE and since is not None:
        start: date | None = since
    elif period == TWELVE_MONTHS:
        start = months_before(received, 12)
    elif period == ALL or unlimited:
        start = None  # asked for everything, or a law that sets no look-back governs
    else:
        start = months_before(received, 12)  # CCPA's default, or the operator's promise where no law applies
    if ccpa and not unlimited and (start is None or start < CCPA_FLOOR):
        return CCPA_FLOOR  # CCPA reaches no further back (another law owed to the person may reach further)
    return start
