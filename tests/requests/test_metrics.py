"""The dashboard's figures and the CCPA §7102 metrics, against cases counted by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
import time_machine

from requests import services
from requests.models import PrivacyRequest
from requests.selectors import metrics
from tests.factories import complete_case, make_case

pytestmark = pytest.mark.django_db
TODAY = date(2026, 1, 15)
NOW = datetime(2026, 1, 15, 12, tzinfo=UTC)


def at(day: str, hour: int = 12, minute: int = 0) -> datetime:
    """Noon UTC unless told: the same calendar day in London, where the operator counts days."""
    return datetime.fromisoformat(day).replace(hour=hour, minute=minute, tzinfo=UTC)


def received(day: str | datetime, **fields: Any) -> PrivacyRequest:
    with time_machine.travel(at(day) if isinstance(day, str) else day, tick=False):
        return make_case(requester_email=f"p{PrivacyRequest.objects.count()}@example.org", **fields)


def in_progress(case: PrivacyRequest, by: Any) -> PrivacyRequest:
    """Through the steps a handler takes before answering: email confirmed, identity checked, assigned."""
    services.confirm_email(case)
    if case.status == "verifying":
        services.verify(case, by=by, data_points=["phone", "postal_address", "date_of_birth"])
    return services.assign(case, to=by, by=by)


def completed(case: PrivacyRequest, day: str, by: Any, outcome: str = "fulfilled") -> PrivacyRequest:
    with time_machine.travel(at(day), tick=False):
        return complete_case(in_progress(case, by), by=by, outcome=outcome)


def denied(case: PrivacyRequest, day: str, by: Any, reason: str) -> PrivacyRequest:
    with time_machine.travel(at(day), tick=False):
        return services.deny(case, by=by, reason=reason, explanation="Explained in the letter.")


def withdrawn(case: PrivacyRequest, day: str) -> PrivacyRequest:
    with time_machine.travel(at(day), tick=False):
        return services.withdraw(case)


CA = {"country": "US", "subdivision": "CA"}


@pytest.fixture
def year_2025(dpo: Any) -> None:
    """CCPA cases of 2025, days to answer in the comments (London dates)."""
    # Know: access and portability.
    completed(received("2025-03-03", kind="access", **CA), "2025-03-13", dpo)  # 10
    completed(received("2025-04-01", kind="portability"), "2025-04-05", dpo, "partially_fulfilled")  # 4
    denied(received("2025-05-01", kind="access"), "2025-05-21", dpo, "identity_not_verified")  # 20
    received("2025-06-02", kind="access")  # still open
    with time_machine.travel(at("2025-06-20"), tick=False):
        services.expire(received("2025-06-03", kind="access"))  # never confirmed: not verifiable
    completed(received("2024-12-31", kind="access"), "2025-01-10", dpo)  # received in 2024: not counted
    received("2025-07-01", kind="access", customer_name="Acme Ltd")  # we are Acme's processor: not counted
    # Delete.
    completed(received("2025-02-03", kind="erasure", **CA), "2025-02-10", dpo, "no_data")  # 7
    denied(received("2025-02-03", kind="erasure", country="US", subdivision="VA"), "2025-02-06", dpo,
           "legal_exemption")  # 3  # fmt: skip
    withdrawn(received("2025-08-01", kind="erasure", country="US", subdivision="US-CA"), "2025-08-02")
    completed(received("2025-09-01", kind="erasure", country="DE"), "2025-09-03", dpo)  # 2
    # Correct.
    completed(received("2025-03-10", kind="rectification", **CA), "2025-03-11", dpo)  # 1
    completed(received("2025-03-10", kind="rectification", **CA), "2025-03-14", dpo)  # 4
    denied(received("2025-10-01", kind="rectification"), "2025-10-07", dpo, "manifestly_unfounded")  # 6
    denied(received("2025-10-01", kind="rectification"), "2025-10-07", dpo, "excessive")  # 6
    # Opt out: honoured the moment they arrive.
    received("2025-04-04", kind="opt_out", **CA)  # 0
    received("2025-11-11", kind="opt_out")  # 0
    # Not CCPA rights.
    completed(received("2025-05-05", kind="restriction"), "2025-05-06", dpo)
    received("2025-05-05", kind="objection", objection_grounds="No.")


def table(rows: list[metrics.CcpaRow]) -> dict[str, tuple[Any, ...]]:
    return {
        row.category.code: (
            row.received,
            row.complied,
            row.denied,
            row.unverifiable,
            row.median_days,
            row.mean_days,
        )
        for row in rows
    }


def test_ccpa_metrics_count_every_requester_by_request_type(year_2025: None) -> None:
    rows = metrics.ccpa_metrics(PrivacyRequest.objects.all(), 2025)
    assert table(rows) == {
        # Not verifiable: the identity refusal and the request never confirmed (no answer, so no days).
        "know": (5, 2, 1, 2, Decimal("10.0"), Decimal("11.3")),  # days 4, 10, 20
        "delete": (4, 2, 1, 0, Decimal("3.0"), Decimal("4.0")),  # days 2, 3, 7
        "correct": (4, 2, 2, 0, Decimal("5.0"), Decimal("4.3")),  # days 1, 4, 6, 6: mean 4.25, half up
        "opt_out": (2, 2, 0, 0, Decimal("0.0"), Decimal("0.0")),
        "limit": (0, 0, 0, 0, None, None),
    }
    reasons = {row.category.code: {k: v for k, v in row.denied_by_reason.items() if v} for row in rows}
    assert reasons == {
        "know": {"identity_not_verified": 1},
        "delete": {"legal_exemption": 1},
        "correct": {"manifestly_unfounded": 1, "excessive": 1},
        "opt_out": {},
        "limit": {},
    }


def test_ccpa_metrics_for_california_residents_only(year_2025: None) -> None:
    rows = metrics.ccpa_metrics(PrivacyRequest.objects.all(), 2025, california_only=True)
    assert table(rows) == {
        "know": (1, 1, 0, 0, Decimal("10.0"), Decimal("10.0")),
        "delete": (
            2,
            1,
            0,
            0,
            Decimal("7.0"),
            Decimal("7.0"),
        ),  # the withdrawn case typed "US-CA" is received
        "correct": (2, 2, 0, 0, Decimal("2.5"), Decimal("2.5")),  # an even count: the mean of the middle two
        "opt_out": (1, 1, 0, 0, Decimal("0.0"), Decimal("0.0")),
        "limit": (0, 0, 0, 0, None, None),
    }
    typed_us_ca = PrivacyRequest.objects.get(
        status="withdrawn"
    )  # stored as "CA": the country prefix is dropped
    assert (typed_us_ca.subdivision, typed_us_ca.regimes) == ("CA", ["policy", "ccpa"])


def test_ccpa_metrics_leave_out_other_years_and_cost_two_queries(
    year_2025: None, django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(2):
        rows = metrics.ccpa_metrics(PrivacyRequest.objects.all(), 2024)
    assert table(rows)["know"] == (1, 1, 0, 0, Decimal("10.0"), Decimal("10.0"))  # 31 Dec 2024 to 10 Jan 2025
    assert sum(row.received for row in metrics.ccpa_metrics(PrivacyRequest.objects.all(), 2026)) == 0


def test_summary_counts_open_overdue_due_this_week_and_median_days_to_close(dpo: Any) -> None:
    # Japan: only our policy applies, 45 days counting receipt as day 1, no weekend roll.
    overdue = received("2025-12-01", kind="rectification", country="JP")
    due_today = received("2025-12-02", kind="rectification", country="JP")
    due_in_7 = received("2025-12-09", kind="rectification", country="JP")
    due_in_8 = received("2025-12-10", kind="rectification", country="JP")
    assert [c.effective_due_at.day for c in (overdue, due_today, due_in_7, due_in_8)] == [14, 15, 22, 23]
    completed(received("2025-11-01", kind="rectification", country="JP"), "2025-12-20", dpo)  # 49 days
    denied(received("2025-06-01"), "2025-06-11", dpo, "excessive")  # 10
    received("2025-09-09", kind="opt_out")  # 0
    completed(received("2025-03-01", kind="rectification"), "2025-03-21", dpo)  # 20
    completed(
        received("2025-01-01", kind="rectification"), "2025-01-15", dpo
    )  # closed 365 days ago: left out
    withdrawn(received("2025-12-01", kind="rectification"), "2025-12-05")  # not an answer: left out

    result = metrics.summary(PrivacyRequest.objects.all(), TODAY)

    assert (result.open, result.overdue, result.due_this_week) == (4, 1, 2)
    assert result.median_days_to_close == Decimal("15.0")  # 0, 10, 20, 49
    assert result.week_ends == date(2026, 1, 22)


def test_summary_of_no_cases_has_no_median(db: Any) -> None:
    result = metrics.summary(PrivacyRequest.objects.all(), TODAY)
    assert (result.open, result.overdue, result.due_this_week, result.median_days_to_close) == (0, 0, 0, None)


def test_per_month_counts_the_last_twelve_months_by_kind_in_one_query(
    db: Any, django_assert_num_queries: Any
) -> None:
    received("2025-01-31", kind="access")  # before the twelve months
    received(at("2025-02-01", 0, 30), kind="access")  # first minutes of February
    received(at("2025-04-30", 23, 30), kind="erasure")  # 00:30 on 1 May in London (summer time)
    received("2025-05-20", kind="erasure")
    received("2025-05-21", kind="opt_out")
    received("2026-01-10", kind="rectification")
    received("2026-01-14", kind="rectification")

    with django_assert_num_queries(1):
        months = metrics.per_month(PrivacyRequest.objects.all(), today=TODAY)

    assert [m.month for m in months] == [date(2025, m, 1) for m in range(2, 13)] + [date(2026, 1, 1)]
    busy = {m.month: {k: n for k, n in m.counts.items() if n} for m in months if m.total}
    assert busy == {
        date(2025, 2, 1): {"access": 1},
        date(2025, 5, 1): {"erasure": 2, "opt_out": 1},
        date(2026, 1, 1): {"rectification": 2},
    }
    assert list(months[0].counts) == [
        "access", "rectification", "erasure", "restriction", "portability", "objection", "opt_out",
        "limit_sensitive", "appeal", "complaint",
    ]  # fmt: skip
    assert [m.total for m in months] == [1, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 2]


@pytest.mark.parametrize(
    ("days", "median", "mean"),
    [
        ([], None, None),
        ([3], "3.0", "3.0"),
        ([1, 2], "1.5", "1.5"),
        ([5, 1, 3, 2], "2.5", "2.8"),
        ([1, 1, 2], "1.0", "1.3"),
    ],
)
def test_median_and_mean_to_one_decimal(days: list[int], median: str | None, mean: str | None) -> None:
    assert metrics.median_days(days) == (Decimal(median) if median else None)
    assert metrics.mean_days(days) == (Decimal(mean) if mean else None)
