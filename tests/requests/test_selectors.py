"""The staff queue (selectors.queue): who sees which cases and what each filter means, for admin and API alike."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import AnonymousUser
from django.test import Client

from identity import tokens
from requests import services
from requests.models import PrivacyRequest
from requests.roles import ensure_roles
from requests.selectors import QueueFilters, queue
from tests.factories import in_role, make_case, signed_in

pytestmark = pytest.mark.django_db

# A Wednesday; 23:30 UTC is already Thursday in Moscow, so the operator's calendar is tested apart from UTC's.
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
TODAY = date(2026, 11, 25)


@dataclass
class Seeded:
    overdue: PrivacyRequest  # due yesterday, the handler's
    today: PrivacyRequest  # due today (not overdue), nobody's
    week: PrivacyRequest  # due in 7 days, the other handler's; a processor's request
    later: PrivacyRequest  # due in 8 days, nobody's; repetitive (the same person again); Californian
    closed: PrivacyRequest  # withdrawn


def due_on(privacy_request: PrivacyRequest, day: date) -> PrivacyRequest:
    # The engine's dates depend on holidays and month lengths; the queue only reads the stored due date, so the
    # boundaries (yesterday, today, the 7th day) are set exactly here instead.
    PrivacyRequest.objects.filter(pk=privacy_request.pk).update(effective_due_at=day)
    privacy_request.refresh_from_db()
    return privacy_request


@pytest.fixture
def seeded(dpo: Any, handler: Any, other_handler: Any) -> Iterator[Seeded]:
    ensure_roles()
    in_role(dpo, "DPO")
    in_role(handler, "Handler")
    in_role(other_handler, "Handler")
    with time_machine.travel(NOW, tick=False):
        opened = [
            services.confirm_email(make_case(**fields))
            for fields in (
                {"kind": "rectification", "requester_email": "late@example.org"},
                {"requester_email": "today@example.org"},
                {"requester_email": "week@example.org", "customer_name": "Acme Ltd"},
                {"requester_email": "today@example.org", "country": "US", "subdivision": "CA"},
            )
        ]
        services.assign(opened[0], to=handler, by=dpo)
        services.assign(opened[2], to=other_handler, by=dpo)
        # Which requests the law counts as repeated is tested in test_repetition.py; here only the flag.
        PrivacyRequest.objects.filter(pk=opened[3].pk).update(repetitive=True)
        days = (-1, 0, 7, 8)
        late, today, week, later = (
            due_on(c, TODAY + timedelta(days=n)) for c, n in zip(opened, days, strict=True)
        )
        closed = services.withdraw(make_case(requester_email="gone@example.org"))
        yield Seeded(overdue=late, today=today, week=week, later=later, closed=closed)


def references(cases: Any) -> list[str]:
    return [case.reference for case in cases.order_by("effective_due_at", "id")]


def test_the_queue_is_open_cases_by_default_closed_or_all_on_request(seeded: Seeded, dpo: Any) -> None:
    s = seeded
    open_cases = [s.overdue.reference, s.today.reference, s.week.reference, s.later.reference]
    assert references(queue(dpo, QueueFilters())) == open_cases
    assert references(queue(dpo, QueueFilters(queue="closed"))) == [s.closed.reference]
    assert set(references(queue(dpo, QueueFilters(queue="all")))) == {*open_cases, s.closed.reference}


def test_handlers_see_the_unassigned_queue_and_their_own_auditors_everything_others_nothing(
    seeded: Seeded, handler: Any, auditor: Any
) -> None:
    s = seeded
    assert references(queue(handler, QueueFilters())) == [
        s.overdue.reference,
        s.today.reference,
        s.later.reference,
    ]
    in_role(auditor, "Auditor")
    assert s.week.reference in references(queue(auditor, QueueFilters()))
    assert references(queue(AnonymousUser(), QueueFilters(queue="all"))) == []


def test_overdue_means_due_before_today_in_the_operators_calendar(
    seeded: Seeded, dpo: Any, settings: Any
) -> None:
    s = seeded
    with time_machine.travel(NOW, tick=False):
        assert references(queue(dpo, QueueFilters(overdue=True))) == [s.overdue.reference]
        not_overdue = [s.today.reference, s.week.reference, s.later.reference]
        assert references(queue(dpo, QueueFilters(overdue=False))) == not_overdue
    settings.PRIVACY_OPERATOR_TIMEZONE = "Europe/Moscow"
    with time_machine.travel(datetime(2026, 11, 25, 23, 30, tzinfo=UTC), tick=False):
        # Still the 25th in UTC, already the 26th where the operator works: today's case is now late.
        assert references(queue(dpo, QueueFilters(overdue=True))) == [s.overdue.reference, s.today.reference]


def test_due_within_days_counts_overdue_cases_today_and_the_last_day(seeded: Seeded, dpo: Any) -> None:
    s = seeded
    with time_machine.travel(NOW, tick=False):
        within_week = references(queue(dpo, QueueFilters(due_within=7)))
        assert within_week == [s.overdue.reference, s.today.reference, s.week.reference]
        assert references(queue(dpo, QueueFilters(due_before=TODAY + timedelta(days=7)))) == within_week[:2]


def test_assignee_is_me_none_or_a_member_of_staff(seeded: Seeded, dpo: Any, handler: Any) -> None:
    s = seeded
    assert references(queue(handler, QueueFilters(assignee="me"))) == [s.overdue.reference]
    assert references(queue(dpo, QueueFilters(assignee="me"))) == []
    assert references(queue(dpo, QueueFilters(assignee="none"))) == [s.today.reference, s.later.reference]
    assert references(queue(dpo, QueueFilters(assignee=str(handler.pk)))) == [s.overdue.reference]


def test_status_kind_regime_and_flags(seeded: Seeded, dpo: Any) -> None:
    s = seeded
    assert references(queue(dpo, QueueFilters(kind="rectification"))) == [s.overdue.reference]
    assert references(queue(dpo, QueueFilters(status="withdrawn"))) == []  # a closed status, open queue
    assert references(queue(dpo, QueueFilters(queue="all", status="withdrawn"))) == [s.closed.reference]
    assert references(queue(dpo, QueueFilters(regime="ccpa"))) == [s.later.reference]
    assert references(queue(dpo, QueueFilters(repetitive=True))) == [s.later.reference]
    assert references(queue(dpo, QueueFilters(processor_request=True))) == [s.week.reference]
    everyone_else = [s.overdue.reference, s.today.reference, s.later.reference]
    assert references(queue(dpo, QueueFilters(processor_request=False))) == everyone_else


def test_search_is_a_reference_or_an_email_address_and_blank_is_no_search(seeded: Seeded, dpo: Any) -> None:
    s = seeded
    assert references(queue(dpo, QueueFilters(search=s.week.reference.lower()))) == [s.week.reference]
    today_person = [s.today.reference, s.later.reference]
    assert references(queue(dpo, QueueFilters(search=" Today@Example.org "))) == today_person
    assert (
        references(queue(dpo, QueueFilters(search="gone@example.org"))) == []
    )  # closed: not in the open queue
    assert len(references(queue(dpo, QueueFilters(search="  ")))) == 4


# --- The admin list and the API list agree ---------------------------------------------------------------------

# (admin's query string, the API's) for each filter both offer.
SHARED = [
    ({}, {}),
    ({"queue": "closed"}, {"queue": "closed"}),
    ({"queue": "all"}, {"queue": "all"}),
    ({"status__exact": "open"}, {"status": "open"}),
    ({"kind__exact": "rectification"}, {"kind": "rectification"}),
    ({"governing_regime__exact": "ccpa"}, {"regime": "ccpa"}),
    ({"due": "overdue"}, {"overdue": "true"}),
    ({"who": "mine"}, {"assignee": "me"}),
    ({"who": "unassigned"}, {"assignee": "none"}),
    ({"repetitive__exact": "1"}, {"repetitive": "true"}),
    ({"processor_request__exact": "1"}, {"processor_request": "true"}),
    ({"processor_request__exact": "0"}, {"processor_request": "false"}),
    ({"q": "today@example.org"}, {"q": "today@example.org"}),
    ({"q": "gone@example.org", "queue": "all"}, {"q": "gone@example.org", "queue": "all"}),
]


@pytest.mark.parametrize("role", ["DPO", "Handler"])
def test_the_admin_list_and_the_api_list_return_the_same_cases(
    seeded: Seeded, dpo: Any, handler: Any, role: str
) -> None:
    user = dpo if role == "DPO" else handler
    with time_machine.travel(NOW, tick=False):
        admin = signed_in(user, role)
        _token, plaintext = tokens.create_token(user, name="parity", days=30)
        api = Client(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
        seen: set[str] = set()
        for admin_params, api_params in SHARED:
            # An admin ?q= is searched and redirected at once to the queue URL with a token (admin/queue.py).
            page = admin.get("/admin/requests/privacyrequest/", admin_params, follow=True)
            assert page.status_code == 200, admin_params
            from_admin = [case.reference for case in page.context["cl"].result_list]
            if "q" in api_params:  # the API's search takes its term, and the filters with it, in a JSON body
                body = json.dumps(api_params)
                listed = api.post("/api/v1/search/cases/", body, content_type="application/json")
            else:
                listed = api.get("/api/v1/cases/", api_params)
            assert listed.status_code == 200, api_params
            from_api = [case["reference"] for case in listed.json()["results"]]
            assert from_admin == from_api, (admin_params, api_params)
            seen.update(from_admin)
    # Not a parity that holds by both lists being empty: every case the user may see came up at least once.
    assert seen == set(references(queue(user, QueueFilters(queue="all"))))
