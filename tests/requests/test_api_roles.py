"""The REST API as an integrator and a DPO meet it: who may see and do what, how tokens and sessions are
checked, that the API leaves the same events and emails as the case page, its errors, logging a request,
public intake, and the queue's filters and cursor pages.

Every call goes through Django's test `Client` with JSON bodies (DRF's APIClient cannot be used here: the
app is called `requests`, DESIGN §2). Emails are sent on commit, so writes run inside
`django_capture_on_commit_callbacks(execute=True)` and `mail.outbox` shows what people received.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.http import HttpRequest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from identity import tokens
from identity.models import ApiToken
from identity.services import MAX_ATTEMPTS
from requests import services
from requests.lifecycle import Status
from requests.models import CompanySystem, Message, Packet, PacketStatus, PrivacyRequest
from requests.roles import ensure_roles
from tests.factories import PASSWORD, StaffFactory, in_role, make_case, signed_in

pytestmark = pytest.mark.django_db

API = "/api/v1/cases/"
INTAKE = "/api/v1/public/requests/"
VERIFY = "/api/v1/public/verify/"
# A Wednesday; every test that depends on "today" travels here.
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
UNSEEN = {"email_sent", "letter_issued"}
LOG_BODY = {"channel": "post", "received_on": "2026-11-02", "kind": "rectification", "requester_name": "Ada Lovelace",
            "requester_email": "ada@example.org", "relationship": "self", "country": "GB", "language": "en",
            "details": "My address is wrong."}  # fmt: skip


@pytest.fixture(autouse=True)
def _roles() -> None:
    ensure_roles()  # a transactional test elsewhere may have flushed the migration's groups


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks: Any) -> Callable[[], Any]:
    """A context in which emails queued on commit are really sent (into mail.outbox)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


# --- Helpers --------------------------------------------------------------------------------------------------


def token_client(user: Any, role: str | None = None) -> Client:
    """A client that sends the user's personal token, as an integration would."""
    if role is not None:
        in_role(user, role)
    _token, plaintext = tokens.create_token(user, name="test", days=30)
    return Client(HTTP_AUTHORIZATION=f"Bearer {plaintext}")


def post(client: Client, url: str, body: Any = None) -> Any:
    return client.post(url, json.dumps({} if body is None else body), content_type="application/json")


def case_url(case: PrivacyRequest, tail: str = "") -> str:
    return f"{API}{case.reference}/{tail}"


def open_case(**fields: Any) -> PrivacyRequest:
    """A rectification from the UK: confirming the email opens it (unassigned, in the queue)."""
    fields.setdefault("requester_email", "ada@example.org")
    return services.confirm_email(make_case(kind="rectification", **fields))


def case_of(user: Any, **fields: Any) -> PrivacyRequest:
    """A case that `user` has taken (in progress)."""
    return services.assign(open_case(**fields), to=user, by=user)


def logged_case(by: Any, **fields: Any) -> PrivacyRequest:
    """A rectification logged by staff from a letter: it waits for staff to check identity (verifying)."""
    values: dict[str, Any] = {
        "kind": "rectification",
        "requester_name": "Ada Lovelace",
        "requester_email": "ada@example.org",
        "country": "GB",
        "channel": "post",
        "details": "My address is wrong.",
    }
    values.update(fields)
    return services.submit(services.NewRequest(**values), by=by)


def fresh(case: PrivacyRequest) -> PrivacyRequest:
    return PrivacyRequest.objects.get(pk=case.pk)


def verbs(case: PrivacyRequest) -> list[str]:
    return list(case.events.order_by("seq").values_list("verb", flat=True))


def is_json_error(response: Any) -> bool:
    """An error a program can read: JSON with a non-empty `detail` string."""
    if not response["Content-Type"].startswith("application/json"):
        return False
    detail = response.json().get("detail")
    return isinstance(detail, str) and bool(detail.strip())


def references(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["reference"] for row in response.json()["results"]]


def all_pages(client: Client, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Every row of the list, following the cursor links."""
    page = client.get(API, params)
    assert page.status_code == 200, page.content
    rows = list(page.json()["results"])
    following = page.json()["next"]
    while following:
        page = client.get(following)
        assert page.status_code == 200, page.content
        rows.extend(page.json()["results"])
        following = page.json()["next"]
    return rows


def ready_packet(case: PrivacyRequest) -> Packet:
    """A built packet waiting for a DPO to release it (the build itself is tested in test_packets)."""
    return Packet.objects.create(privacy_request=case, status=PacketStatus.READY, step="done", percent=100)


# One valid body for every POST endpoint, so a refusal is about who asks, never about the body.
POSTS: list[tuple[str, dict[str, Any]]] = [
    ("assign/", {"assignee": 1}),
    ("verify/", {"data_points": []}),
    ("pause/", {"reason": "Which of your two addresses should we correct?"}),
    ("resume/", {}),
    ("extend/", {"reason": "Your request covers eleven years of records."}),
    ("quote-fee/", {"amount": "50.00", "currency": "GBP", "reason": "excessive",
                    "breakdown": "Copying 400 pages: 40.00\nPostage: 10.00"}),
    ("complete/", {"outcome": "fulfilled", "note": "Corrected."}),
    ("deny/", {"reason": "manifestly_unfounded", "explanation": "You asked for the same data yesterday."}),
    ("forward/", {"controller": "Acme Ltd"}),
    ("withdraw/", {"note": "By phone on 3 March."}),
    ("system-check/", {"system": 1, "state": "no_data"}),
    ("messages/", {"body": "We found two accounts."}),
    ("packet/build/", {}),
    ("packet/release/", {}),
]  # fmt: skip
POST_IDS = [path.rstrip("/") for path, _body in POSTS]
READS = ["", "messages/", "packet/"]


# --- Roles ----------------------------------------------------------------------------------------------------


def test_a_handlers_token_lists_the_unassigned_queue_and_their_own_cases_only(
    handler: Any, other_handler: Any, dpo: Any
) -> None:
    in_role(other_handler, "Handler")
    unassigned = open_case(requester_email="queue@example.org")
    own = case_of(handler, requester_email="own@example.org")
    theirs = case_of(other_handler, requester_email="theirs@example.org")
    client = token_client(handler, "Handler")
    assert set(references(client.get(API))) == {unassigned.reference, own.reference}
    assert references(client.get(API, {"assignee": other_handler.pk})) == []
    assert searched(client, {"q": theirs.reference}) == []
    # The DPO sees every case, so the handler's list is narrowed by role, not empty by accident.
    assert set(references(token_client(dpo, "DPO").get(API))) == {
        unassigned.reference,
        own.reference,
        theirs.reference,
    }


@pytest.mark.parametrize("tail", READS, ids=["detail", "messages", "packet"])
def test_a_handler_cannot_read_another_handlers_case(handler: Any, other_handler: Any, tail: str) -> None:
    theirs = case_of(other_handler)
    ready_packet(theirs)
    services.send_message(theirs, by=other_handler, body="Private to the other handler's case.")
    client = token_client(handler, "Handler")
    response = client.get(case_url(theirs, tail))
    assert response.status_code == 404 and is_json_error(response)
    assert theirs.reference not in response.content.decode()
    assert "Private to the other" not in response.content.decode()
    # The answer is the one for a case that does not exist: nothing tells the handler the case is there.
    missing = client.get(f"{API}PR-2026-999999/{tail}")
    assert (missing.status_code, missing.json()) == (response.status_code, response.json())


@pytest.mark.parametrize(("tail", "body"), POSTS, ids=POST_IDS)
def test_a_handler_cannot_act_on_another_handlers_case(
    handler: Any, other_handler: Any, tail: str, body: dict[str, Any], on_commit: Any
) -> None:
    in_role(other_handler, "Handler")
    theirs = case_of(other_handler)
    ready_packet(theirs)
    before = (verbs(theirs), fresh(theirs).status, fresh(theirs).assignee_id)
    client = token_client(handler, "Handler")
    with on_commit():
        response = post(
            client, case_url(theirs, tail), {**body, "assignee": handler.pk} if "assign" in tail else body
        )
    assert response.status_code == 404 and is_json_error(response), response.content
    assert (verbs(theirs), fresh(theirs).status, fresh(theirs).assignee_id) == before
    assert Message.objects.filter(privacy_request=theirs).count() == 0
    assert mail.outbox == []


def test_a_handler_may_take_an_unassigned_case_but_not_give_it_to_another_handler(
    handler: Any, other_handler: Any, on_commit: Any
) -> None:
    in_role(other_handler, "Handler")
    case = open_case()
    client = token_client(handler, "Handler")
    with on_commit():
        refused = post(client, case_url(case, "assign/"), {"assignee": other_handler.pk})
    assert refused.status_code == 400 and "assignee" in refused.json()["errors"]
    assert fresh(case).assignee is None
    with on_commit():
        taken = post(client, case_url(case, "assign/"), {"assignee": handler.pk})
    assert taken.status_code == 200, taken.content
    assert taken.json()["case"]["assignee"] == {"id": handler.pk, "username": handler.username}
    assert taken.json()["case"]["status"] == Status.IN_PROGRESS
    assert case.reference in references(client.get(API, {"assignee": "me"}))


def test_an_auditors_token_reads_the_list_the_case_its_messages_and_its_packet(
    auditor: Any, handler: Any
) -> None:
    case = case_of(handler)
    services.send_message(case, by=handler, body="Please confirm the postcode we should correct.")
    ready_packet(case)
    client = token_client(auditor, "Auditor")
    assert references(client.get(API)) == [case.reference]
    detail = client.get(case_url(case))
    assert detail.status_code == 200
    assert detail.json()["reference"] == case.reference
    assert [e["verb"] for e in detail.json()["timeline"]][:3] == ["submitted", "email_confirmed", "assigned"]
    assert detail.json()["actions"] == []  # the case page offers an auditor nothing either
    thread = client.get(case_url(case, "messages/"))
    assert thread.status_code == 200
    assert [m["body"] for m in thread.json()] == ["Please confirm the postcode we should correct."]
    packet = client.get(case_url(case, "packet/"))
    assert packet.status_code == 200 and packet.json()["status"] == PacketStatus.READY


@pytest.mark.parametrize(("tail", "body"), POSTS, ids=POST_IDS)
def test_every_post_by_an_auditor_is_refused(
    auditor: Any, handler: Any, tail: str, body: dict[str, Any], on_commit: Any
) -> None:
    CompanySystem.objects.create(pk=1, name="CRM", description="Customer records", owner=handler)
    case = case_of(handler)
    ready_packet(case)
    before = (verbs(case), fresh(case).status)
    client = token_client(auditor, "Auditor")
    with on_commit():
        response = post(client, case_url(case, tail), body)
    assert response.status_code == 403 and is_json_error(response), response.content
    assert (verbs(case), fresh(case).status) == before
    assert fresh(case).packet.status == PacketStatus.READY
    assert mail.outbox == []


def test_an_auditor_may_not_log_a_request(auditor: Any) -> None:
    client = token_client(auditor, "Auditor")
    response = post(client, API, LOG_BODY)
    assert response.status_code == 403 and is_json_error(response)
    assert not PrivacyRequest.objects.exists()


DPO_ONLY = [
    ("extend/", {"reason": "Your request covers eleven years of records."}, "extended"),
    ("deny/", {"reason": "manifestly_unfounded", "explanation": "Same as yesterday."}, "denied"),
    ("quote-fee/", {"amount": "50.00", "currency": "GBP", "reason": "excessive",
                    "breakdown": "Copying 400 pages: 40.00\nPostage: 10.00"}, "fee_quoted"),
    ("forward/", {"controller": "Acme Ltd"}, "forwarded"),
    ("packet/release/", {}, "packet_released"),
]  # fmt: skip
DPO_ONLY_IDS = [path.rstrip("/") for path, _body, _verb in DPO_ONLY]


def access_case_with_a_ready_packet(handler: Any) -> PrivacyRequest:
    case = services.confirm_email(make_case(kind="access"))  # the confirmed email opens a UK access request
    case = services.assign(fresh(case), to=handler, by=handler)
    ready_packet(case)
    return case


@pytest.mark.parametrize(("tail", "body", "verb"), DPO_ONLY, ids=DPO_ONLY_IDS)
def test_the_dpo_only_actions_are_refused_to_a_handler(
    handler: Any, tail: str, body: dict[str, Any], verb: str, on_commit: Any
) -> None:
    case = access_case_with_a_ready_packet(handler)
    client = token_client(handler, "Handler")
    with on_commit():
        response = post(client, case_url(case, tail), body)
    assert response.status_code == 403 and is_json_error(response), response.content
    assert verb not in verbs(case) and fresh(case).status == Status.IN_PROGRESS
    assert fresh(case).packet.status == PacketStatus.READY
    assert mail.outbox == []
    offered = client.get(case_url(case)).json()["actions"]
    assert {"extend", "deny", "fee", "forward", "release"}.isdisjoint(offered)
    assert {"pause", "withdraw", "message"} <= set(offered)


@pytest.mark.parametrize(("tail", "body", "verb"), DPO_ONLY, ids=DPO_ONLY_IDS)
def test_the_dpo_may_do_what_a_handler_may_not(
    dpo: Any, handler: Any, tail: str, body: dict[str, Any], verb: str, on_commit: Any
) -> None:
    case = access_case_with_a_ready_packet(handler)
    with on_commit():
        response = post(token_client(dpo, "DPO"), case_url(case, tail), body)
    assert response.status_code == 200, response.content
    assert verb in verbs(case)
    assert mail.outbox  # each of these tells the requester


@pytest.mark.parametrize(
    ("method", "tail", "body"),
    [("get", "", None), ("get", "detail", None), ("get", "messages/", None), ("get", "packet/", None),
     ("post", "create", None),
     *[("post", tail, body) for tail, body in POSTS]],
    ids=["list", "detail", "messages", "packet", "create", *POST_IDS],
)  # fmt: skip
def test_staff_with_no_role_are_refused_everywhere(
    handler: Any, method: str, tail: str, body: Any, on_commit: Any
) -> None:
    case = open_case()
    ready_packet(case)
    before = (verbs(case), PrivacyRequest.objects.count())
    client = token_client(StaffFactory(username="no_role"))
    url = API if tail in ("", "create") else case_url(case, "" if tail == "detail" else tail)
    with on_commit():
        response = (
            client.get(url) if method == "get" else post(client, url, LOG_BODY if tail == "create" else body)
        )
    assert response.status_code == 403 and is_json_error(response), response.content
    assert "Only staff who handle privacy requests" in response.json()["detail"]
    assert case.reference not in response.content.decode()
    assert (verbs(case), PrivacyRequest.objects.count()) == before


# --- Tokens ---------------------------------------------------------------------------------------------------


def test_an_expired_token_is_refused_with_a_json_reason(dpo: Any) -> None:
    in_role(dpo, "DPO")
    token, plaintext = tokens.create_token(dpo, name="sync", days=30)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    with time_machine.travel(token.expires_at - timedelta(minutes=1), tick=False):
        assert client.get(API).status_code == 200
    with time_machine.travel(token.expires_at + timedelta(seconds=1), tick=False):
        response = client.get(API)
    assert response.status_code == 401 and is_json_error(response)
    assert "expired" in response.json()["detail"]
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_a_revoked_token_is_refused(dpo: Any) -> None:
    in_role(dpo, "DPO")
    token, plaintext = tokens.create_token(dpo, name="sync", days=30)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    assert client.get(API).status_code == 200
    tokens.revoke(token)
    response = client.get(API)
    assert response.status_code == 401 and is_json_error(response) and "revoked" in response.json()["detail"]


@pytest.mark.parametrize("change", ["deactivated", "no_longer_staff"])
def test_the_token_of_someone_who_left_stops_working(dpo: Any, change: str) -> None:
    client = token_client(dpo, "DPO")
    case = open_case()
    assert client.get(case_url(case)).status_code == 200
    if change == "deactivated":
        dpo.is_active = False
    else:
        dpo.is_staff = False
    dpo.save()
    for response in (
        client.get(API),
        client.get(case_url(case)),
        post(client, case_url(case, "withdraw/"), {"note": "By phone."}),
    ):
        assert response.status_code == 401 and is_json_error(response), response.content
    assert fresh(case).status == Status.OPEN


@pytest.mark.parametrize(
    "header",
    [
        "Bearer",
        "Bearer ",
        "Bearer pp_",
        "Bearer pp_12345678_",
        "Bearer pp_1234567_aaaaaaaaaaaaaaaaaaaaaaaa",
        "Bearer pp_ZZZZZZZZ_aaaaaaaaaaaaaaaaaaaaaaaa",
        "Bearer pp_12345678_aaaaaaaaaaaaaaaaaaaaaaaa extra",
        "Bearer pp_12345678_" + "a" * 5000,
        "Bearer pp_12345678_caf\xe9caf\xe9caf\xe9caf\xe9caf\xe9caf\xe9",
        "Bearer \x00\x01\x02",
        "Bearer    pp_12345678_aaaaaaaaaaaaaaaaaaaaaaaa   tail",
        "Token pp_12345678_aaaaaaaaaaaaaaaaaaaaaaaa",
        "Basic ZHBvOmNvcnJlY3QgaG9yc2UgYmF0dGVyeSBzdGFwbGU=",
        "pp_12345678_aaaaaaaaaaaaaaaaaaaaaaaa",
        "",
        " ",
    ],
)
def test_a_malformed_authorization_header_is_a_json_401_never_a_500(dpo: Any, header: str) -> None:
    in_role(dpo, "DPO")
    open_case()
    client = Client(HTTP_AUTHORIZATION=header, raise_request_exception=False)
    for response in (client.get(API), post(client, API, LOG_BODY)):
        assert response.status_code == 401, (header, response.status_code, response.content[:300])
        assert is_json_error(response)
        assert "results" not in response.json()
    assert PrivacyRequest.objects.count() == 1


def test_a_token_with_the_right_prefix_and_a_wrong_secret_is_refused(dpo: Any) -> None:
    in_role(dpo, "DPO")
    token, plaintext = tokens.create_token(dpo, name="sync", days=30)
    forged = f"pp_{token.prefix}_{'x' * 43}"
    assert forged != plaintext
    response = Client(HTTP_AUTHORIZATION=f"Bearer {forged}").get(API)
    assert response.status_code == 401 and is_json_error(response)
    assert ApiToken.objects.get(pk=token.pk).last_used_at is None  # a failed try is not a use


def test_the_tokens_last_use_is_recorded(dpo: Any) -> None:
    in_role(dpo, "DPO")
    token, plaintext = tokens.create_token(dpo, name="sync", days=30)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    assert ApiToken.objects.get(pk=token.pk).last_used_at is None
    with time_machine.travel(NOW, tick=False):
        assert client.get(API).status_code == 200
    assert ApiToken.objects.get(pk=token.pk).last_used_at == NOW
    with time_machine.travel(NOW + timedelta(hours=3), tick=False):
        assert client.get(API).status_code == 200
    assert ApiToken.objects.get(pk=token.pk).last_used_at == NOW + timedelta(hours=3)


# --- Sessions -------------------------------------------------------------------------------------------------


def strict_csrf(client: Client) -> Client:
    """The signed-in session in a client that checks CSRF as a browser's requests are checked."""
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = client.cookies
    assert strict.get("/admin/tokens/").status_code == 200  # the page sets the CSRF cookie
    return strict


def test_an_otp_verified_admin_session_reads_the_api(dpo: Any) -> None:
    case = open_case()
    client = signed_in(dpo, "DPO")
    assert references(client.get(API)) == [case.reference]
    assert client.get(case_url(case)).json()["status"] == Status.OPEN


def test_a_session_post_without_the_csrf_token_is_refused(dpo: Any, on_commit: Any) -> None:
    case = open_case()
    client = strict_csrf(signed_in(dpo, "DPO"))
    with on_commit():
        refused = post(client, case_url(case, "extend/"), {"reason": "Eleven years of records."})
    assert refused.status_code == 403 and is_json_error(refused)
    assert "CSRF" in refused.json()["detail"]
    assert not fresh(case).extended and mail.outbox == []
    with on_commit():
        done = client.post(
            case_url(case, "extend/"),
            json.dumps({"reason": "Eleven years of records."}),
            content_type="application/json",
            HTTP_X_CSRFTOKEN=client.cookies[settings.CSRF_COOKIE_NAME].value,
        )
    assert done.status_code == 200, done.content
    assert fresh(case).extended


def test_a_token_needs_no_csrf_token_even_where_csrf_is_checked(dpo: Any, on_commit: Any) -> None:
    in_role(dpo, "DPO")
    _token, plaintext = tokens.create_token(dpo, name="sync", days=30)
    case = open_case()
    client = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    with on_commit():
        response = post(client, case_url(case, "extend/"), {"reason": "Eleven years of records."})
    assert response.status_code == 200, response.content
    assert fresh(case).extended


def test_a_password_only_session_gets_no_data_and_changes_nothing(dpo: Any, on_commit: Any) -> None:
    in_role(dpo, "DPO")
    TOTPDevice.objects.create(user=dpo, name="phone", confirmed=True)
    case = open_case()
    client = Client()
    assert client.login(request=HttpRequest(), username=dpo.username, password=PASSWORD)  # no TOTP code
    for response in (client.get(API), client.get(case_url(case))):
        assert response.status_code in (401, 403) and is_json_error(response)
        assert case.reference not in response.content.decode()
    with on_commit():
        response = post(client, case_url(case, "extend/"), {"reason": "Eleven years of records."})
    assert response.status_code in (401, 403) and is_json_error(response)
    assert not fresh(case).extended and mail.outbox == []


# --- The same events and emails as the case page --------------------------------------------------------------

FEE = {"amount": "50.00", "currency": "GBP", "reason": "excessive",
       "breakdown": "Copying 400 pages: 40.00\nPostage: 10.00"}  # fmt: skip


def history(case: PrivacyRequest) -> list[tuple[Any, ...]]:
    """What the timeline says happened, without the delivery records."""
    return [
        (e.verb, e.actor.username if e.actor else None, e.actor_kind, e.old_status, e.new_status, e.data)
        for e in case.events.order_by("seq").select_related("actor")
        if e.verb not in UNSEEN
    ]


def test_the_api_leaves_the_same_events_and_emails_as_the_case_page(
    dpo: Any, handler: Any, on_commit: Any
) -> None:
    in_role(handler, "Handler")
    with time_machine.travel(NOW, tick=False):
        by_api = logged_case(dpo, requester_email="api@example.org")
        by_page = logged_case(dpo, requester_email="page@example.org")
        client = token_client(dpo, "DPO")
        sent_before = len(mail.outbox)
        api_steps = [("verify/", {"data_points": []}), ("assign/", {"assignee": handler.pk}),
                     ("extend/", {"reason": "Five systems to search."}), ("quote-fee/", FEE)]  # fmt: skip
        for tail, body in api_steps:
            with on_commit():
                response = post(client, case_url(by_api, tail), body)
            assert response.status_code == 200, (tail, response.content)
        with on_commit():
            services.accept_fee(fresh(by_api))
        with on_commit():
            response = post(
                client, case_url(by_api, "complete/"), {"outcome": "fulfilled", "note": "Corrected."}
            )
        assert response.status_code == 200, response.content
        api_mail = mail.outbox[sent_before:]

        page = signed_in(dpo, "DPO")
        sent_before = len(mail.outbox)
        page_url = f"/admin/requests/privacyrequest/{by_page.pk}/change/"
        page_steps = [("verify", {}), ("assign", {"assignee": handler.pk}),
                      ("extend", {"reason": "Five systems to search."}), ("fee", FEE)]  # fmt: skip
        for name, fields in page_steps:
            with on_commit():
                response = page.post(
                    page_url, {"action": name, **{f"{name}-{k}": v for k, v in fields.items()}}
                )
            assert response.status_code == 302, (name, response.content.decode()[:3000])
        with on_commit():
            services.accept_fee(fresh(by_page))
        with on_commit():
            response = page.post(page_url, {"action": "complete", "complete-outcome": "fulfilled",
                                            "complete-note": "Corrected.", "confirmed": "1"})  # fmt: skip
        assert response.status_code == 302
        page_mail = mail.outbox[sent_before:]

    assert fresh(by_api).status == fresh(by_page).status == Status.COMPLETED
    assert [h[0] for h in history(by_api)] == [
        "submitted", "identity_verified", "assigned", "extended", "fee_quoted", "fee_accepted", "completed",
    ]  # fmt: skip
    assert history(by_api) == history(by_page)

    def letters(messages: list[Any], case: PrivacyRequest) -> list[tuple[str, str]]:
        return [
            (
                str(m.subject).replace(case.reference, "REF"),
                "requester" if m.to == [case.requester_email] else m.to[0],
            )
            for m in messages
        ]

    assert letters(api_mail, by_api) == letters(page_mail, by_page)
    sent = letters(api_mail, by_api)
    assert sent[0] == ("REF is assigned to you", handler.email)
    assert [to for _subject, to in sent[1:]] == ["requester"] * 3  # the extension, the fee, the answer
    assert "We need more time" in sent[1][0] and "We have answered" in sent[3][0]


# --- Errors ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [API, "extend/", INTAKE, VERIFY])
def test_a_body_that_is_not_json_is_a_json_400(dpo: Any, url: str) -> None:
    case = open_case()
    client = token_client(dpo, "DPO")
    target = case_url(case, url) if url == "extend/" else url
    response = client.post(target, '{"reason": "unfinished', content_type="application/json")
    assert response.status_code == 400 and is_json_error(response), response.content
    assert not fresh(case).extended


@pytest.mark.parametrize("body", ["[1, 2]", '"text"', "null", "42", "true"])
@pytest.mark.parametrize("url", [API, "extend/", "quote-fee/", INTAKE, VERIFY])
def test_json_that_is_not_an_object_is_a_400_never_a_500(dpo: Any, url: str, body: str) -> None:
    case = open_case()
    client = token_client(dpo, "DPO")
    client.raise_request_exception = False
    target = case_url(case, url) if url.endswith("/") and not url.startswith("/") else url
    response = client.post(target, body, content_type="application/json")
    assert response.status_code == 400 and is_json_error(response), (url, body, response.content[:300])


def test_a_form_encoded_body_is_refused_as_json(dpo: Any) -> None:
    case = open_case()
    response = token_client(dpo, "DPO").post(case_url(case, "extend/"), {"reason": "More time."})
    assert response.status_code == 415 and is_json_error(response)
    assert not fresh(case).extended


@pytest.mark.parametrize(
    ("tail", "body", "field"),
    [("extend/", {}, "reason"), ("deny/", {"reason": "excessive"}, "explanation"),
     ("quote-fee/", {k: v for k, v in FEE.items() if k != "amount"}, "amount"),
     ("forward/", {"controller": ""}, "controller"), ("pause/", {"reason": "   "}, "reason"),
     ("messages/", {}, "body")],
    ids=["extend", "deny", "quote-fee", "forward", "pause", "messages"],
)  # fmt: skip
def test_a_missing_field_is_a_400_naming_it(dpo: Any, tail: str, body: dict[str, Any], field: str) -> None:
    case = open_case()
    before = verbs(case)
    response = post(token_client(dpo, "DPO"), case_url(case, tail), body)
    assert response.status_code == 400 and is_json_error(response), response.content
    errors = response.json()["errors"]
    assert list(errors) == [field] and all(isinstance(m, str) and m for m in errors[field])
    assert verbs(case) == before and fresh(case).status == Status.OPEN


def test_an_action_the_status_does_not_allow_is_a_409_saying_why(dpo: Any, on_commit: Any) -> None:
    case = logged_case(dpo)
    assert case.status == Status.VERIFYING
    client = token_client(dpo, "DPO")
    with on_commit():
        response = post(client, case_url(case, "complete/"), {"outcome": "fulfilled", "note": ""})
    assert response.status_code == 409 and is_json_error(response)
    detail = response.json()["detail"]
    assert case.reference in detail and "Checking identity" in detail and "cannot be done now" in detail
    assert fresh(case).status == Status.VERIFYING and "completed" not in verbs(case)
    # The same for a second extension: done once, not again.
    post(client, case_url(case, "verify/"), {"data_points": []})
    assert post(client, case_url(case, "extend/"), {"reason": "More time."}).status_code == 200
    again = post(client, case_url(case, "extend/"), {"reason": "Even more time."})
    assert again.status_code == 409 and is_json_error(again)
    assert verbs(case).count("extended") == 1


def test_a_second_extension_says_the_case_was_already_extended(dpo: Any) -> None:
    case = open_case()
    client = token_client(dpo, "DPO")
    assert post(client, case_url(case, "extend/"), {"reason": "More time."}).status_code == 200
    again = post(client, case_url(case, "extend/"), {"reason": "Even more time."})
    assert again.status_code == 409
    assert "already been extended" in again.json()["detail"], again.json()


def test_a_fee_estimate_that_does_not_add_up_is_a_400_naming_the_breakdown(dpo: Any, on_commit: Any) -> None:
    case = open_case()
    with on_commit():
        response = post(token_client(dpo, "DPO"), case_url(case, "quote-fee/"), {**FEE, "amount": "60.00"})
    assert response.status_code == 400 and is_json_error(response)
    assert response.json()["errors"]["breakdown"] == ["The lines of the estimate add up to 50.00, not 60.00."]
    case = fresh(case)
    assert case.status == Status.OPEN and case.fee_amount is None and "fee_quoted" not in verbs(case)
    assert mail.outbox == []


def test_a_badly_written_estimate_line_is_a_400_naming_the_breakdown(dpo: Any) -> None:
    case = open_case()
    response = post(token_client(dpo, "DPO"), case_url(case, "quote-fee/"), {**FEE, "breakdown": "Copying"})
    assert response.status_code == 400 and "breakdown" in response.json()["errors"]


@pytest.mark.parametrize("tail", ["", "messages/", "packet/", "extend/", "packet/build/"])
def test_a_reference_that_does_not_exist_is_a_json_404(dpo: Any, tail: str) -> None:
    client = token_client(dpo, "DPO")
    url = f"{API}PR-2026-999999/{tail}"
    response = client.get(url) if tail in READS else post(client, url, {"reason": "More time."})
    assert response.status_code == 404 and is_json_error(response)


def test_a_case_without_a_packet_answers_404_on_the_packet(dpo: Any) -> None:
    case = open_case()
    response = token_client(dpo, "DPO").get(case_url(case, "packet/"))
    assert response.status_code == 404 and response.json()["detail"] == "This case has no packet yet."


@pytest.mark.parametrize(
    "url",
    ["/api/v1/nothing-here/", "/api/v2/cases/", "/api/v1/cases/PR-2026-000001/frobnicate/",
     "/api/v1/cases/not-a-reference/", "/api/v1/cases", "/api/v1/public/", "/api/"],
)  # fmt: skip
def test_unknown_api_urls_are_a_json_404(dpo: Any, url: str) -> None:
    client = token_client(dpo, "DPO")
    for response in (client.get(url), post(client, url, {})):
        assert response.status_code == 404 and is_json_error(response), (url, response.status_code)


@pytest.mark.parametrize(
    ("method", "url"),
    [("delete", "case"), ("put", "case"), ("patch", "case"), ("put", API), ("delete", API),
     ("get", "extend/"), ("delete", "messages/"), ("post", "packet/"), ("get", "packet/build/"),
     ("get", INTAKE), ("get", VERIFY)],
)  # fmt: skip
def test_a_wrong_method_is_a_json_405(dpo: Any, method: str, url: str) -> None:
    case = open_case()
    client = token_client(dpo, "DPO")
    target = case_url(case) if url == "case" else (url if url.startswith("/") else case_url(case, url))
    if method == "get":
        response = client.get(target)
    else:
        response = getattr(client, method)(target, json.dumps({}), content_type="application/json")
    assert response.status_code == 405 and is_json_error(response), (method, url, response.status_code)
    assert PrivacyRequest.objects.filter(pk=case.pk).exists() and fresh(case).status == Status.OPEN


# --- Logging a request ----------------------------------------------------------------------------------------


def test_a_handler_logs_a_letter_and_the_requester_is_told(handler: Any, on_commit: Any) -> None:
    client = token_client(handler, "Handler")
    with time_machine.travel(NOW, tick=False), on_commit():
        response = post(client, API, LOG_BODY)
    assert response.status_code == 201, response.content
    case = PrivacyRequest.objects.get(reference=response.json()["reference"])
    assert (case.status, case.channel, case.assignee) == (Status.VERIFYING, "post", None)
    assert case.events.get(verb="submitted").actor == handler
    (email,) = [m for m in mail.outbox if m.to == ["ada@example.org"]]
    assert case.reference in str(email.subject)


def test_a_request_received_in_the_future_cannot_be_logged(dpo: Any) -> None:
    client = token_client(dpo, "DPO")
    with time_machine.travel(NOW, tick=False):
        response = post(client, API, {**LOG_BODY, "received_on": "2026-11-26"})
    assert response.status_code == 400 and is_json_error(response)
    assert list(response.json()["errors"]) == ["received_on"]
    assert not PrivacyRequest.objects.exists()


def test_a_missing_field_when_logging_is_a_400_naming_it(dpo: Any) -> None:
    body = {k: v for k, v in LOG_BODY.items() if k != "requester_email"}
    response = post(token_client(dpo, "DPO"), API, body)
    assert response.status_code == 400 and "requester_email" in response.json()["errors"]
    agent = post(token_client(dpo), API, {**LOG_BODY, "relationship": "agent"})
    assert agent.status_code == 400 and "subject_name" in agent.json()["errors"]
    assert not PrivacyRequest.objects.exists()


@pytest.mark.parametrize(
    ("received_on", "due"),
    [("2026-10-05", "2026-11-05"), ("2026-10-12", "2026-11-12"), ("2026-11-02", "2026-12-02")],
)
def test_the_due_date_of_a_logged_request_follows_the_day_it_was_received(
    dpo: Any, received_on: str, due: str
) -> None:
    client = token_client(dpo, "DPO")
    with time_machine.travel(NOW, tick=False):
        response = post(client, API, {**LOG_BODY, "received_on": received_on})
    assert response.status_code == 201, response.content
    case = response.json()
    # UK GDPR: one calendar month from the day it reached us, not from the day it was typed in.
    assert (case["due_at"], case["due"], case["governing_regime"]) == (due, due, "uk_gdpr")
    assert case["received_at"].startswith(received_on)
    assert case["reference"].startswith(f"PR-{received_on[:4]}-")


# --- Public intake --------------------------------------------------------------------------------------------

WEB_FORM = {"kind": "rectification", "requester_name": "Ada", "requester_email": "ada@example.org",
            "relationship": "self", "country": "GB", "language": "en",
            "rectification_current": "Old address", "rectification_wanted": "New address"}  # fmt: skip


def emailed_code() -> str:
    found = re.search(r"^\s+(\d{6})$", str(mail.outbox[-1].body), re.MULTILINE)
    assert found, mail.outbox[-1].body
    return found.group(1)


def test_a_us_requester_without_a_state_is_asked_for_it(client: Client, on_commit: Any) -> None:
    with on_commit():
        response = post(client, INTAKE, {**WEB_FORM, "country": "US"})
    assert response.status_code == 400 and is_json_error(response)
    assert "Choose the state or province" in response.json()["errors"]["subdivision"][0]
    assert not PrivacyRequest.objects.exists() and mail.outbox == []


def test_a_state_outside_the_us_and_canada_is_refused(client: Client) -> None:
    response = post(client, INTAKE, {**WEB_FORM, "subdivision": "US-CA"})
    assert response.status_code == 400 and "subdivision" in response.json()["errors"]


def test_an_agents_request_is_refused_because_the_permission_is_uploaded_on_the_web_form(
    client: Client, on_commit: Any
) -> None:
    with on_commit():
        response = post(client, INTAKE, {**WEB_FORM, "relationship": "agent", "subject_name": "Charles Babbage",
                                         "subject_email": "charles@example.org"})  # fmt: skip
    assert response.status_code == 400 and is_json_error(response)
    assert "permission" in response.json()["errors"]
    assert not PrivacyRequest.objects.exists() and mail.outbox == []


ACCESS = {**{k: v for k, v in WEB_FORM.items() if not k.startswith("rectification")}, "kind": "access",
          "period": "12_months", "phone": "+44 20 7946 0958", "postal_address": "221B Baker Street"}  # fmt: skip
CALIFORNIA = {**ACCESS, "country": "US", "subdivision": "US-CA", "account_reference": "C-1001"}
# A Californian asking for the specific pieces of information: three details and the declaration (CCPA §7062(c)).
SPECIFIC = {**CALIFORNIA, "specific_pieces": True}


@pytest.mark.parametrize(
    ("body", "field"),
    [({**WEB_FORM, "rectification_wanted": ""}, "rectification_wanted"),
     ({**WEB_FORM, "kind": "restriction"}, "grounds"),
     ({**WEB_FORM, "kind": "objection"}, "grounds"),
     ({**ACCESS, "period": "since"}, "since"),
     ({**ACCESS, "period": "since", "since": "2099-01-01"}, "since"),
     ({**WEB_FORM, "about_customer_data": True}, "customer_name"),
     ({**WEB_FORM, "relationship": "parent"}, "subject_name"),
     (SPECIFIC, "declare"),
     ({**SPECIFIC, "account_reference": "", "declare": True, "declaration_name": "Ada"}, "phone"),
     ({**WEB_FORM, "country": "CA", "subdivision": "US-CA"}, "subdivision"),
     ({**WEB_FORM, "requester_email": "not-an-address"}, "requester_email"),
     ({**WEB_FORM, "requester_name": ""}, "requester_name")],
    ids=["rectification", "restriction", "objection", "since-missing", "since-future", "customer", "parent",
         "ccpa-declaration", "ccpa-details", "state-of-another-country", "email", "name"],
)  # fmt: skip
def test_intake_applies_the_web_forms_rules(client: Client, body: dict[str, Any], field: str) -> None:
    response = post(client, INTAKE, body)
    assert response.status_code == 400 and is_json_error(response), response.content
    assert field in response.json()["errors"], response.json()
    assert not PrivacyRequest.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        WEB_FORM,
        ACCESS,
        {**ACCESS, "phone": "", "postal_address": ""},
        CALIFORNIA,
        {**SPECIFIC, "declare": True, "declaration_name": "Ada Lovelace"},
    ],
    ids=[
        "uk-rectification",
        "uk-access",
        "uk-access-email-only",
        "california-categories",
        "california-specific",
    ],
)
def test_intake_accepts_what_the_web_form_accepts(client: Client, body: dict[str, Any]) -> None:
    response = post(client, INTAKE, body)
    assert response.status_code == 201, response.content
    case = PrivacyRequest.objects.get(reference=response.json()["reference"])
    assert (case.kind, case.channel, case.status) == (body["kind"], "api", Status.NEW)
    assert sorted(case.data_points) == sorted(
        k for k in ("phone", "postal_address", "account_reference") if body.get(k)
    )
    assert (case.declared_at is not None) == bool(body.get("declare"))
    assert case.specific_pieces == bool(body.get("specific_pieces"))


def test_a_web_form_request_through_the_api_is_channel_api_and_waits_for_the_code(
    client: Client, on_commit: Any
) -> None:
    with on_commit():
        response = post(client, INTAKE, WEB_FORM)
    assert response.status_code == 201, response.content
    case = PrivacyRequest.objects.get(reference=response.json()["reference"])
    assert (case.status, case.channel) == (Status.NEW, "api")
    assert response.json() == {
        "reference": case.reference,
        "status": "new",
        "detail": "We have emailed a 6-digit code to confirm the address.",
    }
    assert mail.outbox[-1].to == ["ada@example.org"] and emailed_code()


def test_an_opt_out_through_the_api_is_not_told_of_a_code_that_is_never_sent(
    client: Client, on_commit: Any
) -> None:
    with on_commit():
        response = post(client, INTAKE, {**WEB_FORM, "kind": "opt_out"})
    assert response.status_code == 201, response.content
    answer = response.json()
    assert "6-digit" not in answer["detail"] and "needs no code" in answer["detail"]
    # Indeed none was sent: the one email is the answer, with the reference.
    assert [m.subject for m in mail.outbox] == [f"Your request {answer['reference']} has been honoured"]


def test_intake_is_rate_limited_by_address(client: Client, settings: Any, on_commit: Any) -> None:
    settings.RATELIMIT_SUBMIT = "2/h"
    with time_machine.travel(NOW, tick=False), on_commit():
        made = [post(client, INTAKE, {**WEB_FORM, "requester_email": f"p{i}@example.org"}) for i in range(2)]
        refused = post(client, INTAKE, {**WEB_FORM, "requester_email": "p3@example.org"})
        elsewhere = post(
            Client(REMOTE_ADDR="203.0.113.9"), INTAKE, {**WEB_FORM, "requester_email": "p4@example.org"}
        )
    assert [r.status_code for r in made] == [201, 201]
    assert refused.status_code == 429 and is_json_error(refused)
    assert elsewhere.status_code == 201  # the limit is per address, not for everyone
    assert PrivacyRequest.objects.count() == 3


def test_a_wrong_code_and_an_unknown_reference_get_the_same_answer(client: Client, on_commit: Any) -> None:
    with on_commit():
        reference = post(client, INTAKE, WEB_FORM).json()["reference"]
    code = emailed_code()
    wrong = "000000" if code != "000000" else "111111"
    bad_code = post(client, VERIFY, {"reference": reference, "code": wrong})
    no_case = post(client, VERIFY, {"reference": "PR-2026-999999", "code": code})
    assert bad_code.status_code == no_case.status_code == 400
    assert bad_code.json() == no_case.json() and "code" in bad_code.json()["errors"]
    assert PrivacyRequest.objects.get(reference=reference).status == Status.NEW


@pytest.mark.parametrize(("wrong_tries", "confirmed"), [(MAX_ATTEMPTS - 1, True), (MAX_ATTEMPTS, False)])
def test_the_code_dies_after_too_many_wrong_tries(
    client: Client, on_commit: Any, wrong_tries: int, confirmed: bool
) -> None:
    with on_commit():
        reference = post(client, INTAKE, WEB_FORM).json()["reference"]
    code = emailed_code()
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(wrong_tries):
        assert post(client, VERIFY, {"reference": reference, "code": wrong}).status_code == 400
    right = post(client, VERIFY, {"reference": reference, "code": code})
    if confirmed:
        assert right.status_code == 200 and right.json()["status"] == Status.OPEN
    else:
        assert right.status_code == 400 and "code" in right.json()["errors"]
        assert PrivacyRequest.objects.get(reference=reference).status == Status.NEW


def test_verifying_is_rate_limited_by_address(client: Client, settings: Any) -> None:
    settings.RATELIMIT_VERIFY = "3/h"
    with time_machine.travel(NOW, tick=False):
        answers = [post(client, VERIFY, {"reference": "PR-2026-999999", "code": "123456"}) for _ in range(4)]
    assert [r.status_code for r in answers] == [400, 400, 400, 429]
    assert is_json_error(answers[-1])


# --- The queue: cursor pages by due date, and filters ---------------------------------------------------------


@pytest.fixture
def frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def received(day: datetime, **fields: Any) -> PrivacyRequest:
    with time_machine.travel(day, tick=False):
        return open_case(**fields)


def test_the_list_is_ordered_by_due_date_earliest_first_across_pages(dpo: Any, frozen: None) -> None:
    days = [NOW - timedelta(days=d) for d in (3, 40, 0, 20, 10, 30, 1)]
    cases = [received(day, requester_email=f"p{i}@example.org") for i, day in enumerate(days)]
    rows = all_pages(token_client(dpo, "DPO"), {"page_size": 2})
    expected = sorted(cases, key=lambda c: (c.effective_due_at, c.pk))
    assert [r["reference"] for r in rows] == [c.reference for c in expected]
    dues = [r["due"] for r in rows]
    assert dues == sorted(dues) and len(set(dues)) > 3


def test_pages_cover_every_case_once_when_many_share_a_due_date(dpo: Any, frozen: None) -> None:
    cases = [open_case(requester_email=f"same{i}@example.org") for i in range(7)]
    assert len({c.effective_due_at for c in cases}) == 1
    rows = all_pages(token_client(dpo, "DPO"), {"page_size": 2})
    assert [r["reference"] for r in rows] == [c.reference for c in sorted(cases, key=lambda c: c.pk)]


def test_a_page_is_not_shifted_by_a_case_arriving_after_the_cursor(dpo: Any, frozen: None) -> None:
    cases = [received(NOW - timedelta(days=d), requester_email=f"p{d}@example.org") for d in (30, 20, 10, 5)]
    client = token_client(dpo, "DPO")
    first = client.get(API, {"page_size": 2}).json()
    assert [r["reference"] for r in first["results"]] == [cases[0].reference, cases[1].reference]
    # A new case due before everything on the next page arrives while the client reads page one.
    late = received(NOW - timedelta(days=25), requester_email="late@example.org")
    second = client.get(first["next"]).json()
    seen = [r["reference"] for r in first["results"] + second["results"]]
    assert len(seen) == len(set(seen))
    assert late.reference not in [r["reference"] for r in second["results"]]


def test_a_page_is_not_shifted_by_a_new_earlier_case_when_due_dates_are_shared(
    dpo: Any, frozen: None
) -> None:
    same_day = [open_case(requester_email=f"uk{i}@example.org") for i in range(4)]
    client = token_client(dpo, "DPO")
    first = client.get(API, {"page_size": 2}).json()
    assert [r["reference"] for r in first["results"]] == [c.reference for c in same_day[:2]]
    # A Brazilian request (LGPD: 15 days) arrives: due before the UK cases received the same day.
    brazil = open_case(requester_email="br@example.org", country="BR")
    assert brazil.effective_due_at < same_day[0].effective_due_at
    second = client.get(first["next"]).json()
    seen = [r["reference"] for r in first["results"] + second["results"]]
    assert len(seen) == len(set(seen)), seen
    assert [r["reference"] for r in second["results"]] == [c.reference for c in same_day[2:]]


def test_a_bad_cursor_or_filter_is_a_json_error_never_a_500(dpo: Any) -> None:
    client = token_client(dpo, "DPO")
    client.raise_request_exception = False
    bad_cursor = client.get(API, {"cursor": "not-a-cursor"})
    assert bad_cursor.status_code == 404 and is_json_error(bad_cursor)
    for params in ({"overdue": "maybe"}, {"assignee": "someone"}, {"queue": "mine"}, {"kind": "everything"},
                   {"due_before": "2026-02-30"}, {"assignee": "1" * 11}):  # fmt: skip
        response = client.get(API, params)
        assert response.status_code == 400 and list(response.json()["errors"]) == list(params), params
    lots = client.get(API, {"page_size": "lots"})  # ignored, or refused by name; never a 500
    assert lots.status_code in (200, 400) and lots["Content-Type"] == "application/json"


@pytest.fixture
def queue(dpo: Any, handler: Any, frozen: None, details_to_match: None) -> dict[str, PrivacyRequest]:
    """A queue with one case for each filter to find (a UK access request waits for staff to match details)."""
    in_role(handler, "Handler")
    in_role(dpo, "DPO")
    cases = {
        "plain": open_case(requester_email="plain@example.org"),
        "mine": case_of(dpo, requester_email="mine@example.org"),
        "handlers": case_of(handler, requester_email="hal@example.org"),
        "verifying": services.confirm_email(make_case(
            kind="access", requester_email="ver@example.org",
            data_points={"phone": "+44 20 7946 0958", "postal_address": "221B Baker St"})),
        "french": open_case(requester_email="fr@example.org", country="FR"),
        "overdue": received(datetime(2026, 9, 1, 10, tzinfo=UTC), requester_email="late@example.org"),
        "first": received(NOW - timedelta(days=2), requester_email="Rep@Example.org"),
        "repeat": open_case(requester_email="rep@example.org"),
        "processor": open_case(requester_email="proc@example.org", customer_name="Acme Ltd"),
        "closed": services.withdraw(open_case(requester_email="gone@example.org"), note="By phone."),
    }  # fmt: skip
    assert cases["verifying"].status == Status.VERIFYING
    # Which requests the law counts as repeated is tested in tests/requests/test_repetition.py; here the flag.
    PrivacyRequest.objects.filter(pk=cases["repeat"].pk).update(repetitive=True)
    cases["repeat"].refresh_from_db()
    assert cases["processor"].processor_request
    assert cases["overdue"].effective_due_at < NOW.date() < cases["plain"].effective_due_at
    return cases


OPEN_NAMES = {"plain", "mine", "handlers", "verifying", "french", "overdue", "first", "repeat", "processor"}
UNASSIGNED = OPEN_NAMES - {"mine", "handlers"}
FILTERS: list[tuple[dict[str, str], set[str]]] = [
    ({}, OPEN_NAMES),
    ({"queue": "open"}, OPEN_NAMES),
    ({"queue": "closed"}, {"closed"}),
    ({"queue": "all"}, OPEN_NAMES | {"closed"}),
    ({"status": "verifying"}, {"verifying"}),
    ({"status": "in_progress"}, {"mine", "handlers"}),
    ({"status": "withdrawn"}, set()),  # the open queue, unless asked otherwise
    ({"status": "withdrawn", "queue": "all"}, {"closed"}),
    ({"kind": "access"}, {"verifying"}),
    ({"regime": "eu_gdpr"}, {"french"}),
    ({"regime": "uk_gdpr"}, OPEN_NAMES - {"french"}),
    ({"overdue": "true"}, {"overdue"}),
    ({"overdue": "false"}, OPEN_NAMES - {"overdue"}),
    ({"due_before": "2026-11-25"}, {"overdue"}),
    ({"due_before": "2026-12-31"}, OPEN_NAMES),
    ({"assignee": "me"}, {"mine"}),
    ({"assignee": "none"}, UNASSIGNED),
    ({"assignee": "none", "status": "verifying"}, {"verifying"}),
    ({"repetitive": "true"}, {"repeat"}),
    ({"repetitive": "false"}, OPEN_NAMES - {"repeat"}),
    ({"processor_request": "true"}, {"processor"}),
]  # fmt: skip


@pytest.mark.parametrize(("params", "names"), FILTERS, ids=[json.dumps(p) for p, _n in FILTERS])
def test_the_list_filters(
    dpo: Any, queue: dict[str, PrivacyRequest], params: dict[str, str], names: set[str]
) -> None:
    found = {r["reference"] for r in all_pages(token_client(dpo), {**params, "page_size": 3})}
    by_reference = {c.reference: name for name, c in queue.items()}
    assert {by_reference[r] for r in found} == names


SEARCH = "/api/v1/search/cases/"


def searched(client: Client, body: dict[str, Any], page_size: int = 50) -> list[str]:
    """The references a search finds, over every page: the same body POSTed to each `next` link."""
    found: list[str] = []
    url: str | None = f"{SEARCH}?page_size={page_size}"
    while url:
        page = post(client, url, body)
        assert page.status_code == 200, page.content
        found += [row["reference"] for row in page.json()["results"]]
        url = page.json()["next"]
    return found


SEARCHES = [
    ({"q": "PROC@example.ORG"}, {"processor"}),
    ({"q": "rep@example.org"}, {"first", "repeat"}),
    ({"q": "rep@example.org", "repetitive": True}, {"repeat"}),
    ({"q": "nobody@example.org"}, set()),
]


@pytest.mark.parametrize(("body", "names"), SEARCHES, ids=[json.dumps(b) for b, _n in SEARCHES])
def test_the_search_finds_by_the_term_in_its_body_with_the_lists_filters(
    dpo: Any, queue: dict[str, PrivacyRequest], body: dict[str, Any], names: set[str]
) -> None:
    by_reference = {c.reference: name for name, c in queue.items()}
    assert {by_reference[r] for r in searched(token_client(dpo), body, page_size=1)} == names


def test_the_list_filters_by_assignee_id_and_the_search_by_reference(
    dpo: Any, handler: Any, queue: dict[str, PrivacyRequest]
) -> None:
    client = token_client(dpo)
    assert references(client.get(API, {"assignee": str(handler.pk)})) == [queue["handlers"].reference]
    reference = queue["mine"].reference
    for term in (reference, reference.lower(), f"  {reference}  "):
        assert searched(client, {"q": term}) == [reference], term
    assert searched(client, {"q": queue["closed"].reference}) == []
    assert searched(client, {"q": queue["closed"].reference, "queue": "all"}) == [queue["closed"].reference]


def test_a_search_term_in_a_url_is_refused_and_points_to_the_search(
    dpo: Any, queue: dict[str, PrivacyRequest]
) -> None:
    """An address in a query string stays in proxies' logs and browsers' histories: never taken from there."""
    client = token_client(dpo)
    pointer = ["Search with POST /api/v1/search/cases/ and the term in the body, not in the URL."]
    for response in (
        client.get(API, {"q": "rep@example.org"}),
        client.get(f"{API}?q=rep@example.org&q="),  # the last value blank: the first was let through
        client.get(API, {"q": ""}),
        post(client, f"{SEARCH}?q=rep@example.org", {"q": "rep@example.org"}),
    ):
        assert response.status_code == 400, response.content
        assert response.json()["errors"] == {"q": pointer}


def test_a_query_parameter_the_endpoint_does_not_read_is_refused_never_carried_to_the_next_page(
    dpo: Any, queue: dict[str, PrivacyRequest]
) -> None:
    client = token_client(dpo)
    unknown = client.get(API, {"email": "rep@example.org", "page_size": "1"})
    assert unknown.status_code == 400 and unknown.json()["errors"] == {
        "email": ["Not a parameter of this endpoint."]
    }
    assert client.get(API, {"format": "json"}).status_code == 200  # DRF's own, as before
    twice = client.get(f"{API}?status=open&status=closed")
    assert twice.status_code == 400 and twice.json()["errors"] == {"status": ["Given more than once."]}
    # The search's criteria are its body: a filter in its URL would have been dropped without a word.
    in_url = post(client, f"{SEARCH}?queue=all", {"q": queue["closed"].reference})
    assert in_url.status_code == 400 and set(in_url.json()["errors"]) == {"queue"}
    # What the next link repeats is the page size and the cursor, nothing else.
    page = post(client, f"{SEARCH}?page_size=1", {"q": "rep@example.org"}).json()
    assert set(parse_qs(urlsplit(page["next"]).query)) == {"page_size", "cursor"}


def test_a_search_body_of_the_wrong_shape_is_a_400_naming_each_field(
    dpo: Any, queue: dict[str, PrivacyRequest]
) -> None:
    client = token_client(dpo)
    response = post(client, SEARCH, {"q": 5, "overdue": "true", "queue": "everything", "due_before": "soon"})
    assert response.status_code == 400, response.content
    assert set(response.json()["errors"]) == {"q", "overdue", "queue", "due_before"}
    assert set(post(client, SEARCH, {}).json()["errors"]) == {"q"}
    assert set(post(client, f"{SEARCH}?page_size=0", {"q": "rep"}).json()["errors"]) == {"page_size"}
    # A misspelt filter would have widened the search silently.
    misspelt = post(client, SEARCH, {"q": "rep@example.org", "queue_": "all"})
    assert misspelt.json()["errors"] == {"queue_": ["Not a field of this body."]}
    # Two letters of a name match nothing: said, rather than an empty page that looks like "no such person".
    short = post(client, SEARCH, {"q": " ab "})
    assert short.status_code == 400 and list(short.json()["errors"]) == ["q"]
    assert "at least 3 letters" in short.json()["errors"]["q"][0]


def test_q_finds_an_email_that_starts_like_a_reference(dpo: Any, frozen: None) -> None:
    case = open_case(requester_email="pr-office@example.org")
    assert searched(token_client(dpo, "DPO"), {"q": "pr-office@example.org"}) == [case.reference]


def test_a_handlers_filters_never_reach_beyond_their_cases(
    handler: Any, queue: dict[str, PrivacyRequest]
) -> None:
    client = token_client(handler)
    seen = {r["reference"] for r in all_pages(client, {"queue": "all"})}
    assert seen == {queue[n].reference for n in UNASSIGNED | {"handlers", "closed"}}
    assert searched(client, {"q": queue["mine"].reference, "queue": "all"}) == []
    assert references(client.get(API, {"assignee": "me"})) == [queue["handlers"].reference]


def test_days_left_counts_from_the_operators_today(dpo: Any, queue: dict[str, PrivacyRequest]) -> None:
    row = token_client(dpo).get(case_url(queue["overdue"])).json()
    assert row["days_left"] == (date.fromisoformat(row["due"]) - NOW.date()).days < 0
    assert token_client(dpo).get(case_url(queue["closed"])).json()["days_left"] is None


def test_a_reasonable_doubt_through_the_api_is_recorded_or_refused_with_the_reason(dpo: Any) -> None:
    client = token_client(dpo, "DPO")
    by_email = services.confirm_email(make_case(kind="access"))
    body = {"reason": "The address is not the one we hold: your order number, please.", "doubt": True}
    response = post(client, case_url(by_email, "pause/"), body)
    assert response.status_code == 200, response.content
    assert response.json()["case"]["tier"] == "matched" and fresh(by_email).identity_doubt_at is not None
    californian = services.confirm_email(make_case(kind="access", country="US", subdivision="CA"))
    refused = post(client, case_url(californian, "pause/"), body)
    assert refused.status_code == 400 and list(refused.json()["errors"]) == ["doubt"]
    assert fresh(californian).status == Status.VERIFYING
