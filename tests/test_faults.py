"""Faults the portal must survive (issues 9, 24): the database going away, the broker (Redis or RabbitMQ) restarted
or losing its messages, a worker killed."""

from __future__ import annotations

import email
import email.header
import json
import os
import re
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import time_machine
from django.conf import settings as django_settings
from django.db import OperationalError
from django.test import Client
from django.utils import timezone

from privacyportal import outbox
from privacyportal.celery import app
from privacyportal.models import QueuedTask
from privacyportal.settings import web_broker_transport_options
from requests import services, sweeps
from requests.models import Packet, PacketStatus, PrivacyRequest
from tests.brokers import PrivateBroker, PrivateRabbitMQ
from tests.factories import make_case, ready_for_packet
from tests.intake import send
from tests.workers import (
    database_url,
    reset_connections,
    start_worker,
    stop_worker,
    wait_for_mail,
    wait_until_idle,
    wait_until_ready,
)

pytestmark = pytest.mark.django_db

ERASURE = {"requester_name": "Ada Lovelace", "requester_email": "ada@example.org", "relationship": "self",
           "country": "DE", "language": "en", "phone": "+49 30 1234567", "account_reference": "C-1001"}  # fmt: skip


@contextmanager
def database_down(message: str = "could not connect to server: Connection refused") -> Iterator[None]:
    """Every query fails as it does when PostgreSQL is stopped."""
    with mock.patch("django.db.backends.utils.CursorWrapper.execute", side_effect=OperationalError(message)):
        yield


def test_an_unreachable_database_gives_a_plain_503_and_pages_recover_by_themselves(client: Client) -> None:
    with database_down():
        for method, url, data in (
            ("post", "/admin/login/", {"username": "dpo", "password": "x", "otp_token": "123456"}),
            ("post", "/status/", {"email": "ada@example.org"}),
            ("post", "/requests/new/erasure/", ERASURE),
        ):
            response = getattr(client, method)(url, data)
            assert response.status_code == 503, url
            page = response.content.decode()
            assert "Temporarily unavailable" in page and "was not saved. Please send it again" in page
            assert "Traceback" not in page and "Connection refused" not in page
            assert response["Retry-After"] == "30"
    # Back up: the same request goes through, nothing was half-written meanwhile.
    assert not PrivacyRequest.objects.exists()
    assert send(client, "erasure", ERASURE).status_code == 302
    assert PrivacyRequest.objects.count() == 1


def test_no_personal_data_reaches_the_log_when_the_database_is_down(client: Client, caplog: Any) -> None:
    with database_down("password authentication failed for user ada@example.org"):
        client.post("/status/", {"email": "ada@example.org"})
    assert "database unavailable: OperationalError" in caplog.text and "ada@example.org" not in caplog.text


# Faults that need the real servers: a broker of the run's own (tests/brokers.py: a private Redis, then a private
# RabbitMQ node, so stopping or emptying one harms nobody's queues) and a real worker process. CI runs them against
# both; a local run without a server skips its half, as CI would never.
def worker_env(tmp_path: Path, broker: PrivateBroker) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "privacyportal.test_settings",
        "DATABASE_URL": database_url(),
        "BROKER_URL": broker.url,
        "EMAIL_URL": f"filemail://{tmp_path / 'mail'}",
    }


def subjects(mail_dir: Path) -> list[str]:
    found = []
    for path in sorted(mail_dir.iterdir()) if mail_dir.exists() else []:
        message = email.message_from_string(path.read_text())
        found.append(str(email.header.make_header(email.header.decode_header(message["Subject"]))))
    return found


def recipients(mail_dir: Path) -> list[str]:
    """Each email's recipient; Django's file backend may append two emails to one file, each ending in dashes."""
    return sorted(
        email.message_from_string(text)["To"]
        for path in (mail_dir.iterdir() if mail_dir.exists() else [])
        for text in path.read_text().split("\n" + "-" * 79 + "\n")
        if text.strip()
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.real_clock
def test_a_broker_that_lost_its_messages_the_next_sweep_sends_what_was_due_once(
    tmp_path: Path, handler: Any, dpo: Any, broker: PrivateBroker
) -> None:
    with time_machine.travel(datetime(2025, 2, 8, 9, tzinfo=UTC), tick=False):
        case = services.confirm_email(make_case(kind="rectification"))  # due Mon 10 Mar 2025
        services.assign(case, to=dpo, by=dpo)
    noon = datetime(2025, 3, 3, 12, tzinfo=UTC)  # 7 days before
    with time_machine.travel(noon, tick=False):
        assert sweeps.due_reminders() == 1
    reminder = QueuedTask.objects.get(name="requests.tasks.send_staff_notice")
    broker.lose_everything()  # Redis flushed or restarted without persistence, RabbitMQ's disk lost
    mail_dir = tmp_path / "mail"
    worker, log = start_worker(tmp_path, worker_env(tmp_path, broker))
    try:
        wait_until_ready(worker, tmp_path)
        wait_until_idle(worker, tmp_path, broker)  # up, and given nothing: the reminder is gone
        assert subjects(mail_dir) == []
        reminder.refresh_from_db()
        assert reminder.delivered_at is None
        # The sweeps that beat runs next: the claim stops a second reminder, the outbox sends the lost one.
        with time_machine.travel(noon + timedelta(minutes=20), tick=False):
            assert sweeps.due_reminders() == 0
            # The reminder, and the verification email lost with it (confirmed meanwhile: it sends nothing).
            assert sweeps.redeliver() == 2
        wait_for_mail(worker, mail_dir, tmp_path)
        with time_machine.travel(noon + timedelta(hours=2), tick=False):
            assert sweeps.due_reminders() == 0 and sweeps.redeliver() == 0
        wait_until_idle(
            worker, tmp_path, broker
        )  # the verification email's copy too: a second mail would be here
    finally:
        stop_worker(worker, log)
    assert subjects(mail_dir) == [f"{case.reference} is due in 7 days (Mon 10 Mar 2025)"], (
        tmp_path / "worker.log"
    ).read_text()
    reminder.refresh_from_db()
    assert reminder.delivered_at is not None and reminder.publishes == 2


def new_request(client: Client, address: str) -> QueuedTask:
    """A request sent through the public form, as a requester would; its verification email's outbox row."""
    started = time.monotonic()
    response = send(client, "erasure", {**ERASURE, "requester_email": address})
    # No budget (bench/ has those): a page that hangs on a broker that is down would be stopped here.
    assert time.monotonic() - started < 15
    assert response.status_code == 302, response.content.decode()[:500]
    case = PrivacyRequest.objects.get(requester_email=address)
    return QueuedTask.objects.get(name="identity.tasks.send_verification_email", args__0=case.pk)


@pytest.mark.django_db(transaction=True)
@pytest.mark.real_clock
def test_a_restarted_broker_loses_nothing_it_took_and_the_worker_reconnects(
    tmp_path: Path, broker: PrivateBroker, caplog: Any
) -> None:
    client = Client()
    queued = new_request(client, "queued@example.org")  # taken by the broker; no worker is up yet
    broker.stop()
    # Requests keep coming while it is down: saved and answered, their email left to the outbox's sweep.
    while_down = new_request(client, "while-down@example.org")
    assert "broker unavailable" in caplog.text and "while-down@example.org" not in caplog.text
    health = client.get("/healthz")
    assert health.status_code == 503 and health.json()["checks"]["broker"]["ok"] is False
    broker.start()  # the message taken before the stop is still there (persistent, on disk)
    mail_dir = tmp_path / "mail"
    worker, log = start_worker(tmp_path, worker_env(tmp_path, broker))
    try:
        wait_until_ready(worker, tmp_path)
        wait_for_mail(worker, mail_dir, tmp_path)
        assert recipients(mail_dir) == ["queued@example.org"]
        # Restarted again under a running worker: it reconnects by itself and takes the next request's email.
        broker.restart()
        assert client.get("/healthz").json()["checks"]["broker"]["ok"] is True
        after = new_request(client, "after@example.org")
        wait_for_mail(worker, mail_dir, tmp_path, count=2)
        expected = ["after@example.org", "queued@example.org", "while-down@example.org"]
        rows = [queued, while_down, after]
        if broker.kind == "rabbitmq":
            # Frozen (a stalled host): connections accepted, nothing answered; the page still answers in seconds.
            # (A frozen Redis is tests/test_chaos.py's, with its worker started after the freeze: under a running
            # worker it can leave a message unacknowledged until the visibility timeout, an hour.)
            with broker.frozen():
                rows.append(new_request(client, "while-frozen@example.org"))
            expected.append("while-frozen@example.org")
        # The outbox's sweep, 20 minutes on: the emails whose publish failed (the frozen broker's may have got
        # through after all, once it woke), and nothing already sent.
        with time_machine.travel(timezone.now() + timedelta(minutes=20), tick=False):
            assert sweeps.redeliver() in (1, 2)
        wait_for_mail(worker, mail_dir, tmp_path, count=len(expected))
        wait_until_idle(worker, tmp_path, broker)
    finally:
        stop_worker(worker, log)
    worker_log = (tmp_path / "worker.log").read_text()
    assert recipients(mail_dir) == expected, worker_log
    assert "Connection to broker lost" in worker_log  # it really went away under the worker
    for row in rows:
        row.refresh_from_db()
        assert row.delivered_at is not None


def worker_children(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


@pytest.mark.django_db(transaction=True)
@pytest.mark.real_clock
def test_a_worker_killed_while_building_a_packet_builds_it_again_and_leaves_one_packet(
    tmp_path: Path, dpo: Any, broker: PrivateBroker
) -> None:
    case = ready_for_packet(
        make_case(kind="access", data_points={"phone": "1", "postal_address": "2"}),
        dpo,
        [f"Ada {n},ada{n}@example.org,{n} Analytical Engine Way" for n in range(4000)],
    )
    packets_dir = Path(django_settings.PRIVATE_ROOT) / "packets"
    before = set(packets_dir.iterdir()) if packets_dir.exists() else set()
    # A prefork worker: the child building the packet dies, the parent sees it lost and gives the task back.
    worker, log = start_worker(tmp_path, worker_env(tmp_path, broker), queue="pdf", pool="prefork")
    try:
        services.request_packet(case, by=dpo)
        deadline = time.monotonic() + 60
        while Packet.objects.get(privacy_request=case).status != PacketStatus.BUILDING:
            assert time.monotonic() < deadline and worker.poll() is None, (
                tmp_path / "worker.log"
            ).read_text()
            time.sleep(0.05)
        (child,) = worker_children(worker.pid)
        os.kill(child, signal.SIGKILL)
        deadline = time.monotonic() + 120
        while Packet.objects.get(privacy_request=case).status != PacketStatus.READY:
            assert time.monotonic() < deadline and worker.poll() is None, (
                tmp_path / "worker.log"
            ).read_text()
            time.sleep(0.25)
    finally:
        stop_worker(worker, log)
    worker_log = (tmp_path / "worker.log").read_text()
    assert "WorkerLostError" in worker_log and "SIGKILL" in worker_log  # it really died mid-build
    # The same message twice (the broker gave it back), and the second copy built the packet.
    assert len(re.findall(r"build_packet\[[0-9a-f-]+\] received", worker_log)) == 2, worker_log
    assert len(re.findall(r"build_packet\[[0-9a-f-]+\] succeeded", worker_log)) == 1, worker_log
    (packet,) = Packet.objects.filter(privacy_request=case)
    assert (packet.build, packet.status) == (1, PacketStatus.READY)
    assert case.events.filter(verb="packet_built").count() == 1
    assert set(packets_dir.iterdir()) - before == {packets_dir / packet.stored_name}
    assert QueuedTask.objects.get(name="requests.tasks.build_packet").delivered_at is not None


# The cache that keeps the rate-limit counters, away: a request is still taken and saved (issue 14).
INTAKE_BODY = {
    "kind": "rectification", "requester_name": "Ada", "requester_email": "ada@example.org", "relationship": "self",
    "country": "GB", "language": "en", "period": "12_months", "rectification_current": "Old address",
    "rectification_wanted": "New address",
}  # fmt: skip
MISSING_TABLE = {
    "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "no_such_table"}
}
CLOSED_PORT = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:9/0"}
}


@pytest.mark.parametrize("caches", [MISSING_TABLE, CLOSED_PORT], ids=["cache-table-missing", "redis-down"])
def test_a_request_is_taken_and_saved_while_the_rate_limit_cache_is_away(
    client: Client, settings: Any, caplog: Any, caches: dict[str, Any]
) -> None:
    settings.CACHES = caches
    form = send(client, "erasure", ERASURE)
    assert form.status_code == 302, form.content.decode()[:500]
    api = client.post("/api/v1/public/requests/", json.dumps(INTAKE_BODY), content_type="application/json")
    assert api.status_code == 201, api.content
    assert PrivacyRequest.objects.count() == 2
    assert (
        "rate limit not applied, the cache is unavailable" in caplog.text
        and "ada@example.org" not in caplog.text
    )


def test_the_api_answers_json_when_the_database_is_down(client: Client) -> None:
    with database_down():
        response = client.post(
            "/api/v1/public/requests/", json.dumps(INTAKE_BODY), content_type="application/json"
        )
    assert response.status_code == 503 and response["Content-Type"] == "application/json"
    assert "was not saved" in response.json()["detail"] and response["Retry-After"] == "30"


def test_an_unexpected_api_error_is_json_and_a_page_error_is_html(dpo: Any) -> None:
    client = Client(raise_request_exception=False)
    with mock.patch("requests.api.public.IntakeView.post", side_effect=RuntimeError("bug")):
        api = client.post(
            "/api/v1/public/requests/", json.dumps(INTAKE_BODY), content_type="application/json"
        )
    assert api.status_code == 500 and api.json() == {
        "detail": "Something went wrong on our side; it has been logged."
    }
    with mock.patch("requests.views.render", side_effect=RuntimeError("bug")):
        page = client.get("/requests/new/erasure/")
    assert page.status_code == 500 and page["Content-Type"].startswith("text/html")


def test_the_requester_downloads_their_packet_while_the_cache_is_away(
    settings: Any, dpo: Any, handler: Any, django_capture_on_commit_callbacks: Any
) -> None:
    # The one-download grant is kept in the cache beside the session: with Redis away that was a 500 (issue 24).
    from tests.requests.test_packets import access_case, released, status_client

    case = access_case(dpo, handler, country="JP")
    packet = released(case, dpo, handler, django_capture_on_commit_callbacks)
    client = status_client(case.requester_email)
    settings.CACHES = CLOSED_PORT
    download = f"/status/cases/{case.reference}/download/"
    assert client.post(download, {"download": "1"})["Location"] == download + "file/"
    got = client.get(download + "file/")
    assert got.status_code == 200 and got["Content-Type"] == "application/zip"
    assert client.get(download + "file/")["Location"] == download  # still one click, one download
    assert Packet.objects.get(pk=packet.pk).downloads == 1


@pytest.mark.parametrize("broker_server", ["rabbitmq"], indirect=True)
def test_a_web_publish_to_a_rabbitmq_that_blocks_publishers_gives_up_within_seconds(
    broker: PrivateBroker,
) -> None:
    """py-amqp waited for the publisher confirm without end: a page saving a case hung until gunicorn killed it."""
    app.conf.broker_transport_options = web_broker_transport_options(broker.url, broker.transport_options)
    reset_connections(app)  # the conftest `broker` fixture restores the options after the test
    row = QueuedTask.objects.create(task_id=uuid.uuid4(), name="identity.tasks.send_download_code", args=[0])
    assert isinstance(broker, PrivateRabbitMQ)
    assert outbox.publish(row)  # connected, and confirmed while the node takes publishes
    answered: list[bool] = []
    broker.ctl("set_vm_memory_high_watermark", "0")  # a memory alarm: the node blocks every publisher
    try:
        started = time.monotonic()
        publishing = threading.Thread(target=lambda: answered.append(outbox.publish(row)), daemon=True)
        publishing.start()
        publishing.join(timeout=20)
        seconds = time.monotonic() - started
    finally:
        broker.ctl("set_vm_memory_high_watermark", "0.4")  # RabbitMQ's default; unblocks a hung publish
        publishing.join(timeout=20)
    assert answered == [False] and seconds < 10, (answered, seconds)
