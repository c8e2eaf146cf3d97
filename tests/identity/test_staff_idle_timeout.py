"""Staff are signed out after STAFF_IDLE_TIMEOUT_MINUTES without a request; requesters and API tokens are not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from identity import tokens
from requests.roles import ensure_roles
from tests.factories import in_role, make_case
from tests.identity.test_staff_lockout import sign_in
from tests.requests.test_status_page import sign_in as requester_sign_in

pytestmark = pytest.mark.django_db
SIGNED_IN_AT = datetime(2026, 1, 15, 9, tzinfo=UTC)
QUEUE = "/admin/requests/privacyrequest/"


@pytest.fixture
def signed_in(client: Client, dpo: Any) -> Client:
    ensure_roles()
    in_role(dpo, "DPO")
    device = TOTPDevice.objects.create(user=dpo, name="phone", confirmed=True)
    with time_machine.travel(SIGNED_IN_AT, tick=False):
        assert sign_in(client, dpo, device).status_code == 302
    return client


def at(minutes: float) -> Any:
    return time_machine.travel(SIGNED_IN_AT + timedelta(minutes=minutes), tick=False)


def test_staff_who_keep_working_stay_signed_in(signed_in: Client, settings: Any) -> None:
    assert settings.STAFF_IDLE_TIMEOUT_MINUTES == 30
    for minutes in (29, 58, 87, 116):  # each request within 30 minutes of the one before
        with at(minutes):
            assert signed_in.get(QUEUE).status_code == 200, f"signed out at minute {minutes}"


def test_thirty_idle_minutes_sign_staff_out_and_say_why(signed_in: Client) -> None:
    with at(10):
        assert signed_in.get(QUEUE).status_code == 200
    with at(41):  # 31 minutes after the last request
        response = signed_in.get(QUEUE)
        assert response.status_code == 302
        assert response["Location"] == "/admin/login/?next=%2Fadmin%2Frequests%2Fprivacyrequest%2F"
        login_page = signed_in.get(response["Location"]).content.decode()
        assert "You were signed out after 30 minutes without activity." in login_page
        # Signed out for good, not only sent away once: the next request is anonymous too.
        again = signed_in.get(QUEUE)
        assert (
            again.status_code == 302
            and "signed out after" not in signed_in.get(again["Location"]).content.decode()
        )


def test_the_idle_timeout_is_a_setting(signed_in: Client, settings: Any) -> None:
    settings.STAFF_IDLE_TIMEOUT_MINUTES = 5
    with at(4):
        assert signed_in.get(QUEUE).status_code == 200
    with at(10):
        response = signed_in.get(QUEUE)
        assert response.status_code == 302
        assert "You were signed out after 5 minutes" in signed_in.get(response["Location"]).content.decode()


def test_an_idle_staff_session_gets_json_from_the_api_not_a_sign_in_page(signed_in: Client) -> None:
    with at(45):
        response = signed_in.get("/api/v1/cases/")
        assert response.status_code in (401, 403) and response["Content-Type"] == "application/json"


def test_api_tokens_are_not_signed_out_by_idleness(dpo: Any) -> None:
    ensure_roles()
    in_role(dpo, "DPO")
    with at(0):
        _token, plaintext = tokens.create_token(dpo, name="sync", days=30)
        client = Client(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
        assert client.get("/api/v1/cases/").status_code == 200
    with at(90):
        response = client.get("/api/v1/cases/")
        assert response.status_code == 200, response.content
        assert not response.cookies  # and no session was started for it


def test_a_requesters_status_session_is_not_cut_short(client: Client) -> None:
    case = make_case(requester_email="ada@example.org")
    with at(0):
        assert requester_sign_in(client, "ada@example.org").status_code == 302
    with at(45):  # longer than the staff timeout, within the status page's own hour
        page = client.get("/status/cases/")
        assert page.status_code == 200 and case.reference in page.content.decode()


def test_the_sign_out_message_is_in_russian_for_russian_staff(signed_in: Client) -> None:
    with at(31):
        response = signed_in.get(QUEUE, HTTP_ACCEPT_LANGUAGE="ru")
        page = signed_in.get(response["Location"], HTTP_ACCEPT_LANGUAGE="ru").content.decode()
        assert "Сеанс завершён после 30 минут бездействия. Войдите снова." in page


def test_an_idle_staff_session_on_a_public_page_is_signed_out_and_the_page_shown(signed_in: Client) -> None:
    with at(45):
        response = signed_in.get("/")
        assert response.status_code == 200  # the home page, not the admin's sign-in
        assert signed_in.get(QUEUE).status_code == 302  # and signed out all the same
