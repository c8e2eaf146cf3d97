"""A DPO compares a requester's details with the shop database and Zoho CRM, then verifies, in a real browser
(screenshots in test-artifacts/)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from django.contrib.auth.models import Group

from requests import services
from requests.connectors import sample
from requests.lifecycle import Status
from requests.models import CompanySystem, PrivacyRequest
from requests.roles import ensure_roles
from tests.e2e.test_staff_queue import sign_in
from tests.factories import make_case
from tests.fakes.zoho import CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN, ZohoSim

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.real_clock]


def test_a_dpo_compares_the_details_and_verifies_with_the_matches_ticked(
    page: Any, dpo: Any, tmp_path: Path, details_to_match: None
) -> None:
    ensure_roles()
    dpo.groups.add(Group.objects.get(name="DPO"))
    path = tmp_path / "shop.sqlite3"
    engine = sa.create_engine(f"sqlite:///{path}")
    meta = sample.metadata()
    with engine.begin() as conn:
        meta.create_all(conn)
        sample.populate_example(conn, meta)
    engine.dispose()
    CompanySystem.objects.create(
        name="Shop database",
        connector="sql",
        connector_settings={"dialect": "sqlite", "database": str(path), "dataset": sample.DATASET},
    )
    with ZohoSim() as sim:
        # Zoho knows Ada at the address she moved from: her address differs there.
        sim.add("Contacts", Last_Name="Lovelace", Email="ada.lovelace@example.org", Phone="+44 20 7946 0001",
                Mailing_Street="1 Ockham Park", Mailing_Zip="KT11 1AA")  # fmt: skip
        crm = CompanySystem.objects.create(
            name="Zoho CRM",
            connector="zoho",
            connector_settings={"data_centre": "eu", "accounts_url": sim.url},
        )
        services.set_credentials(
            crm, {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "refresh_token": REFRESH_TOKEN}
        )
        case = services.confirm_email(
            make_case(
                kind="access",
                requester_email="Ada.Lovelace@example.org",
                data_points={
                    "phone": "020 7946 0001",
                    "postal_address": "12 St James's Square, London SW1Y 4JH",
                    "account_reference": "A-1001",
                },
            )
        )
        assert case.status == Status.VERIFYING

        sign_in(page, dpo)
        page.goto(f"/admin/requests/privacyrequest/{case.pk}/change/")
        section = page.locator(
            "section", has=page.get_by_role("heading", name="Details compared with what we hold")
        )
        section.get_by_text("Not compared yet").wait_for()
        compare = page.locator("details.action-compare")
        compare.locator("summary").click()
        compare.get_by_role("button", name="Compare details with our systems").click()
        # Tasks run in-process here (the suite's eager Celery): the comparisons are done when the page is back.
        page.get_by_text("Comparing the details in 2 systems").wait_for()
        section.get_by_text("may be an old address").wait_for()
        page.shot("details-compared")
        table = section.locator("table").inner_text()
        assert (
            "shop database" in table.lower() and "zoho crm" in table.lower()
        )  # headers in capitals (the admin's)
        assert table.count("matches") == 4  # phone in both, the address and the account number in the shop
        assert "differs" in table  # Zoho's old address
        assert "not held" in table  # Zoho holds no account number for her

        form = page.locator("details.action-verify")
        form.locator("summary").click()
        assert form.get_by_label("Phone number", exact=False).first.is_checked()
        assert form.get_by_label("Postal address", exact=False).is_checked()
        assert form.get_by_label("Account, customer or order number", exact=False).is_checked()
        assert "(matches in Shop database, Zoho CRM)" in form.inner_text()
        page.shot("verify-form-ticked")
        form.get_by_role("button", name="Verify identity").click()
        page.get_by_text("Identity verified; the case is open.").wait_for()
    assert PrivacyRequest.objects.get(pk=case.pk).identity_verified_at is not None
