"""The API keeps the contract its OpenAPI document publishes: what `.ci/fuzz` (schemathesis) found, pinned.

Every input gets a JSON answer, never a 500 nor an HTML page; a value of the wrong JSON type is refused, not
quietly converted; and the document describes what the API really sends (status codes, types, blank values).
"""

from __future__ import annotations

import json
from base64 import b64encode
from typing import Any

import pytest
from django.test import Client

from identity import tokens
from requests import services
from requests.roles import ensure_roles
from tests.factories import in_role, make_case

pytestmark = pytest.mark.django_db

API = "/api/v1/cases/"


@pytest.fixture(autouse=True)
def _roles() -> None:
    ensure_roles()


@pytest.fixture
def client_dpo(dpo: Any) -> Client:
    in_role(dpo, "DPO")
    _token, plaintext = tokens.create_token(dpo, name="test", days=30)
    return Client(HTTP_AUTHORIZATION=f"Bearer {plaintext}")


def post(client: Client, url: str, body: Any) -> Any:
    return client.post(url, json.dumps(body), content_type="application/json")


def schema() -> dict[str, Any]:
    return dict(Client().get("/api/schema/").json())


def test_a_post_to_an_unknown_api_address_is_a_json_404_not_the_csrf_page(client_dpo: Client) -> None:
    for url in ("/api/v1/cases/0/complete/", "/api/v1/cases/PR-2026-00000%C2%B9/deny/", "/api/nothing/"):
        response = post(Client(enforce_csrf_checks=True), url, {"outcome": "fulfilled"})
        assert response.status_code == 404 and response["Content-Type"] == "application/json", url
        assert response.json()["detail"]


def test_a_forged_cursor_is_a_404_not_a_500(client_dpo: Client) -> None:
    services.confirm_email(make_case(kind="rectification"))
    for position in ("garbage", "2026-13-45", "20261125"):
        cursor = b64encode(f"o=0&r=0&p={position}".encode()).decode()
        response = client_dpo.get(API, {"cursor": cursor})
        assert response.status_code == 404 and response.json()["detail"], position


@pytest.mark.parametrize(
    "query",
    [{"page_size": "abc"}, {"page_size": "0"}, {"page_size": "201"}, {"page_size": "5_0"}, {"due_before": ""},
     {"due_before": "20260101"}, {"overdue": "yes"}, {"repetitive": "1"}, {"regime": "nowhere"}],
)  # fmt: skip
def test_a_bad_query_parameter_is_a_400_naming_it(client_dpo: Client, query: dict[str, str]) -> None:
    response = client_dpo.get(API, query)
    assert response.status_code == 400, response.content
    assert set(response.json()["errors"]) == set(query)


def test_the_documented_query_values_are_accepted(client_dpo: Client) -> None:
    query = {"queue": "all", "overdue": "false", "due_before": "2030-01-01", "assignee": "none", "regime": "uk_gdpr",
             "repetitive": "true", "processor_request": "false", "page_size": "200", "cursor": ""}  # fmt: skip
    assert client_dpo.get(API, query).status_code == 200


def test_a_value_of_the_wrong_json_type_is_refused_not_converted(client_dpo: Client) -> None:
    case = services.confirm_email(make_case(kind="rectification"))
    url = f"{API}{case.reference}/"
    for action, body in [("pause", {"reason": 0}), ("forward", {"controller": 1.5}), ("messages", {"body": True}),
                         ("assign", {"assignee": "1"}), ("quote-fee", {"amount": 25, "currency": "GBP",
                         "reason": "excessive", "breakdown": "Copies: 25"})]:  # fmt: skip
        response = post(client_dpo, f"{url}{action}/", body)
        assert response.status_code == 400, (action, response.content)
    intake = post(Client(), "/api/v1/public/requests/", {"kind": "erasure", "marketing_only": "yes"})
    assert intake.status_code == 400 and "marketing_only" in intake.json()["errors"]
    assert client_dpo.get(url).json()["status"] == "open"  # nothing happened


def test_logging_a_request_with_names_longer_than_the_case_keeps_is_a_400(client_dpo: Client) -> None:
    body = {"channel": "post", "received_on": "2026-01-02", "kind": "access", "requester_name": "Ada",
            "requester_email": "ada@example.org", "relationship": "agent", "country": "GB", "language": "en",
            "details": "Letter.", "subject_name": "S" * 201, "customer_name": "C" * 201}  # fmt: skip
    response = post(client_dpo, API, body)  # PostgreSQL refused the row: a 500
    assert response.status_code == 400 and set(response.json()["errors"]) == {"subject_name", "customer_name"}
    long_email = "a" * 64 + "@" + ".".join(["b" * 63] * 3) + ".org"  # 259 characters, valid but too long
    response = post(
        client_dpo, API, {**body, "subject_name": "S", "customer_name": "", "requester_email": long_email}
    )
    assert response.status_code == 400 and set(response.json()["errors"]) == {"requester_email"}


def test_nested_errors_are_flat_lists_of_messages(client_dpo: Client) -> None:
    case = services.confirm_email(make_case(kind="erasure"))  # erasure: staff verify the matched details
    response = post(client_dpo, f"{API}{case.reference}/verify/", {"data_points": [{}, "phone"]})
    assert response.status_code == 400
    assert all(isinstance(message, str) for message in response.json()["errors"]["data_points"])


def test_the_schema_says_what_the_api_sends() -> None:
    document = schema()
    paths, components = document["paths"], document["components"]["schemas"]
    case = components["CaseDetail"]["properties"]
    assert case["days_left"] == {"type": "integer", "nullable": True, "readOnly": True}
    assert case["actions"]["type"] == "array" and case["regimes"]["type"] == "array"
    assert case["fee_breakdown"]["items"]["properties"]["amount"]["type"] == "string"
    assert "" in case["outcome"]["enum"] and "" in case["subject_answer"]["enum"]
    assert "format" not in case["subject_email"]  # "" when there is no subject: an email or nothing
    assert components["Packet"]["properties"]["files"]["type"] == "array"
    detail = "/api/v1/cases/{reference}/"
    assert set(paths[detail + "pause/"]["post"]["responses"]) == {
        "200",
        "400",
        "401",
        "403",
        "404",
        "409",
        "415",
    }
    assert paths[detail + "pause/"]["post"]["requestBody"]["required"] is True
    assert paths[detail + "resume/"]["post"]["requestBody"]["required"] is False
    assert (
        paths[detail + "messages/"]["get"]["responses"]["200"]["content"]["application/json"]["schema"][
            "type"
        ]
        == "array"
    )
    assert set(paths["/api/v1/public/verify/"]["post"]["responses"]) == {"200", "400", "415", "429"}
    filters = {p["name"] for p in paths["/api/v1/cases/"]["get"]["parameters"]}
    assert {"queue", "status", "kind", "regime", "overdue", "due_before", "assignee", "cursor",
            "page_size"} <= filters  # fmt: skip
    assert "q" not in filters  # a search term is never in a URL: it is the search's body
    search = paths["/api/v1/search/cases/"]["post"]
    assert {p["name"] for p in search["parameters"]} == {"cursor", "page_size"}
    assert search["requestBody"]["required"] is True
    body = schema()["components"]["schemas"]["CaseSearch"]
    assert body["additionalProperties"] is False and body["required"] == ["q"]
    assert body["properties"]["q"]["minLength"] == 1
    page = search["responses"]["200"]["content"]["application/json"]["schema"]
    assert page["properties"]["results"]["items"] == {"$ref": "#/components/schemas/Case"}


def test_every_body_example_has_the_required_fields_and_no_others() -> None:
    document = schema()
    bodies = 0
    for path, operations in document["paths"].items():
        for operation in operations.values():
            media = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
            if "example" not in media:
                continue
            body = document["components"]["schemas"][media["schema"]["$ref"].rsplit("/", 1)[-1]]
            assert set(body.get("required", [])) <= set(media["example"]) <= set(body["properties"]), path
            bodies += 1
    assert bodies >= 14
    build = document["paths"]["/api/v1/cases/{reference}/packet/build/"]["post"]
    assert "requestBody" not in build


@pytest.mark.parametrize(
    "url", ["/api/v1/public/requests/", "/api/v1/public/verify/", "/api/v1/search/cases/"]
)
def test_json_nested_deeper_than_python_can_read_is_a_400_not_a_500(client_dpo: Client, url: str) -> None:
    """json.loads raises RecursionError on `[[[…]]]` 100,000 deep: a 500 (and an error logged) for anyone."""
    deep = "[" * 100_000 + "]" * 100_000
    response = client_dpo.post(url, deep, content_type="application/json")
    assert response.status_code == 400, response.content
    assert response.json()["detail"] == "The JSON body is nested too deeply."
