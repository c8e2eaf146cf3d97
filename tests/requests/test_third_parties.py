"""Third parties told of an opt-out, a limit or a marketing objection (issue 18; CCPA regs §7026(f)(2),
§7027(g)(2)), and systems that take no part in such requests."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail

from requests.lifecycle import Status
from requests.models import CompanySystem, ConnectorRun, OwnerTask, ThirdParty, ThirdPartyNotice
from requests.services import connectors
from tests.factories import make_case, sample_shop, signed_in

NOW = datetime(2026, 6, 1, 10, 0, tzinfo=ZoneInfo("Europe/London"))
ADA = "ada.lovelace@example.org"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def parties() -> dict[str, ThirdParty]:
    return {
        "adtech": ThirdParty.objects.create(
            name="Adtech Ltd", email="privacy@adtech.example", shared_with=True
        ),
        "broker": ThirdParty.objects.create(
            name="Data Broker Inc", email="legal@broker.example", sold_to=True
        ),
        "mailer": ThirdParty.objects.create(name="Mail House", email="dpo@mailhouse.example", marketing=True),
        "health": ThirdParty.objects.create(name="Health Insights", email="dpo@hi.example", sensitive=True),
        "gone": ThirdParty.objects.create(
            name="Old Partner", email="x@old.example", sold_to=True, active=False
        ),
    }


@pytest.fixture
def shop(tmp_path: Path) -> Any:
    """The sample shop holds Ada: its connector opts her out, restricts her, and finds her."""
    return sample_shop(tmp_path / "shop.sqlite3")[1]


def told(case: Any) -> list[str]:
    return sorted(ThirdPartyNotice.objects.filter(privacy_request=case).values_list("name", flat=True))


def test_an_opt_out_is_passed_to_every_third_party_we_sell_or_share_with_and_recorded(
    parties: dict[str, ThirdParty], shop: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        case = make_case(kind="opt_out", requester_email=ADA, country="US", subdivision="CA")
    case.refresh_from_db()
    assert told(case) == ["Adtech Ltd", "Data Broker Inc", "Mail House"]  # not sensitive-only, not inactive
    # Each third party got its own email naming the person, what to stop, and to pass it on.
    notices = {m.to[0]: m for m in mail.outbox if "asked us to stop" in m.subject}
    assert set(notices) == {"privacy@adtech.example", "legal@broker.example", "dpo@mailhouse.example"}
    body = notices["legal@broker.example"].body
    assert ADA in body and "Ada Lovelace" in body and case.reference in body
    assert "stop selling or sharing" in body and "pass this request on" in body and "§7026(f)" in body
    # Recorded with date and method; the case is done only now, and the requester hears where.
    assert all(n.sent_at == NOW and n.method == "email" for n in case.third_party_notices.all())
    assert (case.status, case.outcome) == (Status.COMPLETED, "fulfilled")
    (done,) = [m for m in mail.outbox if "has been honoured" in m.subject]
    assert "- Shop database: opted out" in done.body
    assert "Data Broker Inc: told by email on 1 June 2026" in done.body
    # The events say who was told and how, never the addresses.
    events = list(case.events.filter(verb__in=["third_parties_to_tell", "third_party_told", "carried_out"]))
    assert [e.verb for e in events].count("third_party_told") == 3
    payloads = json.dumps([e.data for e in events])
    assert "@" not in payloads and '"method": "email"' in payloads


def test_third_parties_are_told_only_once_a_system_held_the_person_and_the_case_waits_for_them(
    parties: dict[str, ThirdParty], shop: Any
) -> None:
    case = make_case(kind="opt_out", requester_email=ADA)  # nothing delivered by the outbox yet
    assert told(case) == []  # the shop has not answered: nobody is told anything yet
    for run in ConnectorRun.objects.filter(privacy_request=case):
        connectors.run(run.pk)  # the shop found and opted her out; the notices are queued, not yet sent
    case.refresh_from_db()
    assert case.status == Status.IN_PROGRESS and len(told(case)) == 3
    assert not any("has been honoured" in m.subject for m in mail.outbox)


def test_a_strangers_opt_out_for_an_address_we_do_not_hold_tells_no_third_party(
    parties: dict[str, ThirdParty], shop: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        case = make_case(kind="opt_out", requester_name="Made Up", requester_email="nobody@example.net")
    case.refresh_from_db()
    assert case.status == Status.COMPLETED and told(case) == []
    assert not any("asked us to stop" in m.subject for m in mail.outbox)  # no name disclosed to anyone


def test_an_agents_opt_out_names_the_consumer_not_the_agent(
    parties: dict[str, ThirdParty], shop: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        make_case(kind="opt_out", requester_name="Agent Smith", requester_email="agent@agency.example",
                  relationship="agent", subject_name="Ada Lovelace", subject_email=ADA)  # fmt: skip
    (notice, *_rest) = [m for m in mail.outbox if "asked us to stop" in m.subject]
    assert "Name: Ada Lovelace" in notice.body and f"Email address: {ADA}" in notice.body
    assert "Agent Smith" not in notice.body and "agent@agency.example" not in notice.body


def test_a_marketing_objection_goes_to_marketing_recipients_and_a_limit_to_sensitive_ones(
    parties: dict[str, ThirdParty], shop: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        objection = make_case(kind="objection", marketing_only=True, requester_email=ADA)
        limit = make_case(kind="limit_sensitive", requester_email=ADA, country="US", subdivision="CA")
    assert told(objection) == ["Mail House"]
    assert told(limit) == ["Health Insights"]


def test_an_access_request_tells_nobody(parties: dict[str, ThirdParty]) -> None:
    assert told(make_case(kind="access", requester_email=ADA)) == []


def test_nobody_to_tell_and_nothing_to_act_in_completes_at_once(db: Any) -> None:
    ThirdParty.objects.create(name="Health Insights", email="dpo@hi.example", sensitive=True)
    case = make_case(kind="opt_out", requester_email=ADA)
    assert case.status == Status.COMPLETED and told(case) == []


def test_a_system_that_takes_no_opt_outs_gets_no_work_for_one_but_still_for_other_rights(
    tmp_path: Path,
) -> None:
    sample_shop(tmp_path / "shop.sqlite3")
    CompanySystem.objects.create(
        name="Support mailbox", owner_email="support-owner@example.com", takes_opt_outs=False
    )
    opt_out = make_case(kind="opt_out", requester_email=ADA)
    assert list(
        ConnectorRun.objects.filter(privacy_request=opt_out).values_list("system__name", flat=True)
    ) == ["Shop database"]
    assert not OwnerTask.objects.filter(privacy_request=opt_out).exists()

    CompanySystem.objects.filter(connector="sql").update(takes_opt_outs=False)
    assert (
        make_case(kind="opt_out", requester_email="b@example.org").status == Status.COMPLETED
    )  # nothing to do

    from requests import services

    rectification = services.confirm_email(make_case(kind="rectification", requester_email="c@example.org"))
    assert OwnerTask.objects.filter(privacy_request=rectification, system__name="Support mailbox").exists()


def test_the_case_page_lists_the_notices_and_the_register_lists_third_parties(
    dpo: Any, parties: dict[str, ThirdParty], shop: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        case = make_case(kind="opt_out", requester_email=ADA)
    client = signed_in(dpo, "DPO")
    page = client.get(f"/admin/requests/privacyrequest/{case.pk}/change/").content.decode()
    assert "Third parties told" in page and "legal@broker.example" in page
    assert "1 Jun 2026, 09:00" in page  # the server keeps UTC
    listing = client.get("/admin/requests/thirdparty/").content.decode()
    assert "Data Broker Inc" in listing and "Old Partner" in listing
    added = client.post(
        "/admin/requests/thirdparty/add/",
        {"name": "New Ads Co", "email": "not an address", "shared_with": "on", "active": "on"},
    )
    assert added.status_code == 200 and "Enter a valid email address" in added.content.decode()
