from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from requests.models import RIGHTS
from tests.factories import make_case
from tests.intake import send


def test_home_lists_every_right_in_plain_words(client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    for kind in RIGHTS:
        assert str(kind.label) in html
    assert "Appeal against our decision" not in html  # appeals and complaints follow a case
    assert "45 days" in html and "90 days" in html
    assert 'href="/static/css/portal.css"' in html


def test_home_says_which_laws_apply_and_why(client: Client, settings: Any) -> None:
    html = client.get("/").content.decode()
    assert "Which laws apply." in html and "The data protection law of the place where you live" in html
    assert "Because we are established" not in html
    settings.PRIVACY_ESTABLISHMENT = ("GB-SCT", "DE", "CA-QC", "US-FL")
    html = client.get("/").content.decode()
    assert "Because we are established in the UK, UK GDPR applies to everyone&#x27;s requests." in html
    assert "Because we are established in Germany, EU GDPR applies to everyone&#x27;s requests." in html
    assert "Because we are established in Quebec, Quebec Law 25 applies" in html
    assert html.count("Because we are established") == 3  # Florida's law is for Floridians only
    client.post("/i18n/setlang/", {"language": "ru", "next": "/"})
    html = client.get("/").content.decode()
    assert "Какие законы применяются." in html
    assert (
        "Поскольку мы зарегистрированы в юрисдикции «Великобритания», UK GDPR применяется к запросам всех людей, "
        "где бы они ни жили."
    ) in html


def test_home_speaks_russian(client: Client) -> None:
    client.post("/i18n/setlang/", {"language": "ru", "next": "/"})
    html = client.get("/").content.decode()
    assert '<html lang="ru">' in html
    assert "Ваши права на защиту данных" in html
    assert "Получить доступ к моим данным" in html


@pytest.fixture
def enrolled_dpo(dpo: Any) -> Any:
    dpo.is_superuser = True
    dpo.save()
    TOTPDevice.objects.create(user=dpo, name="phone", confirmed=True)
    return dpo


def login(client: Client, username: str, token: str, device: Any) -> Any:
    return client.post(
        "/admin/login/?next=/admin/",
        {
            "username": username,
            "password": "correct horse battery staple",
            "otp_device": device.persistent_id,
            "otp_token": token,
        },
    )


def test_staff_cannot_reach_the_admin_with_a_password_alone(client: Client, enrolled_dpo: Any) -> None:
    client.force_login(enrolled_dpo)  # password-authenticated, but no second factor
    response = client.get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


@pytest.mark.django_db
def test_staff_sign_in_with_password_and_totp_and_see_the_queue(client: Client, enrolled_dpo: Any) -> None:
    case = make_case()
    device = TOTPDevice.objects.get(user=enrolled_dpo)
    response = login(client, "dpo", f"{totp(device.bin_key):06d}", device)
    assert response.status_code == 302
    queue = client.get("/admin/requests/privacyrequest/")
    assert queue.status_code == 200
    assert case.reference in queue.content.decode()
    page = client.get(f"/admin/requests/privacyrequest/{case.pk}/change/").content.decode()
    assert "submitted" in page


@pytest.mark.django_db
def test_a_wrong_totp_code_is_refused(client: Client, enrolled_dpo: Any) -> None:
    device = TOTPDevice.objects.get(user=enrolled_dpo)
    wrong = f"{(totp(device.bin_key) + 1) % 1_000_000:06d}"
    response = login(client, "dpo", wrong, device)
    assert response.status_code == 200
    assert "Invalid token" in response.content.decode() or "errornote" in response.content.decode()
    assert client.get("/admin/").status_code == 302


@pytest.mark.django_db
def test_a_backup_code_works_once(client: Client, enrolled_dpo: Any) -> None:
    backup = StaticDevice.objects.create(user=enrolled_dpo, name="backup", confirmed=True)
    backup.token_set.create(token="abcd1234")
    assert login(client, "dpo", "abcd1234", backup).status_code == 302
    client.logout()
    assert login(client, "dpo", "abcd1234", backup).status_code == 200


@pytest.mark.django_db
def test_a_handler_sets_their_own_reminder_preferences(client: Client, handler: Any) -> None:
    from requests.models import StaffPreference

    device = TOTPDevice.objects.create(user=handler, name="phone", confirmed=True)
    login(client, "handler", f"{totp(device.bin_key):06d}", device)
    response = client.post(
        "/admin/requests/staffpreference/add/", {"user": "999", "language": "ru", "daily_digest": "on"}
    )
    assert response.status_code == 302
    pref = StaffPreference.objects.get()
    assert (pref.user, pref.language, pref.daily_digest) == (handler, "ru", True)


@pytest.mark.django_db
def test_pages_carry_the_security_headers(client: Any) -> None:
    response = client.get("/")
    policy = response["Content-Security-Policy"]
    assert (
        "default-src 'self'" in policy
        and "script-src 'self'" in policy
        and "frame-ancestors 'none'" in policy
    )
    assert "object-src 'none'" in policy and "unsafe-eval" not in policy
    assert "style-src 'self'" in policy and "unsafe-inline" not in policy  # no injected style restyles a page
    assert response["X-Frame-Options"] == "DENY" and response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert "Content-Security-Policy" in client.get("/admin/login/")
    features = response["Permissions-Policy"]
    assert all(f"{feature}=()" in features for feature in ("camera", "microphone", "geolocation", "payment"))


@pytest.mark.django_db
def test_cookies_carry_the_host_prefix_over_https(client: Any) -> None:
    # __Host-: set only over HTTPS, for this host alone, on path /; no subdomain can plant or shadow it.
    page = client.get("/requests/new/erasure/")
    cookie = page.cookies["__Host-csrftoken"]
    assert cookie["secure"] and cookie["path"] == "/" and not cookie["domain"]
    make_case()
    client.post("/status/", {"email": "ada@example.org"})  # a code is sent: the session remembers the case
    session = client.cookies["__Host-sessionid"]
    assert session["secure"] and session["httponly"] and session["path"] == "/" and not session["domain"]


@pytest.mark.django_db
def test_an_overlong_email_is_a_form_error_not_a_server_error(client: Any) -> None:
    address = "a" * 64 + "@" + ("b" * 60 + ".") * 4 + "example.org"  # valid, but longer than the column
    response = send(client, "erasure", {"requester_name": "Ada", "requester_email": address, "relationship": "self", "country": "DE",
         "language": "en", "period": "12_months"},
    )  # fmt: skip
    assert response.status_code == 400
    assert "at most 254 characters" in response.content.decode()
