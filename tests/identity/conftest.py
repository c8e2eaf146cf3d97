"""Fixtures shared by the identity tests."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.identity.test_verification import BASE
from tests.intake import send


@pytest.fixture
def submit_form(client: Client, django_capture_on_commit_callbacks: Any) -> Any:
    """Submit the public form for a right, as a requester would, its emails sent on commit."""

    def post(kind: str = "access", **fields: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return send(client, kind, {**BASE, **fields})

    return post
