"""The tier matrix: what each right needs under each law by default (docs/staff-guide.md has the table)."""

from __future__ import annotations

from typing import Any

import pytest

from identity.tiers import DEFAULT_TIERS, Tier, reached, tier_for, wants_specific_pieces

# Every regime but the CCPA: the confirmed email is enough unless staff doubt it (GDPR Art. 12(6)).
EMAIL_REGIMES = ["eu_gdpr", "uk_gdpr", "lgpd", "ru_152fz", "quebec", "pipeda", "ch_fadp", "tr_kvkk", "kr_pipa",
                 "us_state"]  # fmt: skip
RIGHTS = ["access", "portability", "erasure", "rectification", "restriction", "objection"]


@pytest.mark.parametrize("regime", EMAIL_REGIMES)
@pytest.mark.parametrize("kind", RIGHTS)
def test_the_confirmed_email_is_enough_outside_california(regime: str, kind: str) -> None:
    assert tier_for(kind, ["policy", regime], matrix=DEFAULT_TIERS) is Tier.EMAIL
    assert tier_for(kind, ["policy", regime], specific_pieces=True, matrix=DEFAULT_TIERS) is Tier.EMAIL


@pytest.mark.parametrize(
    ("kind", "specific", "tier"),
    [("access", False, Tier.MATCHED),  # §7062(b): the categories
     ("access", True, Tier.HIGH),  # §7062(c): the specific pieces
     ("portability", True, Tier.HIGH),
     ("erasure", False, Tier.MATCHED),  # §7062(d)
     ("rectification", False, Tier.MATCHED),
     ("opt_out", False, Tier.NONE),
     ("limit_sensitive", False, Tier.NONE)],
)  # fmt: skip
def test_california_sets_its_own_standard(kind: str, specific: bool, tier: Tier) -> None:
    assert tier_for(kind, ["policy", "ccpa"], specific_pieces=specific, matrix=DEFAULT_TIERS) is tier


@pytest.mark.parametrize("regimes", [["policy"], ["policy", "ccpa"], ["policy", "eu_gdpr"]])
def test_opt_outs_and_the_marketing_objection_need_nothing(regimes: list[str]) -> None:
    for kind in ("opt_out", "limit_sensitive"):
        assert tier_for(kind, regimes, matrix=DEFAULT_TIERS) is Tier.NONE
    assert tier_for("objection", regimes, marketing_only=True, doubt=True, matrix=DEFAULT_TIERS) is Tier.NONE


def test_the_strictest_law_of_the_case_decides() -> None:
    # A Californian requester of an operator established in the UK: the CCPA's two details.
    assert tier_for("access", ["policy", "ccpa", "uk_gdpr"], matrix=DEFAULT_TIERS) is Tier.MATCHED


def test_a_reasonable_doubt_raises_the_email_to_two_details_and_never_lowers() -> None:
    assert tier_for("access", ["policy", "uk_gdpr"], doubt=True, matrix=DEFAULT_TIERS) is Tier.MATCHED
    assert tier_for("opt_out", ["policy"], doubt=True, matrix=DEFAULT_TIERS) is Tier.NONE
    high = tier_for("access", ["policy", "ccpa"], specific_pieces=True, doubt=True, matrix=DEFAULT_TIERS)
    assert high is Tier.HIGH


def test_the_settings_override_any_cell(settings: Any) -> None:
    settings.PRIVACY_VERIFICATION_TIERS = {"ccpa": {"erasure": "high"}, "us_state": {"access": "matched"}}
    assert tier_for("erasure", ["policy", "ccpa"]) is Tier.HIGH
    assert tier_for("access", ["policy", "us_state"]) is Tier.MATCHED
    assert tier_for("access", ["policy", "uk_gdpr"]) is Tier.EMAIL  # the rest keeps its defaults


def test_a_regime_without_a_cell_for_the_specific_pieces_treats_them_as_access(settings: Any) -> None:
    settings.PRIVACY_VERIFICATION_TIERS = {"default": {"access": "matched"}}
    assert tier_for("access", ["policy"], specific_pieces=True) is Tier.MATCHED


def test_only_the_ccpa_tells_the_specific_pieces_from_the_categories() -> None:
    assert wants_specific_pieces("access", ["policy", "ccpa"], asked=True)
    assert not wants_specific_pieces("access", ["policy", "ccpa"], asked=False)
    assert wants_specific_pieces("portability", ["policy", "ccpa"], asked=False)  # a portable copy is them
    assert not wants_specific_pieces("access", ["policy", "uk_gdpr"], asked=True)
    assert not wants_specific_pieces("erasure", ["policy", "ccpa"], asked=True)


@pytest.mark.parametrize(
    ("points", "declared", "tier"),
    [(0, False, Tier.EMAIL), (1, True, Tier.EMAIL), (2, False, Tier.MATCHED), (2, True, Tier.MATCHED),
     (3, False, Tier.MATCHED), (3, True, Tier.HIGH), (4, True, Tier.HIGH)],
)  # fmt: skip
def test_what_the_matched_details_reach(points: int, declared: bool, tier: Tier) -> None:
    assert reached(points, declared=declared) is tier
