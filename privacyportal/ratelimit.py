"""The client's address behind trusted proxies, and rate limits on it: helpers failing open when the cache is away.

A limit protects the portal from a flood; it must never be the reason a real request is lost. So when the cache
that keeps the counters cannot be reached (Redis stopped, a database cache table missing), the request goes
through and the outage is logged (the error's type only: a driver's message can name a user or an address).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network

from django.conf import settings
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse
from django_ratelimit.core import get_usage, is_ratelimited

from privacyportal.addresses import normalise_email

logger = logging.getLogger(__name__)


@functools.cache
def _trusted_networks(proxies: tuple[str, ...]) -> tuple[IPv4Network | IPv6Network, ...]:
    return tuple(ip_network(proxy, strict=False) for proxy in proxies)


def _address(text: str) -> IPv4Address | IPv6Address | None:
    """An address as a proxy may write it: with a port (`1.2.3.4:5678`, `[2001:db8::1]:443`), or IPv4 mapped
    into IPv6 (`::ffff:10.0.0.5`, as a dual-stack socket reports it); None when it is not an address."""
    text = text.strip()
    if text.startswith("[") and "]" in text:
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        ip = ip_address(text)
    except ValueError:
        return None
    return ip.ipv4_mapped if isinstance(ip, IPv6Address) and ip.ipv4_mapped else ip


def _is_trusted(address: str) -> bool:
    ip = _address(address)
    return ip is not None and any(
        ip in network for network in _trusted_networks(tuple(settings.TRUSTED_PROXIES))
    )


def client_ip(request: HttpRequest) -> str:
    """The address of whoever sent this request.

    The peer itself, unless the peer is one of TRUSTED_PROXIES: then X-Forwarded-For is read from the right
    (each proxy appends the address it saw) and the first address that is not a trusted proxy is the client.
    A header from anyone else is ignored, so a client cannot choose its own address.
    """
    peer: str = request.META.get("REMOTE_ADDR", "")
    if not _is_trusted(peer):
        return peer
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _is_trusted(hop):
            found = _address(hop)
            # A malformed entry: the chain cannot be read past it, so count the request as the proxy's.
            return str(found) if found is not None else peer
    return str(_address(hops[0]) or peer) if hops else peer


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


def _ip_key(group: str, request: HttpRequest) -> str:
    """The client's address as django-ratelimit's "ip" key has it (IPv6 by its /64), but never an error: a
    request with no address (gunicorn on a unix socket) counts in one shared bucket instead of none."""
    ip = _address(request.META.get("REMOTE_ADDR", ""))
    if ip is None:
        return "unknown"
    return str(ip_network(f"{ip}/64", strict=False).network_address) if ip.version == 6 else str(ip)


def _limited(
    request: HttpRequest | None, group: str, key: Callable[[str, HttpRequest], str], rate: str
) -> bool:
    """django-ratelimit's count of one more action, failing open: True only when over `rate`."""
    try:
        with _cache_guard():
            return bool(is_ratelimited(request, group=group, key=key, rate=rate, increment=True))
    except Exception as error:  # a bad rate setting, or the cache's own errors (they differ by backend)
        logger.warning("rate limit not applied, the cache is unavailable: %s", type(error).__name__)
        return False


def over_limit(request: HttpRequest, group: str, rate: str) -> bool:
    """Count this POST against the client's limit for `group`; True when over it."""
    return request.method == "POST" and _limited(request, group, _ip_key, rate)


def retry_after(request: HttpRequest, group: str, rate: str) -> int | None:
    """Seconds until the client's limit for `group` opens again (without counting anything); None if unknown."""
    try:
        with _cache_guard():
            usage = get_usage(request, group=group, key=_ip_key, rate=rate, increment=False)
    except Exception as error:  # as in _limited: the cache's own errors differ by backend
        logger.warning("rate limit window unknown, the cache is unavailable: %s", type(error).__name__)
        return None
    left = usage.get("time_left") if usage else None
    return int(left) if left and left > 0 else None


def counted(key: str, group: str, rate: str) -> bool:
    """Count one action of `group` for `key`; False once `rate` ("6/h") is used up in this period.

    For limits on something other than the client's address (a recipient, a case). django-ratelimit hashes
    the key into its cache key, so nothing personal is stored.
    """
    return not _limited(None, group, lambda _group, _request: key, rate)


def recipient_allowed(address: str, group: str, rate: str) -> bool:
    """Emails a stranger can cause by typing someone's address into a public form: whoever types it, the
    person at that address gets no more than `rate` of them."""
    return counted(normalise_email(address), f"mail-{group}", rate)
