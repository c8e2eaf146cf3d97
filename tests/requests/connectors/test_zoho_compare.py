"""Comparing a requester's details with a Zoho CRM account (the simulator in tests/fakes/zoho.py): the standard
fields by default, other fields by the `details` and `account_field` settings."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from requests.connectors import ConnectorError, Subject
from requests.connectors.compare import Comparison, compare_in
from tests.fakes.zoho import ZohoSim
from tests.requests.connectors.test_zoho import connect

ADA = Subject(email="ada@example.org")
GIVEN = {"phone": "020 7946 0018", "postal_address": "12 St James's Square, London SW1Y 4JH",
         "account_reference": "acc 1001", "date_of_birth": "10 December 1815"}  # fmt: skip


@pytest.fixture
def sim() -> Iterator[ZohoSim]:
    with ZohoSim() as server:
        server.add("Leads", Last_Name="Lovelace", Email="ada@example.org", Phone="+44 20 7946 0018")
        server.add("Contacts", Last_Name="Lovelace", Email="ADA@example.org", Mobile="+44 7700 900123",
                   Mailing_Street="12 St. James's Sq.", Mailing_City="London", Mailing_Zip="SW1Y 4JH",
                   Date_of_Birth="1815-12-10")  # fmt: skip
        server.add("Accounts", Account_Name="Lovelace Household", Billing_Email="ada@example.org",
                   Billing_Street="1 Ockham Park", Billing_Code="KT11 1AA", Account_Number="ACC1001")  # fmt: skip
        server.add("Deals", Deal_Name="Parts", Contact_Email="ada@example.org")
        # Someone else with Ada's phone: never searched for, so never compared.
        server.add("Leads", Last_Name="Babbage", Email="charles@example.org", Phone="+44 20 7946 0018")
        yield server


def test_the_standard_fields_are_compared_by_default(sim: ZohoSim, caplog: pytest.LogCaptureFixture) -> None:
    connector = connect(sim)
    assert "compare" in connector.capabilities
    with caplog.at_level(logging.DEBUG):
        verdicts = compare_in(connector, ADA, GIVEN)
    assert verdicts == {
        "phone": Comparison("matches", 2),  # the lead's Phone, the contact's Mobile; the account has none
        "postal_address": Comparison(
            "matches", 2
        ),  # the contact's mailing address; the account bills elsewhere
        "account_reference": Comparison("matches", 1),  # Accounts' Account_Number
        "date_of_birth": Comparison("matches", 1),
    }
    # Searched by the email only: no phone= search went out.
    searches = sim.calls("GET", "/search")
    assert searches and all("phone" not in call.query for call in searches)
    assert not any(value in caplog.text for value in ("7946", "Ockham", "SW1Y", "1815", "ACC1001"))


def test_a_detail_held_otherwise_differs_and_nothing_found_is_said_so(sim: ZohoSim) -> None:
    connector = connect(sim)
    other = {
        "phone": "020 7946 0999",
        "postal_address": "1 Dorset Street, London W1U 4EG",
        "date_of_birth": "1815-12-11",
    }
    assert compare_in(connector, ADA, other) == {
        "phone": Comparison("differs", 2),
        "postal_address": Comparison("differs", 2),
        "date_of_birth": Comparison("differs", 1),
    }
    assert compare_in(connector, Subject(email="nobody@example.org"), other) == {
        d: Comparison("no_record") for d in other
    }


def test_settings_map_other_fields_and_switch_defaults_off(sim: ZohoSim) -> None:
    connector = connect(
        sim, details={"Contacts": {"phone": [], "account_reference": "Description"}}, account_field=""
    )
    sim.records["Contacts"][next(iter(sim.records["Contacts"]))]["Description"] = "ACC 1001"
    verdicts = compare_in(connector, ADA, GIVEN)
    assert verdicts["phone"] == Comparison("matches", 1)  # the lead only: the contact's phones are off
    assert verdicts["account_reference"] == Comparison(
        "matches", 1
    )  # the contact's Description, not Accounts'
    only_leads = connect(sim, modules=["Leads", "Deals"], account_field="")
    assert only_leads.detail_fields == {"Leads": only_leads.detail_fields["Leads"]}  # Deals hold no detail


def test_a_wrong_details_setting_is_refused_naming_each_problem(sim: ZohoSim) -> None:
    with pytest.raises(ConnectorError) as caught:
        connect(sim, details={"Contacts": {"fax": "Fax", "phone": {"field": "Phone"}}, "Vendors": {}})
    assert caught.value.message == (
        "The Zoho 'details' setting has problems: details.Contacts: 'fax' is not one of phone, postal_address, "
        "account_reference, date_of_birth; details.Contacts.phone: expected a field name or a list of them "
        "(phone: [phone, mobile]); details: Vendors not among the modules searched"
    )
    with pytest.raises(ConnectorError, match="expected modules and their details"):
        connect(sim, details=["Phone"])
