"""A DPO signs in with password and TOTP in a real browser and sees the queue (screenshots in test-artifacts/)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import Group
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from requests import services
from requests.roles import ensure_roles
from tests.factories import make_case

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_dpo_signs_in_with_totp_and_sees_overdue_cases_first(page: Any, dpo: Any, handler: Any) -> None:
    ensure_roles()
    dpo.groups.add(Group.objects.get(name="DPO"))
    device = TOTPDevice.objects.create(user=dpo, name="Authenticator", confirmed=True)
    with time_machine.travel(datetime(2025, 2, 8, 10, tzinfo=UTC), tick=False):
        late = services.confirm_email(make_case(kind="rectification", requester_email="late@example.org"))
    soon = services.confirm_email(make_case(kind="rectification", country="US", subdivision="CA"))
    services.assign(soon, to=handler, by=dpo)

    page.goto("/admin/")
    page.get_by_label("Username:").fill("dpo")
    page.get_by_label("Password:").fill("correct horse battery staple")
    page.get_by_role("button", name="Log in").click()
    page.shot("login-choose-device")  # django-otp asks which device after the password
    page.get_by_label("OTP Device:").select_option(label="Authenticator")
    page.get_by_label("OTP Token:").fill(f"{totp(device.bin_key):06d}")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Privacy requests").first.wait_for()  # the admin index: signed in
    page.goto("/admin/requests/privacyrequest/")
    page.get_by_role("link", name=late.reference).wait_for()
    page.shot("queue")
    html = page.content()
    assert html.index(late.reference) < html.index(soon.reference) and "overdue" in html
    page.get_by_role("link", name=late.reference).click()
    page.shot("case")
    assert "email_confirmed" in page.content()
