"""Which laws let a fee be asked, and on which grounds (issue 19). Pure: no Django.

A case owes every regime in its list; a fee may be asked only on a ground that every one of them allows (the
strictest law wins: an LGPD requester pays nothing whatever the operator's policy says). A regime not listed here
allows no fee: the safe reading.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

EXCESSIVE = "excessive"
REPETITIVE = "repetitive"
MANIFESTLY_UNFOUNDED = "manifestly_unfounded"
# The cost of transcribing, copying or sending what is asked for, told to the requester beforehand.
REPRODUCTION = "reproduction"

UNFOUNDED_OR_EXCESSIVE = frozenset({EXCESSIVE, REPETITIVE, MANIFESTLY_UNFOUNDED})


@dataclass(frozen=True)
class FeeLaw:
    grounds: frozenset[str]
    source: str  # where the law says so (cited to staff when it refuses a fee)


FEES: dict[str, FeeLaw] = {
    # The operator's own promise sets no limit of its own: the laws owed to the person decide.
    "policy": FeeLaw(UNFOUNDED_OR_EXCESSIVE | {REPRODUCTION}, "our privacy policy"),
    "eu_gdpr": FeeLaw(UNFOUNDED_OR_EXCESSIVE, "GDPR Art. 12(5)"),
    "uk_gdpr": FeeLaw(UNFOUNDED_OR_EXCESSIVE, "UK GDPR Art. 12(5)"),
    "ccpa": FeeLaw(UNFOUNDED_OR_EXCESSIVE, "Cal. Civ. Code §1798.145(h)(3)"),
    # Virginia §59.1-577(B)(4), Colorado §6-1-1306(1)(e)(III) and the others alike: free up to twice a year,
    # then a reasonable fee for a manifestly unfounded, excessive or repetitive request.
    "us_state": FeeLaw(UNFOUNDED_OR_EXCESSIVE, "the state's consumer privacy law"),
    "lgpd": FeeLaw(frozenset(), "LGPD art. 18 §5 (requests are free of charge)"),
    "ru_152fz": FeeLaw(frozenset(), "152-FZ art. 14 and art. 20(1) (access is free of charge)"),
    # Private sector act s. 33: free, but a reasonable charge for transcription, reproduction or transmission,
    # told to the person beforehand.
    "quebec": FeeLaw(frozenset({REPRODUCTION}), "Quebec private sector act s. 33"),
    # PIPEDA Sch. 1, 4.9.4 and s. 8(6): at minimal or no cost, the approximate cost told in advance.
    "pipeda": FeeLaw(frozenset({REPRODUCTION}), "PIPEDA s. 8(6)"),
    # FADP Art. 25(6) with the Ordinance's Art. 19: free, save a share of the costs (at most CHF 300) where
    # answering takes a disproportionate effort, told in advance.
    "ch_fadp": FeeLaw(frozenset({EXCESSIVE}), "FADP Art. 25(6), DPO Art. 19"),
    # KVKK Art. 13(2): free, unless answering has a cost, charged by the Board's tariff.
    "tr_kvkk": FeeLaw(frozenset({REPRODUCTION}), "KVKK Art. 13(2)"),
    # PIPA Art. 38(3): fees and postage as the decree sets.
    "kr_pipa": FeeLaw(frozenset({REPRODUCTION}), "PIPA Art. 38(3)"),
}


def allowed_grounds(regimes: Iterable[str]) -> frozenset[str]:
    """The grounds on which a fee may be asked of a person owed these regimes (empty: no fee at all)."""
    grounds = UNFOUNDED_OR_EXCESSIVE | {REPRODUCTION}
    for code in regimes:
        law = FEES.get(code)
        grounds &= law.grounds if law is not None else frozenset()
    return grounds


def forbidding(regimes: Iterable[str], ground: str | None = None) -> str | None:
    """The source of the first regime that allows no fee (or not on `ground`), or None when it is allowed."""
    for code in regimes:
        law = FEES.get(code)
        if law is None:
            return code
        if not law.grounds or (ground is not None and ground not in law.grounds):
            return law.source
    return None
