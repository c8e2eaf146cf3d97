"""The staff queue in the admin: who sees what, the default view, filters and a flat query count."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext

from requests import services
from requests.models import PrivacyRequest
from requests.roles import ensure_roles
from tests.factories import make_case, signed_in

pytestmark = pytest.mark.django_db
QUEUE = "/admin/requests/privacyrequest/"


@pytest.fixture(autouse=True)
def _roles() -> None:
    ensure_roles()  # a transactional test elsewhere may have flushed the migration's groups


def opened(**fields: Any) -> PrivacyRequest:
    return services.confirm_email(make_case(kind="rectification", **fields))


def test_roles_exist_with_their_permissions() -> None:
    dpo, handler, auditor = (Group.objects.get(name=n) for n in ("DPO", "Handler", "Auditor"))
    assert dpo.permissions.filter(codename="extend_case").exists()
    assert not handler.permissions.filter(codename__in=["extend_case", "deny_case", "quote_fee"]).exists()
    # Auditors read everything and change nothing.
    assert set(auditor.permissions.values_list("codename", flat=True)) == {
        "view_privacyrequest", "view_requestevent", "view_message", "view_notice", "view_all_cases",
        "view_systemcheck", "view_processingactivity", "view_companysystem", "view_thirdparty",
        "view_casenote", "view_inboxitem",
    }  # fmt: skip


def test_handlers_see_the_unassigned_queue_and_their_own_cases(
    dpo: Any, handler: Any, other_handler: Any
) -> None:
    mine, unassigned, theirs = opened(), opened(), opened()
    services.assign(mine, to=handler, by=dpo)
    services.assign(theirs, to=other_handler, by=dpo)
    client = signed_in(handler, "Handler")
    page = client.get(QUEUE).content.decode()
    assert mine.reference in page and unassigned.reference in page and theirs.reference not in page
    assert client.get(f"{QUEUE}{theirs.pk}/change/").status_code == 302  # "does not exist"
    assert client.get(f"{QUEUE}{mine.pk}/change/").status_code == 200
    only_mine = client.get(QUEUE, {"who": "mine"}).content.decode()
    assert mine.reference in only_mine and unassigned.reference not in only_mine


def test_auditors_read_everything_and_change_nothing(dpo: Any, auditor: Any, other_handler: Any) -> None:
    theirs = opened()
    services.assign(theirs, to=other_handler, by=dpo)
    client = signed_in(auditor, "Auditor")
    assert theirs.reference in client.get(QUEUE).content.decode()
    page = client.get(f"{QUEUE}{theirs.pk}/change/").content.decode()
    assert "Save" not in page and theirs.reference in page


def test_the_queue_shows_open_cases_by_deadline_with_days_left(dpo: Any) -> None:
    with time_machine.travel(datetime(2025, 2, 8, 10, tzinfo=UTC), tick=False):
        late = opened()
    soon = opened()
    closed = services.withdraw(make_case())
    client = signed_in(dpo, "DPO")
    page = client.get(QUEUE).content.decode()
    assert late.reference in page and soon.reference in page and closed.reference not in page
    assert page.index(late.reference) < page.index(soon.reference)  # overdue first
    assert "overdue" in page
    overdue_only = client.get(QUEUE, {"due": "overdue"}).content.decode()
    assert late.reference in overdue_only and soon.reference not in overdue_only
    assert closed.reference in client.get(QUEUE, {"queue": "closed"}).content.decode()
    # The search is POSTed and the queue URL carries a token, not the term (test_queue_workspace.py).
    found = client.post(f"{QUEUE}search/", {"term": soon.reference}, follow=True)
    assert soon.reference in found.content.decode() and late.reference not in found.content.decode()


def test_the_queue_costs_the_same_queries_for_10_or_1000_cases(dpo: Any, handler: Any) -> None:
    client = signed_in(dpo, "DPO")

    def queries_for_listing(**params: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(QUEUE, params).status_code == 200
        return len(captured)

    for i in range(10):
        services.assign(opened(requester_email=f"a{i}@example.org"), to=handler, by=dpo)
    views = [{}, {"due": "overdue"}, {"who": "mine"}, {"queue": "all", "kind": "rectification"}]
    ten = [queries_for_listing(**v) for v in views]
    # 990 more, copied row by row (the services would take minutes): assigned to several people or nobody.
    template = PrivacyRequest.objects.first()
    assert template is not None
    people = [handler, dpo, None]
    copies = []
    for i in range(990):
        template.pk = None
        template.reference = f"PR-2099-{i:06d}"
        template.assignee = people[i % 3]
        copies.append(
            PrivacyRequest(
                **{f.attname: getattr(template, f.attname) for f in PrivacyRequest._meta.concrete_fields}
            )
        )
    PrivacyRequest.objects.bulk_create(copies)
    assert PrivacyRequest.objects.count() == 1000
    assert [queries_for_listing(**v) for v in views] == ten
