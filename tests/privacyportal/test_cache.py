"""The cache and the Celery broker on one Redis: clearing the cache must not lose a queued task (issue 15)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache

from privacyportal.celery import app

QUEUE = "test-cache-clear"  # a queue of this test's own: no worker consumes it, nothing else reads it


@pytest.fixture
def broker() -> Iterator[Any]:
    if not settings.REDIS_URL:
        if os.environ.get("CI"):
            pytest.fail("REDIS_URL is not set: CI must run the cache/broker test against Redis")
        pytest.skip("needs Redis (REDIS_URL)")
    import redis

    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.delete(QUEUE)
    yield client
    client.delete(QUEUE)


def test_clearing_the_cache_keeps_a_queued_task(broker: Any) -> None:
    app.conf.task_always_eager = False
    app.send_task("requests.tasks.heartbeat", queue=QUEUE)
    assert broker.llen(QUEUE) == 1
    cache.set("ratelimit-counter", 3)

    cache.clear()

    assert cache.get("ratelimit-counter") is None  # the cache is cleared...
    assert broker.llen(QUEUE) == 1  # ...and the task is still waiting for a worker
