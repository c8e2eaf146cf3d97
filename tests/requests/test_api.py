"""The REST API: tokens, the staff endpoints through the same forms and services, public intake, errors, schema."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.test import Client

from identity import tokens
from requests import services
from requests.lifecycle import Status
from requests.roles import ensure_roles
from tests.factories import in_role, make_case

pytestmark = pytest.mark.django_db

# A Wednesday three weeks after the received date the tests log: the UK due date is still ahead, so "extend" is
# offered. Every test whose outcome depends on "today" travels here.
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _roles() -> None:
    ensure_roles()


def api(user: Any, role: str) -> Client:
    in_role(user, role)
    _token, plaintext = tokens.create_token(user, name="test", days=30)
    return Client(HTTP_AUTHORIZATION=f"Bearer {plaintext}")


def post(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, json.dumps(body), content_type="application/json")


@time_machine.travel(NOW, tick=False)
def test_a_case_lives_its_life_through_the_api(dpo: Any, django_capture_on_commit_callbacks: Any) -> None:
    client = api(dpo, "DPO")
    with django_capture_on_commit_callbacks(execute=True):
        created = post(client, "/api/v1/cases/", {
            "channel": "post", "received_on": "2026-11-02", "kind": "rectification", "requester_name": "Ada Lovelace",
            "requester_email": "ada@example.org", "relationship": "self", "country": "GB", "language": "en",
            "details": "My address is wrong.",
        })  # fmt: skip
    assert created.status_code == 201, created.content
    case = created.json()
    assert (case["status"], case["channel"]) == ("verifying", "post") and case["received_at"].startswith(
        "2026-11-02"
    )
    url = f"/api/v1/cases/{case['reference']}/"
    assert "verify" in case["actions"] and "extend" in case["actions"]
    steps = [("verify", {"data_points": []}), ("assign", {"assignee": dpo.pk}),
             ("extend", {"reason": "Five systems to search."}),
             ("complete", {"outcome": "fulfilled", "note": "Corrected."})]  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        for name, body in steps:
            response = post(client, f"{url}{name}/", body)
            assert response.status_code == 200, (name, response.content)
    final = client.get(url).json()
    assert final["status"] == "completed" and final["extended"] is True
    verbs = [e["verb"] for e in final["timeline"] if e["verb"] not in ("email_sent", "letter_issued")]
    assert verbs == ["submitted", "identity_verified", "assigned", "extended", "completed"]
    subjects = [str(m.subject) for m in mail.outbox]
    assert any("We need more time" in s for s in subjects) and any("We have answered" in s for s in subjects)


def test_the_list_filters_and_pages_by_due_date(dpo: Any) -> None:
    for i in range(3):
        services.confirm_email(make_case(kind="rectification", requester_email=f"p{i}@example.org"))
    client = api(dpo, "DPO")
    page = client.get("/api/v1/cases/", {"page_size": 2}).json()
    assert len(page["results"]) == 2 and page["next"]
    rest = client.get(page["next"]).json()
    assert len(rest["results"]) == 1 and rest["next"] is None
    found = post(client, "/api/v1/search/cases/", {"q": "p1@example.org"}).json()["results"]
    assert [row["status"] for row in found] == ["open"]
    bad = client.get("/api/v1/cases/", {"due_before": "someday", "status": "lost"})
    assert bad.status_code == 400 and set(bad.json()["errors"]) == {"due_before", "status"}


def test_no_token_a_bad_token_or_a_revoked_one_is_refused(dpo: Any) -> None:
    assert Client().get("/api/v1/cases/").status_code == 401
    assert (
        Client(HTTP_AUTHORIZATION="Bearer pp_00000000_nonsense-nonsense-nonsense")
        .get("/api/v1/cases/")
        .status_code
        == 401
    )
    in_role(dpo, "DPO")
    token, plaintext = tokens.create_token(dpo, name="t", days=30)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    assert client.get("/api/v1/cases/").status_code == 200
    tokens.revoke(token)
    response = client.get("/api/v1/cases/")
    assert response.status_code == 401 and "revoked" in response.json()["detail"]


def test_public_intake_uses_the_web_forms_rules_and_the_emailed_code(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    bad = post(
        client, "/api/v1/public/requests/", {"kind": "rectification", "requester_email": "not-an-email"}
    )
    assert bad.status_code == 400 and "requester_email" in bad.json()["errors"]
    with django_capture_on_commit_callbacks(execute=True):
        made = post(client, "/api/v1/public/requests/", {
            "kind": "rectification", "requester_name": "Ada", "requester_email": "ada@example.org",
            "relationship": "self", "country": "GB", "language": "en", "period": "12_months",
            "rectification_current": "Old address", "rectification_wanted": "New address",
        })  # fmt: skip
    assert made.status_code == 201, made.content
    reference = made.json()["reference"]
    code = re.search(r"^\s+(\d{6})$", str(mail.outbox[-1].body), re.MULTILINE)
    assert code
    wrong = post(client, "/api/v1/public/verify/", {"reference": reference, "code": "000000"})
    assert wrong.status_code == 400
    done = post(client, "/api/v1/public/verify/", {"reference": reference, "code": code.group(1)})
    assert done.status_code == 200 and done.json()["status"] == Status.OPEN


def test_every_error_is_json(dpo: Any) -> None:
    client = api(dpo, "DPO")
    assert client.get("/api/v1/nothing-here/").json()["detail"]
    assert client.get("/api/v1/cases/PR-2026-999999/").status_code == 404
    response = client.post("/api/v1/cases/", "{not json", content_type="application/json")
    assert response.status_code == 400 and response.json()["detail"]


def test_the_schema_is_openapi_3_with_every_operation(client: Client) -> None:
    schema = client.get("/api/schema/").json()
    assert schema["openapi"].startswith("3.")
    ids = {op["operationId"] for ops in schema["paths"].values() for op in ops.values()}
    assert {"listCases", "getCase", "logCase", "assignCase", "verifyCase", "pauseCase", "resumeCase", "extendCase",
            "quoteFee", "completeCase", "denyCase", "forwardCase", "withdrawCase", "listMessages", "sendMessage",
            "buildPacket", "getPacket", "releasePacket", "createPublicRequest"} <= ids  # fmt: skip
    assert "Privacy Portal API" in client.get("/api/docs/").content.decode()
