"""The client's address behind trusted proxies, and the rate limits counted on it."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, RequestFactory

from privacyportal.ratelimit import client_ip
from requests.models import PrivacyRequest
from tests.intake import send

pytestmark = pytest.mark.django_db
FORM = {"requester_name": "Ada Lovelace", "requester_email": "ada@example.org", "relationship": "self",
        "country": "DE", "language": "en", "phone": "+49 30 1234567", "account_reference": "C-1001"}  # fmt: skip


def ip(settings: Any, peer: str, forwarded: str | None = None, trusted: tuple[str, ...] = ()) -> str:
    settings.TRUSTED_PROXIES = list(trusted)
    request = RequestFactory().get("/", REMOTE_ADDR=peer)
    if forwarded is not None:
        request.META["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_ip(request)


def test_a_header_from_an_untrusted_peer_is_ignored(settings: Any) -> None:
    assert ip(settings, "203.0.113.7", "1.2.3.4") == "203.0.113.7"


def test_through_trusted_proxies_the_first_untrusted_hop_from_the_right_is_the_client(settings: Any) -> None:
    proxies = ("10.0.0.0/8", "192.0.2.1")
    assert ip(settings, "10.0.0.5", "198.51.100.9", proxies) == "198.51.100.9"
    # A client that sends its own X-Forwarded-For only adds to the left of what the proxies saw.
    assert ip(settings, "10.0.0.5", "1.2.3.4, 198.51.100.9, 192.0.2.1", proxies) == "198.51.100.9"
    assert ip(settings, "10.0.0.5", "", proxies) == "10.0.0.5"
    assert ip(settings, "10.0.0.5", "not-an-address", proxies) == "10.0.0.5"


def test_behind_a_proxy_each_client_has_its_own_bucket_and_cannot_choose_one(
    client: Client, settings: Any
) -> None:
    # Before: every client behind the proxy shared the proxy's bucket (REMOTE_ADDR).
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.RATELIMIT_SUBMIT = "2/h"
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]

    def post(forwarded: str) -> int:
        return send(
            Client(REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR=forwarded), "erasure", FORM
        ).status_code

    assert [post("203.0.113.7"), post("203.0.113.7"), post("203.0.113.7")] == [302, 302, 429]
    assert post("198.51.100.9") == 302  # another client behind the same proxy
    assert post("9.9.9.9, 203.0.113.7") == 429  # a forged hop on the left changes nothing
    # Without the proxy trusted, a client naming itself anything still counts as its own address.
    settings.TRUSTED_PROXIES = []
    direct = [
        send(Client(REMOTE_ADDR="198.18.0.1", HTTP_X_FORWARDED_FOR=f"1.1.1.{n}"), "erasure", FORM).status_code
        for n in range(3)
    ]
    assert direct == [302, 302, 429]
    assert PrivacyRequest.objects.count() == 5


def test_a_cache_failing_inside_a_transaction_leaves_the_transaction_usable(settings: Any) -> None:
    # On PostgreSQL an error inside a transaction aborts it: the counter's failure must stay in its savepoint.
    from django.db import transaction

    from privacyportal.ratelimit import counted

    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "missing"}
    }
    with transaction.atomic():
        assert counted("case:1", "reply", "1/h") is True  # fails open
        assert PrivacyRequest.objects.count() == 0  # and the transaction still answers


def test_proxies_written_with_ports_or_as_mapped_ipv6_are_recognised(settings: Any) -> None:
    proxies = ("10.0.0.0/8",)
    assert ip(settings, "::ffff:10.0.0.5", "198.51.100.9", proxies) == "198.51.100.9"
    assert ip(settings, "10.0.0.5", "198.51.100.9:51234", proxies) == "198.51.100.9"
    assert ip(settings, "10.0.0.5", "[2001:db8::7]:443, 10.1.2.3:80", proxies) == "2001:db8::7"


def test_a_request_without_an_address_still_meets_the_limit(settings: Any) -> None:
    # gunicorn on a unix socket leaves REMOTE_ADDR empty: django-ratelimit's "ip" key raised, and failing open
    # turned every per-address limit off.
    from privacyportal.ratelimit import over_limit

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    posts = [RequestFactory().post("/", REMOTE_ADDR="") for _ in range(3)]
    assert [over_limit(post, "submit", "2/h") for post in posts] == [False, False, True]


@pytest.mark.parametrize("rate", ["2/h", "2/hour", "2/3600", "2/2h"])
def test_per_key_counters_read_every_rate_django_ratelimit_reads(settings: Any, rate: str) -> None:
    from privacyportal.ratelimit import counted

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert [counted("k", rate, rate) for _ in range(3)] == [True, True, False]


def test_a_nonsense_rate_fails_open_instead_of_failing_the_request(settings: Any) -> None:
    from privacyportal.ratelimit import counted

    assert counted("k", "g", "6/0h") and counted("k", "g", "many")


def test_a_counter_that_vanished_between_its_add_and_its_increment_lets_the_request_through(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.core.cache import cache

    def vanished(*args: Any, **kwargs: Any) -> int:
        raise ValueError("Key not found.")  # Django's incr of a key that is gone

    monkeypatch.setattr(cache, "add", lambda *args, **kwargs: False)  # it was there a moment ago
    monkeypatch.setattr(cache, "incr", vanished)
    answers = {"requester_name": "Ada Lovelace", "requester_email": "ada@example.org", "relationship": "self",
               "country": "DE", "language": "en", "account_reference": "C-1001"}  # fmt: skip
    response = send(client, "erasure", answers)
    assert response.status_code == 302 and PrivacyRequest.objects.count() == 1
