"""Staff sign in with username, password and code on one screen: one answer for any wrong part, the same work
either way, and every failure counts once towards the lockout (the penetration test's finding 4)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import PASSWORD, StaffFactory

pytestmark = pytest.mark.django_db
LOGIN = "/admin/login/?next=/admin/"


def answer(response: Any) -> str:
    """The page without what differs on every request (the CSRF token, the CSP nonce if any)."""
    page = re.sub(r'value="[A-Za-z0-9]{32,}"', "", response.content.decode())
    return re.sub(r'(name="username"[^>]*?) value="[^"]*"', r"\1", page)  # the name typed is typed back


@pytest.fixture
def device(dpo: Any) -> TOTPDevice:
    return TOTPDevice.objects.create(user=dpo, name="phone", confirmed=True)


def wrong_code(device: TOTPDevice) -> str:
    return "000000" if totp(device.bin_key) else "111111"


def test_every_wrong_part_gets_the_same_answer(dpo: Any, device: TOTPDevice, handler: Any) -> None:
    attempts = {
        "wrong password": {"username": "dpo", "password": "nope", "otp_token": f"{totp(device.bin_key):06d}"},
        "wrong code": {"username": "dpo", "password": PASSWORD, "otp_token": wrong_code(device)},
        "unknown name": {"username": "nobody", "password": PASSWORD, "otp_token": "123456"},
        "no device yet": {"username": "handler", "password": PASSWORD, "otp_token": "123456"},
    }
    pages = {}
    for what, data in attempts.items():
        response = Client().post(LOGIN, data)
        assert response.status_code == 200, what
        pages[what] = answer(response)
    assert len(set(pages.values())) == 1, "the answer tells which part was right"
    page = pages["wrong code"]
    assert "Those details are not right" in page
    assert "OTP Device" not in page and "Demo authenticator" not in page  # no device list, ever


def test_the_right_password_and_code_sign_in_on_one_screen(dpo: Any, device: TOTPDevice) -> None:
    client = Client()
    response = client.post(
        LOGIN, {"username": "dpo", "password": PASSWORD, "otp_token": f"{totp(device.bin_key):06d}"}
    )
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_a_right_password_with_a_wrong_code_counts_as_one_failure(dpo: Any, device: TOTPDevice) -> None:
    Client().post(LOGIN, {"username": "dpo", "password": PASSWORD, "otp_token": wrong_code(device)})
    assert AccessAttempt.objects.get(username="dpo").failures_since_start == 1


def test_staff_without_a_device_are_not_told_apart_by_their_failures(handler: Any) -> None:
    # Before: the password was checked twice for them, and every failure counted twice.
    Client().post(LOGIN, {"username": "handler", "password": "nope", "otp_token": "123456"})
    Client().post(LOGIN, {"username": "nobody", "password": "nope", "otp_token": "123456"})
    failures = dict(AccessAttempt.objects.values_list("username", "failures_since_start"))
    assert failures == {"handler": 1, "nobody": 1}


def test_the_same_work_with_or_without_a_device_or_an_account(dpo: Any, device: TOTPDevice) -> None:
    # Time is measured in bench/ (bench_sign_in.py); here the deterministic part: the same queries either way.
    StaffFactory(username="newcomer")
    counts = {}
    for name in ("newcomer", "nobody"):
        with CaptureQueriesContext(connection) as queries:
            Client().post(LOGIN, {"username": name, "password": PASSWORD, "otp_token": "123456"})
        # The order differs (a wrong password is counted before the code is checked); the work does not.
        counts[name] = sorted(
            re.sub(r"'[^']*'|\"s\d+_x\d+\"|\b\d+\b", "?", q["sql"]) for q in queries.captured_queries
        )
    assert counts["newcomer"] == counts["nobody"]


def test_the_login_page_asks_for_all_three_at_once(client: Client) -> None:
    page = client.get(LOGIN).content.decode()
    for field in ('name="username"', 'name="password"', 'name="otp_token"'):
        assert field in page
    assert "one-time link" in page  # where a newcomer or someone who lost their phone goes


def test_a_backup_code_signs_in_on_the_same_screen_once(dpo: Any) -> None:
    # The device is found by the code: no picker, and a backup code is used up by signing in.
    static = StaticDevice.objects.create(user=dpo, name="backup", confirmed=True)
    static.token_set.create(token="k2m7p9q4")
    client = Client()
    response = client.post(LOGIN, {"username": "dpo", "password": PASSWORD, "otp_token": "k2m7 p9q4"})
    assert response.status_code == 302 and client.get("/admin/").status_code == 200
    again = Client().post(LOGIN, {"username": "dpo", "password": PASSWORD, "otp_token": "k2m7p9q4"})
    assert again.status_code == 200 and "Those details are not right" in again.content.decode()


def test_neither_the_password_nor_the_code_is_written_back(dpo: Any, device: TOTPDevice) -> None:
    secret = "a distinctive wrong password"
    page = Client().post(LOGIN, {"username": "dpo", "password": secret, "otp_token": "424242"})
    html = page.content.decode()
    assert secret not in html and "424242" not in html
    assert 'value="dpo"' in html  # the username is kept, so only the secrets are typed again
