"""First staff sign-in: enrol an authenticator with a QR code, get ten backup codes once; reset a lost device."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_new_staff_enrol_then_need_the_code_every_time(client: Client, handler: Any) -> None:
    response = client.post("/admin/login/?next=/admin/", {"username": "handler", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/admin/enrol/"
    assert client.get("/admin/").status_code == 302  # the password alone opens nothing else
    page = client.get("/admin/enrol/").content.decode()
    assert "<svg" in page and "Set up two-factor sign-in" in page and "Privacy Portal" in page
    assert "Staff preferences" not in page  # no way into the admin shown before a device is confirmed
    device = TOTPDevice.objects.get(user=handler, confirmed=False)
    wrong = "000000" if totp(device.bin_key) else "111111"
    assert client.post("/admin/enrol/", {"token": wrong}).status_code == 400
    # The wrong code throttles the next try; throttling is django-otp's, not what this test is about.
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_count=0, throttling_failure_timestamp=None
    )
    device.refresh_from_db()
    response = client.post("/admin/enrol/", {"token": f"{totp(device.bin_key):06d}"})
    assert response.status_code == 302
    codes_page = client.get("/admin/enrol/").content.decode()
    codes = re.findall(r"<li>([a-z0-9]{8})</li>", codes_page)
    assert len(codes) == 10 and "shown only once" in codes_page
    assert client.get("/admin/").status_code == 200  # verified by the new device
    assert client.get("/admin/enrol/").status_code == 404  # the codes are not shown again; no re-enrolment

    again = Client()
    again.post("/admin/login/?next=/admin/", {"username": "handler", "password": PASSWORD})
    assert again.get("/admin/").status_code == 302  # now the code is required
    backup = StaticDevice.objects.get(user=handler)
    ok = again.post("/admin/login/?next=/admin/", {"username": "handler", "password": PASSWORD,
                                                   "otp_device": backup.persistent_id, "otp_token": codes[0]})  # fmt: skip
    assert ok.status_code == 302 and again.get("/admin/").status_code == 200
    assert backup.token_set.count() == 9  # single use


def test_a_wrong_password_never_reaches_enrolment(client: Client, handler: Any) -> None:
    response = client.post("/admin/login/?next=/admin/", {"username": "handler", "password": "nope"})
    assert response.status_code == 200 and client.get("/admin/enrol/").status_code == 302


def test_reset_otp_makes_a_lost_device_enrol_again(client: Client, handler: Any, capsys: Any) -> None:
    TOTPDevice.objects.create(user=handler, name="old phone", confirmed=True)
    call_command("reset_otp", "handler")
    assert "enrol at next sign-in" in capsys.readouterr().out
    assert not TOTPDevice.objects.filter(user=handler).exists()
    response = client.post("/admin/login/?next=/admin/", {"username": "handler", "password": PASSWORD})
    assert response["Location"] == "/admin/enrol/"
