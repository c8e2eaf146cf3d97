"""Staff sign-in is locked after repeated wrong passwords (django-axes), and a staff session lasts 8 hours at most."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db
LOGIN = "/admin/login/?next=/admin/"
SIGNED_IN_AT = datetime(2026, 1, 15, 9, tzinfo=UTC)


def sign_in(client: Client, user: Any, device: TOTPDevice, password: str = PASSWORD) -> Any:
    return client.post(
        LOGIN,
        {"username": user.username, "password": password,
         "otp_device": device.persistent_id, "otp_token": f"{totp(device.bin_key):06d}"},
    )  # fmt: skip


@pytest.fixture
def device(dpo: Any) -> TOTPDevice:
    return TOTPDevice.objects.create(user=dpo, name="phone", confirmed=True)


def test_after_the_failure_limit_the_right_password_and_code_are_refused(
    client: Client, dpo: Any, handler: Any, device: TOTPDevice, settings: Any
) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in(client, dpo, device, password="wrong").status_code == 200  # the form, with an error
    assert sign_in(client, dpo, device, password="wrong").status_code == 429  # the limit reached

    refused = sign_in(client, dpo, device)
    assert refused.status_code == 429 and "locked" in refused.content.decode().lower()
    assert client.get("/admin/").status_code == 302  # not signed in
    # The lock is on this username from this address: a colleague at the same office still signs in.
    colleague = TOTPDevice.objects.create(user=handler, name="phone", confirmed=True)
    assert sign_in(Client(), handler, colleague).status_code == 302


def test_a_staff_session_ends_eight_hours_after_sign_in_however_busy(
    client: Client, dpo: Any, device: TOTPDevice, settings: Any
) -> None:
    assert settings.SESSION_COOKIE_AGE == 8 * 60 * 60
    with time_machine.travel(SIGNED_IN_AT, tick=False):
        response = sign_in(client, dpo, device)
        assert response.status_code == 302
        assert response.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == 8 * 60 * 60
    # A page every 20 minutes all day: never idle, and every request saves the session (its last-seen time).
    for minutes in range(20, 8 * 60, 20):
        with time_machine.travel(SIGNED_IN_AT + timedelta(minutes=minutes), tick=False):
            assert client.get("/admin/").status_code == 200, f"signed out after {minutes} minutes"
    with time_machine.travel(SIGNED_IN_AT + timedelta(hours=7, minutes=59), tick=False):
        assert client.get("/admin/").status_code == 200
    with time_machine.travel(SIGNED_IN_AT + timedelta(hours=8, minutes=1), tick=False):
        response = client.get("/admin/")
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


def test_a_locked_username_stays_locked_from_any_other_address(
    dpo: Any, device: TOTPDevice, settings: Any
) -> None:
    # The penetration test signed in with the right password from a second address after the lockout.
    attacker = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(attacker, dpo, device, password="wrong")
    assert sign_in(Client(REMOTE_ADDR="198.51.100.9"), dpo, device).status_code == 429


def test_behind_a_trusted_proxy_the_lockout_records_the_clients_address(
    dpo: Any, device: TOTPDevice, settings: Any
) -> None:
    from axes.models import AccessAttempt

    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    proxied = Client(REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="203.0.113.7")
    sign_in(proxied, dpo, device, password="wrong")
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["203.0.113.7"]


def test_one_address_trying_many_usernames_meets_the_sign_in_limit(settings: Any) -> None:
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.RATELIMIT_STAFF_LOGIN = "3/h"
    client = Client(REMOTE_ADDR="203.0.113.7")
    codes = [client.post(LOGIN, {"username": f"guess{n}", "password": "x"}).status_code for n in range(4)]
    assert codes == [200, 200, 200, 429]
