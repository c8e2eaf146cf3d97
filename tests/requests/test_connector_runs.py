"""Connectors doing a case's work (issue 17): queued when identity is proved, run by the worker's service, shown on
the case page; an erasure waits for the DPO's approval of its dry run and ends in a certificate in the letter."""

from __future__ import annotations

import io
import json
import logging
import zipfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import time_machine
from django.utils.html import escape

from identity.models import Evidence
from privacyportal.models import QueuedTask
from requests import letters, packets, services
from requests.connectors import ConnectorError
from requests.models import (
    CheckState,
    CompanySystem,
    ConnectorAction,
    ConnectorRun,
    LetterKind,
    PrivacyRequest,
    RunStatus,
    SystemCheck,
)
from requests.services import connectors
from tests.factories import make_case, sample_shop, signed_in
from tests.requests.test_letters import text_of

RECEIVED = datetime(2026, 3, 2, 10, 0, tzinfo=ZoneInfo("Europe/London"))
ADA = "ada.lovelace@example.org"


@pytest.fixture
def shop(tmp_path: Path, db: Any) -> tuple[CompanySystem, sa.Engine]:
    """The sample shop in a real SQLite file, wired to the SQL connector as the admin would store it."""
    system, engine = sample_shop(tmp_path / "shop.sqlite3")
    CompanySystem.objects.create(name="Paper files")  # manual: no connector, no run
    return system, engine


def verified(kind: str, dpo: Any) -> PrivacyRequest:
    with time_machine.travel(RECEIVED, tick=False):
        case = services.confirm_email(
            make_case(
                kind=kind, requester_email=ADA.upper(), data_points={"phone": "1", "postal_address": "2"}
            )
        )
        if case.identity_verified_at is None:
            services.verify(case, by=dpo, data_points=["phone", "postal_address", "date_of_birth"])
    return case


def run_all(case: PrivacyRequest) -> None:
    """What the worker does with the queued tasks: each run once, in order."""
    for run in ConnectorRun.objects.filter(privacy_request=case, status=RunStatus.QUEUED).order_by("pk"):
        connectors.run(run.pk)


def rows(engine: sa.Engine, table: str) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.text(f"SELECT * FROM {table}"))]  # noqa: S608


def test_identity_verified_queues_one_run_per_system_with_a_connector_and_once(shop: Any, dpo: Any) -> None:
    system, _engine = shop
    case = verified("access", dpo)
    (run,) = ConnectorRun.objects.filter(privacy_request=case)
    assert (run.system, run.action, run.status) == (system, ConnectorAction.EXPORT, RunStatus.QUEUED)
    # Promised through the outbox with the run's id only: no address in the task's arguments.
    assert QueuedTask.objects.filter(name="requests.tasks.run_connector", args=[run.pk]).exists()
    assert services.connectors.start(case) == []  # nothing new the second time
    assert ConnectorRun.objects.filter(privacy_request=case).count() == 1


def test_an_access_run_exports_every_row_into_the_packet_and_fills_the_checklist(
    shop: Any, dpo: Any, caplog: pytest.LogCaptureFixture
) -> None:
    system, _engine = shop
    case = verified("access", dpo)
    with caplog.at_level(logging.DEBUG):
        run_all(case)
    run = ConnectorRun.objects.get(privacy_request=case)
    assert run.status == RunStatus.DONE and run.counts["customers"] == 1 and run.counts["orders"] == 2
    assert SystemCheck.objects.get(privacy_request=case, system=system).state == CheckState.EXPORTED
    extracts = Evidence.objects.filter(privacy_request=case, system=system, kind=Evidence.Kind.EXTRACT)
    assert {e.name for e in extracts} >= {"customers.json", "orders.json", "order_lines.json"}
    # The event says what was done in counts; no value of the person's, nor their address, in events or logs.
    event = case.events.get(verb="connector_done")
    assert event.data["counts"]["orders"] == 2 and "ada" not in json.dumps(event.data).lower()
    assert "ada" not in caplog.text.lower() and "lovelace" not in caplog.text.lower()
    # A second delivery of the task (the outbox redelivers) does nothing again.
    connectors.run(run.pk)
    assert ConnectorRun.objects.get(pk=run.pk).attempts == 1 and extracts.count() == len(
        {e.name for e in extracts}
    )

    data, _manifest = packets.assemble(case)
    with zipfile.ZipFile(io.BytesIO(data)) as packet:
        exported = json.loads(packet.read("data.json"))
    text = json.dumps(exported)
    assert "Leave with the porter" in text and "Difference Engine manual" in text
    assert "Bob Babbage" not in text  # the look-alike address is someone else


def test_an_erasure_waits_for_the_dpo_then_erases_exactly_the_plan_and_certifies_it(
    shop: Any, dpo: Any, handler: Any
) -> None:
    system, engine = shop
    case = verified("erasure", dpo)
    run_all(case)
    dry = ConnectorRun.objects.get(privacy_request=case, action=ConnectorAction.PLAN_ERASURE)
    assert dry.status == RunStatus.AWAITING_APPROVAL and dry.plan is not None
    assert "kept" in dry.summary or "keep" in dry.summary
    # The dry run changed nothing.
    assert any(r["id"] == 1 for r in rows(engine, "customers"))
    assert len(rows(engine, "invoices")) == 2

    # A handler may not approve; the page offers them no button and the POST is refused.
    page_url = f"/admin/requests/privacyrequest/{case.pk}/change/"
    as_handler = signed_in(handler, "Handler")
    services.assign(case, to=handler, by=dpo)
    assert "Approve this erasure" not in as_handler.get(page_url).content.decode()
    refused = as_handler.post(page_url, {"action": "connector_approve", "run": dry.pk})
    assert refused.status_code == 403
    assert ConnectorRun.objects.get(pk=dry.pk).approved_at is None

    as_dpo = signed_in(dpo, "DPO")
    page = as_dpo.get(page_url).content.decode()
    assert "Shop database" in page and "Approve this erasure" in page
    approved = as_dpo.post(page_url, {"action": "connector_approve", "run": dry.pk}, follow=True)
    assert "Erasure approved" in approved.content.decode()
    run_all(case)
    erase = ConnectorRun.objects.get(privacy_request=case, action=ConnectorAction.ERASE)
    assert erase.status == RunStatus.DONE and erase.result is not None
    invoices = rows(engine, "invoices")
    assert [i["number"] for i in invoices] == ["INV-2024-1000", "INV-2024-2000"]  # kept: tax law
    subscribers = [(s["email"] or "").strip().lower() for s in rows(engine, "newsletter_subscribers")]
    assert ADA not in subscribers and "ada.lovelace@example.org.uk" in subscribers  # Bob's stays
    assert SystemCheck.objects.get(privacy_request=case, system=system).state == CheckState.ERASED
    assert case.events.filter(verb="erasure_approved", actor=dpo).exists()

    # The same erasure delivered again does nothing twice.
    connectors.run(erase.pk)
    assert ConnectorRun.objects.get(pk=erase.pk).attempts == 1

    services.complete(case, by=dpo, outcome="fulfilled")
    letter = text_of(letters.render(case, LetterKind.COMPLETION))
    assert "Erasure certificate" in letter and "Shop database" in letter
    assert "tax law" in letter


def test_a_failed_run_says_why_and_is_retried_on_request(shop: Any, dpo: Any, tmp_path: Path) -> None:
    system, _engine = shop
    system.connector_settings = {**system.connector_settings, "database": str(tmp_path / "missing.sqlite3")}
    system.save()
    case = verified("access", dpo)
    run_all(case)
    run = ConnectorRun.objects.get(privacy_request=case)
    assert run.status == RunStatus.FAILED and run.error.startswith("Could not open the SQLite file")
    assert case.events.filter(verb="connector_failed").exists()

    page_url = f"/admin/requests/privacyrequest/{case.pk}/change/"
    client = signed_in(dpo, "DPO")
    page = client.get(page_url).content.decode()
    assert escape(run.error) in page and "Retry" in page
    system.connector_settings = {**system.connector_settings, "database": str(tmp_path / "shop.sqlite3")}
    system.save()
    client.post(page_url, {"action": "connector_retry", "run": run.pk})
    assert ConnectorRun.objects.get(pk=run.pk).status == RunStatus.QUEUED
    run_all(case)
    assert ConnectorRun.objects.get(pk=run.pk).status == RunStatus.DONE


def test_a_system_that_cannot_be_reached_is_retried_by_the_task_then_fails(shop: Any, dpo: Any) -> None:
    case = verified("access", dpo)
    run = ConnectorRun.objects.get(privacy_request=case)
    down = ConnectorError("The database server did not answer.", transient=True)
    with mock.patch.object(connectors, "connector_for") as built:
        built.return_value.find.side_effect = down
        built.return_value.capabilities = frozenset({"export"})
        with pytest.raises(connectors.TransientFailure, match="did not answer"):
            connectors.run(run.pk)
    assert ConnectorRun.objects.get(pk=run.pk).status == RunStatus.QUEUED  # the task retries it
    connectors.give_up(run.pk, "Shop database: The database server did not answer.")
    failed = ConnectorRun.objects.get(pk=run.pk)
    assert failed.status == RunStatus.FAILED and "did not answer" in failed.error


def test_connectors_wait_for_identity_and_staff_can_run_them_again_from_the_case_page(
    shop: Any, dpo: Any, handler: Any, details_to_match: None
) -> None:
    with time_machine.travel(RECEIVED, tick=False):
        case = services.confirm_email(
            make_case(kind="access", requester_email=ADA, data_points={"phone": "1"})
        )
    assert case.identity_verified_at is None and not ConnectorRun.objects.exists()
    page_url = f"/admin/requests/privacyrequest/{case.pk}/change/"
    services.assign(case, to=handler, by=dpo)
    as_handler = signed_in(handler, "Handler")
    assert "Run connectors now" not in as_handler.get(page_url).content.decode()
    with pytest.raises(services.TransitionError):
        services.connectors.start(case, by=dpo)  # not even a DPO: nothing is looked up before identity
    assert not ConnectorRun.objects.exists()

    services.verify(case, by=dpo, data_points=["phone", "postal_address", "date_of_birth"])
    assert ConnectorRun.objects.filter(privacy_request=case).count() == 1
    page = as_handler.get(page_url).content.decode()
    assert "Run connectors now" in page  # offered as the rules say
    again = as_handler.post(page_url, {"action": "connectors"}, follow=True)
    assert "Nothing new to run" in again.content.decode()
    CompanySystem.objects.create(
        name="Second shop",
        connector="sql",
        connector_settings=CompanySystem.objects.get(name="Shop database").connector_settings,
    )
    more = as_handler.post(page_url, {"action": "connectors"}, follow=True)
    assert "1 connector run queued." in more.content.decode()


def test_a_run_whose_worker_died_is_taken_over_after_the_lease_and_not_before(shop: Any, dpo: Any) -> None:
    case = verified("access", dpo)
    run = ConnectorRun.objects.get(privacy_request=case)
    with time_machine.travel(RECEIVED, tick=False):
        ConnectorRun.objects.filter(pk=run.pk).update(
            status=RunStatus.RUNNING, started_at=RECEIVED, attempts=1
        )
        connectors.run(run.pk)  # another copy while the first may still be working: left alone
    assert ConnectorRun.objects.get(pk=run.pk).status == RunStatus.RUNNING
    with time_machine.travel(RECEIVED + connectors.RUN_LEASE + timedelta(minutes=1), tick=False):
        connectors.run(run.pk)  # the outbox's redelivery after the worker was killed
    taken = ConnectorRun.objects.get(pk=run.pk)
    assert (taken.status, taken.attempts) == (RunStatus.DONE, 2)
    assert case.events.filter(verb="connector_done").count() == 1


def test_the_api_runs_connectors_as_the_case_page_does(shop: Any, dpo: Any, handler: Any) -> None:
    from requests.roles import ensure_roles
    from tests.requests.test_api import api, post

    ensure_roles()
    case = verified("access", dpo)
    services.assign(case, to=handler, by=dpo)
    client = api(handler, "Handler")
    detail = client.get(f"/api/v1/cases/{case.reference}/").json()
    assert "connectors" in detail["actions"]  # offered, as on the case page
    answer = post(client, f"/api/v1/cases/{case.reference}/connectors/", {})
    assert answer.status_code == 200, answer.content
    assert "Nothing new to run" in answer.json()["message"]


def test_the_demo_shows_an_access_export_in_the_packet_and_an_erasure_waiting(
    settings: Any, tmp_path: Path, db: Any
) -> None:
    import io as _io

    from django.core.management import call_command

    settings.VAR_DIR = tmp_path
    call_command("seed_demo", stdout=_io.StringIO())
    olivia = PrivacyRequest.objects.get(requester_email="olivia@example.org")
    lukas = PrivacyRequest.objects.get(requester_email="lukas@example.de")
    for case in (olivia, lukas):
        run_all(case)  # what the demo's worker does once `make run` starts it
    assert ConnectorRun.objects.get(privacy_request=lukas).status == RunStatus.AWAITING_APPROVAL
    data, _manifest = packets.assemble(olivia)
    with zipfile.ZipFile(io.BytesIO(data)) as packet:
        exported = json.loads(packet.read("data.json"))
    rows = {s["source_file"]: s["rows"] for s in exported["systems"]}
    # Her records in the demo shop are recent: inside the 12 months the access request covers.
    assert rows["customers.json"][0]["email"] == "olivia@example.org"
    assert rows["orders.json"] and rows["support_tickets.json"]
