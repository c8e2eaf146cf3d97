"""The contract: the requests the Zoho connector sends and the responses the simulator gives, pinned to the
shapes in Zoho's published documentation (v8 pages named in requests/connectors/zoho.py). If either side drifts
from the documented paths, parameters or JSON keys, this fails."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from requests.connectors import Subject, build
from tests.fakes.zoho import CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN, ZohoSim

CREDENTIALS = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "refresh_token": REFRESH_TOKEN}


@pytest.fixture
def sim() -> Iterator[ZohoSim]:
    with ZohoSim(privacy_settings=True) as server:
        server.seed_demo()
        yield server


def test_the_requests_are_the_documented_ones(sim: ZohoSim) -> None:
    connector = build("zoho", {"accounts_url": sim.url, "rectify": {"Leads": ["Last_Name"]}, "compliance": True},
                      CREDENTIALS)  # fmt: skip
    connector.test()
    found = connector.find(Subject(email="ada@example.org", phone="+44 20 7946 0018"))
    connector.export(found)
    connector.rectify(found, {"Last_Name": "Byron"})
    connector.opt_out(found)
    connector.restrict(found)
    connector.erase(connector.plan_erasure(found))
    shapes = {(c.method, c.path.replace(c.path.split("/")[-1], "{id}") if c.path.split("/")[-1].isdigit()
               else c.path) for c in sim.log}  # fmt: skip
    related = {(c.method, "/".join(c.path.split("/")[:4]) + "/{id}/" + c.path.split("/")[-1])
               for c in sim.log if c.path.endswith(("/Notes", "/Attachments"))}  # fmt: skip
    documented = {
        ("POST", "/oauth/v2/token"),
        ("GET", "/crm/v8/org"),
        *{("GET", f"/crm/v8/{m}/search") for m in ("Leads", "Contacts", "Accounts", "Deals")},
        *{("GET", f"/crm/v8/{m}/{{id}}") for m in ("Leads", "Contacts", "Accounts", "Deals")},
        ("GET", "/crm/v8/Leads"), ("GET", "/crm/v8/Contacts"), ("PUT", "/crm/v8/Leads"), ("PUT", "/crm/v8/Contacts"),
        *{("DELETE", f"/crm/v8/{m}") for m in ("Leads", "Contacts", "Accounts", "Deals")},
        ("DELETE", "/crm/v8/settings/recycle_bin"),
    }  # fmt: skip
    plain = {s for s in shapes if not s[1].endswith(("/Notes", "/Attachments"))}
    assert plain == documented
    assert ("GET", "/crm/v8/Leads/{id}/Notes") in related and (
        "GET",
        "/crm/v8/Leads/{id}/Attachments",
    ) in related
    token = sim.calls("POST", "/oauth/v2/token")[0]
    assert token.query == {"grant_type": "refresh_token", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                           "refresh_token": REFRESH_TOKEN}  # fmt: skip
    for call in sim.calls("GET", "/search"):
        assert set(call.query) in ({"email", "page", "per_page"}, {"phone", "page", "per_page"},
                                   {"criteria", "page", "per_page"})  # fmt: skip
        assert call.query["per_page"] == "200"
    # Deals through the contacts found: "Search Records" criteria on the Contact_Name lookup, by the contact's id.
    [by_contact] = [c for c in sim.calls("GET", "/search") if "criteria" in c.query]
    assert by_contact.path == "/crm/v8/Deals/search" and by_contact.status == 200
    assert re.fullmatch(r"\(Contact_Name:equals:\d+\)", by_contact.query["criteria"])
    assert found.counts()["Deals"] == 2
    for call in sim.calls("GET", "/Notes") + sim.calls("GET", "/Attachments"):
        assert {"fields", "page", "per_page"} == set(call.query)
    for call in sim.calls("GET"):
        if call.path in ("/crm/v8/Leads", "/crm/v8/Contacts"):
            assert set(call.query) == {"ids", "fields"}
    for call in sim.calls("PUT"):
        assert set(call.body) == {"data"} and all("id" in item for item in call.body["data"])
        assert len(call.body["data"]) <= 100
    for call in sim.calls("DELETE"):
        assert set(call.query) == {"ids"} and len(call.query["ids"].split(",")) <= 100
    assert all(c.status != 401 and c.status < 400 for c in sim.log if c.path != "/oauth/v2/token")


def test_the_responses_are_the_documented_ones(sim: ZohoSim) -> None:
    client = httpx.Client(base_url=sim.url)
    token = client.post("/oauth/v2/token", params={"grant_type": "refresh_token", **CREDENTIALS}).json()
    assert set(token) == {"access_token", "scope", "api_domain", "token_type", "expires_in"}
    assert token["token_type"] == "Bearer" and token["expires_in"] == 3600
    refused = client.post("/oauth/v2/token", params={"grant_type": "refresh_token", **CREDENTIALS,
                                                       "refresh_token": "1000.wrong"})  # fmt: skip
    assert refused.json() == {"error": "invalid_code"}
    auth = {"Authorization": f"Zoho-oauthtoken {token['access_token']}"}
    found = client.get("/crm/v8/Leads/search", params={"email": "ada@example.org"}, headers=auth)
    assert found.status_code == 200 and set(found.json()) == {"data", "info"}
    assert set(found.json()["info"]) == {"per_page", "count", "page", "more_records"}
    # Every answer says how much of the allowance is left and when it resets (the connector slows down on it).
    assert {"x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"} <= set(found.headers.keys())
    contact = client.get("/crm/v8/Contacts/search", params={"email": "ada@example.org"}, headers=auth).json()
    contact_id = contact["data"][0]["id"]
    deals = client.get("/crm/v8/Deals/search", params={"criteria": f"(Contact_Name:equals:{contact_id})"},
                       headers=auth)  # fmt: skip
    assert deals.status_code == 200 and set(deals.json()) == {"data", "info"}
    assert deals.json()["data"][0]["Contact_Name"] == {"name": "Ada Lovelace", "id": contact_id}
    either = f"((Contact_Name:equals:{contact_id})or(Contact_Name:equals:1))"
    assert client.get("/crm/v8/Deals/search", params={"criteria": either}, headers=auth).status_code == 200
    too_many = "(" + "or".join(["(Contact_Name:equals:1)"] * 11) + ")"
    refused = client.get("/crm/v8/Deals/search", params={"criteria": too_many}, headers=auth)
    assert refused.status_code == 400 and refused.json()["code"] == "INVALID_QUERY"
    nothing = client.get("/crm/v8/Leads/search", params={"email": "no@example.org"}, headers=auth)
    assert nothing.status_code == 204 and nothing.content == b""
    record_id = found.json()["data"][0]["id"]
    assert isinstance(record_id, str)
    updated = client.put(
        "/crm/v8/Leads", json={"data": [{"id": record_id, "Email_Opt_Out": True}]}, headers=auth
    )
    entry = updated.json()["data"][0]
    assert set(entry) == {"code", "details", "message", "status"} and entry["code"] == "SUCCESS"
    deleted = client.delete("/crm/v8/Leads", params={"ids": f"{record_id},1"}, headers=auth)
    assert deleted.status_code == 207
    assert [e["code"] for e in deleted.json()["data"]] == ["SUCCESS", "INVALID_DATA"]
    bin_ = client.get("/crm/v8/settings/recycle_bin", params={"module": "Leads"}, headers=auth).json()
    assert set(bin_) == {"recycle_bin", "info"} and bin_["recycle_bin"][0]["id"] == record_id
    purged = client.delete("/crm/v8/settings/recycle_bin", params={"ids": record_id}, headers=auth).json()
    assert purged["recycle_bin"][0]["code"] == "SUCCESS"
    org = client.get("/crm/v8/org", headers=auth).json()
    assert org["org"][0]["privacy_settings"] is True
    expired = client.get("/crm/v8/org", headers={"Authorization": "Zoho-oauthtoken 1000.expired"})
    assert expired.status_code == 401
    assert expired.json() == {"code": "INVALID_TOKEN", "details": {}, "message": "invalid oauth token",
                              "status": "error"}  # fmt: skip
    sim.scopes = "ZohoCRM.org.READ"
    narrow = client.post("/oauth/v2/token", params={"grant_type": "refresh_token", **CREDENTIALS}).json()
    mismatch = client.get("/crm/v8/Leads/search", params={"email": "ada@example.org"},
                          headers={"Authorization": f"Zoho-oauthtoken {narrow['access_token']}"})  # fmt: skip
    assert mismatch.status_code == 401 and mismatch.json()["code"] == "OAUTH_SCOPE_MISMATCH"
    sim.fail_429_on = {sim.api_calls + 1}
    limited = client.get("/crm/v8/org", headers=auth)
    assert limited.status_code == 429 and limited.json()["code"] == "TOO_MANY_REQUESTS"
    assert {"retry-after", "x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"} <= set(
        limited.headers.keys()
    )
    sim.allowance(1, every=60.0)  # one call left in this window, then 429 until it resets
    assert client.get("/crm/v8/org", headers=auth).headers["x-ratelimit-remaining"] == "0"
    spent = client.get("/crm/v8/org", headers=auth)
    assert spent.status_code == 429 and 0 < int(spent.headers["retry-after"]) <= 60
    client.close()
