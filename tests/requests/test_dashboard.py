"""The staff dashboard and the CCPA metrics CSV: who may see them, and that they show the counted numbers."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.test import Client

from requests import services
from requests.models import PrivacyRequest
from requests.roles import ensure_roles
from tests.factories import PASSWORD, complete_case, make_case, signed_in

pytestmark = pytest.mark.django_db
DASHBOARD = "/admin/dashboard/"
NOW = datetime(2026, 1, 15, 12, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _roles_and_today() -> Any:
    ensure_roles()  # a transactional test elsewhere may have flushed the migration's groups
    with time_machine.travel(NOW, tick=False):
        yield


def case(day: str, **fields: Any) -> PrivacyRequest:
    with time_machine.travel(datetime.fromisoformat(day).replace(hour=12, tzinfo=UTC), tick=False):
        return make_case(requester_email=f"p{PrivacyRequest.objects.count()}@example.org", **fields)


def answered(privacy_request: PrivacyRequest, day: str, by: Any) -> PrivacyRequest:
    with time_machine.travel(datetime.fromisoformat(day).replace(hour=12, tzinfo=UTC), tick=False):
        services.confirm_email(privacy_request)
        if privacy_request.status == "verifying":
            services.verify(privacy_request, by=by, data_points=["phone", "postal_address", "date_of_birth"])
        services.assign(privacy_request, to=by, by=by)
        return complete_case(privacy_request, by=by, outcome="fulfilled")


def refused(privacy_request: PrivacyRequest, day: str, by: Any) -> PrivacyRequest:
    with time_machine.travel(datetime.fromisoformat(day).replace(hour=12, tzinfo=UTC), tick=False):
        return services.deny(privacy_request, by=by, reason="legal_exemption", explanation="A law says so.")


@pytest.fixture
def cases(dpo: Any) -> dict[str, PrivacyRequest]:
    """Japan: our 45-day policy alone, so due dates are received + 44 days."""
    return {
        "overdue": case("2025-12-01", kind="rectification", country="JP"),  # due 14 Jan
        "due_today": case("2025-12-02", kind="rectification", country="JP"),  # due 15 Jan
        "due_later": case("2025-12-20", kind="rectification", country="JP"),
        "ca_access": answered(
            case("2025-03-03", kind="access", country="US", subdivision="CA"), "2025-03-13", dpo
        ),
        "gb_erasure": answered(case("2025-03-03", kind="erasure"), "2025-03-07", dpo),
        "gb_refused": refused(case("2025-04-01", kind="erasure"), "2025-04-03", dpo),
        "gb_opt_out": case("2025-06-01", kind="opt_out"),
        "this_year": case("2026-01-05", kind="opt_out", country="US", subdivision="CA"),
    }


def figures(page: str) -> dict[str, tuple[str, str]]:
    """The four numbers as the page shows them: label → (number, link)."""
    found = re.findall(
        r'<a href="([^"]+)"><span class="figure-value">([^<]+)</span> <span class="figure-label">([^<]+)</span>',
        page,
    )
    return {label: (value, url.replace("&amp;", "&")) for url, value, label in found}


def test_the_dashboard_shows_a_dpo_the_numbers_the_chart_and_this_years_ccpa_table(
    dpo: Any, cases: dict[str, PrivacyRequest]
) -> None:
    response = signed_in(dpo, "DPO").get(DASHBOARD)
    assert response.status_code == 200
    page = response.content.decode()
    queue = "/admin/requests/privacyrequest/"
    assert figures(page) == {
        "Open": ("3", f"{queue}?queue=open"),
        "Overdue": ("1", f"{queue}?due=overdue"),
        "Due this week": ("1", f"{queue}?effective_due_at__gte=2026-01-15&effective_due_at__lte=2026-01-22"),
        "Median days to close (last 365 days)": ("2.0", f"{queue}?queue=closed"),  # 0, 0, 2, 4, 10
    }
    assert '<svg class="chart" role="img"' in page and '<title id="chart-title">' in page
    assert "8 requests received from February 2025 to January 2026; the most, 3, in December 2025." in page
    assert "<details" in page and '<th scope="row">June 2025</th>' in page  # the table under the chart
    assert "Opt out of sale, sharing or marketing, Jan 2026: 1" in page  # a bar's tooltip
    assert "Requests received in 2026: All requesters." in page
    assert 'href="/admin/dashboard/ccpa-2026.csv"' in page
    assert '<th scope="row">Opt out of sale/sharing</th><td class="num">1</td><td class="num">1</td>' in page


def test_the_dashboards_links_open_the_same_cases_in_the_queue(
    dpo: Any, cases: dict[str, PrivacyRequest]
) -> None:
    client = signed_in(dpo, "DPO")
    links = figures(client.get(DASHBOARD).content.decode())
    this_week = client.get(links["Due this week"][1]).content.decode()
    assert cases["due_today"].reference in this_week
    assert cases["overdue"].reference not in this_week and cases["due_later"].reference not in this_week
    overdue = client.get(links["Overdue"][1]).content.decode()
    assert cases["overdue"].reference in overdue and cases["due_today"].reference not in overdue


def test_a_dpo_chooses_the_year_and_california_residents(dpo: Any, cases: dict[str, PrivacyRequest]) -> None:
    client = signed_in(dpo, "DPO")
    page = client.get(DASHBOARD, {"year": "2025", "scope": "ca"}).content.decode()
    assert "Requests received in 2025: California residents only." in page
    assert (
        '<th scope="row">Know</th><td class="num">1</td><td class="num">1</td><td class="num">0</td>' in page
    )
    assert '<th scope="row">Delete</th><td class="num">0</td>' in page  # the erasure came from GB
    assert 'href="/admin/dashboard/ccpa-2025.csv?scope=ca"' in page
    assert '<option value="2025" selected>2025</option>' in page
    # The year alone is enough; the scope defaults to everyone.
    page = client.get(DASHBOARD, {"year": "2025"}).content.decode()
    assert "Requests received in 2025: All requesters." in page and "errornote" not in page
    assert (
        '<th scope="row">Delete</th><td class="num">2</td><td class="num">1</td><td class="num">1</td>'
        in page
    )
    assert (
        '<tr><th scope="row">A legal exemption applies</th><td class="num">0</td><td class="num">1</td>'
        in page
    )


def test_the_csv_has_the_year_the_scope_and_a_row_per_request_type(
    dpo: Any, cases: dict[str, PrivacyRequest]
) -> None:
    response = signed_in(dpo, "DPO").get("/admin/dashboard/ccpa-2025.csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="ccpa-metrics-2025-all.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["CCPA request metrics (Cal. Code Regs. tit. 11, § 7102)", "Year 2025"]
    assert rows[1] == ["Requesters counted", "All requesters"]
    header = rows[3]
    assert header[:7] == ["Request type", "Received", "Complied with in whole or in part", "Denied",
                          "Not verifiable (refused or never confirmed)", "Median days to respond",
                          "Mean days to respond"]  # fmt: skip
    exemption = header.index("Denied: A legal exemption applies")
    assert [(*r[:7], r[exemption]) for r in rows[4:]] == [
        ("Know", "1", "1", "0", "0", "10.0", "10.0", "0"),
        ("Delete", "2", "1", "1", "0", "3.0", "3.0", "1"),  # 4 and 2 days
        ("Correct", "3", "0", "0", "0", "", "", "0"),  # the three open ones from Japan
        ("Opt out of sale/sharing", "1", "1", "0", "0", "0.0", "0.0", "0"),
        ("Limit use of sensitive PI", "0", "0", "0", "0", "", "", "0"),
    ]
    assert len(rows) == 9 and all(len(r) == len(header) for r in rows[4:])
    california = signed_in(dpo, "DPO").get("/admin/dashboard/ccpa-2025.csv", {"scope": "ca"})
    ca_rows = list(csv.reader(io.StringIO(california.content.decode())))
    assert ca_rows[1] == ["Requesters counted", "California residents only"]
    assert [r[1] for r in ca_rows[4:]] == ["1", "0", "0", "0", "0"]
    assert 'filename="ccpa-metrics-2025-ca.csv"' in california["Content-Disposition"]


def test_an_auditor_sees_the_metrics_and_the_index_shows_the_numbers(
    auditor: Any, cases: dict[str, PrivacyRequest]
) -> None:
    client = signed_in(auditor, "Auditor")
    assert client.get("/admin/dashboard/ccpa-2025.csv").status_code == 200
    index = client.get("/admin/")
    assert index.status_code == 200
    page = index.content.decode()
    assert 'href="/admin/dashboard/"' in page and 'class="app-requests module' in page  # and the app list
    assert figures(page)["Overdue"][0] == "1"


def test_a_handler_sees_their_own_numbers_and_no_ccpa_metrics(
    dpo: Any, handler: Any, other_handler: Any, cases: dict[str, PrivacyRequest]
) -> None:
    services.confirm_email(cases["overdue"])
    services.assign(cases["overdue"], to=other_handler, by=dpo)
    client = signed_in(handler, "Handler")
    response = client.get(DASHBOARD)
    assert response.status_code == 200
    page = response.content.decode()
    assert "These numbers count the unassigned queue and your own cases." in page
    assert figures(page)["Open"][0] == "2" and figures(page)["Overdue"][0] == "0"
    assert "CCPA request metrics" not in page and "ccpa-2026.csv" not in page
    assert client.get("/admin/dashboard/ccpa-2026.csv").status_code == 403
    assert figures(client.get("/admin/").content.decode())["Open"][0] == "2"


def test_staff_without_a_verified_device_are_sent_to_sign_in(client: Client, dpo: Any) -> None:
    for url in (DASHBOARD, "/admin/dashboard/ccpa-2025.csv"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(f"/admin/login/?next={url}")
    # The password alone (no device yet) opens nothing.
    dpo.groups.add(Group.objects.get(name="DPO"))
    assert (
        client.post("/admin/login/", {"username": "dpo", "password": PASSWORD, "otp_token": "1"}).status_code
        == 200
    )
    for url in (DASHBOARD, "/admin/dashboard/ccpa-2025.csv"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


def test_staff_with_no_role_get_403_and_an_index_without_numbers(dpo: Any) -> None:
    client = signed_in(dpo, "DPO")
    dpo.groups.clear()
    assert client.get(DASHBOARD).status_code == 403
    index = client.get("/admin/")
    assert index.status_code == 200 and "figure-value" not in index.content.decode()
    assert client.get("/admin/dashboard/ccpa-1999.csv").status_code == 403


def test_a_year_outside_the_records_is_not_found(dpo: Any) -> None:
    client = signed_in(dpo, "DPO")
    assert client.get("/admin/dashboard/ccpa-1999.csv").status_code == 404
    assert client.get("/admin/dashboard/ccpa-2027.csv").status_code == 404
    page = client.get(DASHBOARD, {"year": "1999"}).content.decode()
    assert "Requests received in 2026: All requesters." in page and "errornote" in page
