"""Tasks for the owners of systems no connector reaches (issue 17): sent by email, answered on a page of their own.

The owner follows the emailed link as a browser would (a test client with its own session): the link hands the
token's hash to the session and redirects to the task's page, which shows the reference, the one email address
needed and what to do, and takes the answer. Emails are sent on commit, so services run inside
`django_capture_on_commit_callbacks(execute=True)` and `mail.outbox` holds what the owners received.
"""

from __future__ import annotations

import io
import json
import logging
import re
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

import pytest
import time_machine
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from identity.models import Evidence
from privacyportal import outbox
from privacyportal.models import QueuedTask
from requests import packets, services, sweeps
from requests.models import (
    CompanySystem,
    OwnerTask,
    OwnerTaskStatus,
    Packet,
    PacketStatus,
    PrivacyRequest,
    StaffPreference,
    SystemCheck,
)
from requests.roles import ensure_roles
from requests.services import retention
from tests.factories import StaffFactory, make_case, pdf_bytes, signed_in

# Cases here wait for staff to check identity before any work: the operator asks for matching details.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("details_to_match")]

# A Monday: a UK request received now is due on Thursday 3 April 2025 (one calendar month).
NOW = datetime(2025, 3, 3, 10, 0, tzinfo=UTC)
DUE_DAY = datetime(2025, 4, 3, 10, 0, tzinfo=UTC)
PHONE, ADDRESS = "+44 20 7946 0958", "221B Baker Street, London"
LINK = re.compile(r"https?://[^\s/]+(/owner-task/[A-Za-z0-9_-]+/)")

Capture = Callable[..., Any]


@pytest.fixture(autouse=True)
def _today() -> Any:
    ensure_roles()  # a transactional test elsewhere may have flushed the migration's groups
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def systems() -> dict[str, CompanySystem]:
    """Two systems whose owners do the work, and three that get no task (a connector, no address, inactive)."""
    return {
        "crm": CompanySystem.objects.create(name="CRM", owner_email="crm-owner@example.com"),
        "shop": CompanySystem.objects.create(name="Shop", owner_email="Shop.Owner@example.com"),
        "warehouse": CompanySystem.objects.create(
            name="Warehouse", owner_email="dba@example.com", connector="sql"
        ),
        "archive": CompanySystem.objects.create(name="Archive"),
        "old": CompanySystem.objects.create(name="Old CRM", owner_email="old@example.com", active=False),
    }


def access_case(by: Any, kind: str = "access") -> PrivacyRequest:
    """A request from the UK (access unless told), identity verified, in progress.

    Verifying opens the owners' tasks by itself (test below); here it does not, so that each test sends them
    the way it means to (the DPO's button, the service) and sees what that does.
    """
    points = {"phone": PHONE, "postal_address": ADDRESS}
    case = services.confirm_email(make_case(kind=kind, data_points=points))
    with mock.patch("requests.services.intake.owner_tasks.open_tasks", return_value=[]):
        case = services.verify(case, by=by, data_points=["phone", "postal_address"])
    return services.assign(case, to=by, by=by)


def erasure_case(by: Any) -> PrivacyRequest:
    return access_case(by, "erasure")


def send(case: PrivacyRequest, capture: Capture, by: Any = None) -> list[OwnerTask]:
    with capture(execute=True):
        return services.open_tasks(case, by=by)


def link_in(address: str) -> str:
    """The path of the task link in the newest email to `address`."""
    (*_, message) = [m for m in mail.outbox if m.to == [address]]
    found = LINK.search(str(message.body))
    assert found, message.body
    return found[1]


def open_page(link: str, client: Client | None = None) -> tuple[Client, Any]:
    """Follow an emailed link as the owner's browser would: the redirect, then the task's page."""
    client = client or Client()
    first = client.get(link)
    if first.status_code != 302:
        return client, first
    assert "/owner-task/?task=" in first["Location"]
    return client, client.get(first["Location"])


def answer(client: Client, page: Any, **fields: Any) -> Any:
    """POST the answer form of the page the client has open."""
    return client.post(page.wsgi_request.get_full_path(), fields)


def fresh(task: OwnerTask) -> OwnerTask:
    return OwnerTask.objects.get(pk=task.pk)


def event_data(case: PrivacyRequest) -> str:
    return json.dumps(list(case.events.values_list("verb", "actor_kind", "data")))


# --- Sending -------------------------------------------------------------------------------------------------


def test_verifying_the_requester_sends_the_owners_their_tasks(
    dpo: Any, systems: dict[str, CompanySystem], django_capture_on_commit_callbacks: Capture
) -> None:
    case = services.confirm_email(make_case(data_points={"phone": PHONE, "postal_address": ADDRESS}))
    assert not OwnerTask.objects.exists()  # not before identity is proved
    with django_capture_on_commit_callbacks(execute=True):
        services.verify(case, by=dpo, data_points=["phone", "postal_address"])
    assert sorted(t.system.name for t in OwnerTask.objects.filter(privacy_request=case)) == ["CRM", "Shop"]
    assert sorted(m.to[0] for m in mail.outbox if "/owner-task/" in str(m.body)) == [
        "Shop.Owner@example.com",
        "crm-owner@example.com",
    ]


def test_the_owners_of_active_systems_without_a_connector_get_one_task_each_and_only_once(
    dpo: Any, systems: dict[str, CompanySystem], django_capture_on_commit_callbacks: Capture
) -> None:
    case = access_case(dpo)
    created = send(case, django_capture_on_commit_callbacks, by=dpo)
    assert sorted((t.system.name, t.action, t.owner_email) for t in created) == [
        ("CRM", "export", "crm-owner@example.com"),
        ("Shop", "export", "Shop.Owner@example.com"),
    ]
    assert sorted(m.to[0] for m in mail.outbox) == ["Shop.Owner@example.com", "crm-owner@example.com"]
    assert send(case, django_capture_on_commit_callbacks, by=dpo) == []  # idempotent
    assert OwnerTask.objects.filter(privacy_request=case).count() == 2 and len(mail.outbox) == 2
    verbs = list(case.events.values_list("verb", flat=True))
    assert verbs.count("owner_tasks_opened") == 1 and verbs.count("email_sent") >= 2
    assert "@" not in event_data(case)  # neither the owners' nor the requester's address


def test_an_erasure_asks_the_owner_to_erase_not_to_plan(
    dpo: Any, systems: dict[str, CompanySystem], django_capture_on_commit_callbacks: Capture
) -> None:
    created = send(erasure_case(dpo), django_capture_on_commit_callbacks)
    assert {t.action for t in created} == {"erase"}


def test_tasks_are_refused_before_identity_is_verified_and_without_any_owner(
    dpo: Any, django_capture_on_commit_callbacks: Capture
) -> None:
    case = services.confirm_email(make_case(kind="access", data_points={"phone": PHONE}))
    with pytest.raises(services.TransitionError, match="its checklist cannot change now"):
        services.open_tasks(case, by=dpo)
    case = access_case(dpo)
    CompanySystem.objects.create(name="Archive")  # no owner's address: nobody to send it to
    with pytest.raises(services.TransitionError, match="owner's email address"):
        services.open_tasks(case, by=dpo)


def test_the_email_holds_a_working_link_and_no_personal_data(
    dpo: Any, systems: dict[str, CompanySystem], django_capture_on_commit_callbacks: Capture
) -> None:
    case = access_case(dpo)
    send(case, django_capture_on_commit_callbacks)
    (message,) = [m for m in mail.outbox if m.to == ["crm-owner@example.com"]]
    assert case.reference in message.subject and "CRM" in message.subject
    assert case.reference in str(message.body) and "3 April 2025" in str(message.body)
    assert case.requester_email not in str(message.body) and case.requester_name not in str(message.body)
    token = link_in("crm-owner@example.com").split("/")[2]
    task = OwnerTask.objects.get(system=systems["crm"])
    assert task.token_hash == services.token_hash(token) and token not in task.token_hash
    assert task.sent_at == NOW and task.expires_at == NOW + timedelta(days=30)


def test_a_copy_of_the_email_run_again_after_a_kill_sends_the_same_working_link(
    dpo: Any, systems: dict[str, CompanySystem], django_capture_on_commit_callbacks: Capture
) -> None:
    """Issue 24: the worker killed after the mail server took the email, before its outbox row was marked."""
    send(access_case(dpo), django_capture_on_commit_callbacks)
    first = link_in("crm-owner@example.com")
    task = OwnerTask.objects.get(system=systems["crm"])
    (row,) = [
        r for r in QueuedTask.objects.filter(name="requests.tasks.send_owner_task") if r.args[0] == task.pk
    ]
    QueuedTask.objects.filter(pk=row.pk).update(
        delivered_at=None, started_at=None, started_by="", emails_sent=0
    )
    with django_capture_on_commit_callbacks(execute=True):
        outbox.publish(row)
    emails = [m for m in mail.outbox if m.to == ["crm-owner@example.com"]]
    assert len(emails) == 2 and link_in("crm-owner@example.com") == first
    assert emails[0].extra_headers["Message-ID"] == emails[1].extra_headers["Message-ID"]
    _client, page = open_page(first)
    assert page.status_code == 200 and "CRM" in page.content.decode()


def test_a_staff_owner_reads_their_task_in_their_language(
    dpo: Any, django_capture_on_commit_callbacks: Capture
) -> None:
    owner: Any = StaffFactory(username="boris", email="boris@example.com")
    StaffPreference.objects.create(user=owner, language="ru")
    CompanySystem.objects.create(name="CRM", owner_email="Boris@Example.com")
    send(access_case(dpo), django_capture_on_commit_callbacks)
    (message,) = mail.outbox
    assert "Задача" in message.subject, message.subject


# --- The owner's page ----------------------------------------------------------------------------------------


def test_the_page_shows_the_reference_the_email_address_and_what_to_do_and_nothing_else(
    dpo: Any, systems: dict[str, CompanySystem], django_capture_on_commit_callbacks: Capture
) -> None:
    case = access_case(dpo)
    send(case, django_capture_on_commit_callbacks)
    link = link_in("crm-owner@example.com")
    client = Client()
    first = client.get(link)
    assert (
        first.status_code == 302 and link.split("/")[2] not in first["Location"]
    )  # the token leaves the URL
    assert first["Cache-Control"] == "no-store" and first["Referrer-Policy"] == "no-referrer"
    _client, page = open_page(link, client)
    html = page.content.decode()
    assert page.status_code == 200
    assert (
        page["Cache-Control"] == "no-store" and page["Referrer-Policy"] == "same-origin"
    )  # no-referrer: Origin null, CSRF refused
    assert case.reference in html and "ada@example.org" in html
    assert "Find everything CRM holds about the person" in html and "3 April 2025" in html
    for detail in ("Ada Lovelace", PHONE, ADDRESS, "Shop"):  # nothing the task does not need
        assert detail not in html
    assert 'value="no_data"' in html and 'value="exported"' in html and 'value="could_not"' in html
    assert 'value="done"' not in html  # an export is exported or not, never "done"


def test_no_data_found_fills_the_checklist_and_closes_the_link(
    dpo: Any, systems: dict[str, CompanySystem], django_capture_on_commit_callbacks: Capture
) -> None:
    case = access_case(dpo)
    send(case, django_capture_on_commit_callbacks)
    link = link_in("crm-owner@example.com")
    client, page = open_page(link)
    done = answer(client, page, outcome="no_data", reason="")
    assert done.status_code == 200 and "Thank you: your answer is recorded" in done.content.decode()
    task = OwnerTask.objects.get(system=systems["crm"])
    assert (task.status, task.done_at) == (OwnerTaskStatus.NO_DATA, NOW)
    check = SystemCheck.objects.get(privacy_request=case, system=systems["crm"])
    assert (check.state, check.checked_by) == ("no_data", None)
    assert "Answered by the system's owner: No data found." in check.notes
    event = case.events.get(verb="owner_task_answered")
    assert event.actor_kind == "owner" and event.actor is None
    assert event.data == {
        "task": task.pk,
        "system": systems["crm"].pk,
        "action": "export",
        "outcome": "no_data",
    }
    again = answer(client, page, outcome="exported", reason="")
    assert again.status_code == 410 and "This task is already answered" in again.content.decode()
    _client, reopened = open_page(link)
    assert reopened.status_code == 410 and case.reference not in reopened.content.decode()
    assert fresh(task).status == OwnerTaskStatus.NO_DATA


def test_an_exported_csv_is_kept_encrypted_and_ends_in_the_packets_data(
    dpo: Any, systems: dict[str, CompanySystem], django_capture_on_commit_callbacks: Capture
) -> None:
    case = access_case(dpo)
    send(case, django_capture_on_commit_callbacks)
    client, page = open_page(link_in("crm-owner@example.com"))
    export = SimpleUploadedFile("export.csv", b"email,order\nada@example.org,1001\n", content_type="text/csv")
    done = answer(client, page, outcome="exported", reason="All of it.", upload=export)
    assert done.status_code == 200, done.content.decode()
    task = OwnerTask.objects.select_related("extract").get(system=systems["crm"])
    assert task.status == OwnerTaskStatus.EXPORTED and task.answer == "All of it."
    assert task.extract is not None and task.extract.kind == Evidence.Kind.EXTRACT
    assert task.extract.system_id == systems["crm"].pk and task.extract.name == "export.csv"
    assert SystemCheck.objects.get(privacy_request=case, system=systems["crm"]).state == "exported"
    assert case.events.get(verb="owner_task_answered").data["evidence"] == task.extract.pk
    for name in (
        "archive",
        "shop",
        "warehouse",
    ):  # the packet waits for every system: the others hold nothing
        services.record_system_check(case, by=dpo, system=systems[name], state="no_data")
    with django_capture_on_commit_callbacks(execute=True):
        services.request_packet(case, by=dpo)
    packet = Packet.objects.get(privacy_request=case)
    assert packet.status == PacketStatus.READY, packet.error
    with zipfile.ZipFile(io.BytesIO(packets.read(packet))) as archive:
        data = json.loads(archive.read("data.json"))
        assert "csv/crm-export.csv" in archive.namelist()
    crm = next(s for s in data["systems"] if s["system"] == "CRM")
    assert crm["rows"] == [{"email": "ada@example.org", "order": "1001"}]


@pytest.mark.parametrize(
    ("name", "content", "error"),
    [
        ("evil.pdf", b"<html><script>alert(1)</script></html>", "Send a PDF, JPEG, PNG, CSV, JSON or text file."),
        ("evil.pdf", pdf_bytes() + b"<html><script>alert(1)</script></html>\n%%EOF\n",
         "This PDF could not be accepted. Save it again as a PDF and retry."),
        ("data.csv", b"name\x00email\n", "This file is not a readable CSV file in UTF-8."),
    ],
    ids=["html-as-pdf", "pdf-html-polyglot", "binary-csv"],
)  # fmt: skip
def test_an_upload_is_checked_by_its_content_like_a_staff_extract(
    dpo: Any,
    systems: dict[str, CompanySystem],
    django_capture_on_commit_callbacks: Capture,
    name: str,
    content: bytes,
    error: str,
) -> None:
    case = access_case(dpo)
    send(case, django_capture_on_commit_callbacks)
    client, page = open_page(link_in("crm-owner@example.com"))
    upload = SimpleUploadedFile(name, content, content_type="application/octet-stream")
    refused = answer(client, page, outcome="exported", reason="", upload=upload)
    assert refused.status_code == 400 and error in refused.content.decode()
    assert fresh(OwnerTask.objects.get(system=systems["crm"])).status == OwnerTaskStatus.OPEN
    assert not Evidence.objects.filter(privacy_request=case).exists()
    assert not SystemCheck.objects.filter(privacy_request=case).exists()


def test_an_export_needs_its_file_and_could_not_needs_its_reason(
    dpo: Any, systems: dict[str, CompanySystem], django_capture_on_commit_callbacks: Capture
) -> None:
    case = access_case(dpo)
    send(case, django_capture_on_commit_callbacks)
    client, page = open_page(link_in("crm-owner@example.com"))
    no_file = answer(client, page, outcome="exported", reason="")
    assert no_file.status_code == 400 and "Attach the export." in no_file.content.decode()
    no_reason = answer(client, page, outcome="could_not", reason="  ")
    assert no_reason.status_code == 400 and "Say why it could not be done." in no_reason.content.decode()
    assert answer(client, page, outcome="erased").status_code == 400  # not an answer to an export
    assert fresh(OwnerTask.objects.get(system=systems["crm"])).status == OwnerTaskStatus.OPEN


def test_could_not_keeps_the_checklist_state_and_says_why_but_not_in_the_event(
    dpo: Any, systems: dict[str, CompanySystem], django_capture_on_commit_callbacks: Capture
) -> None:
    case = access_case(dpo)
    send(case, django_capture_on_commit_callbacks)
    client, page = open_page(link_in("crm-owner@example.com"))
    reason = "The CRM licence lapsed; Zoe in sales can export it next week."
    assert answer(client, page, outcome="could_not", reason=reason).status_code == 200
    task = OwnerTask.objects.get(system=systems["crm"])
    assert (task.status, task.answer) == (OwnerTaskStatus.COULD_NOT, reason)
    check = SystemCheck.objects.get(privacy_request=case, system=systems["crm"])
    assert check.state == "not_checked" and reason in check.notes
    assert "Zoe" not in event_data(case)
    services.withdraw(case, by=dpo, note="By phone")
    retention.anonymise(case.pk, NOW)  # what an owner wrote goes with the case's personal data
    assert fresh(task).answer == ""


def test_an_erasure_done_by_the_owner_marks_the_system_erased(
    dpo: Any, systems: dict[str, CompanySystem], django_capture_on_commit_callbacks: Capture
) -> None:
    case = erasure_case(dpo)
    send(case, django_capture_on_commit_callbacks)
    client, page = open_page(link_in("Shop.Owner@example.com"))
    html = page.content.decode()
    assert "Erase everything Shop holds" in html and 'value="exported"' not in html
    assert answer(client, page, outcome="done", reason="Kept invoices: 6 years, tax law.").status_code == 200
    assert SystemCheck.objects.get(privacy_request=case, system=systems["shop"]).state == "erased"
    assert OwnerTask.objects.get(system=systems["shop"]).status == OwnerTaskStatus.DONE


# --- Link scope ----------------------------------------------------------------------------------------------


def test_a_link_opens_its_own_task_only(
    dpo: Any, systems: dict[str, CompanySystem], django_capture_on_commit_callbacks: Capture
) -> None:
    case = access_case(dpo)
    send(case, django_capture_on_commit_callbacks)
    crm_client, crm_page = open_page(link_in("crm-owner@example.com"))
    _shop_client, shop_page = open_page(link_in("Shop.Owner@example.com"))
    assert "Find everything CRM holds" in crm_page.content.decode()
    assert "CRM" not in shop_page.content.decode()
    # The page's handle means nothing in another browser: the session holds the hash, not the URL.
    stolen = Client().get(crm_page.wsgi_request.get_full_path())
    assert stolen.status_code == 404 and case.reference not in stolen.content.decode()
    # Another task id, a garbled handle or a garbled token: 404, with nothing of any case.
    crm_task = OwnerTask.objects.get(system=systems["crm"])
    for response in (
        crm_client.get(f"/owner-task/?task={crm_task.pk}"),
        crm_client.post("/owner-task/?task=nothing", {"outcome": "no_data"}),
        Client().get("/owner-task/garbled-token-0123456789/"),
        Client().get(link_in("crm-owner@example.com")[:-5] + "x/"),
    ):
        assert response.status_code == 404
        assert "This link does not work" in response.content.decode()
        assert case.reference not in response.content.decode()
    assert fresh(crm_task).status == OwnerTaskStatus.OPEN


def test_an_expired_link_says_so_and_takes_no_answer(
    dpo: Any, systems: dict[str, CompanySystem], django_capture_on_commit_callbacks: Capture
) -> None:
    case = access_case(dpo)
    send(case, django_capture_on_commit_callbacks)
    link = link_in("crm-owner@example.com")
    with time_machine.travel(NOW + timedelta(days=30, hours=-1), tick=False):
        client, page = open_page(link)  # opened in the link's last hour, answered after it
        assert page.status_code == 200
    with time_machine.travel(NOW + timedelta(days=30, minutes=1), tick=False):
        _client, expired = open_page(link)
        assert expired.status_code == 410 and "This link has expired" in expired.content.decode()
        assert case.reference not in expired.content.decode()
        late = answer(client, page, outcome="no_data")
        assert late.status_code == 410 and "This link has expired" in late.content.decode()
    assert fresh(OwnerTask.objects.get(system=systems["crm"])).status == OwnerTaskStatus.OPEN


def test_closing_the_case_cancels_its_open_tasks(
    dpo: Any, systems: dict[str, CompanySystem], django_capture_on_commit_callbacks: Capture
) -> None:
    case = access_case(dpo)
    send(case, django_capture_on_commit_callbacks)
    link = link_in("crm-owner@example.com")
    services.withdraw(case, by=dpo, note="By phone")
    assert set(OwnerTask.objects.values_list("status", flat=True)) == {OwnerTaskStatus.CANCELLED}
    _client, page = open_page(link)
    assert page.status_code == 410 and "This task is no longer needed" in page.content.decode()
    assert services.cancel_tasks(case) == 0


def test_the_token_and_addresses_stay_out_of_logs_and_events(
    dpo: Any,
    systems: dict[str, CompanySystem],
    django_capture_on_commit_callbacks: Capture,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    case = access_case(dpo)
    send(case, django_capture_on_commit_callbacks)
    link = link_in("crm-owner@example.com")
    token = link.split("/")[2]
    assert Client().get(f"{link}more/").status_code == 404  # Django logs the path of a 404
    client, page = open_page(link)
    answer(client, page, outcome="no_data")
    lines = [record.getMessage() for record in caplog.records]
    assert "Not Found: /owner-task/[redacted]/more/" in lines
    assert not [line for line in lines if token in line or "crm-owner@" in line]
    assert token not in event_data(case) and "@" not in event_data(case)


def test_too_many_answers_from_one_address_are_refused(
    dpo: Any, systems: dict[str, CompanySystem], django_capture_on_commit_callbacks: Capture, settings: Any
) -> None:
    settings.RATELIMIT_OWNER_TASK = "2/h"
    send(access_case(dpo), django_capture_on_commit_callbacks)
    client, page = open_page(link_in("crm-owner@example.com"))
    statuses = [answer(client, page, outcome="could_not", reason="").status_code for _ in range(3)]
    assert statuses == [400, 400, 429]


# --- Reminders -----------------------------------------------------------------------------------------------


def run_sweep(at: datetime, capture: Capture) -> int:
    with time_machine.travel(at, tick=False), capture(execute=True):
        return sweeps.owner_task_reminders()


def test_owners_are_reminded_7_and_2_days_before_the_due_date_once_each_with_a_fresh_link(
    dpo: Any, systems: dict[str, CompanySystem], django_capture_on_commit_callbacks: Capture
) -> None:
    case = access_case(dpo)
    send(case, django_capture_on_commit_callbacks)
    first_link = link_in("crm-owner@example.com")
    client, page = open_page(link_in("Shop.Owner@example.com"))
    answer(client, page, outcome="no_data")  # the shop's owner answered: no reminder for them
    mail.outbox.clear()
    assert run_sweep(DUE_DAY - timedelta(days=8), django_capture_on_commit_callbacks) == 0
    assert run_sweep(DUE_DAY - timedelta(days=7), django_capture_on_commit_callbacks) == 1
    assert run_sweep(DUE_DAY - timedelta(days=7, hours=-3), django_capture_on_commit_callbacks) == 0
    (reminder,) = mail.outbox
    assert reminder.to == ["crm-owner@example.com"] and reminder.subject.startswith("Reminder:")
    assert "3 April 2025" in str(reminder.body)
    new_link = link_in("crm-owner@example.com")
    assert new_link != first_link
    assert Client().get(first_link).status_code == 404  # each email's link replaces the one before
    assert open_page(new_link)[1].status_code == 200
    assert run_sweep(DUE_DAY - timedelta(days=3), django_capture_on_commit_callbacks) == 0
    assert run_sweep(DUE_DAY - timedelta(days=2), django_capture_on_commit_callbacks) == 1
    assert run_sweep(DUE_DAY - timedelta(days=1), django_capture_on_commit_callbacks) == 0
    assert [m.to for m in mail.outbox] == [["crm-owner@example.com"]] * 2
    task = OwnerTask.objects.get(system=systems["crm"])
    assert task.reminders == 2 and task.reminded_at == DUE_DAY - timedelta(days=2)


def test_a_task_sent_within_the_week_gets_only_the_two_day_reminder(
    dpo: Any, systems: dict[str, CompanySystem], django_capture_on_commit_callbacks: Capture
) -> None:
    case = access_case(dpo)
    with time_machine.travel(DUE_DAY - timedelta(days=5), tick=False):
        send(case, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    assert run_sweep(DUE_DAY - timedelta(days=4), django_capture_on_commit_callbacks) == 0
    assert mail.outbox == []
    assert run_sweep(DUE_DAY - timedelta(days=2), django_capture_on_commit_callbacks) == 2
    assert len(mail.outbox) == 2


# --- The DPO's view ------------------------------------------------------------------------------------------


def test_the_dpo_sends_the_tasks_from_the_case_page_and_sees_them_there_and_in_the_queue(
    dpo: Any, systems: dict[str, CompanySystem], django_capture_on_commit_callbacks: Capture
) -> None:
    case = access_case(dpo)
    other = access_case(dpo)
    client = signed_in(dpo, "DPO")
    url = f"/admin/requests/privacyrequest/{case.pk}/change/"
    before = client.get(url).content.decode()
    assert "Send tasks to system owners" in before and "Tasks for system owners" not in before
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(url, {"action": "owner_tasks"}, follow=True)
    page = sent.content.decode()
    assert "2 tasks sent to system owners" in page
    assert "Tasks for system owners" in page and "crm-owner@example.com" in page
    assert page.count("Waiting for the owner") == 2
    owner, owner_page = open_page(link_in("crm-owner@example.com"))
    answer(owner, owner_page, outcome="no_data")
    page = client.get(url).content.decode()
    assert page.count("Waiting for the owner") == 1 and "No data found" in page
    queue = client.get("/admin/requests/privacyrequest/?owner_tasks=open").content.decode()
    assert case.reference in queue and other.reference not in queue
    none_waiting = client.get("/admin/requests/privacyrequest/?owner_tasks=none").content.decode()
    assert other.reference in none_waiting and case.reference not in none_waiting
