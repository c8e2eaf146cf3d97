"""The worker's database connection from task to task, as Celery's Django fixup and our signals leave it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from celery.fixups.django import DjangoWorkerFixup  # type: ignore[attr-defined]  # missing from celery-types
from celery.signals import task_postrun, task_prerun
from django.db import connection

from privacyportal.celery import app
from requests.tasks import heartbeat


@pytest.fixture
def worker_signals() -> Iterator[DjangoWorkerFixup]:
    """What a worker process runs around each task: Celery's Django fixup (which a worker installs; here its
    handlers are called by hand so the test run's own signals stay as they are) and our receivers."""
    yield DjangoWorkerFixup(app)


def _run_task(fixup: DjangoWorkerFixup) -> None:
    task = heartbeat  # not eager: as in a worker process
    fixup.on_task_prerun(sender=task)
    task_prerun.send(sender=task, task_id="t", task=task, args=(), kwargs={})
    connection.ensure_connection()  # the task's queries
    fixup.on_task_postrun(sender=task)
    task_postrun.send(sender=task, task_id="t", task=task, args=(), kwargs={}, retval=None, state="SUCCESS")


@pytest.mark.django_db(transaction=True)
def test_a_worker_keeps_its_database_connection_from_task_to_task(worker_signals: DjangoWorkerFixup) -> None:
    """Each email used to open a new PostgreSQL connection (Celery closes it around every task by default)."""
    # A connection of its own: the run's may have been opened more than CONN_MAX_AGE ago, and be dropped for that.
    connection.close()
    connection.ensure_connection()
    first = connection.connection
    for _ in range(5):
        _run_task(worker_signals)
    assert connection.connection is first


@pytest.mark.django_db(transaction=True)
def test_a_worker_drops_a_connection_older_than_conn_max_age(worker_signals: DjangoWorkerFixup) -> None:
    connection.ensure_connection()
    first = connection.connection
    connection.close_at = 0  # as if CONN_MAX_AGE had passed since it was opened
    _run_task(worker_signals)
    assert connection.connection is not None and connection.connection is not first
