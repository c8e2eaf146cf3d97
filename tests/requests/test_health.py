"""/healthz: database, broker, a worker's heartbeat and the sweeps' age; 503 when any is stale or down."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from privacyportal import outbox
from privacyportal.models import QueuedTask
from requests import tasks

pytestmark = pytest.mark.django_db


def test_healthy_when_a_worker_beats_and_the_sweeps_run(client: Client) -> None:
    tasks.heartbeat()
    tasks.sweep("verification")
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 200 and body["status"] == "ok", body
    assert set(body["checks"]) == {"database", "broker", "worker", "sweeps", "outbox", "keys"}
    assert body["checks"]["worker"]["age_seconds"] <= 1


def test_no_worker_means_503_naming_it(client: Client) -> None:
    tasks.sweep("verification")
    response = client.get("/healthz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["worker"] == {"ok": False, "age_seconds": None} and checks["database"]["ok"]


def test_a_stopped_worker_turns_it_503_and_a_new_beat_brings_it_back(client: Client) -> None:
    tasks.heartbeat()
    tasks.sweep("overdue")
    later = timezone.now() + timedelta(minutes=5)
    with time_machine.travel(later, tick=False):
        stale = client.get("/healthz")
        assert stale.status_code == 503 and stale.json()["checks"]["worker"]["age_seconds"] >= 300
        tasks.heartbeat()
        tasks.sweep("overdue")
        assert client.get("/healthz").status_code == 200


def test_an_unreachable_broker_is_reported(client: Client, monkeypatch: Any) -> None:
    from requests import health

    def down() -> dict[str, Any]:
        raise ConnectionRefusedError

    monkeypatch.setattr(health, "check_broker", down)
    tasks.heartbeat()
    tasks.sweep("overdue")
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"] == {"ok": False, "error": "ConnectionRefusedError"}


def test_a_worker_just_started_is_healthy_before_beat_runs_the_first_sweep(client: Client) -> None:
    from celery.signals import worker_ready

    worker_ready.send(sender=None)  # what a worker sends once it is consuming, before its first heartbeat
    response = client.get("/healthz")
    assert response.status_code == 200, response.json()
    assert response.json()["checks"]["sweeps"] == {"ok": True, "age_seconds": None}
    # Past the grace with still no sweep: beat is not running.
    with time_machine.travel(timezone.now() + timedelta(minutes=31), tick=False):
        tasks.heartbeat()
        stale = client.get("/healthz")
    assert stale.status_code == 503 and stale.json()["checks"]["sweeps"]["ok"] is False


def promised(minutes_ago: int, **fields: Any) -> QueuedTask:
    at = timezone.now() - timedelta(minutes=minutes_ago)
    return QueuedTask.objects.create(
        task_id=uuid.uuid4(), name="identity.tasks.send_verification_email", args=[4711], created_at=at,
        published_at=at, **fields,
    )  # fmt: skip


def test_the_outbox_backlog_and_its_oldest_age_are_reported_and_a_stale_one_is_503(client: Client) -> None:
    tasks.heartbeat()
    tasks.sweep("overdue")
    QueuedTask.objects.create(
        task_id=uuid.uuid4(), name="x", delivered_at=timezone.now()
    )  # delivered: not counted
    promised(3)
    promised(12)
    response = client.get("/healthz")
    assert response.status_code == 200
    outbox = response.json()["checks"]["outbox"]
    assert outbox["ok"] and outbox["undelivered"] == 2 and outbox["given_up"] == 0
    assert 12 * 60 <= outbox["oldest_age_seconds"] < 13 * 60
    # Redelivery takes REDELIVER_AFTER (15 min) and up to two sweep periods (5 min each): older means stuck.
    assert outbox["stale_after_seconds"] == 25 * 60
    promised(26)
    response = client.get("/healthz")
    assert response.status_code == 503
    outbox = response.json()["checks"]["outbox"]
    assert not outbox["ok"] and outbox["undelivered"] == 3 and outbox["oldest_age_seconds"] >= 26 * 60
    assert "4711" not in response.content.decode() and "send_verification" not in response.content.decode()


def test_a_given_up_task_is_reported_but_does_not_fail_the_check(client: Client) -> None:
    tasks.heartbeat()
    tasks.sweep("overdue")
    promised(6 * 60, publishes=outbox.MAX_PUBLISHES + 1)
    response = client.get("/healthz")
    assert response.status_code == 200, response.json()
    assert response.json()["checks"]["outbox"] == {
        "ok": True, "undelivered": 0, "oldest_age_seconds": None, "stale_after_seconds": 1500, "given_up": 1,
    }  # fmt: skip
