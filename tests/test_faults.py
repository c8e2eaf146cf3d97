"""Faults the portal must survive (issue 9): the database going away and coming back."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

import pytest
from django.db import OperationalError
from django.test import Client

from requests.models import PrivacyRequest

pytestmark = pytest.mark.django_db

ERASURE = {"requester_name": "Ada Lovelace", "requester_email": "ada@example.org", "relationship": "self",
           "country": "DE", "language": "en", "phone": "+49 30 1234567", "account_reference": "C-1001"}  # fmt: skip


@contextmanager
def database_down(message: str = "could not connect to server: Connection refused") -> Iterator[None]:
    """Every query fails as it does when PostgreSQL is stopped."""
    with mock.patch("django.db.backends.utils.CursorWrapper.execute", side_effect=OperationalError(message)):
        yield


def test_an_unreachable_database_gives_a_plain_503_and_pages_recover_by_themselves(client: Client) -> None:
    with database_down():
        for method, url, data in (
            ("post", "/admin/login/", {"username": "dpo", "password": "x"}),
            ("post", "/status/", {"email": "ada@example.org"}),
            ("post", "/requests/new/erasure/", ERASURE),
        ):
            response = getattr(client, method)(url, data)
            assert response.status_code == 503, url
            page = response.content.decode()
            assert "Temporarily unavailable" in page and "was not saved. Please send it again" in page
            assert "Traceback" not in page and "Connection refused" not in page
            assert response["Retry-After"] == "30"
    # Back up: the same request goes through, nothing was half-written meanwhile.
    assert not PrivacyRequest.objects.exists()
    assert client.post("/requests/new/erasure/", ERASURE).status_code == 302
    assert PrivacyRequest.objects.count() == 1


def test_no_personal_data_reaches_the_log_when_the_database_is_down(client: Client, caplog: Any) -> None:
    with database_down("password authentication failed for user ada@example.org"):
        client.post("/status/", {"email": "ada@example.org"})
    assert "database unavailable: OperationalError" in caplog.text and "ada@example.org" not in caplog.text
