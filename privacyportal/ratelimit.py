"""Rate limits on public forms and the public API: one helper, failing open when the cache is away.

A limit protects the portal from a flood; it must never be the reason a real request is lost. So when the cache
that keeps the counters cannot be reached (Redis stopped, a database cache table missing), the request goes
through and the outage is logged (the error's type only: a driver's message can name a user or an address).
"""

from __future__ import annotations

import logging

from django.db import connection, transaction
from django.http import HttpRequest
from django_ratelimit.core import is_ratelimited

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
