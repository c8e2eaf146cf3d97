"""Comparing the requester's details with what we hold (issue 18): staff start it on a case whose identity is being
checked, the worker compares in every system with a connector, the case page shows per detail and system
"matches / differs / not held", the verify form ticks what matched, and nothing of the values is kept anywhere."""

from __future__ import annotations

import json
import logging
import re
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import time_machine
from django.test import Client
from django.utils.html import escape

from identity import tokens
from identity.models import Evidence
from privacyportal.models import QueuedTask
from requests import services
from requests.connectors import sample
from requests.lifecycle import Status
from requests.models import (
    CompanySystem,
    ConnectorAction,
    ConnectorRun,
    PrivacyRequest,
    RunStatus,
    SystemCheck,
)
from requests.roles import ensure_roles
from requests.services import connectors
from tests.factories import in_role, make_case, signed_in
from tests.fakes.zoho import CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN, ZohoSim

# Cases here wait for staff to check identity before any work: the operator asks for matching details.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("details_to_match")]

RECEIVED = datetime(2026, 3, 2, 10, 0, tzinfo=ZoneInfo("Europe/London"))
ADA = "ada.lovelace@example.org"
# What Ada typed: her phone and address as the shop holds them, written otherwise; an account number it does not.
GIVEN = {
    "phone": "020 7946 0001",
    "postal_address": "12 St. James's Sq, London SW1Y 4JH",
    "account_reference": "A-9999",
    "date_of_birth": "1815-12-10",
}
VALUES = ("7946", "0001", "James", "SW1Y", "A-9999", "1815")


def shop_file(path: Path, *, people: bool = True) -> str:
    engine = sa.create_engine(f"sqlite:///{path}")
    meta = sample.metadata()
    with engine.begin() as conn:
        meta.create_all(conn)
        if people:
            sample.populate_example(conn, meta)
    engine.dispose()
    return str(path)


@pytest.fixture
def systems(tmp_path: Path, db: Any) -> dict[str, CompanySystem]:
    """The sample shop holding Ada; a second shop that does not know her; a paper archive without a connector."""
    shop = CompanySystem.objects.create(
        name="Shop database", connector="sql",
        connector_settings={"dialect": "sqlite", "database": shop_file(tmp_path / "shop.sqlite3"),
                            "dataset": sample.DATASET},
    )  # fmt: skip
    outlet = CompanySystem.objects.create(
        name="Outlet shop", connector="sql",
        connector_settings={"dialect": "sqlite", "database": shop_file(tmp_path / "outlet.sqlite3", people=False),
                            "dataset": sample.DATASET},
    )  # fmt: skip
    CompanySystem.objects.create(name="Paper files")
    return {"shop": shop, "outlet": outlet}


@pytest.fixture(autouse=True)
def _clock() -> Any:
    ensure_roles()
    with time_machine.travel(RECEIVED, tick=False):
        yield


@pytest.fixture
def dpo(dpo: Any) -> Any:
    return in_role(dpo, "DPO")


def verifying(**fields: Any) -> PrivacyRequest:
    """An access request from the UK, email confirmed: staff must match two details against our records."""
    case = services.confirm_email(make_case(requester_email=ADA, data_points=dict(GIVEN), **fields))
    assert case.status == Status.VERIFYING
    return case


def run_all(case: PrivacyRequest) -> None:
    for run in ConnectorRun.objects.filter(privacy_request=case, status=RunStatus.QUEUED).order_by("pk"):
        connectors.run(run.pk)


def page_url(case: PrivacyRequest) -> str:
    return f"/admin/requests/privacyrequest/{case.pk}/change/"


def test_staff_compare_the_details_and_only_verdicts_are_kept(
    systems: dict[str, CompanySystem], dpo: Any, caplog: pytest.LogCaptureFixture
) -> None:
    case = verifying()
    client = signed_in(dpo, "DPO")
    assert 'value="compare"' in client.get(page_url(case)).content.decode()
    answer = client.post(page_url(case), {"action": "compare"}, follow=True)
    assert "Comparing the details in 2 systems" in answer.content.decode()
    runs = ConnectorRun.objects.filter(privacy_request=case, action=ConnectorAction.COMPARE)
    assert {r.system.name for r in runs} == {"Shop database", "Outlet shop"}  # not the paper files
    # Through the outbox, with the run's id only.
    assert all(
        QueuedTask.objects.filter(name="requests.tasks.run_connector", args=[r.pk]).exists() for r in runs
    )

    with caplog.at_level(logging.DEBUG):
        run_all(case)
    shop = runs.get(system=systems["shop"])
    assert shop.status == RunStatus.DONE
    assert shop.result == {"details": {
        "phone": {"verdict": "matches", "records": 1},
        "postal_address": {"verdict": "matches", "records": 4},  # her customer row, two orders, an invoice
        "account_reference": {"verdict": "differs", "records": 1},
        "date_of_birth": {"verdict": "matches", "records": 1},
    }}  # fmt: skip
    outlet = runs.get(system=systems["outlet"])
    assert outlet.result is not None
    assert {d: v["verdict"] for d, v in outlet.result["details"].items()} == dict.fromkeys(GIVEN, "no_record")

    event = case.events.get(verb="details_compared", data__system=systems["shop"].pk)
    assert event.data == {
        "run": shop.pk, "system": systems["shop"].pk,
        "verdicts": {"phone": "matches", "postal_address": "matches", "account_reference": "differs",
                     "date_of_birth": "matches"},
        "records": {"phone": 1, "postal_address": 4, "account_reference": 1, "date_of_birth": 1},
    }  # fmt: skip
    # No value the requester gave, nor one the shop holds, in the events, the runs or the logs.
    kept = json.dumps(
        [list(case.events.values("data")), list(runs.values("counts", "summary", "result", "error"))]
    )
    for value in (*VALUES, *GIVEN.values(), "Lovelace", "lovelace"):
        assert value not in kept and value not in caplog.text, value
    # Nothing exported is kept, and the systems checklist waits for identity.
    assert not Evidence.objects.filter(privacy_request=case).exists()
    assert not SystemCheck.objects.filter(privacy_request=case).exists()
    assert fresh(case).status == Status.VERIFYING


def test_the_case_page_shows_the_verdicts_and_the_verify_form_ticks_the_matches(
    systems: dict[str, CompanySystem], dpo: Any
) -> None:
    case = verifying()
    services.connectors.compare(case, by=dpo)
    page = signed_in(dpo, "DPO").get(page_url(case)).content.decode()
    assert "Details compared with what we hold" in page and "Queued" in page  # not yet compared
    run_all(case)
    page = signed_in(dpo, "DPO").get(page_url(case)).content.decode()
    section = page[page.index('id="compared-h"') : page.index('id="messages-h"')]
    assert "Shop database" in section and "Outlet shop" in section
    assert "compared 2 Mar 2026, 10:00" in section
    assert section.index("Outlet shop") < section.index("Shop database")  # systems by name
    verdicts = re.findall(r'pill-verdict-(\w+)">([^<]+)<', section)
    assert verdicts == [
        ("no_record", "no record found"), ("matches", "matches"),  # phone
        ("no_record", "no record found"), ("matches", "matches"),  # address
        ("no_record", "no record found"), ("differs", "differs"),  # account number
        ("no_record", "no record found"), ("matches", "matches"),  # date of birth
    ]  # fmt: skip
    assert "4 records" in section and escape(GIVEN["postal_address"]) in section
    assert "may be an old address" in section
    # The verify form: the matches ticked, saying where; the difference left for staff to judge.
    form = page[page.index('class="action action-verify"') :]
    form = form[: form.index("</form>")]
    ticked = re.findall(r'value="(\w+)"[^>]*checked', form)
    assert ticked == ["phone", "postal_address", "date_of_birth"]
    assert "(matches in Shop database)" in form


def test_a_comparison_can_be_started_again_and_a_redelivered_task_does_nothing_twice(
    systems: dict[str, CompanySystem], dpo: Any, tmp_path: Path
) -> None:
    systems["shop"].connector_settings = {**systems["shop"].connector_settings,
                                          "database": str(tmp_path / "missing.sqlite3")}  # fmt: skip
    systems["shop"].save()
    case = verifying()
    first = services.connectors.compare(case, by=dpo)
    assert len(first) == 2
    assert services.connectors.compare(case, by=dpo) == []  # queued already: nothing twice
    run_all(case)
    shop = ConnectorRun.objects.get(privacy_request=case, system=systems["shop"])
    assert shop.status == RunStatus.FAILED and shop.error.startswith("Could not open the SQLite file")
    page = signed_in(dpo, "DPO").get(page_url(case)).content.decode()
    assert (
        escape(shop.error) in page and 'name="action" value="connector_retry"' not in page
    )  # started again instead

    systems["shop"].connector_settings = {**systems["shop"].connector_settings,
                                          "database": str(tmp_path / "shop.sqlite3")}  # fmt: skip
    systems["shop"].save()
    again = services.connectors.compare(case, by=dpo)  # the failed one and the done one, both afresh
    assert {r.pk for r in again} == {r.pk for r in first}
    run_all(case)
    shop.refresh_from_db()
    assert (shop.status, shop.attempts, shop.error) == (RunStatus.DONE, 1, "")
    assert shop.result is not None and shop.result["details"]["phone"]["verdict"] == "matches"
    connectors.run(shop.pk)  # the outbox delivers the task again: the run is done, nothing happens
    assert ConnectorRun.objects.get(pk=shop.pk).attempts == 1
    assert case.events.filter(verb="details_compared").count() == 3  # outlet twice, shop once
    assert case.events.filter(verb="comparison_queued").count() == 2


def test_comparing_is_refused_outside_identity_checks_with_the_reason(
    systems: dict[str, CompanySystem], dpo: Any, handler: Any
) -> None:
    case = services.verify(verifying(), by=dpo, data_points=["phone", "postal_address"])
    expected = (
        f"{case.reference} is Open: details are compared with what we hold only while identity is checked."
    )
    with pytest.raises(services.TransitionError, match=re.escape(expected)):
        services.connectors.compare(case, by=dpo)
    assert not ConnectorRun.objects.filter(action=ConnectorAction.COMPARE).exists()
    assert 'value="compare"' not in signed_in(dpo, "DPO").get(page_url(case)).content.decode()
    refused = signed_in(dpo, "DPO").post(page_url(case), {"action": "compare"})
    assert refused.status_code == 400 and escape(expected) in refused.content.decode()

    no_details = services.confirm_email(make_case(requester_email="cy@example.net", data_points={}))
    assert no_details.status == Status.VERIFYING
    reason = "The requester gave no details to compare with what we hold."
    assert services.availability(no_details, dpo, "compare").reason == reason


def test_only_staff_who_verify_may_compare(systems: dict[str, CompanySystem], dpo: Any, auditor: Any) -> None:
    case = verifying()
    in_role(auditor, "Auditor")
    with pytest.raises(services.TransitionError, match="Only staff who verify identity may compare details"):
        services.connectors.compare(case, by=auditor)
    assert signed_in(auditor, "Auditor").post(page_url(case), {"action": "compare"}).status_code == 403
    assert not ConnectorRun.objects.exists()


def test_a_system_that_maps_no_detail_says_what_to_do(systems: dict[str, CompanySystem], dpo: Any) -> None:
    plain = "tables:\n  customers:\n    identify: {email: email}\n    erase: delete\n"
    outlet = systems["outlet"]
    outlet.connector_settings = {**outlet.connector_settings, "dataset": plain}
    outlet.save()
    case = verifying()
    services.connectors.compare(case, by=dpo)
    run_all(case)
    failed = ConnectorRun.objects.get(privacy_request=case, system=outlet)
    assert failed.status == RunStatus.FAILED
    assert "does not say which of its fields hold phone numbers" in failed.error
    assert "Comparing details" in failed.error


def test_a_comparison_queued_before_the_case_closed_looks_nothing_up(
    systems: dict[str, CompanySystem], dpo: Any
) -> None:
    case = verifying()
    services.connectors.compare(case, by=dpo)
    services.withdraw(case, by=dpo, note="By phone")
    run_all(case)
    runs = ConnectorRun.objects.filter(privacy_request=case)
    assert {r.status for r in runs} == {RunStatus.CANCELLED}
    assert not case.events.filter(verb="details_compared").exists()


def test_the_api_compares_as_the_case_page_does(systems: dict[str, CompanySystem], dpo: Any) -> None:
    case = verifying()
    _token, plaintext = tokens.create_token(in_role(dpo, "DPO"), name="test", days=30)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    detail = client.get(f"/api/v1/cases/{case.reference}/").json()
    assert "compare" in detail["actions"]
    answer = client.post(f"/api/v1/cases/{case.reference}/compare/", "{}", content_type="application/json")
    assert answer.status_code == 200 and "Comparing the details in 2 systems" in answer.json()["message"]
    services.verify(case, by=dpo, data_points=["phone", "postal_address"])
    refused = client.post(f"/api/v1/cases/{case.reference}/compare/", "{}", content_type="application/json")
    assert refused.status_code == 409 and "only while identity is checked" in refused.json()["detail"]
    schema = Client().get("/api/schema/").json()
    operation = schema["paths"]["/api/v1/cases/{reference}/compare/"]["post"]
    assert operation["operationId"] == "compareCase"
    assert set(operation["responses"]) == {"200", "400", "401", "403", "404", "409", "415"}


def fresh(case: PrivacyRequest) -> PrivacyRequest:
    return PrivacyRequest.objects.get(pk=case.pk)


def test_zoho_crm_is_compared_through_the_worker_like_a_database(dpo: Any) -> None:
    with ZohoSim() as sim:
        sim.add("Contacts", Last_Name="Lovelace", Email=ADA, Phone="+44 20 7946 0001", Date_of_Birth="1815-12-10",
                Mailing_Street="1 Ockham Park", Mailing_Zip="KT11 1AA")  # fmt: skip
        crm = CompanySystem.objects.create(
            name="Zoho CRM", connector="zoho", connector_settings={"accounts_url": sim.url}
        )
        services.set_credentials(
            crm, {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "refresh_token": REFRESH_TOKEN}
        )
        case = verifying()
        services.connectors.compare(case, by=dpo)
        run_all(case)
    run = ConnectorRun.objects.get(privacy_request=case, system=crm)
    assert run.status == RunStatus.DONE and run.result == {"details": {
        "phone": {"verdict": "matches", "records": 1},
        "postal_address": {"verdict": "differs", "records": 1},  # an address she may have moved from
        "account_reference": {"verdict": "not_held", "records": 0},
        "date_of_birth": {"verdict": "matches", "records": 1},
    }}  # fmt: skip
    # By email in each module, then the deals of the contact found; never by the phone given.
    assert [c.method for c in sim.calls(path_contains="/search")] == ["GET"] * 5
