"""A DPO approves an erasure a connector planned, in a real browser (screenshots in test-artifacts/)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from django.contrib.auth.models import Group

from requests import services
from requests.models import ConnectorAction, ConnectorRun, RunStatus
from requests.roles import ensure_roles
from tests.e2e.test_staff_queue import sign_in
from tests.factories import make_case, sample_shop

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.real_clock]


def test_a_dpo_approves_the_dry_run_and_sees_the_erasure_done(
    page: Any, dpo: Any, tmp_path: Path, details_to_match: None
) -> None:
    ensure_roles()
    dpo.groups.add(Group.objects.get(name="DPO"))
    _system, engine = sample_shop(tmp_path / "shop.sqlite3")
    case = services.confirm_email(
        make_case(
            kind="erasure",
            requester_email="Ada.Lovelace@example.org",
            data_points={"phone": "+44 20 7946 0001", "postal_address": "12 St James's Square"},
        )
    )
    # Tasks run in-process here (the suite's eager Celery): verifying runs the dry run at once.
    services.verify(case, by=dpo, data_points=["phone", "postal_address", "date_of_birth"])
    dry = ConnectorRun.objects.get(privacy_request=case, action=ConnectorAction.PLAN_ERASURE)
    assert dry.status == RunStatus.AWAITING_APPROVAL

    sign_in(page, dpo)
    page.goto(f"/admin/requests/privacyrequest/{case.pk}/change/")
    section = page.locator("section", has=page.get_by_role("heading", name="Connectors"))
    section.get_by_text("Waiting for the DPO's approval").wait_for()
    page.shot("plan-waiting")
    assert "tax law" in section.inner_text()  # what the plan keeps, and why, before anything is deleted
    section.get_by_role("button", name="Approve this erasure").click()
    page.get_by_text("Erasure approved: it runs in Shop database now.").wait_for()
    page.shot("erasure-done")
    assert "Approve this erasure" not in page.content()
    erase = ConnectorRun.objects.get(privacy_request=case, action=ConnectorAction.ERASE)
    assert erase.status == RunStatus.DONE
    with engine.connect() as conn:
        # Ada's orders stay with the invoices kept for the tax office, so her customer row is anonymised.
        email = conn.execute(sa.text("SELECT email FROM customers WHERE id = 1")).scalar()
        assert email is None or "lovelace" not in email.lower()
        assert conn.execute(sa.text("SELECT count(*) FROM invoices")).scalar() == 2
