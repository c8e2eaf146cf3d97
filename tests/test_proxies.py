"""Client addresses behind trusted proxies (issue 24, deliverable 4), through the real gunicorn: who is counted by
the rate limits and axes' lockouts, and who the access log names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from axes.models import AccessAttempt

from tests.brokers import PrivateRedis
from tests.servers import Browser, server_env, start_gunicorn, wait_for_port
from tests.workers import database_url, stop

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.real_clock]

BODY = {"kind": "rectification", "requester_name": "Ada", "relationship": "self", "country": "GB",
        "language": "en", "period": "12_months", "rectification_current": "Old address",
        "rectification_wanted": "New address"}  # fmt: skip


def submit(port: int, n: int, forwarded_for: str) -> int:
    """One request by the public API, as a proxy in front of the portal passes it on."""
    browser = Browser(port, headers={"X-Forwarded-For": forwarded_for})
    body = json.dumps({**BODY, "requester_email": f"ada{n}@example.org"})
    return browser.request(
        "POST", "/api/v1/public/requests/", body, {"Content-Type": "application/json"}
    ).status


def failed_sign_in(port: int, forwarded_for: str) -> None:
    browser = Browser(port, headers={"X-Forwarded-For": forwarded_for})
    page = browser.request("GET", "/admin/login/")
    answer = browser.post_form(
        "/admin/login/", {"username": "dpo", "password": "wrong", "otp_token": "000000"}, page.body
    )
    assert answer.status == 200, answer.body[:500]  # the form again, with its error


@pytest.mark.parametrize("trusted", [False, True], ids=["no-proxy", "behind-a-proxy"])
def test_forwarded_addresses_count_only_from_a_trusted_proxy(tmp_path: Path, trusted: bool) -> None:
    redis = PrivateRedis()  # the rate limits' counters, shared by gunicorn's workers
    redis.start()
    env = server_env(
        DATABASE_URL=database_url(), REDIS_URL=redis.url, RATELIMIT_SUBMIT="2/d",
        TRUSTED_PROXIES="127.0.0.1" if trusted else "",
    )  # fmt: skip
    web, port = start_gunicorn(env, tmp_path / "web.log")
    try:
        wait_for_port(port, web, tmp_path / "web.log")
        # Two clients, two requests each, as the proxy names them (a client may also send a header of its own:
        # the proxy appends the address it saw, and only that one counts).
        first = [submit(port, n, "203.0.113.1") for n in range(2)]
        second = [submit(port, n, "198.18.0.99, 203.0.113.2") for n in range(2, 4)]
        third = submit(port, 4, "203.0.113.1")
        failed_sign_in(port, "203.0.113.2")
    finally:
        stop(web)
        redis.remove()
    log = (tmp_path / "web.log").read_text()
    attempts = set(AccessAttempt.objects.values_list("ip_address", flat=True))
    if trusted:
        # Each client has its own bucket: the second's two requests are taken after the first used up its own.
        assert (first, second, third) == ([201, 201], [201, 201], 429)
        assert "203.0.113.1 [" in log and "203.0.113.2 [" in log and "198.18.0.99" not in log
        assert attempts == {"203.0.113.2"}
    else:
        # The header is ignored: everyone is the peer, 127.0.0.1, in one bucket, whatever they claim.
        assert (first, second, third) == ([201, 201], [429, 429], 429)
        assert "203.0.113" not in log and "127.0.0.1 [" in log
        assert attempts == {"127.0.0.1"}
