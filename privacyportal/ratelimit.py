"""Rate limits on public forms and the public API: one helper, failing open when the cache is away.

A limit protects the portal from a flood; it must never be the reason a real request is lost. So when the cache
that keeps the counters cannot be reached (Redis stopped, a database cache table missing), the request goes
through and the outage is logged (the error's type only: a driver's message can name a user or an address).
"""

from __future__ import annotations

import hashlib
import logging
import time

from django.core.cache import cache
from django.db import connection, transaction
from django.http import HttpRequest
from django_ratelimit.core import is_ratelimited

from privacyportal.addresses import normalise_email

logger = logging.getLogger(__name__)


def over_limit(request: HttpRequest, group: str, rate: str) -> bool:
    """Count this POST against the client's limit for `group`; True when over it."""
    try:
        # A savepoint inside a transaction, so a failing database cache does not break the caller's.
        if connection.in_atomic_block:
            with transaction.atomic():
                return is_ratelimited(
                    request, group=group, key="ip", rate=rate, method="POST", increment=True
                )
        return is_ratelimited(request, group=group, key="ip", rate=rate, method="POST", increment=True)
    except Exception as error:  # the cache's own errors differ by backend (redis, database, memcached)
        logger.warning("rate limit not applied, the cache is unavailable: %s", type(error).__name__)
        return False


_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def counted(key: str, group: str, rate: str) -> bool:
    """Count one action of `group` for `key`; False once `rate` ("6/h") is used up in this period.

    For limits on something other than the client's address (a recipient, a case). Fails open, like the
    limits on forms: a cache outage never loses a request.
    """
    count, _, period = rate.partition("/")
    seconds = _PERIODS[period[-1]] * int(period[:-1] or 1)
    window = int(time.time() // seconds)
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]  # nothing personal in the cache's keys
    cache_key = f"rl:{group}:{digest}:{window}"
    try:
        cache.add(cache_key, 0, seconds)
        return bool(cache.incr(cache_key) <= int(count))
    except Exception as error:  # the cache's own errors differ by backend
        logger.warning("rate limit not applied, the cache is unavailable: %s", type(error).__name__)
        return True


def recipient_allowed(address: str, group: str, rate: str) -> bool:
    """Emails a stranger can cause by typing someone's address into a public form: whoever types it, the
    person at that address gets no more than `rate` of them."""
    return counted(normalise_email(address), f"mail-{group}", rate)
