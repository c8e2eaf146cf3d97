"""What one request costs the database, from the form or the API to its verification email (issue 24).

Counts of SQL statements, never timings: each is the durable work (the case, its first event and the audit
head, the outbox row, the session; the challenge, the sent email's event) plus what guards it. A count going
up is waste returning (a query per field, a lookup repeated); if a change needs one more, it says why here.
In these tests every transaction is a savepoint inside the test's own, so BEGIN/COMMIT read as SAVEPOINT/RELEASE.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from identity.tasks import send_verification_email
from privacyportal.models import QueuedTask
from requests.models import PrivacyRequest
from tests.factories import make_case
from tests.intake import send

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _not_the_first_case() -> None:
    """The audit ledger's row exists, as on any portal with a case: the first case ever creates it."""
    make_case()


ANSWERS = {
    "relationship": "self",
    "requester_name": "Ada Lovelace",
    "requester_email": "ada@example.org",
    "country": "GB",
    "language": "en",
    "period": "12_months",
}

# The session read; the repetition check; the case inserted and its reference set; its first event and the
# chain's head inserted (the case is new: no row lock or head lookup needed), the ledger of chains read and
# moved; the outbox row; the session written back; the view's transaction (case and session commit together),
# the service's and the session store's savepoints; and here only, the savepoint the rate limit takes inside
# an open transaction (the test's). 18 in all.
FORM_SEND = 18
# The same without the session, and without a transaction of the view's own around the service's (it had
# one, a savepoint for nothing).
API_SUBMIT = 12
# The outbox row found and claimed; the case read; the row's own challenge looked for (a copy of the task sends
# the same code), earlier challenges retired and the new one stored; the email counted as sent on the row (a
# copy does not send it again); the "email sent" event recorded once per Message-ID (looked for; case row
# held, head read, event inserted, head moved; the sent email remembered); the row marked delivered; the
# transactions; here only, the recipient limit's savepoint. 20 in all.
VERIFICATION_EMAIL = 20


def test_sending_the_form_costs_its_durable_writes_and_no_more(
    client: Client, django_assert_max_num_queries: Any, django_capture_on_commit_callbacks: Any
) -> None:
    assert send(client, "access", ANSWERS, until="/check/").status_code == 302
    with django_capture_on_commit_callbacks() as published, django_assert_max_num_queries(FORM_SEND):
        response = client.post("/requests/new/access/check/", {})
    assert response.status_code == 302 and response["Location"] == "/requests/submitted/"
    assert PrivacyRequest.objects.latest("pk").requester_email == "ada@example.org"
    assert len(published) == 1  # the verification email's task, once the case commits


def test_the_public_api_costs_its_durable_writes_and_no_more(
    client: Client, django_assert_max_num_queries: Any, django_capture_on_commit_callbacks: Any
) -> None:
    body = json.dumps({**ANSWERS, "kind": "access"})
    with django_capture_on_commit_callbacks() as published, django_assert_max_num_queries(API_SUBMIT):
        response = client.post("/api/v1/public/requests/", body, content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["reference"] == PrivacyRequest.objects.latest("pk").reference
    assert len(published) == 1


def test_the_verification_email_costs_its_durable_writes_and_no_more(
    client: Client, django_assert_max_num_queries: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks():  # the task is not run here, only its row kept
        client.post("/api/v1/public/requests/", json.dumps({**ANSWERS, "kind": "access"}), "application/json")
    row = QueuedTask.objects.latest("pk")
    with django_assert_max_num_queries(VERIFICATION_EMAIL):
        send_verification_email.apply(row.args, task_id=str(row.task_id))
    (message,) = mail.outbox
    assert message.to == ["ada@example.org"] and "/verify/" in message.body
    row.refresh_from_db()
    assert row.delivered_at is not None


@pytest.mark.django_db(transaction=True)
def test_the_case_and_the_requester_s_session_commit_together(client: Client) -> None:
    """One transaction: never a case its requester's session forgot, and one commit (a WAL flush), not two.
    (In tests the verification email is sent in-process once the case commits: its statements come after.)"""
    make_case()
    assert send(client, "access", ANSWERS, until="/check/").status_code == 302
    with CaptureQueriesContext(connection) as queries:
        response = client.post("/requests/new/access/check/", {})
    assert response.status_code == 302
    statements = [q["sql"] for q in queries.captured_queries]
    commit = statements.index("COMMIT")
    written = [n for n, sql in enumerate(statements) if sql.startswith(("INSERT", "UPDATE"))]
    assert any("requests_privacyrequest" in statements[n] for n in written if n < commit)
    assert any("django_session" in statements[n] for n in written if n < commit)
    assert not any("django_session" in statements[n] for n in written if n > commit)
    assert client.session["pending_case"] == PrivacyRequest.objects.latest("pk").pk
