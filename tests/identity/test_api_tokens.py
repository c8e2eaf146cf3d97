"""The API token page (/admin/tokens/): a member of staff creates a token, sees it once, revokes it.

Everything goes through the page as staff use it: a client signed in to the admin with password and TOTP.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.db import connection
from django.http import HttpRequest
from django.test import Client
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from identity import tokens
from identity.models import ApiToken
from requests.roles import ensure_roles
from tests.factories import PASSWORD, StaffFactory, in_role, signed_in

pytestmark = pytest.mark.django_db

PAGE = "/admin/tokens/"
API = "/api/v1/cases/"
PLAINTEXT = re.compile(r"pp_[0-9a-f]{8}_[A-Za-z0-9_-]{20,100}")


@pytest.fixture(autouse=True)
def _roles() -> None:
    ensure_roles()


def create(client: Client, name: str = "Zoho CRM sync", days: int = 90) -> str:
    """Create a token on the page; return the plaintext the answer shows (once, and never again)."""
    response = client.post(PAGE, {"name": name, "days": str(days), "create": "1"})
    assert response.status_code == 200, response.content.decode()[:2000]
    assert "no-store" in response["Cache-Control"]
    (plaintext,) = PLAINTEXT.findall(response.content.decode())
    return plaintext


def api_status(plaintext: str) -> int:
    return Client(HTTP_AUTHORIZATION=f"Bearer {plaintext}").get(API).status_code


def every_stored_value() -> str:
    """Every value in every table of the database, as text (sessions decoded): where a secret could hide."""
    chunks: list[str] = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 (table names from the schema)
            chunks.extend(repr(row) for row in cursor.fetchall())
    chunks.extend(repr(session.get_decoded()) for session in Session.objects.all())
    return "\n".join(chunks)


@pytest.mark.parametrize("role", ["DPO", "Handler"])
def test_a_new_token_is_shown_once_and_then_works(dpo: Any, handler: Any, role: str) -> None:
    user = dpo if role == "DPO" else handler
    client = signed_in(user, role)
    assert client.get(PAGE).status_code == 200
    plaintext = create(client)
    token = ApiToken.objects.get(user=user)
    assert plaintext.startswith(f"pp_{token.prefix}_") and token.name == "Zoho CRM sync"
    again = client.get(PAGE).content.decode()
    assert plaintext not in again and PLAINTEXT.search(again) is None
    assert f"pp_{token.prefix}_…" in again  # the list names it by its prefix only
    assert api_status(plaintext) == 200


def test_only_a_fingerprint_of_the_token_is_stored(dpo: Any) -> None:
    client = signed_in(dpo, "DPO")
    plaintext = create(client)
    secret = plaintext.split("_", 2)[2]  # the secret itself may hold "_": never the last piece alone
    token = ApiToken.objects.get(user=dpo)
    assert token.digest not in (plaintext, secret) and len(token.digest) == 64
    row = repr(ApiToken.objects.filter(pk=token.pk).values().get())
    assert secret not in row and plaintext not in row
    assert secret not in every_stored_value()
    assert api_status(plaintext) == 200  # the fingerprint is enough to recognise it


def test_the_plaintext_is_never_written_to_the_database(dpo: Any) -> None:
    client = signed_in(dpo, "DPO")
    response = client.post(PAGE, {"name": "Zoho CRM sync", "days": "90", "create": "1"})
    assert response.status_code == 200
    token = ApiToken.objects.get(user=dpo)
    stored = every_stored_value()
    assert f"pp_{token.prefix}_" not in stored


def test_the_page_lists_only_your_own_tokens_with_their_state(dpo: Any, handler: Any) -> None:
    in_role(handler, "Handler")
    theirs, _plain = tokens.create_token(handler, name="Handler's script", days=30)
    client = signed_in(dpo, "DPO")
    plaintext = create(client, name="Nightly export", days=30)
    assert api_status(plaintext) == 200
    page = client.get(PAGE).content.decode()
    assert "Nightly export" in page and "active" in page
    assert "Handler's script" not in page and theirs.prefix not in page
    assert "Last used" in page and "—" not in page.split("Nightly export", 1)[1].split("</tr>", 1)[0]
    # It runs out (travelling 30 days would end the admin session too, so the expiry moves instead).
    ApiToken.objects.filter(user=dpo).update(expires_at=timezone.now() - timedelta(minutes=1))
    expired = client.get(PAGE).content.decode()
    row = expired.split("Nightly export", 1)[1].split("</tr>", 1)[0]
    assert "expired" in row and 'name="revoke"' not in row


def test_revoking_your_own_token_stops_it_at_once(dpo: Any) -> None:
    client = signed_in(dpo, "DPO")
    plaintext = create(client)
    token = ApiToken.objects.get(user=dpo)
    response = client.post(PAGE, {"revoke": str(token.pk)})
    assert response.status_code == 302 and response["Location"] == PAGE
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert api_status(plaintext) == 401
    row = client.get(PAGE).content.decode().split("Zoho CRM sync", 1)[1].split("</tr>", 1)[0]
    assert "revoked" in row and 'name="revoke"' not in row


def test_revoking_someone_elses_token_by_its_id_does_nothing(dpo: Any, handler: Any) -> None:
    in_role(handler, "Handler")
    theirs, their_plaintext = tokens.create_token(handler, name="Handler's script", days=30)
    client = signed_in(dpo, "DPO")
    response = client.post(PAGE, {"revoke": str(theirs.pk)})
    assert response.status_code == 302
    theirs.refresh_from_db()
    assert theirs.revoked_at is None
    assert api_status(their_plaintext) == 200
    assert "revoked" not in client.get(PAGE).content.decode()


@pytest.mark.parametrize(
    "revoke",
    ["-1", "999999", "", "abc", "1; DROP TABLE"],
)  # fmt: skip
def test_a_nonsense_revoke_changes_nothing_and_is_not_a_500(dpo: Any, revoke: str) -> None:
    client = signed_in(dpo, "DPO")
    plaintext = create(client)
    client.raise_request_exception = False
    response = client.post(PAGE, {"revoke": revoke})
    assert response.status_code in (302, 400, 404), response.status_code
    assert ApiToken.objects.get(user=dpo).revoked_at is None and api_status(plaintext) == 200


@pytest.mark.parametrize(
    ("data", "field"),
    [({"name": "Sync", "days": "7"}, "days"), ({"name": "Sync", "days": "3650"}, "days"),
     ({"name": "", "days": "90"}, "name"), ({"name": "x" * 101, "days": "90"}, "name")],
)  # fmt: skip
def test_a_token_needs_a_name_and_one_of_the_offered_lifetimes(
    dpo: Any, data: dict[str, str], field: str
) -> None:
    client = signed_in(dpo, "DPO")
    response = client.post(PAGE, {**data, "create": "1"})
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not ApiToken.objects.exists()


def test_the_lifetime_chosen_is_the_tokens_expiry(dpo: Any) -> None:
    client = signed_in(dpo, "DPO")
    with time_machine.travel("2026-11-25 10:00Z", tick=False):
        plaintext = create(client, days=30)
        token = ApiToken.objects.get(user=dpo)
        assert token.expires_at - token.created_at == timedelta(days=30)
    with time_machine.travel(token.expires_at + timedelta(seconds=1), tick=False):
        assert api_status(plaintext) == 401


def test_creating_a_token_needs_the_csrf_token(dpo: Any) -> None:
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = signed_in(dpo, "DPO").cookies
    response = strict.post(PAGE, {"name": "Sync", "days": "90", "create": "1"})
    assert response.status_code == 403
    assert not ApiToken.objects.exists()


def test_a_password_only_session_cannot_reach_the_page_or_make_a_token(dpo: Any) -> None:
    in_role(dpo, "DPO")
    TOTPDevice.objects.create(user=dpo, name="phone", confirmed=True)
    client = Client()
    assert client.login(request=HttpRequest(), username=dpo.username, password=PASSWORD)  # no TOTP code
    response = client.get(PAGE)
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    client.post(PAGE, {"name": "Sync", "days": "90", "create": "1"})
    assert not ApiToken.objects.exists()


def test_staff_without_a_role_have_no_token_page() -> None:
    nobody: Any = StaffFactory(username="no_role")  # signed in with password and TOTP, but in no role
    device = TOTPDevice.objects.create(user=nobody, name="phone", confirmed=True)
    own = Client()
    response = own.post(
        "/admin/login/?next=/admin/",
        {"username": nobody.username, "password": PASSWORD,
         "otp_device": device.persistent_id, "otp_token": f"{totp(device.bin_key):06d}"},
    )  # fmt: skip
    assert response.status_code == 302
    page = own.get(PAGE)
    assert page.status_code in (403, 404)
    own.post(PAGE, {"name": "Sync", "days": "90", "create": "1"})
    assert not ApiToken.objects.filter(user=nobody).exists()


def test_a_token_survives_a_secret_key_rotation_while_the_old_key_is_a_fallback(
    dpo: Any, settings: Any
) -> None:
    in_role(dpo, "DPO")
    _token, plaintext = tokens.create_token(dpo, name="sync", days=30)
    old = settings.SECRET_KEY
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "a-brand-new-secret-key-" + "x" * 40, [old]
    assert api_status(plaintext) == 200
    settings.SECRET_KEY_FALLBACKS = []  # rotation finished: tokens made under the old key stop working
    assert api_status(plaintext) == 401
