"""When a request counts as repeated, by law and right (issue 19). Pure: no Django.

Only requests to know (access, portability) can be repeated in the sense the laws use; an opt-out, an objection,
an erasure or a correction is never flagged. Only earlier requests whose sender proved the address count: anyone
can submit a request with someone else's address, and that must not cost the real person their next one.

- CCPA §1798.130(b) and §1798.100(d): a business need not answer a request to know more than twice in 12 months.
- The US state laws (e.g. Virginia §59.1-577(C), Colorado §6-1-1306(1)(e)(III)): free up to twice a year; a third
  may be charged for or declined when manifestly unfounded, excessive or repetitive.
- 152-FZ art. 14(4)-(5): the same information may be asked again no sooner than 30 days after the first request.
- GDPR, UK GDPR and the rest: "reasonable intervals" (Recital 63) are for staff to judge; the case page shows the
  person's earlier requests instead of a flag.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

KNOW = frozenset({"access", "portability"})
TWICE_A_YEAR = frozenset({"ccpa", "us_state"})
YEAR = timedelta(days=365)
RU_INTERVAL = timedelta(days=30)


def is_repetitive(
    regimes: Iterable[str], kind: str, received: date, earlier: Iterable[tuple[str, date]]
) -> bool:
    """Whether a request of `kind` received on `received` repeats `earlier` (confirmed requests from the same
    address: right and day received) as a law owed to the person counts it."""
    if kind not in KNOW:
        return False
    codes = set(regimes)
    known = [day for right, day in earlier if right in KNOW and day <= received]
    if codes & TWICE_A_YEAR and sum(1 for day in known if received - day < YEAR) >= 2:
        return True
    return "ru_152fz" in codes and any(received - day < RU_INTERVAL for day in known)
