"""Staff enrol an authenticator only through a one-time link a DPO sent (or `reset_otp` printed) plus their
password; ten backup codes are shown once; the new device replaces a lost one."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from identity import enrolment
from identity.models import StaffEnrolment
from tests.factories import PASSWORD, signed_in

pytestmark = pytest.mark.django_db
LOGIN = "/admin/login/?next=/admin/"
SENT_AT = datetime(2026, 3, 2, 9, tzinfo=UTC)


def link_path(link: str) -> str:
    return "/" + link.split("://", 1)[1].split("/", 1)[1]


def confirm_code(client: Client, user: Any) -> Any:
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    return client.post("/admin/enrol/", {"token": f"{totp(device.bin_key):06d}"})


def test_a_dpo_sends_a_link_and_the_new_colleague_enrols_with_it(dpo: Any, handler: Any) -> None:
    office = signed_in(dpo, "DPO")
    sent = office.post("/admin/identity/staffenrolment/add/", {"user": handler.pk})
    assert sent.status_code == 302
    (email,) = mail.outbox
    assert email.to == [handler.email] and "Dana" in email.body  # who sent it
    link = re.search(r"https?://\S+/admin/enrol/\S+/", str(email.body))
    assert link is not None
    assert StaffEnrolment.objects.get().created_by == dpo

    client = Client()
    opened = client.get(link_path(link.group(0)))
    assert opened.status_code == 302 and opened["Location"] == "/admin/enrol/"  # the token leaves the address
    page = client.get("/admin/enrol/").content.decode()
    assert (
        "handler" in page and "QR code for your authenticator app" not in page
    )  # the password comes before any secret is shown
    assert client.post("/admin/enrol/", {"password": "nope"}).status_code == 400
    assert client.post("/admin/enrol/", {"password": PASSWORD}).status_code == 302
    page = client.get("/admin/enrol/").content.decode()
    assert "QR code for your authenticator app" in page and "Set up two-factor sign-in" in page
    assert "Staff preferences" not in page  # no way into the admin shown before a device is confirmed
    assert client.get("/admin/").status_code == 302  # not signed in yet

    device = TOTPDevice.objects.get(user=handler, confirmed=False)
    wrong = "000000" if totp(device.bin_key) else "111111"
    assert client.post("/admin/enrol/", {"token": wrong}).status_code == 400
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_count=0, throttling_failure_timestamp=None
    )
    assert confirm_code(client, handler).status_code == 302
    codes_page = client.get("/admin/enrol/").content.decode()
    codes = re.findall(r"<li>([a-z0-9]{8})</li>", codes_page)
    assert len(codes) == 10 and "shown only once" in codes_page
    assert client.get("/admin/").status_code == 200  # signed in, verified by the new device

    # The link is spent: opening it again enrols nothing.
    again = Client()
    assert again.get(link_path(link.group(0))).status_code == 404
    # From now on: username, password and a code, on one screen.
    backup_sign_in = Client().post(
        LOGIN, {"username": "handler", "password": PASSWORD, "otp_token": codes[0]}
    )
    assert backup_sign_in.status_code == 302
    assert StaticDevice.objects.get(user=handler).token_set.count() == 9  # single use


def test_the_password_alone_enrols_nothing(client: Client, handler: Any) -> None:
    # The penetration test: for staff with no device, the right password led to /admin/enrol/ and a QR code.
    response = client.post(LOGIN, {"username": "handler", "password": PASSWORD, "otp_token": "123456"})
    assert response.status_code == 200 and "Those details are not right" in response.content.decode()
    assert client.get("/admin/enrol/").status_code == 404
    assert not TOTPDevice.objects.filter(user=handler).exists()


def test_a_link_works_for_its_hours_only(handler: Any, settings: Any) -> None:
    with time_machine.travel(SENT_AT, tick=False):
        _row, link = enrolment.issue(handler)
    with time_machine.travel(SENT_AT + timedelta(hours=settings.STAFF_ENROLMENT_LINK_HOURS, minutes=1)):
        response = Client().get(link_path(link))
    assert response.status_code == 404 and "Ask your DPO" in response.content.decode()


def test_a_newer_link_retires_the_older_one(handler: Any) -> None:
    _first, old = enrolment.issue(handler)
    _second, new = enrolment.issue(handler)
    assert Client().get(link_path(old)).status_code == 404
    assert Client().get(link_path(new)).status_code == 302


def test_the_link_page_needs_the_password_of_the_account_it_was_sent_for(handler: Any, dpo: Any) -> None:
    _row, link = enrolment.issue(handler)
    client = Client()
    client.get(link_path(link))
    # Dana's password is the same in tests; Hal's account is the one the link is for, whatever is typed.
    assert client.post("/admin/enrol/", {"password": "not Hal's"}).status_code == 400
    assert not TOTPDevice.objects.filter(user=handler).exists()


def test_only_a_dpo_sends_links(handler: Any, other_handler: Any) -> None:
    desk = signed_in(handler, "Handler")
    assert desk.post("/admin/identity/staffenrolment/add/", {"user": other_handler.pk}).status_code == 403
    assert not mail.outbox and not StaffEnrolment.objects.exists()


def test_reset_otp_removes_a_lost_phone_and_prints_a_link(handler: Any, capsys: Any) -> None:
    lost = TOTPDevice.objects.create(user=handler, name="old phone", confirmed=True)
    call_command("reset_otp", "handler")
    out = capsys.readouterr().out
    assert not TOTPDevice.objects.filter(pk=lost.pk).exists()  # the stolen phone stops working at once
    link = re.search(r"https?://\S+/admin/enrol/\S+/", out)
    assert link is not None
    client = Client()
    client.get(link_path(link.group(0)))
    client.post("/admin/enrol/", {"password": PASSWORD})
    assert confirm_code(client, handler).status_code == 302
    assert "shown only once" in client.get("/admin/enrol/").content.decode()
    assert client.get("/admin/").status_code == 200


def test_enrolling_a_new_phone_replaces_the_old_one_and_its_backup_codes(handler: Any) -> None:
    old = TOTPDevice.objects.create(user=handler, name="old phone", confirmed=True)
    old_codes = StaticDevice.objects.create(user=handler, name="Backup codes", confirmed=True)
    _row, link = enrolment.issue(handler)
    client = Client()
    client.get(link_path(link))
    client.post("/admin/enrol/", {"password": PASSWORD})
    assert TOTPDevice.objects.filter(pk=old.pk).exists()  # still works until the new one is confirmed
    assert confirm_code(client, handler).status_code == 302
    assert not TOTPDevice.objects.filter(pk=old.pk).exists()
    assert not StaticDevice.objects.filter(pk=old_codes.pk).exists()


def test_the_code_must_follow_the_password_within_minutes(handler: Any) -> None:
    # Review: a half-finished enrolment left open on a shared computer let the next person confirm hours later.
    with time_machine.travel(SENT_AT, tick=False):
        _row, link = enrolment.issue(handler)
        client = Client()
        client.get(link_path(link))
        client.post("/admin/enrol/", {"password": PASSWORD})
        device = TOTPDevice.objects.get(user=handler, confirmed=False)
    with time_machine.travel(SENT_AT + timedelta(minutes=11), tick=False):
        late = client.post("/admin/enrol/", {"token": f"{totp(device.bin_key):06d}"})
        assert late.status_code == 200 and "enter it again" in late.content.decode()
        assert "QR code for your authenticator app" not in late.content.decode()
        assert (
            client.get("/admin/").status_code == 302
            and not TOTPDevice.objects.filter(confirmed=True).exists()
        )
        client.post("/admin/enrol/", {"password": PASSWORD})  # the password again: a new secret, a new try
        assert confirm_code(client, handler).status_code == 302


def test_opening_the_link_and_the_password_each_give_a_new_session(handler: Any, settings: Any) -> None:
    _row, link = enrolment.issue(handler)
    client = Client()
    client.get("/")  # a session that may have been planted
    client.session.save()
    planted = client.cookies[settings.SESSION_COOKIE_NAME].value
    client.get(link_path(link))
    after_link = client.cookies[settings.SESSION_COOKIE_NAME].value
    client.post("/admin/enrol/", {"password": PASSWORD})
    assert len({planted, after_link, client.cookies[settings.SESSION_COOKIE_NAME].value}) == 3


def test_secrets_pages_are_never_cached(handler: Any) -> None:
    _row, link = enrolment.issue(handler)
    client = Client()
    client.get(link_path(link))
    client.post("/admin/enrol/", {"password": PASSWORD})
    assert client.get("/admin/enrol/")["Cache-Control"] == "no-store"  # the TOTP secret
    confirm_code(client, handler)
    assert client.get("/admin/enrol/")["Cache-Control"] == "no-store"  # the backup codes


def test_a_refused_email_tells_the_dpo_and_retires_the_link(dpo: Any, handler: Any, settings: Any) -> None:
    settings.EMAIL_BACKEND = "tests.identity.test_staff_enrolment.RefusingBackend"
    office = signed_in(dpo, "DPO")
    response = office.post("/admin/identity/staffenrolment/add/", {"user": handler.pk}, follow=True)
    page = response.content.decode()
    assert response.status_code == 200 and "would not take the email" in page and "was added" not in page
    assert not StaffEnrolment.objects.get().live  # nobody holds it: it works for nobody


def test_the_email_is_in_the_colleagues_language(dpo: Any, handler: Any) -> None:
    from requests.models import StaffPreference

    StaffPreference.objects.create(user=handler, language="ru")
    enrolment.send(handler, by=dpo)
    assert "Ссылка действует один раз" in str(mail.outbox[0].body)


class RefusingBackend:
    def __init__(self, **kwargs: Any) -> None:
        pass

    def send_messages(self, messages: Any) -> int:
        import smtplib

        raise smtplib.SMTPRecipientsRefused(
            {"handler@example.com": (550, b"no such user handler@example.com")}
        )
