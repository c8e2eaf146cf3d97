"""A DPO describes a company database and tests the connection in a real browser (screenshots in test-artifacts/)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from django.contrib.auth.models import Group

from requests.connectors import sample
from requests.models import CompanySystem
from requests.roles import ensure_roles
from tests.e2e.test_staff_queue import sign_in

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.real_clock]


def test_a_dpo_adds_a_database_fixes_its_description_and_tests_the_connection(
    page: Any, dpo: Any, tmp_path: Path
) -> None:
    ensure_roles()
    dpo.groups.add(Group.objects.get(name="DPO"))
    path = tmp_path / "shop.sqlite3"
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        sample.metadata().create_all(conn)
    sign_in(page, dpo)
    page.goto("/admin/requests/companysystem/add/")
    page.locator("input[name=name]").fill("Shop database")
    page.locator("select[name=connector]").select_option("sql")
    page.locator("select[name=dialect]").select_option("sqlite")
    page.locator("input[name=database]").fill(str(path))
    page.locator("textarea[name=dataset]").fill(sample.DATASET.replace("customers:", "clients:", 1))
    page.get_by_role("button", name="Save", exact=True).click()
    page.locator(".errorlist").first.wait_for()
    page.shot("dataset-refused")
    problems = " ".join(page.locator(".errorlist").all_inner_texts())
    assert "'customers' is not described" in problems  # the problem, by name
    assert "clients:" in page.locator("textarea[name=dataset]").input_value()  # nothing typed is lost
    assert not CompanySystem.objects.filter(name="Shop database").exists()

    page.locator("textarea[name=dataset]").fill(sample.DATASET)
    page.get_by_role("button", name="Save and continue editing").click()
    page.get_by_role("button", name="Test connection").click()
    page.get_by_text("can read and write").wait_for()
    page.shot("connection-tested")


def test_a_dpo_sets_what_the_portal_does_in_zoho_on_the_form(page: Any, dpo: Any) -> None:
    from tests.fakes.zoho import CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN

    ensure_roles()
    dpo.groups.add(Group.objects.get(name="DPO"))
    sign_in(page, dpo)
    page.goto("/admin/requests/companysystem/add/")
    page.locator("input[name=name]").fill("Zoho CRM")
    page.locator("select[name=connector]").select_option("zoho")
    page.locator("select[name=data_centre]").select_option("eu")
    page.locator("input[name=client_id]").fill(CLIENT_ID)
    page.locator("input[name=client_secret]").fill(CLIENT_SECRET)
    page.locator("input[name=refresh_token]").fill(REFRESH_TOKEN)
    page.locator("textarea[name=zoho_rectify]").fill("Leads.Last_Name\nContacts Phone")
    page.locator("textarea[name=zoho_keep]").fill("Deals: tax law, invoices kept 10 years")
    page.locator("input[name=zoho_compliance]").check()
    page.get_by_role("button", name="Save", exact=True).click()
    page.locator(".errorlist").first.wait_for()
    zoho = page.locator("fieldset", has_text="what the portal does there")
    zoho.scroll_into_view_if_needed()
    page.shot("zoho-line-refused")
    assert "Line 2: write Module.Field" in zoho.inner_text()

    page.locator("input[name=client_secret]").fill(CLIENT_SECRET)  # never sent back to the browser
    page.locator("input[name=refresh_token]").fill(REFRESH_TOKEN)
    page.locator("textarea[name=zoho_rectify]").fill("Leads.Last_Name\nContacts.Phone")
    page.get_by_role("button", name="Save and continue editing").click()
    page.get_by_role("button", name="Test connection").wait_for()
    zoho.scroll_into_view_if_needed()
    page.shot("zoho-saved")
    assert page.locator("textarea[name=zoho_rectify]").input_value() == "Leads.Last_Name\nContacts.Phone"
    assert page.locator("input[name=zoho_compliance]").is_checked()
    system = CompanySystem.objects.get(name="Zoho CRM")
    assert system.connector_settings["rectify"] == {"Leads": ["Last_Name"], "Contacts": ["Phone"]}
