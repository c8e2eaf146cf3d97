"""The client's address behind trusted proxies, and rate limits on it: helpers failing open when the cache is away.

A limit protects the portal from a flood; it must never be the reason a real request is lost. So when the cache
that keeps the counters cannot be reached (Redis stopped, a database cache table missing), the request goes
through and the outage is logged (the error's type only: a driver's message can name a user or an address).
"""

from __future__ import annotations

import functools
import hashlib
import logging
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse
from django_ratelimit.core import is_ratelimited

from privacyportal.addresses import normalise_email

logger = logging.getLogger(__name__)


@functools.cache
def _trusted_networks(proxies: tuple[str, ...]) -> tuple[IPv4Network | IPv6Network, ...]:
    return tuple(ip_network(proxy, strict=False) for proxy in proxies)


def _is_trusted(address: str) -> bool:
    try:
        ip = ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in _trusted_networks(tuple(settings.TRUSTED_PROXIES)))


def client_ip(request: HttpRequest) -> str:
    """The address of whoever sent this request.

    The peer itself, unless the peer is one of TRUSTED_PROXIES: then X-Forwarded-For is read from the right
    (each proxy appends the address it saw) and the first address that is not a trusted proxy is the client.
    A header from anyone else is ignored, so a client cannot choose its own address.
    """
    peer = request.META.get("REMOTE_ADDR", "")
    if not _is_trusted(peer):
        return peer
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _is_trusted(hop):
            try:
                return str(ip_address(hop))
            except ValueError:
                return peer  # a malformed entry: the proxy chain cannot be read, so count it as the proxy
    return hops[0] if hops else peer


class TrustedProxyMiddleware:
    """First in the chain: REMOTE_ADDR becomes the client's address (client_ip), so rate limits, axes' lockouts
    and gunicorn's access log (`%({REMOTE_ADDR}e)s`, the same environ) all count the client, not the proxy."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.META["REMOTE_ADDR"] = client_ip(request)
        return self.get_response(request)


def _cache_guard() -> AbstractContextManager[object]:
    """A savepoint inside a transaction, so a failing database cache does not break the caller's transaction."""
    return transaction.atomic() if connection.in_atomic_block else nullcontext()


def over_limit(request: HttpRequest, group: str, rate: str) -> bool:
    """Count this POST against the client's limit for `group`; True when over it."""
    try:
        with _cache_guard():
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
        with _cache_guard():
            cache.add(cache_key, 0, seconds)
            return bool(cache.incr(cache_key) <= int(count))
    except Exception as error:  # the cache's own errors differ by backend
        logger.warning("rate limit not applied, the cache is unavailable: %s", type(error).__name__)
        return True


def recipient_allowed(address: str, group: str, rate: str) -> bool:
    """Emails a stranger can cause by typing someone's address into a public form: whoever types it, the
    person at that address gets no more than `rate` of them."""
    return counted(normalise_email(address), f"mail-{group}", rate)
