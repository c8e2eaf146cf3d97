"""Which laws let a fee be asked, and on which grounds (requests/fee_rules.py)."""

from __future__ import annotations

import pytest

from requests.fee_rules import REPRODUCTION, UNFOUNDED_OR_EXCESSIVE, allowed_grounds, forbidding


@pytest.mark.parametrize(
    ("regimes", "grounds"),
    [
        (["policy", "uk_gdpr"], UNFOUNDED_OR_EXCESSIVE),
        (["policy", "eu_gdpr"], UNFOUNDED_OR_EXCESSIVE),
        (["policy", "ccpa"], UNFOUNDED_OR_EXCESSIVE),
        (["policy", "us_state"], UNFOUNDED_OR_EXCESSIVE),
        (["policy", "lgpd"], frozenset()),
        (["policy", "ru_152fz"], frozenset()),
        (["policy", "quebec"], frozenset({REPRODUCTION})),
        (["policy"], UNFOUNDED_OR_EXCESSIVE | {REPRODUCTION}),
        # Two laws at once: only what both allow (an operator in the UK answering a Quebecer: nothing).
        (["policy", "uk_gdpr", "quebec"], frozenset()),
        (["policy", "no_such_law"], frozenset()),  # an unknown regime allows no fee: the safe reading
    ],
)
def test_allowed_grounds(regimes: list[str], grounds: frozenset[str]) -> None:
    assert allowed_grounds(regimes) == grounds


def test_forbidding_names_the_law() -> None:
    assert forbidding(["policy", "lgpd"]) == "LGPD art. 18 §5 (requests are free of charge)"
    assert forbidding(["policy", "quebec"], "excessive") == "Quebec private sector act s. 33"
    assert forbidding(["policy", "quebec"], REPRODUCTION) is None
    assert forbidding(["policy", "uk_gdpr"], "excessive") is None
