"""When a request counts as repeated, by law and right (requests/repetition.py), and who counts."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine

from requests import services
from requests.repetition import is_repetitive
from tests.factories import make_case

D = date(2026, 6, 1)


@pytest.mark.parametrize(
    ("regimes", "kind", "earlier", "expected"),
    [
        # CCPA and the US state laws: a request to know more than twice in 12 months.
        (
            ["policy", "ccpa"],
            "access",
            [("access", D - timedelta(days=300)), ("portability", D - timedelta(days=10))],
            True,
        ),
        (["policy", "ccpa"], "access", [("access", D - timedelta(days=10))], False),
        (
            ["policy", "ccpa"],
            "access",
            [("access", D - timedelta(days=400)), ("access", D - timedelta(days=10))],
            False,
        ),
        (["policy", "us_state"], "portability", [("access", D - timedelta(days=1))] * 2, True),
        # Never for the other rights, and an earlier erasure is not a request to know.
        (["policy", "ccpa"], "erasure", [("erasure", D - timedelta(days=1))] * 5, False),
        (["policy", "ccpa"], "opt_out", [("opt_out", D - timedelta(days=1))] * 5, False),
        (["policy", "ccpa"], "access", [("erasure", D - timedelta(days=1))] * 5, False),
        # 152-FZ art. 14: the same information again within 30 days.
        (["policy", "ru_152fz"], "access", [("access", D - timedelta(days=29))], True),
        (["policy", "ru_152fz"], "access", [("access", D - timedelta(days=30))], False),
        # GDPR, UK GDPR: "reasonable intervals" are for staff, with the history on the case page.
        (["policy", "uk_gdpr"], "access", [("access", D - timedelta(days=1))] * 5, False),
        (["policy", "eu_gdpr"], "access", [("access", D - timedelta(days=1))] * 5, False),
    ],
)
def test_is_repetitive(
    regimes: list[str], kind: str, earlier: list[tuple[str, date]], expected: bool
) -> None:
    assert is_repetitive(regimes, kind, D, earlier) is expected


@pytest.mark.django_db
def test_a_strangers_unconfirmed_requests_with_your_address_do_not_count() -> None:
    ru = {"country": "RU", "language": "ru"}
    with time_machine.travel(date(2026, 6, 1), tick=False):
        make_case(requester_email="ivan@example.ru", **ru)  # never confirmed: anyone could have sent it
        make_case(requester_email="ivan@example.ru", **ru)
    with time_machine.travel(date(2026, 6, 10), tick=False):
        real = make_case(requester_email="Ivan@Example.ru", **ru)
    assert not real.repetitive
    services.confirm_email(real)
    with time_machine.travel(date(2026, 6, 20), tick=False):
        again = make_case(requester_email="ivan@example.ru", **ru)
    assert again.repetitive  # the confirmed one ten days earlier counts (152-FZ: 30 days)


@pytest.mark.django_db
def test_the_case_page_lists_the_earlier_requests_from_the_same_address(dpo: object) -> None:
    from tests.factories import signed_in

    first = services.confirm_email(make_case(kind="rectification"))
    second = services.confirm_email(make_case(kind="rectification", requester_email="ADA@example.org"))
    stranger = make_case(kind="rectification", requester_email="someone@example.org")
    page = signed_in(dpo, "DPO").get(f"/admin/requests/privacyrequest/{second.pk}/change/").content.decode()
    assert "Earlier requests from this address" in page
    earlier = page.split('<ul class="earlier-requests">')[1].split("</ul>")[0]
    assert first.reference in earlier and stranger.reference not in earlier  # ("Next case" may name anyone)
