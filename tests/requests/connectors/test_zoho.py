"""The Zoho CRM connector against the local simulator (tests/fakes/zoho.py): a real HTTP server on 127.0.0.1,
never Zoho itself."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

import pytest

from requests.connectors import ConnectorError, Subject, build
from requests.connectors.zoho import ZohoConnector
from tests.fakes.zoho import CLIENT_ID, CLIENT_SECRET, READ_SCOPES, REFRESH_TOKEN, ZohoSim

ADA = "ada@example.org"
ADA_PHONE = "+44 20 7946 0018"
CREDENTIALS = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "refresh_token": REFRESH_TOKEN}


@pytest.fixture
def sim() -> Iterator[ZohoSim]:
    with ZohoSim() as server:
        yield server


class Sleeps(list[float]):
    """The connector's sleep, recorded; with a simulator, its clock moves on instead of the test waiting."""

    def __init__(self, sim: ZohoSim | None = None) -> None:
        super().__init__()
        self.sim = sim

    def __call__(self, seconds: float) -> None:
        self.append(seconds)
        if self.sim is not None:
            self.sim.advance(seconds)


def connect(sim: ZohoSim, sleeps: Sleeps | None = None, **settings: Any) -> ZohoConnector:
    connector = build("zoho", {"accounts_url": sim.url, **settings}, CREDENTIALS)
    assert isinstance(connector, ZohoConnector)
    connector.sleep = sleeps if sleeps is not None else Sleeps()
    return connector


def seed(sim: ZohoSim) -> dict[str, str]:
    ids = {
        "lead": sim.add("Leads", Last_Name="Lovelace", Email=ADA, Phone=ADA_PHONE),
        "contact": sim.add("Contacts", Last_Name="Lovelace", Email="ADA@Example.org"),
        "account": sim.add("Accounts", Account_Name="Lovelace Household", Billing_Email=ADA),
        "deal": sim.add("Deals", Deal_Name="Parts", Contact_Email=ADA),
        "phone_only": sim.add("Contacts", Last_Name="Lovelace", Mobile="+44 (20) 7946-0018"),
        "other": sim.add("Leads", Last_Name="Babbage", Email="charles@example.org", Phone="+44 20 7946 0999"),
    }
    sim.add_note("Leads", ids["lead"], "Call back", "Asked about engines")
    sim.add_attachment("Leads", ids["lead"], "brochure.pdf", 1234)
    return ids


def test_test_reports_the_organisation_and_write_access(sim: ZohoSim) -> None:
    check = connect(sim).test()
    assert check.can_write
    assert "Sim Ltd" in check.message and "data centre .com" in check.message


def test_a_read_only_token_can_find_but_not_write(sim: ZohoSim) -> None:
    sim.scopes = READ_SCOPES
    ids = seed(sim)
    connector = connect(sim)
    check = connector.test()
    assert not check.can_write
    assert "ZohoCRM.settings.recycle_bin.DELETE" in check.message
    found = connector.find(Subject(email=ADA))
    assert len(found.refs) == 4
    with pytest.raises(ConnectorError, match=r"lacks the scope .*ZohoCRM\.modules\.leads\.DELETE"):
        connector.erase(connector.plan_erasure(found))
    assert ids["lead"] in sim.records["Leads"], "nothing changed"


def test_search_by_email_ignores_case_and_by_phone_ignores_punctuation(sim: ZohoSim) -> None:
    ids = seed(sim)
    found = connect(sim).find(Subject(email="Ada@EXAMPLE.org", phone=ADA_PHONE))
    keys = {(ref.table, ref.key[0]) for ref in found.refs}
    assert keys == {("Leads", ids["lead"]), ("Contacts", ids["contact"]), ("Accounts", ids["account"]),
                    ("Deals", ids["deal"]), ("Contacts", ids["phone_only"])}  # fmt: skip
    assert not connect(sim).find(Subject(email="nobody@example.org")).refs  # 204 No Content everywhere


def linked_deal(sim: ZohoSim, contact: str, name: str = "Service contract") -> str:
    """A deal with no email of its own, whose Contact_Name lookup points at `contact`."""
    return sim.add("Deals", Deal_Name=name, Contact_Name={"name": "Ada Lovelace", "id": contact})


def test_deals_are_reached_through_the_contacts_found(sim: ZohoSim) -> None:
    ids = seed(sim)
    through_email = linked_deal(sim, ids["contact"])
    through_phone = linked_deal(sim, ids["phone_only"], "Spare parts")
    both = sim.add(
        "Deals", Deal_Name="Both", Contact_Email=ADA, Contact_Name={"name": "A", "id": ids["contact"]}
    )
    stranger = sim.add("Contacts", Last_Name="Babbage", Email="charles@example.org")
    linked_deal(sim, stranger, "Babbage's deal")
    connector = connect(sim)
    found = connector.find(Subject(email=ADA, phone=ADA_PHONE))
    deals = sorted(ref.key[0] for ref in found.refs if ref.table == "Deals")
    assert deals == sorted([ids["deal"], through_email, through_phone, both]), "each once, none of Babbage's"
    [criteria] = [c.query["criteria"] for c in sim.calls("GET", "/Deals/search") if "criteria" in c.query]
    assert criteria == f"((Contact_Name:equals:{ids['contact']})or(Contact_Name:equals:{ids['phone_only']}))"
    # Then as any record found: exported, and erased (or kept on the module's ground).
    assert connector.export(found).counts()["Deals"] == 4
    plan = connect(sim, keep={"Deals": "tax law"}).plan_erasure(found)
    assert {step.ref.key[0] for step in plan.steps if step.action == "keep"} == set(deals)
    connector.erase(connector.plan_erasure(found))
    assert through_email not in sim.records["Deals"] and through_phone not in sim.records["Deals"]
    assert len(sim.records["Deals"]) == 1  # Babbage's


def test_deals_of_many_contacts_go_ten_criteria_a_search_and_page_to_the_end(sim: ZohoSim) -> None:
    contacts = [sim.add("Contacts", Last_Name=f"Lovelace {i}", Email=ADA) for i in range(23)]
    for _ in range(250):
        linked_deal(sim, contacts[0])
    for contact in contacts[1:]:
        linked_deal(sim, contact)
    found = connect(sim, modules=["Contacts", "Deals"]).find(Subject(email=ADA))
    assert found.counts() == {"Contacts": 23, "Deals": 272}
    searches = [c for c in sim.calls("GET", "/Deals/search") if "criteria" in c.query]
    assert [c.query["criteria"].count("Contact_Name:equals:") for c in searches] == [10, 10, 10, 3]
    assert [c.query["page"] for c in searches] == ["1", "2", "1", "1"]
    assert all(c.status == 200 for c in searches)


def test_deals_are_searched_by_contact_only_when_both_modules_are_configured(sim: ZohoSim) -> None:
    ids = seed(sim)
    linked_deal(sim, ids["contact"])
    for modules in (["Deals"], ["Leads", "Contacts"]):
        sim.log.clear()
        connect(sim, modules=modules).find(Subject(email=ADA))
        assert not [c for c in sim.calls("GET", "/search") if "criteria" in c.query]
    sim.log.clear()
    connect(sim).find(Subject(email="nobody@example.org"))  # no contact found: nothing to ask for
    assert not [c for c in sim.calls("GET", "/search") if "criteria" in c.query]


def test_search_pages_to_the_end(sim: ZohoSim) -> None:
    for _ in range(450):
        sim.add("Leads", Last_Name="Lovelace", Email=ADA)
    found = connect(sim).find(Subject(email=ADA))
    assert found.counts() == {"Leads": 450}
    pages = [c.query["page"] for c in sim.calls("GET", "/Leads/search")]
    assert pages == ["1", "2", "3"]


def test_a_429_mid_search_waits_as_told_then_completes(sim: ZohoSim) -> None:
    for _ in range(450):
        sim.add("Leads", Last_Name="Lovelace", Email=ADA)
    sleeps = Sleeps()
    connector = connect(sim, sleeps)
    connector.test()  # 1 call (org)
    sim.fail_429_on = {sim.api_calls + 2}  # the second page of the search
    sim.retry_after = 7
    found = connector.find(Subject(email=ADA))
    assert found.counts() == {"Leads": 450}
    assert sleeps == [7.0]
    assert [c.status for c in sim.calls("GET", "/Leads/search")] == [200, 429, 200, 200]


def test_a_429_longer_than_our_patience_is_transient(sim: ZohoSim) -> None:
    seed(sim)
    connector = connect(sim, max_wait=5)
    sim.retry_after = 600
    sim.fail_429_on = {1}
    with pytest.raises(ConnectorError, match="API limit") as caught:
        connector.find(Subject(email=ADA))
    assert caught.value.transient


def test_few_calls_left_slows_the_connector_down_until_the_reset_and_no_429_comes(sim: ZohoSim) -> None:
    for _ in range(1000):  # five pages of search
        sim.add("Leads", Last_Name="Lovelace", Email=ADA)
    sleeps = Sleeps(sim)
    connector = connect(sim, sleeps, modules=["Leads"])
    sim.allowance(100, every=30.0, used=92)  # pages 1-3 leave 5 calls: the 4th waits for the window's end
    found = connector.find(Subject(email=ADA))
    assert found.counts() == {"Leads": 1000}
    assert len(sleeps) == 1 and 29 < sleeps[0] <= 31.0  # to the reset, and a second for the clocks
    statuses = [c.status for c in sim.calls("GET", "/Leads/search")]
    assert statuses == [200] * 5 and 429 not in [c.status for c in sim.log]
    assert sim.window_used == 2, "pages 4 and 5 went out in the new window"


def test_plenty_of_calls_left_never_waits(sim: ZohoSim) -> None:
    seed(sim)
    sleeps = Sleeps(sim)
    connect(sim, sleeps).find(Subject(email=ADA, phone=ADA_PHONE))
    assert sleeps == []


def test_few_calls_left_until_a_distant_reset_stops_the_run_as_transient_without_a_429(sim: ZohoSim) -> None:
    seed(sim)
    sim.allowance(100, every=3600.0, used=94)  # 5 left after one call, and an hour to the reset: > max_wait
    sleeps = Sleeps(sim)
    connector = connect(sim, sleeps)
    with pytest.raises(ConnectorError, match="nearly used up") as caught:
        connector.find(Subject(email=ADA))
    assert caught.value.transient
    assert sleeps == [] and len(sim.calls("GET", "/search")) == 1
    assert 429 not in [c.status for c in sim.log]


def test_an_expired_token_is_refreshed_mid_run(sim: ZohoSim) -> None:
    seed(sim)
    connector = connect(sim)
    found = connector.find(Subject(email=ADA))
    assert sim.token_requests == 1
    sim.expire_tokens()
    export = connector.export(found)
    assert export.counts()["Leads"] == 1
    assert sim.token_requests == 2
    assert [c.status for c in sim.log].count(401) == 1


def test_a_short_lived_token_is_refreshed_before_it_expires(sim: ZohoSim) -> None:
    sim.token_ttl = 2.0
    seed(sim)
    connector = connect(sim)
    connector.find(Subject(email=ADA))
    time.sleep(2.1)
    connector.find(Subject(email=ADA))
    assert 401 not in [c.status for c in sim.log], "refreshed before Zoho had to refuse it"
    assert sim.token_requests == 2


def test_a_revoked_refresh_token_says_create_a_new_one(sim: ZohoSim) -> None:
    sim.revoke()
    with pytest.raises(
        ConnectorError, match=r"refused the refresh token.*Create a new one, see docs/zoho\.md"
    ) as e:
        connect(sim).find(Subject(email=ADA))
    assert not e.value.transient


def test_a_wrong_data_centre_says_so(sim: ZohoSim) -> None:
    with ZohoSim(clients={}) as other_dc:  # the accounts server of a data centre the client is not in
        connector = build("zoho", {"accounts_url": other_dc.url, "data_centre": ".eu"}, CREDENTIALS)
        with pytest.raises(ConnectorError, match=r"data centre \.eu does not know this client"):
            connector.test()


def test_an_unknown_data_centre_is_refused() -> None:
    with pytest.raises(ConnectorError, match="Unknown Zoho data centre 'de'"):
        build("zoho", {"data_centre": "de"}, CREDENTIALS)


def test_a_missing_scope_is_named(sim: ZohoSim) -> None:
    sim.scopes = "ZohoCRM.org.READ ZohoCRM.modules.leads.READ"
    seed(sim)
    with pytest.raises(ConnectorError, match=r"lacks the scope ZohoCRM\.modules\.contacts\.READ"):
        connect(sim).find(Subject(email=ADA))


def test_an_api_domain_without_https_off_this_machine_gets_nothing(sim: ZohoSim) -> None:
    connector = connect(sim)
    sim.url = "http://crm.example.com"  # what the token answer names as api_domain
    with pytest.raises(ConnectorError, match="no secure address for the CRM API"):
        connector.test()
    assert not sim.calls(path_contains="/crm/v8/")


def test_unreachable_zoho_is_transient() -> None:
    connector = build("zoho", {"accounts_url": "http://127.0.0.1:9", "timeout": 2}, CREDENTIALS)
    with pytest.raises(ConnectorError) as caught:
        connector.test()
    assert caught.value.transient


def test_export_has_every_field_and_the_notes_and_attachments(sim: ZohoSim) -> None:
    ids = seed(sim)
    connector = connect(sim)
    export = connector.export(connector.find(Subject(email=ADA)))
    lead = export.rows["Leads"][0]
    assert lead["id"] == ids["lead"] and lead["Email"] == ADA and lead["Email_Opt_Out"] is False
    assert {"Owner", "Created_Time", "Lead_Source", "Data_Processing_Basis"} <= set(export.columns["Leads"])
    assert '"name":"Sim Admin"' in str(lead["Owner"])  # a lookup, as compact JSON
    assert export.rows["Leads.Notes"][0]["Note_Title"] == "Call back"
    assert export.rows["Leads.Attachments"][0]["File_Name"] == "brochure.pdf"
    assert export.counts()["Contacts.Notes"] == 0
    assert "Email" in export.as_csv("Leads").splitlines()[0]


def test_erase_deletes_then_empties_the_recycle_bin_and_a_rerun_says_already_deleted(sim: ZohoSim) -> None:
    ids = seed(sim)
    connector = connect(sim, keep={"Deals": "tax law (invoices, 10 years)"})
    plan = connector.plan_erasure(connector.find(Subject(email=ADA)))
    assert plan.counts() == {"delete": 3, "keep": 1}
    result = connector.erase(plan)
    assert result.counts() == {"deleted": 3, "kept": 1}
    for key in ("lead", "contact", "account"):
        assert ids[key] not in sim.recycle_bin
    assert ids["lead"] not in sim.records["Leads"] and ids["deal"] in sim.records["Deals"]
    assert not sim.notes and not sim.attachments
    assert ids["other"] in sim.records["Leads"]
    again = connector.erase(plan)
    assert again.counts() == {"already deleted": 3, "kept": 1}


def test_erase_after_a_crash_between_delete_and_purge_finishes_the_purge(sim: ZohoSim) -> None:
    ids = seed(sim)
    connector = connect(sim)
    plan = connector.plan_erasure(connector.find(Subject(email=ADA)))
    sim.records["Leads"].pop(ids["lead"])
    sim.recycle_bin[ids["lead"]] = ("Leads", {"id": ids["lead"]}, [], [])
    result = connector.erase(plan)
    assert ids["lead"] not in sim.recycle_bin
    assert [o.action for o in result.outcomes if o.ref.key == (ids["lead"],)] == ["deleted"]


def test_a_plan_made_under_other_settings_is_refused(sim: ZohoSim) -> None:
    seed(sim)
    plan = connect(sim).plan_erasure(connect(sim).find(Subject(email=ADA)))
    with pytest.raises(ConnectorError, match="settings changed"):
        connect(sim, keep={"Deals": "tax law"}).erase(plan)


def test_rectify_changes_only_what_the_settings_allow(sim: ZohoSim) -> None:
    ids = seed(sim)
    connector = connect(sim, rectify={"Leads": ["Last_Name"], "Contacts": ["Last_Name"]})
    assert "rectify" in connector.capabilities
    found = connector.find(Subject(email=ADA))
    result = connector.rectify(found, {"Last_Name": "Byron"})
    assert result.counts() == {"rectified": 2}
    assert sim.records["Leads"][ids["lead"]]["Last_Name"] == "Byron"
    assert connector.rectify(found, {"Leads.Last_Name": "Byron"}).counts() == {"already correct": 1}
    with pytest.raises(ConnectorError, match=r"'Email' may not be corrected.*Leads\.Last_Name"):
        connector.rectify(found, {"Email": "new@example.org"})
    assert "rectify" not in connect(sim).capabilities


def test_opt_out_flags_leads_and_contacts(sim: ZohoSim) -> None:
    ids = seed(sim)
    connector = connect(sim)
    found = connector.find(Subject(email=ADA))
    result = connector.opt_out(found)
    assert result.counts() == {"opted out": 2}
    assert {o.ref.table for o in result.outcomes} == {"Leads", "Contacts"}
    assert sim.records["Leads"][ids["lead"]]["Email_Opt_Out"] is True
    assert sim.records["Contacts"][ids["contact"]]["Email_Opt_Out"] is True
    assert sim.records["Leads"][ids["other"]]["Email_Opt_Out"] is False
    assert connector.opt_out(found).counts() == {"already opted out": 2}


def test_restrict_is_declared_only_with_compliance(sim: ZohoSim) -> None:
    ids = seed(sim)
    plain = connect(sim)
    assert "restrict" not in plain.capabilities
    with pytest.raises(ConnectorError, match=r"not supported here.*by hand"):
        plain.restrict(plain.find(Subject(email=ADA)))
    connector = connect(sim, compliance=True)
    assert "restrict" in connector.capabilities
    found = connector.find(Subject(email=ADA))
    with pytest.raises(ConnectorError, match="Compliance Settings are off"):
        connector.restrict(found)
    sim.privacy_settings = True
    assert connector.restrict(found).counts() == {"restricted": 2}
    assert sim.records["Leads"][ids["lead"]]["Data_Processing_Basis"] == "Stop Processing"
    assert connector.restrict(found).counts() == {"already restricted": 2}
    assert connector.unrestrict(found).counts() == {"unrestricted": 2}


def test_no_personal_data_or_secrets_in_messages_or_logs(
    sim: ZohoSim, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    seed(sim)
    connector = connect(sim, rectify={"Leads": ["Last_Name"]})
    messages = [connector.test().message]
    found = connector.find(Subject(email=ADA, phone=ADA_PHONE))
    connector.export(found)
    connector.rectify(found, {"Last_Name": "Byron"})
    connector.opt_out(found)
    connector.erase(connector.plan_erasure(found))
    sim.fail_429_on = {sim.api_calls + 1}
    sim.retry_after = 1
    connector.find(Subject(email=ADA))
    for breaking in (lambda: sim.revoke(), lambda: setattr(sim, "scopes", "ZohoCRM.org.READ")):
        breaking()
        sim.expire_tokens()
        with pytest.raises(ConnectorError) as caught:
            connector.find(Subject(email=ADA, phone=ADA_PHONE))
        messages.append(caught.value.message)
        sim.refresh_tokens.add(REFRESH_TOKEN)
    tokens = [t for t in sim.tokens]
    logged = [record.getMessage() for record in caplog.records]
    assert any("found" in text for text in logged), "the connector logs what it did (counts)"
    for text in messages + logged:
        for secret in (
            ADA,
            "example.org",
            "7946",
            "Lovelace",
            "Byron",
            CLIENT_SECRET,
            REFRESH_TOKEN,
            *tokens,
        ):
            assert secret.lower() not in text.lower(), text
