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


def sent_commands(calls: Any) -> list[bytes]:
    """The Redis commands sent, by name, from the connection's recorded calls."""
    names = []
    for call in calls.call_args_list:
        packed = call.args[1] if len(call.args) > 1 else call.args[0]
        first = b"".join(packed) if isinstance(packed, list) else bytes(packed)
        names.append(first.split(b"\r\n")[2].upper())
    return names


def test_a_counter_is_counted_in_one_round_trip_and_keeps_its_expiry(broker: Any) -> None:
    """What every rate limit does on each public POST and verification email (issue 24): it was EXISTS, then
    INCRBY, and a key expiring between the two came back as a counter that never expired."""
    from unittest import mock

    import redis.connection

    cache.add("ratelimit-count", 0, 60)
    original = redis.connection.AbstractConnection.send_packed_command
    with mock.patch.object(
        redis.connection.AbstractConnection, "send_packed_command", autospec=True, side_effect=original
    ) as calls:
        assert cache.incr("ratelimit-count") == 1
        assert cache.incr("ratelimit-count", 2) == 3
    assert sent_commands(calls) == [b"EVAL", b"EVAL"]
    assert 0 < broker.ttl(cache.make_key("ratelimit-count")) <= 60
    cache.delete("ratelimit-count")


def test_counting_a_counter_that_is_gone_creates_nothing(broker: Any) -> None:
    cache.delete("ratelimit-gone")
    with pytest.raises(ValueError, match="not found"):
        cache.incr("ratelimit-gone")
    assert cache.get("ratelimit-gone") is None
