"""Opt-outs carried out (issue 18): the requester hears "done" only when every system has done it, and where."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import time_machine
from django.core import mail

from requests import services
from requests.connectors import sample
from requests.lifecycle import Status
from requests.models import CompanySystem, ConnectorRun, OwnerTask, RunStatus
from requests.services import connectors, suppression
from tests.factories import make_case, sample_shop

NOW = datetime(2026, 6, 1, 10, 0, tzinfo=ZoneInfo("Europe/London"))
ADA = "ada.lovelace@example.org"


@pytest.fixture(autouse=True)
def _today() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def shop(tmp_path: Path, db: Any) -> sa.Engine:
    _system, engine = sample_shop(tmp_path / "shop.sqlite3")
    return engine


def subscribed(engine: sa.Engine) -> list[bool]:
    with engine.connect() as conn:
        return [
            bool(row.subscribed)
            for row in conn.execute(sa.text("SELECT email, subscribed FROM newsletter_subscribers"))
            if row.email.strip().lower() == ADA
        ]


def run_all(case: Any) -> None:
    for run in ConnectorRun.objects.filter(privacy_request=case, status=RunStatus.QUEUED).order_by("pk"):
        connectors.run(run.pk)


def test_an_opt_out_is_done_in_every_system_before_the_requester_is_told_so(
    shop: sa.Engine, django_capture_on_commit_callbacks: Any
) -> None:
    CompanySystem.objects.create(name="Support mailbox", owner_email="support-owner@example.com")
    case = make_case(kind="opt_out", requester_email=ADA.upper())  # the worker has not run yet
    case.refresh_from_db()
    # Recorded at once, and on the suppression list at once; not yet "done".
    assert case.status == Status.IN_PROGRESS and suppression.is_suppressed(ADA)
    assert subscribed(shop) == [True]

    with django_capture_on_commit_callbacks(execute=True):
        run_all(case)
    assert subscribed(shop) == [False]  # the shop's newsletter flag, really changed
    case.refresh_from_db()
    assert case.status == Status.IN_PROGRESS  # the mailbox's owner has not answered yet

    task = OwnerTask.objects.get(privacy_request=case)
    with django_capture_on_commit_callbacks(execute=True):
        services.answer_task(task, "done")
    case.refresh_from_db()
    assert (case.status, case.outcome) == (Status.COMPLETED, "fulfilled")
    assert case.events.filter(verb="carried_out").count() == 1
    (done,) = [m for m in mail.outbox if "has been honoured" in m.subject]  # the one "done", at the end
    assert "- Shop database: opted out" in done.body and "- Support mailbox: opted out" in done.body
    assert "suppression list" in done.body


def test_a_system_that_could_not_do_it_keeps_the_case_open(shop: sa.Engine, tmp_path: Path) -> None:
    CompanySystem.objects.filter(name="Shop database").update(
        connector_settings={
            "dialect": "sqlite",
            "database": str(tmp_path / "gone.sqlite3"),
            "dataset": sample.DATASET,
        }
    )
    case = make_case(kind="opt_out", requester_email=ADA)
    run_all(case)
    case.refresh_from_db()
    assert ConnectorRun.objects.get(privacy_request=case).status == RunStatus.FAILED
    assert case.status == Status.IN_PROGRESS and not case.events.filter(verb="carried_out").exists()


def test_with_no_system_to_act_in_the_list_is_the_work_and_it_completes_at_once(db: Any) -> None:
    CompanySystem.objects.create(name="Paper files")  # no connector, no owner's address
    case = make_case(kind="opt_out", requester_email=ADA)
    assert case.status == Status.COMPLETED and suppression.is_suppressed(ADA)
    assert not ConnectorRun.objects.exists() and not OwnerTask.objects.exists()


def test_a_californian_opt_out_is_due_in_fifteen_business_days(shop: sa.Engine) -> None:
    # Received Mon 1 Jun 2026: CCPA regs §7026(f)(1) give until business day 15, Mon 22 Jun (not 45 days).
    case = make_case(kind="opt_out", requester_email=ADA, country="US", subdivision="CA")
    case.refresh_from_db()
    assert (case.effective_due_at, case.governing_regime, case.acknowledge_by) == (
        date(2026, 6, 22),
        "ccpa",
        None,
    )
    assert case.extended_due_at == case.effective_due_at  # no extension for an opt-out


def test_the_demo_opt_out_is_carried_out_in_the_simulated_zoho_and_the_demo_shop(
    settings: Any, tmp_path: Path, db: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """What a newcomer sees after `make run`: Sam Carter's demo opt-out, done by the worker in the Zoho CRM
    simulator (the one the Procfile starts, seeded the same way) and in the demo shop's database."""
    import io

    from django.core.management import call_command

    from requests.management.commands.seed_demo import DEMO_SHOP_FILE
    from requests.models import PrivacyRequest
    from tests.fakes.zoho import ZohoSim

    sam_email = "sam@example.com"
    settings.VAR_DIR = tmp_path
    with ZohoSim() as sim:
        sim.seed_demo()

        def opted_out(email: str) -> list[bool]:
            return [r["Email_Opt_Out"] for module in ("Leads", "Contacts") for r in sim.records[module].values()
                    if r["Email"] == email]  # fmt: skip

        call_command("seed_demo", zoho_url=sim.url, stdout=io.StringIO())
        sam = PrivacyRequest.objects.get(requester_email=sam_email)
        zoho_run = ConnectorRun.objects.get(privacy_request=sam, system__name="Zoho CRM")
        assert zoho_run.status == RunStatus.QUEUED and opted_out(sam_email) == [False, False]

        with django_capture_on_commit_callbacks(execute=True):
            run_all(sam)  # what the demo's worker does

        assert set(ConnectorRun.objects.filter(privacy_request=sam).values_list("status", flat=True)) == {
            RunStatus.DONE
        }
        assert opted_out(sam_email) == [True, True]  # the Lead and the Contact, in "Zoho"
        assert opted_out("olivia@example.org") == [False, False]  # nobody else's
    shop = sa.create_engine(sa.URL.create("sqlite", database=str(tmp_path / DEMO_SHOP_FILE)))
    try:
        with shop.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT subscribed FROM newsletter_subscribers WHERE email = :e"), {"e": sam_email}
            )
            assert [bool(row.subscribed) for row in rows] == [False]  # the demo shop's newsletter column
    finally:
        shop.dispose()

    # The demo's support mailbox takes no opt-outs (no owner task); once the demo's third party has been told
    # (the worker sends the notice), the case is done and Sam hears where.
    assert not OwnerTask.objects.filter(privacy_request=sam).exists()
    for notice in sam.third_party_notices.all():
        with django_capture_on_commit_callbacks(execute=True):
            services.carry_out.tell_third_party(notice.pk)
    sam.refresh_from_db()
    assert sam.status == Status.COMPLETED
    (done,) = [m for m in mail.outbox if m.to == [sam_email] and "has been honoured" in m.subject]
    assert "Zoho CRM" in done.body and "Shop database (demo)" in done.body
    assert "Northwind Ads (retargeting partner): told by email" in done.body
