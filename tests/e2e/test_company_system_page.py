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
